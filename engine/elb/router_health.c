#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/elb/haproxy.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* Split one CSV line (HAProxy's stats have no quoted fields) into fields. */
static size_t split_csv(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		char *c = strchr(p, ',');
		f[n++] = p;
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

static int column(char **names, size_t n, const char *want)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			return (int)i;
	return -1;
}

/* HAProxy's check_status of a check that passed ("L7OK", "L7OKC", "L6OK", "L4OK"). */
static int check_passed(const char *status)
{
	return !strncmp(status, "L7OK", 4) || !strcmp(status, "L6OK") || !strcmp(status, "L4OK");
}

int sw_elb_router_backend_health(struct sw_elb_router *r, const char *backend,
				 struct sw_elb_router_health **out, size_t *nout)
{
	struct sw_buf cmd = SW_BUF_INIT, text = SW_BUF_INIT;
	struct sw_elb_router_health *h = NULL;
	struct sw_elb_rt_backend *be;
	char *hdr[128], *f[128];
	size_t nh = 0, i;
	int c_sv = -1, c_status = -1, c_chk = -1, c_code = -1, c_scur = -1;
	char *line, *save = NULL;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	pthread_mutex_lock(&r->lock);
	be = sw_elb_router_backend_find(r, backend);
	if (!be) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no backend %s", backend);
		goto cleanup;
	}
	h = be->nservers ? xcalloc(be->nservers, sizeof(*h)) : NULL;
	for (i = 0; i < be->nservers; i++) {
		struct sw_elb_rt_server *s = &be->servers[i];
		h[i].server = xstrdup(s->name);
		h[i].state = s->draining ? SW_ROUTER_DRAINING
			     : !be->check.enabled ? SW_ROUTER_UNCHECKED : SW_ROUTER_INITIAL;
	}
	if (!be->nservers || !r->running)
		goto done;
	sw_buf_addf(&cmd, "show stat be_%s 4 -1", be->name);
	if ((ret = sw_elb_haproxy_cli(r->sock_path, cmd.ptr, &text)) < 0)
		goto cleanup;
	for (line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t nf;
		struct sw_elb_rt_server *s;
		struct sw_elb_router_health *e;
		const char *status;

		if (line[0] == '#') {
			nh = split_csv(line + 2, hdr, 128);
			c_sv = column(hdr, nh, "svname");
			c_status = column(hdr, nh, "status");
			c_chk = column(hdr, nh, "check_status");
			c_code = column(hdr, nh, "check_code");
			c_scur = column(hdr, nh, "scur");
			continue;
		}
		if (c_sv < 0 || c_status < 0 || c_chk < 0 || c_code < 0 || c_scur < 0) {
			ret = sw_error("router: HAProxy's stats lack the columns needed");
			goto cleanup;
		}
		nf = split_csv(line, f, 128);
		if (nf < nh)
			continue;
		s = sw_elb_router_server_find(be, f[c_sv]);
		if (!s)
			continue;
		e = &h[s - be->servers];
		status = f[c_status];
		snprintf(e->check_status, sizeof(e->check_status), "%s", f[c_chk]);
		e->check_code = atoi(f[c_code]);
		e->sessions = atoi(f[c_scur]);
		if (s->draining || !be->check.enabled)
			continue;
		if (!strncmp(status, "UP", 2)) {
			s->ever_up = 1;
			e->state = SW_ROUTER_HEALTHY;
		} else if (!s->ever_up &&
			   (!strcmp(e->check_status, "INI") || !e->check_status[0] || check_passed(e->check_status) ||
			    sw_time_mono_ms() - s->added_ms < (long long)be->check.interval_ms *
			    be->check.unhealthy_threshold + be->check.timeout_ms)) {
			/* never in service yet: initial while its checks start, or pass on the way up */
			e->state = SW_ROUTER_INITIAL;
		} else {
			e->state = SW_ROUTER_UNHEALTHY;
		}
	}
done:
	*out = h;
	*nout = be->nservers;
	h = NULL;

cleanup:
	if (h)
		sw_elb_router_health_free(h, be ? be->nservers : 0);
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	sw_buf_release(&text);
	return ret;
}

void sw_elb_router_health_free(struct sw_elb_router_health *h, size_t n)
{
	size_t i;
	if (!h)
		return;
	for (i = 0; i < n; i++)
		free(h[i].server);
	free(h);
}
