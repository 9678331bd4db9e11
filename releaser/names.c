#include <string.h>

#include "releaser/names.h"
#include "releaser/taskdef.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

void sw_names_service(const char *app, const char *process, struct sw_buf *out)
{
	sw_taskdef_family(app, process, out);
}

void sw_names_log_group(const struct sw_runenv *e, const char *app, struct sw_buf *out)
{
	sw_buf_addf(out, "%s%s", e->settings->log_group_prefix, app);
}

const char *sw_names_owner(const json_t *svc)
{
	return sw_json_str(sw_json_find(json_object_get(svc, "tags"), "key", "slipway:app"), "value");
}

int sw_names_owned(const json_t *svc, const char *app, const char *process)
{
	const char *owner = sw_names_owner(svc), *name = sw_json_str(svc, "serviceName");
	if (owner && !strcmp(owner, app))
		return 0;
	if (!owner)
		return sw_error_code(SW_EEXISTS, "%s: the ECS service %s is not managed by slipway (no slipway:app tag): "
				     "rename the process type", process, name ? name : "?");
	return sw_error_code(SW_EEXISTS, "%s: the ECS service %s belongs to app %s (slipway:app tag), not %s: "
			     "rename the process type", process, name ? name : "?", owner, app);
}
