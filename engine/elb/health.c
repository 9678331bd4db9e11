#include <string.h>

#include "engine/elb/health.h"
#include "common/json.h"
#include "common/banned.h"

enum sw_run_target_health sw_elb_health_describe(struct sw_elb *elb, const struct sw_elb_object *tg,
						 const struct sw_elb_target *t, const char **state, const char **reason,
						 struct sw_buf *desc)
{
	sw_buf_reset(desc);
	*reason = NULL;
	if (!t) {
		*state = "unused";
		*reason = "Target.NotRegistered";
		sw_buf_adds(desc, "Target is not registered to the target group");
		return SW_TARGET_UNKNOWN;
	}
	if (t->draining) {
		*state = "draining";
		*reason = "Target.DeregistrationInProgress";
		sw_buf_adds(desc, "Target deregistration is in progress");
		return SW_TARGET_DRAINING;
	}
	if (!sw_elb_object_tg_in_use(elb, tg->arn)) {
		*state = "unused";
		*reason = "Target.NotInUse";
		sw_buf_adds(desc, "Target group is not configured to receive traffic from the load balancer");
		return SW_TARGET_UNUSED;
	}
	if (!sw_json_bool(sw_elb_object_doc(tg), "HealthCheckEnabled", 0)) {
		*state = "unavailable";
		*reason = "Target.HealthCheckDisabled";
		sw_buf_adds(desc, "Health checks are disabled for the target group");
		return SW_TARGET_HEALTHY;
	}
	if (!t->have_health || t->rstate == SW_ROUTER_INITIAL) {
		*state = "initial";
		if (!t->have_health || !t->check_status[0] || !strcmp(t->check_status, "INI")) {
			*reason = "Elb.RegistrationInProgress";
			sw_buf_adds(desc, "Target registration is in progress");
		} else {
			*reason = "Elb.InitialHealthChecking";
			sw_buf_adds(desc, "Initial health checks in progress");
		}
		return SW_TARGET_INITIAL;
	}
	if (t->rstate == SW_ROUTER_HEALTHY || t->rstate == SW_ROUTER_UNCHECKED) {
		*state = "healthy";
		return SW_TARGET_HEALTHY;
	}
	*state = "unhealthy";
	if (!strcmp(t->check_status, "L7STS")) {
		*reason = "Target.ResponseCodeMismatch";
		sw_buf_addf(desc, "Health checks failed with these codes: [%d]", t->check_code);
	} else if (strstr(t->check_status, "TOUT")) {
		*reason = "Target.Timeout";
		sw_buf_adds(desc, "Request timed out");
	} else {
		*reason = "Target.FailedHealthChecks";
		sw_buf_adds(desc, "Health checks failed");
	}
	return SW_TARGET_UNHEALTHY;
}
