#include <stdlib.h>
#include <string.h>

#include "engine/elb/snapshot.h"
#include "engine/acm/acm.h"
#include "engine/elb/object.h"
#include "engine/elb/target.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_elb_snapshot_release(struct sw_elb_snapshot *s)
{
	size_t i, j;
	for (i = 0; i < s->nfe; i++) {
		for (j = 0; j < s->fe[i].nrules; j++) {
			sw_strvec_clear(&s->fe[i].rules[j].hosts);
			sw_strvec_clear(&s->fe[i].rules[j].paths);
			free(s->fe[i].rules[j].backend);
			free(s->fe[i].rules[j].backend2);
		}
		free(s->fe[i].rules);
		free(s->fe[i].name);
		free(s->fe[i].default_backend);
		free(s->fe[i].type);
		free(s->fe[i].body);
		free(s->fe[i].crt_list);
	}
	free(s->fe);
	for (i = 0; i < s->nbe; i++) {
		free(s->be[i].name);
		free(s->be[i].path);
		free(s->be[i].matcher);
	}
	free(s->be);
	for (i = 0; i < s->nt; i++) {
		free(s->t[i].tg_arn);
		free(s->t[i].id);
		free(s->t[i].addr);
		free(s->t[i].direct);
		free(s->t[i].backend);
		free(s->t[i].server);
	}
	free(s->t);
	memset(s, 0, sizeof(*s));
}

static char *tg_backend(struct sw_elb *elb, const char *tg_arn)
{
	struct sw_elb_object *tg = sw_elb_object_find(elb, SW_ELB_TG, tg_arn);
	struct sw_buf b = SW_BUF_INIT;
	if (!tg)
		return NULL;
	sw_elb_object_backend(tg->hex, &b);
	return sw_buf_detach(&b, NULL);
}

static void snap_conditions(json_t *conds, struct sw_elb_snapshot_rule *r)
{
	json_t *cond, *v;
	size_t i, j;
	json_array_foreach(conds, i, cond) {
		const char *field = sw_json_str(cond, "Field");
		int host = field && !strcmp(field, "host-header");
		json_array_foreach(json_object_get(cond, "Values"), j, v)
			sw_strvec_push(host ? &r->hosts : &r->paths, json_string_value(v));
	}
}

/* 1 when one of the PEM files listed in crt (one a line) names host. */
static int covered(const char *crt, const char *host)
{
	struct sw_buf path = SW_BUF_INIT;
	const char *p = crt, *nl;
	int yes = 0;
	while (*p && !yes) {
		nl = strchr(p, '\n');
		sw_buf_reset(&path);
		sw_buf_add(&path, p, nl ? (size_t)(nl - p) : strlen(p));
		yes = sw_acm_file_names(path.ptr, host);
		p = nl ? nl + 1 : p + strlen(p);
	}
	sw_buf_release(&path);
	return yes;
}

/*
 * An HTTPS listener's certificates as the router takes them: the PEM files of its default
 * certificate and then of the others (AddListenerCertificates), one a line; those whose
 * file is gone (deleted from the ACM store) are left out. Then, with a local CA, one
 * issued for each host its rules route that none of those names. NULL for HTTP.
 */
static char *crt_list(struct sw_elb *elb, const struct sw_elb_object *l)
{
	struct sw_buf out = SW_BUF_INIT, path = SW_BUF_INIT;
	json_t *certs = json_object_get(sw_elb_object_doc(l), "Certificates"), *extra = json_object_get(l->st, "certificates"), *v;
	struct sw_elb_object **rules;
	char *explicit;
	size_t i, j, n;

	if (strcmp(sw_elb_object_str(l, "Protocol") ? sw_elb_object_str(l, "Protocol") : "HTTP", "HTTPS"))
		return NULL;
	if (sw_acm_pem_path(elb->e, sw_json_str(json_array_get(certs, 0), "CertificateArn"), &path))
		sw_buf_addf(&out, "%s\n", path.ptr);
	json_array_foreach(extra, i, v)
		if (sw_acm_pem_path(elb->e, json_string_value(v), &path))
			sw_buf_addf(&out, "%s\n", path.ptr);
	/* issued ones only where the listener's own certificates (not the issued) name no host */
	explicit = xstrdup(out.ptr);
	rules = elb->e->cfg.router_tls_ca ? sw_elb_object_rules(elb, l->arn, &n) : NULL;
	for (i = 0; rules && i < n; i++) {
		json_t *cond;
		json_array_foreach(json_object_get(sw_elb_object_doc(rules[i]), "Conditions"), j, cond) {
			size_t k;
			if (strcmp(sw_json_str_or(cond, "Field", ""), "host-header"))
				continue;
			json_array_foreach(json_object_get(cond, "Values"), k, v)
				if (json_is_string(v) && !covered(explicit, json_string_value(v)) &&
				    sw_acm_issued_path(elb->e, json_string_value(v), &path))
					sw_buf_addf(&out, "%s\n", path.ptr);
		}
	}
	free(rules);
	free(explicit);
	sw_buf_rtrim(&out);
	sw_buf_release(&path);
	return sw_buf_detach(&out, NULL);
}

/*
 * A rule's backends: its target group, or the two of a weighted forward with the
 * second's share in thousandths (a weight of 0 leaves that group out).
 */
static void snap_forward(struct sw_elb *elb, json_t *actions, struct sw_elb_snapshot_rule *r)
{
	const char *tg[2];
	long long w[2];
	int n = sw_elb_object_action_weights(actions, tg, w);

	if (n == 2 && w[0] == 0) {
		tg[0] = tg[1];
		n = 1;
	}
	r->backend = tg_backend(elb, tg[0]);
	if (n == 2 && w[1] > 0 && r->backend) {
		r->backend2 = tg_backend(elb, tg[1]);
		r->permille2 = (int)(w[1] * 1000 / (w[0] + w[1]));
		if (r->permille2 < 1)
			r->permille2 = 1;
		if (r->permille2 > 999)
			r->permille2 = 999;
	}
}

/* Copy what the router needs (engine lock held). models: also frontends and backends. */
void sw_elb_snapshot_take(struct sw_elb *elb, struct sw_elb_snapshot *s, int models)
{
	struct sw_buf name = SW_BUF_INIT;
	size_t i, j, n;

	s->gen = elb->gen;
	if (models) {
		s->fe = xcalloc(elb->nobjs + 1, sizeof(*s->fe));
		s->be = xcalloc(elb->nobjs + 1, sizeof(*s->be));
		for (i = 0; i < elb->nobjs; i++) {
			struct sw_elb_object *o = &elb->objs[i];
			json_t *doc = sw_elb_object_doc(o);
			if (o->kind == SW_ELB_TG) {
				struct sw_elb_snapshot_backend *b = &s->be[s->nbe++];
				const char *port = sw_elb_object_str(o, "HealthCheckPort");
				sw_elb_object_backend(o->hex, &name);
				b->name = xstrdup(name.ptr);
				b->path = xstrdup(sw_elb_object_str(o, "HealthCheckPath"));
				b->matcher = xstrdup(sw_json_str(json_object_get(doc, "Matcher"), "HttpCode"));
				b->check.enabled = sw_json_bool(doc, "HealthCheckEnabled", 0);
				b->check.path = b->path;
				b->check.matcher = b->matcher;
				b->check.port = port && strcmp(port, "traffic-port") ? atoi(port) : 0;
				b->check.interval_ms = (int)sw_json_int(doc, "HealthCheckIntervalSeconds", 0) * 1000;
				b->check.timeout_ms = (int)sw_json_int(doc, "HealthCheckTimeoutSeconds", 0) * 1000;
				b->check.healthy_threshold = (int)sw_json_int(doc, "HealthyThresholdCount", 0);
				b->check.unhealthy_threshold = (int)sw_json_int(doc, "UnhealthyThresholdCount", 0);
			} else if (o->kind == SW_ELB_LISTENER) {
				struct sw_elb_snapshot_frontend *f = &s->fe[s->nfe++];
				json_t *act = json_array_get(json_object_get(doc, "DefaultActions"), 0);
				json_t *fr = json_object_get(act, "FixedResponseConfig");
				struct sw_elb_object **rules = sw_elb_object_rules(elb, o->arn, &n);
				sw_elb_object_frontend(o->hex, &name);
				f->name = xstrdup(name.ptr);
				f->port = (int)sw_json_int(doc, "Port", 0);
				f->default_backend = tg_backend(elb,
								sw_elb_object_action_tg(json_object_get(doc, "DefaultActions")));
				f->status = fr ? atoi(sw_json_str(fr, "StatusCode")) : 503;
				if (json_object_get(fr, "ContentType"))
					f->type = xstrdup(sw_json_str(fr, "ContentType"));
				if (json_object_get(fr, "MessageBody"))
					f->body = xstrdup(sw_json_str(fr, "MessageBody"));
				f->crt_list = crt_list(elb, o);
				f->rules = xcalloc(n + 1, sizeof(*f->rules));
				for (j = 0; j < n; j++) {
					struct sw_elb_snapshot_rule *r = &f->rules[f->nrules];
					json_t *actions = json_object_get(sw_elb_object_doc(rules[j]), "Actions");
					json_t *rd = json_object_get(sw_json_find(actions, "Type", "redirect"), "RedirectConfig");
					if (rd) {   /* the router's redirect backend for that port and code */
						sw_buf_reset(&name);
						sw_buf_addf(&name, SW_ELB_ROUTER_REDIRECT "%s-%s", sw_json_str_or(rd, "Port", "443"),
							    strcmp(sw_json_str_or(rd, "StatusCode", ""), "HTTP_302") ? "301" : "302");
						r->backend = xstrdup(name.ptr);
					} else {
						snap_forward(elb, actions, r);
					}
					if (!r->backend)
						continue;
					sw_strvec_init(&r->hosts);
					sw_strvec_init(&r->paths);
					snap_conditions(json_object_get(sw_elb_object_doc(rules[j]), "Conditions"), r);
					f->nrules++;
				}
				free(rules);
			}
		}
	}
	s->t = xcalloc(elb->ntargets + 1, sizeof(*s->t));
	for (i = 0; i < elb->ntargets; i++) {
		struct sw_elb_target *t = &elb->targets[i];
		struct sw_elb_snapshot_target *c = &s->t[s->nt];
		c->backend = tg_backend(elb, t->tg_arn);
		if (!c->backend)
			continue;
		sw_elb_target_server(t, &name);
		c->server = xstrdup(name.ptr);
		c->tg_arn = xstrdup(t->tg_arn);
		c->id = xstrdup(t->id);
		c->addr = xstrdup(t->addr);
		c->direct = t->direct ? xstrdup(t->direct) : NULL;
		c->port = t->port;
		c->draining = t->draining;
		c->applied = t->applied;
		c->applied_draining = t->applied_draining;
		c->drain_until = t->drain_until;
		c->drained_at = t->drained_at;
		s->nt++;
	}
	sw_buf_release(&name);
}
