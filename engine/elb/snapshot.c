#include <stdlib.h>
#include <string.h>

#include "engine/elb/snapshot.h"
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
				f->rules = xcalloc(n + 1, sizeof(*f->rules));
				for (j = 0; j < n; j++) {
					struct sw_elb_snapshot_rule *r = &f->rules[f->nrules];
					json_t *actions = json_object_get(sw_elb_object_doc(rules[j]), "Actions");
					snap_forward(elb, actions, r);
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
		s->nt++;
	}
	sw_buf_release(&name);
}
