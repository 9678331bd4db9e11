#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/elb/haproxy.h"
#include "common/error.h"
#include "common/banned.h"

void sw_elb_router_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const char *sw_elb_router_state_name(enum sw_elb_router_state s)
{
	switch (s) {
	case SW_ROUTER_INITIAL: return "initial";
	case SW_ROUTER_HEALTHY: return "healthy";
	case SW_ROUTER_UNHEALTHY: return "unhealthy";
	case SW_ROUTER_DRAINING: return "draining";
	case SW_ROUTER_UNCHECKED: return "unchecked";
	}
	return "unknown";
}

int sw_elb_router_name_check(const char *what, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;
	if (!n || n > SW_ELB_ROUTER_NAME_MAX)
		return sw_error_code(SW_EINVAL, "router: %s name must have 1 to %d characters", what,
				     SW_ELB_ROUTER_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return sw_error_code(SW_EINVAL, "router: %s name '%s': only letters, digits, '_', '.', '-'",
					     what, s);
	}
	return 0;
}

/* A path or address we put in haproxy.cfg: no blanks, quotes, '#' or backslashes. */
int sw_elb_router_word_check(const char *what, const char *s)
{
	const char *p;
	if (!s || !*s)
		return sw_error_code(SW_EINVAL, "router: empty %s", what);
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\'' || *p == '"' || *p == '\\' ||
		    *p == '#')
			return sw_error_code(SW_EINVAL, "router: %s '%s' has a character HAProxy cannot take",
					     what, s);
	return 0;
}

int sw_elb_router_matcher_valid(const char *m)
{
	const char *p = m;
	for (;;) {
		int i;
		for (i = 0; i < 3; i++, p++)
			if (*p < '0' || *p > '9')
				return 0;
		if (*p == '-') {
			p++;
			for (i = 0; i < 3; i++, p++)
				if (*p < '0' || *p > '9')
					return 0;
		}
		if (!*p)
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

static int valid_matcher(const char *m)
{
	if (sw_elb_router_matcher_valid(m))
		return 0;
	return sw_error_code(SW_EINVAL, "router: matcher '%s': expected codes like 200, 200-299 or 200,302", m);
}

int sw_elb_router_check_validate(const struct sw_elb_router_check *c)
{
	if (!c->enabled)
		return 0;
	if (c->path && (c->path[0] != '/' || sw_elb_router_word_check("health check path", c->path) < 0))
		return sw_error_code(SW_EINVAL, "router: health check path '%s' must start with '/' and have no blank or quote",
				     c->path);
	if (c->matcher && valid_matcher(c->matcher) < 0)
		return SW_EINVAL;
	if (c->interval_ms <= 0 || c->timeout_ms <= 0 || c->healthy_threshold <= 0 ||
	    c->unhealthy_threshold <= 0 || c->port < 0 || c->port > 65535)
		return sw_error_code(SW_EINVAL, "router: health check interval, timeout and thresholds must be positive");
	return 0;
}

struct sw_elb_rt_backend *sw_elb_router_backend_find(struct sw_elb_router *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->nbackends; i++)
		if (!strcmp(r->backends[i].name, name))
			return &r->backends[i];
	return NULL;
}

struct sw_elb_rt_frontend *sw_elb_router_frontend_find(struct sw_elb_router *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->nfrontends; i++)
		if (!strcmp(r->frontends[i].name, name))
			return &r->frontends[i];
	return NULL;
}

struct sw_elb_rt_server *sw_elb_router_server_find(struct sw_elb_rt_backend *be, const char *name)
{
	size_t i;
	for (i = 0; i < be->nservers; i++)
		if (!strcmp(be->servers[i].name, name))
			return &be->servers[i];
	return NULL;
}

void sw_elb_router_server_release(struct sw_elb_rt_server *s)
{
	free(s->name);
	free(s->addr);
}

void sw_elb_router_backend_release(struct sw_elb_rt_backend *be)
{
	size_t i;
	for (i = 0; i < be->nservers; i++)
		sw_elb_router_server_release(&be->servers[i]);
	free(be->servers);
	free(be->name);
	free((char *)be->check.path);
	free((char *)be->check.matcher);
}

void sw_elb_router_rules_release(struct sw_elb_rt_rule *rules, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(rules[i].regex);
		sw_strvec_clear(&rules[i].hosts);
		free(rules[i].backend);
		free(rules[i].backend2);
	}
	free(rules);
}

void sw_elb_router_frontend_release(struct sw_elb_rt_frontend *fe)
{
	free(fe->name);
	free(fe->default_backend);
	free(fe->fixed_type);
	free(fe->fixed_body);
	free(fe->crt_list);
	sw_elb_router_rules_release(fe->rules, fe->nrules);
}
