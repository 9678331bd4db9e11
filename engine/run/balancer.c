#include "engine/run/balancer.h"
#include "engine/engine.h"
#include "common/error.h"
#include "common/banned.h"

static int none_check(void *ctx, const char *arn)
{
	return sw_error_code(SW_ENOTFOUND, "The target group with targetGroupArn %s does not exist "
			     "(this engine runs without a load balancer)", arn);
}

static int none_register(void *ctx, const struct sw_engine_target *t)
{
	return sw_error_code(SW_ENOTFOUND, "no load balancer: cannot register %s:%d", t->host, t->port);
}

static int none_deregister(void *ctx, const struct sw_engine_target *t, int *drain_seconds)
{
	*drain_seconds = 0;
	return 0;
}

static enum sw_target_health none_health(void *ctx, const struct sw_engine_target *t, struct sw_buf *reason)
{
	if (reason)
		sw_buf_adds(reason, "Elb.InternalError");
	return SW_TARGET_UNKNOWN;
}

const struct sw_engine_lb_ops sw_engine_lb_none = {
	"none", none_check, none_register, none_deregister, none_health,
};

void sw_engine_lb_set(struct sw_engine *e, const struct sw_engine_lb_ops *ops, void *ctx)
{
	e->lb = ops ? ops : &sw_engine_lb_none;
	e->lb_ctx = ctx;
}

void sw_engine_lb_changed(struct sw_engine *e)
{
	sw_engine_wake(e);
}

const char *sw_target_health_name(enum sw_target_health h)
{
	switch (h) {
	case SW_TARGET_INITIAL: return "initial";
	case SW_TARGET_HEALTHY: return "healthy";
	case SW_TARGET_UNHEALTHY: return "unhealthy";
	case SW_TARGET_DRAINING: return "draining";
	case SW_TARGET_UNUSED: return "unused";
	case SW_TARGET_UNKNOWN: break;
	}
	return "unavailable";
}
