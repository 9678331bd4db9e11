#include <stdlib.h>
#include <string.h>

#include "engine/run/shift.h"
#include "engine/ecs/service_event.h"
#include "engine/run/balancer.h"
#include "engine/run/scheduler.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/banned.h"

int sw_run_shift_lb(const struct sw_engine_service *s, const char **rule, const char *tg[2])
{
	size_t i;
	for (i = 0; i < json_array_size(s->load_balancers); i++) {
		json_t *lb = json_array_get(s->load_balancers, i);
		json_t *adv = json_object_get(lb, "advancedConfiguration");
		if (!sw_json_str(adv, "productionListenerRule") || !sw_json_str(adv, "alternateTargetGroupArn"))
			continue;
		*rule = sw_json_str(adv, "productionListenerRule");
		tg[0] = sw_json_str(lb, "targetGroupArn");
		tg[1] = sw_json_str(adv, "alternateTargetGroupArn");
		return 0;
	}
	return -1;
}

void sw_run_shift_percent(int permille, struct sw_buf *out)
{
	if (permille % 10)
		sw_buf_addf(out, "%d.%d%%", permille / 10, permille % 10);
	else
		sw_buf_addf(out, "%d%%", permille / 10);
}

static void set_stage(struct sw_engine_deployment *d, const char *stage, double now)
{
	sw_engine_set_str(&d->stage, stage);
	d->stage_at = now;
	d->updated_at = now;
}

/* The production rule: permille of its requests to d's side, the rest to the other. */
static int weigh(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *d, int permille)
{
	const char *rule, *tg[2];
	struct sw_buf pct = SW_BUF_INIT;

	if (sw_run_shift_lb(s, &rule, tg) < 0 || !e->lb->shift)
		return -1;
	if (e->lb->shift(e->lb_ctx, rule, tg[!d->alt], tg[d->alt], permille) < 0) {
		sw_log_warn("service %s: shifting traffic: %s", s->name, sw_error_last());
		return -1;
	}
	d->permille = permille;
	sw_run_shift_percent(permille, &pct);
	sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) %s of production traffic on (target-group %s).",
				 s->name, d->id, pct.ptr, tg[d->alt]);
	sw_buf_release(&pct);
	return 0;
}

void sw_run_shift_return(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *d)
{
	const char *rule, *tg[2];

	d->aborted = 1;
	d->updated_at = sw_time_now();
	if (sw_run_shift_lb(s, &rule, tg) < 0 || !e->lb->shift)
		return;
	if (e->lb->shift(e->lb_ctx, rule, tg[d->alt], tg[!d->alt], 1000) < 0) {
		sw_log_warn("service %s: returning traffic: %s", s->name, sw_error_last());
		return;
	}
	d->permille = 0;
	sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) production traffic returned to (target-group %s).",
				 s->name, d->id, tg[!d->alt]);
}

/* A setting of the deployment's strategy in thousandths / minutes. */
static int cfg_permille(const struct sw_engine_deployment *p, const char *obj, const char *key)
{
	json_t *v = json_object_get(json_object_get(p->shifting, obj), key);
	return (int)(json_number_value(v) * 10.0 + 0.5);
}

static double cfg_wait(struct sw_engine *e, const struct sw_engine_deployment *p, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(p->shifting, obj) : p->shifting;
	return (double)sw_json_int(o, key, 0) * sw_run_seconds(e->cfg.bake_minute_ms);
}

/* The share the next traffic step gives green, from the current one. */
static int next_share(const struct sw_engine_deployment *p)
{
	const char *strategy = sw_json_str(p->shifting, "strategy");
	int step;

	if (!strcmp(strategy, "CANARY"))
		step = p->permille ? 1000 : cfg_permille(p, "canaryConfiguration", "canaryPercent");
	else if (!strcmp(strategy, "LINEAR"))
		step = p->permille + cfg_permille(p, "linearConfiguration", "stepPercent");
	else
		step = 1000;
	if (step < 1)
		step = 1;
	return step > 1000 ? 1000 : step;
}

/* How long green holds a share below 100% before the next step. */
static double step_wait(struct sw_engine *e, const struct sw_engine_deployment *p)
{
	const char *strategy = sw_json_str(p->shifting, "strategy");
	if (!strcmp(strategy, "CANARY"))
		return cfg_wait(e, p, "canaryConfiguration", "canaryBakeTimeInMinutes");
	if (!strcmp(strategy, "LINEAR"))
		return cfg_wait(e, p, "linearConfiguration", "stepBakeTimeInMinutes");
	return 0;
}

int sw_run_shift_step(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *p,
		      int primary, int primary_healthy, double now, double *next)
{
	double until;

	if (!p->stage)
		set_stage(p, "SCALE_UP", now);
	if (strcmp(p->stage, "SCALE_UP") && p->failed_tasks > p->failed_at_shift)
		return 1;
	if (!strcmp(p->stage, "SCALE_UP")) {
		if (primary < p->desired || primary_healthy < p->desired)
			return 0;
		p->failed_at_shift = p->failed_tasks;
		set_stage(p, "PRODUCTION_TRAFFIC_SHIFT", now);
		if (weigh(e, s, p, next_share(p)) < 0)
			return 1;
	}
	if (!strcmp(p->stage, "PRODUCTION_TRAFFIC_SHIFT")) {
		while (p->permille < 1000) {
			until = p->stage_at + step_wait(e, p);
			if (now < until) {
				sw_run_scheduler_due(next, until);
				return 0;
			}
			p->stage_at = now;
			if (weigh(e, s, p, next_share(p)) < 0)
				return 1;
		}
		set_stage(p, "BAKE_TIME", now);
		sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) baking: all production traffic on it, "
					 "the earlier tasks kept.", s->name, p->id);
	}
	if (!strcmp(p->stage, "BAKE_TIME")) {
		until = p->stage_at + cfg_wait(e, p, NULL, "bakeTimeInMinutes");
		if (now < until) {
			sw_run_scheduler_due(next, until);
			return 0;
		}
		set_stage(p, "CLEAN_UP", now);
		sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) bake time over: stopping the earlier tasks.",
					 s->name, p->id);
	}
	return 0;
}

int sw_run_shift_holds_blue(const struct sw_engine_deployment *p)
{
	return p->shifting && !p->aborted && p->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS &&
	       (!p->stage || strcmp(p->stage, "CLEAN_UP"));
}
