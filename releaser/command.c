#include <stdlib.h>
#include <string.h>

#include "releaser/command.h"
#include "releaser/deploy.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strvec.h"
#include "common/banned.h"

/*
 * The request as argument strings ("K=V" or "K" for config, "web=4" for scale, none for
 * rollback), its kind, and (when what is not NULL) what it does without config values.
 */
static int parse(const json_t *req, const char **kind, struct sw_strvec *args, struct sw_buf *what)
{
	const char *cmd = sw_json_str(req, "command");
	const json_t *v;
	const char *k;
	size_t i;

	if (!json_is_object(req))
		return sw_error_code(SW_EINVAL, "want a JSON object");
	if (!cmd)
		return sw_error_code(SW_EINVAL, "want {\"command\": \"config\"|\"scale\"|\"rollback\"|\"promote\", ...}");
	if (!strcmp(cmd, "config")) {
		const json_t *set = json_object_get(req, "set"), *unset = json_object_get(req, "unset");
		*kind = "config";
		if ((set != NULL) == (unset != NULL))
			return sw_error_code(SW_EINVAL, "config: want \"set\": {...} or \"unset\": [...]");
		if (set) {
			if (!json_is_object(set) || !json_object_size(set))
				return sw_error_code(SW_EINVAL, "config: \"set\" must be an object of strings");
			sw_buf_adds(what, "config:set");
			json_object_foreach((json_t *)set, k, v) {
				if (!json_is_string(v))
					return sw_error_code(SW_EINVAL, "config: the value of %.60s must be a string", k);
				sw_strvec_pushf(args, "%s=%s", k, json_string_value(v));
				sw_buf_addf(what, " %.60s", k);
			}
		} else {
			if (!json_is_array(unset) || !json_array_size(unset))
				return sw_error_code(SW_EINVAL, "config: \"unset\" must be a list of names");
			sw_buf_adds(what, "config:unset");
			json_array_foreach(unset, i, v) {
				if (!json_is_string(v))
					return sw_error_code(SW_EINVAL, "config: \"unset\" must be a list of names");
				sw_strvec_push(args, json_string_value(v));
				sw_buf_addf(what, " %.60s", json_string_value(v));
			}
		}
	} else if (!strcmp(cmd, "scale")) {
		const json_t *f = json_object_get(req, "formation");
		*kind = "scale";
		if (!json_is_array(f) || !json_array_size(f) || json_array_size(f) > 50)
			return sw_error_code(SW_EINVAL, "scale: want \"formation\": [\"web=4\", ...]");
		sw_buf_adds(what, "scale");
		json_array_foreach(f, i, v) {
			if (!json_is_string(v))
				return sw_error_code(SW_EINVAL, "scale: want \"formation\": [\"web=4\", ...]");
			sw_strvec_push(args, json_string_value(v));
			sw_buf_addf(what, " %.60s", json_string_value(v));
		}
	} else if (!strcmp(cmd, "rollback")) {
		const json_t *ver = json_object_get(req, "version"), *force = json_object_get(req, "force");
		*kind = "rollback";
		if (ver && (!json_is_integer(ver) || json_integer_value(ver) < 0 || json_integer_value(ver) > 1000000000))
			return sw_error_code(SW_EINVAL, "rollback: \"version\" must be a release number");
		if (force && !json_is_boolean(force))
			return sw_error_code(SW_EINVAL, "rollback: \"force\" must be true or false");
		sw_buf_adds(what, "rollback");
		if (json_integer_value(ver) > 0)
			sw_buf_addf(what, " to v%lld", (long long)json_integer_value(ver));
	} else if (!strcmp(cmd, "promote")) {
		const json_t *ver = json_object_get(req, "version");
		const char *from = sw_json_str(req, "from");
		*kind = "promote";
		if (!from || !*from || strlen(from) > 64)
			return sw_error_code(SW_EINVAL, "promote: want \"from\": the app to promote from");
		if (ver && (!json_is_integer(ver) || json_integer_value(ver) < 0 || json_integer_value(ver) > 1000000000))
			return sw_error_code(SW_EINVAL, "promote: \"version\" must be a release number");
		sw_buf_adds(what, "promote");
		if (json_integer_value(ver) > 0)
			sw_buf_addf(what, " v%lld", (long long)json_integer_value(ver));
		sw_buf_addf(what, " of %s", from);
	} else {
		return sw_error_code(SW_EINVAL, "unknown command '%.40s'", cmd);
	}
	return 0;
}

int sw_command_check(const json_t *request, const char **kind, struct sw_buf *what)
{
	struct sw_strvec args = SW_STRVEC_INIT;
	int ret = parse(request, kind, &args, what);
	sw_strvec_clear(&args);
	return ret;
}

struct run_ctx {
	const struct sw_command_run *o;
	const char *kind;
	struct sw_strvec args;
	int *version;
};

static int run(const struct sw_runenv *e, void *ctx)
{
	struct run_ctx *rc = ctx;
	const json_t *req = rc->o->request;

	if (!strcmp(rc->kind, "config"))
		return sw_deploy_config(e, rc->o->app, json_object_get(req, "unset") != NULL, rc->args.v, rc->args.nr,
					rc->o->who, rc->version);
	if (!strcmp(rc->kind, "scale"))
		return sw_deploy_scale(e, rc->o->app, rc->args.v, rc->args.nr, rc->o->who, rc->version);
	if (!strcmp(rc->kind, "promote"))
		return sw_deploy_promote(e, rc->o->app, sw_json_str(req, "from"), (int)sw_json_int(req, "version", 0),
					 rc->o->who, rc->version);
	return sw_deploy_rollback(e, rc->o->app, (int)sw_json_int(req, "version", 0),
				  sw_json_bool(req, "force", 0), rc->o->who, rc->version);
}

int sw_command_run(const struct sw_command_run *o, int *version)
{
	struct run_ctx rc;
	struct sw_buf what = SW_BUF_INIT;
	int ret;

	*version = 0;
	rc.o = o;
	rc.kind = NULL;
	rc.version = version;
	sw_strvec_init(&rc.args);
	if ((ret = parse(o->request, &rc.kind, &rc.args, &what)) == 0)
		ret = sw_releaser_with_app(o->db, o->app, o->job, o->report, o->observe, o->report_ctx, o->cancel, run,
					   &rc);
	sw_strvec_clear(&rc.args);
	sw_buf_release(&what);
	return ret;
}
