#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/elb/haproxy.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define HEALTH_BATCH 6000      /* bytes of ';'-joined "show stat" commands per CLI connection */

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

/* The entries for be's servers, as known before HAProxy is asked, appended to h. */
static void declared(const struct sw_elb_rt_backend *be, struct sw_elb_router_health *h)
{
	size_t i;
	for (i = 0; i < be->nservers; i++) {
		const struct sw_elb_rt_server *s = &be->servers[i];
		h[i].backend = xstrdup(be->name);
		h[i].server = xstrdup(s->name);
		h[i].state = s->draining ? SW_ROUTER_DRAINING
			     : !be->check.enabled ? SW_ROUTER_UNCHECKED : SW_ROUTER_INITIAL;
	}
}

/* One server's row of `show stat` into e. */
static void server_row(const struct sw_elb_rt_backend *be, struct sw_elb_rt_server *s, struct sw_elb_router_health *e,
		       const char *status, const char *chk, const char *code, const char *scur, const char *qcur)
{
	/* "* L7STS": a check under way (its code not known yet): the last finished one's result */
	int running = chk[0] == '*';

	if (running && s->last_check[0]) {
		snprintf(e->check_status, sizeof(e->check_status), "%s", s->last_check);
		e->check_code = s->last_code;
	} else {
		snprintf(e->check_status, sizeof(e->check_status), "%s", running ? chk + 1 + (chk[1] == ' ') : chk);
		e->check_code = atoi(code);
	}
	if (!running) {
		snprintf(s->last_check, sizeof(s->last_check), "%s", chk);
		s->last_code = e->check_code;
	}
	e->sessions = atoi(scur);
	e->queued = atoi(qcur);
	/* "UP 1/3", "DOWN 1/2": a check went the other way, the next ones come fastinter apart */
	e->changing = strchr(status, '/') != NULL;
	s->up = !strncmp(status, "UP", 2);   /* what a relaunch seeds the server with */
	if (s->draining || !be->check.enabled)
		return;
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

/* Parse `show stat` answers (any number, each with its header line) into h (the entries of bes). */
static int parse_stats(char *text, struct sw_elb_rt_backend **bes, size_t nb,
		       const size_t *first, struct sw_elb_router_health *h)
{
	char *hdr[128], *f[128];
	size_t nh = 0, nf, i;
	int c_px = -1, c_sv = -1, c_status = -1, c_chk = -1, c_code = -1, c_scur = -1, c_qcur = -1;
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sw_elb_rt_server *s = NULL;
		if (line[0] == '#') {
			nh = split_csv(line + 2, hdr, 128);
			c_px = column(hdr, nh, "pxname");
			c_sv = column(hdr, nh, "svname");
			c_status = column(hdr, nh, "status");
			c_chk = column(hdr, nh, "check_status");
			c_code = column(hdr, nh, "check_code");
			c_scur = column(hdr, nh, "scur");
			c_qcur = column(hdr, nh, "qcur");
			continue;
		}
		if (c_px < 0 || c_sv < 0 || c_status < 0 || c_chk < 0 || c_code < 0 || c_scur < 0 || c_qcur < 0)
			return sw_error("router: HAProxy's stats lack the columns needed");
		nf = split_csv(line, f, 128);
		if (nf < nh || strncmp(f[c_px], "be_", 3))
			continue;
		for (i = 0; i < nb && strcmp(bes[i]->name, f[c_px] + 3); i++)
			;
		if (i == nb || !(s = sw_elb_router_server_find(bes[i], f[c_sv])))
			continue;
		server_row(bes[i], s, &h[first[i] + (size_t)(s - bes[i]->servers)], f[c_status], f[c_chk], f[c_code],
			   f[c_scur], f[c_qcur]);
	}
	return 0;
}

int sw_elb_router_health_read(struct sw_elb_router *r, const char *const *backends, size_t nbackends,
			      struct sw_elb_router_health **out, size_t *nout)
{
	struct sw_buf text = SW_BUF_INIT, cmd = SW_BUF_INIT;
	struct sw_elb_router_health *h = NULL;
	struct sw_elb_rt_backend **bes = xcalloc(nbackends + 1, sizeof(*bes));
	size_t *first = xcalloc(nbackends + 1, sizeof(*first));
	size_t nb = 0, n = 0, i, from;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < nbackends; i++) {
		struct sw_elb_rt_backend *be = sw_elb_router_backend_find(r, backends[i]);
		size_t k;
		if (!be && nbackends == 1) {
			ret = sw_error_code(SW_ENOTFOUND, "router: no backend %s", backends[i]);
			goto cleanup;
		}
		for (k = 0; be && k < nb && bes[k] != be; k++)
			;
		if (!be || k < nb)   /* unknown (gone meanwhile), or named twice */
			continue;
		first[nb] = n;
		bes[nb++] = be;
		n += be->nservers;
	}
	h = n ? xcalloc(n, sizeof(*h)) : NULL;
	for (i = 0; i < nb; i++)
		declared(bes[i], h + first[i]);
	/* one CLI connection per batch of backends that have servers */
	for (from = 0; r->running && from < nb;) {
		sw_buf_reset(&cmd);
		for (i = from; i < nb && (cmd.len < HEALTH_BATCH || i == from); i++)
			if (bes[i]->nservers)
				sw_buf_addf(&cmd, "%sshow stat be_%s 4 -1", cmd.len ? ";" : "", bes[i]->name);
		if (cmd.len && ((ret = sw_elb_haproxy_cli(r->sock_path, cmd.ptr, &text)) < 0 ||
				(ret = parse_stats(text.ptr, bes + from, i - from, first + from, h)) < 0))
			goto cleanup;
		from = i;
	}
	*out = h;
	*nout = n;
	h = NULL;

cleanup:
	if (h)
		sw_elb_router_health_free(h, n);
	pthread_mutex_unlock(&r->lock);
	free(bes);
	free(first);
	sw_buf_release(&cmd);
	sw_buf_release(&text);
	return ret;
}

int sw_elb_router_backend_health(struct sw_elb_router *r, const char *backend,
				 struct sw_elb_router_health **out, size_t *nout)
{
	return sw_elb_router_health_read(r, &backend, 1, out, nout);
}

void sw_elb_router_health_free(struct sw_elb_router_health *h, size_t n)
{
	size_t i;
	if (!h)
		return;
	for (i = 0; i < n; i++) {
		free(h[i].backend);
		free(h[i].server);
	}
	free(h);
}
