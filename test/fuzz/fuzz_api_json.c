/*
 * The JSON bodies of slipwayd's API, as its handlers read them: a release command
 * (POST .../config, .../scale, .../rollback: releaser/command.c sw_command_check, then the
 * arguments through the config vars (releaser/appconfig.c) and the formation
 * (releaser/formation.c) of a live release), a one-off run (receiver/api_tasks.c
 * sw_api_tasks_run_body), and the small ones (apps:create's name, a webhook's URL and event
 * filter, review app settings' idle time). Input: a selector byte (0: command, with the
 * command set from bits 2-3 as the route sets it; 1: run; 2: the small ones), then the body.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test/fuzz/fuzz.h"
#include "common/buf.h"
#include "common/event.h"
#include "common/json.h"
#include "common/strvec.h"
#include "receiver/api_tasks.h"
#include "receiver/app.h"
#include "receiver/webhook.h"
#include "releaser/appconfig.h"
#include "releaser/command.h"
#include "releaser/formation.h"
#include "releaser/manifest.h"
#include "releaser/review.h"
#include "common/banned.h"

/* `slipway config:set` / `config:unset` on a live release's config, with the arguments the command makes. */
static void config(const json_t *req)
{
	const json_t *set = json_object_get(req, "set"), *v;
	json_t *cfg = json_pack("{s:s, s:s}", "GREETING", "hello", "DATABASE_URL", "postgres://db/app");
	struct sw_strvec args = SW_STRVEC_INIT;
	struct sw_buf summary = SW_BUF_INIT;
	const char *k;
	size_t i;

	if (set) {
		json_object_foreach((json_t *)set, k, v)
			sw_strvec_pushf(&args, "%s=%s", k, json_string_value(v));
		if (sw_appconfig_set(cfg, args.v, args.nr, &summary) >= 0 && sw_appconfig_check(cfg) < 0)
			fuzz_fail("config:set made a config that does not check");
	} else {
		json_array_foreach(json_object_get(req, "unset"), i, v)
			sw_strvec_push(&args, json_string_value(v));
		if (sw_appconfig_unset(cfg, args.v, args.nr, &summary) >= 0 && sw_appconfig_check(cfg) < 0)
			fuzz_fail("config:unset made a config that does not check");
	}
	sw_strvec_clear(&args);
	sw_buf_release(&summary);
	json_decref(cfg);
}

/* `slipway scale` applied to the formation of an app with web and worker processes. */
static void scale(const json_t *req)
{
	static const char procfile[] = "web: bin/web\nworker: bin/worker\n";
	struct sw_formation live = SW_FORMATION_INIT, changes = SW_FORMATION_INIT, back = SW_FORMATION_INIT;
	struct sw_manifest m = SW_MANIFEST_INIT;
	struct sw_strvec args = SW_STRVEC_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	const json_t *v;
	json_t *j;
	size_t i;

	json_array_foreach(json_object_get(req, "formation"), i, v)
		sw_strvec_push(&args, json_string_value(v));
	if (sw_manifest_parse_procfile(&m, "Procfile", procfile, sizeof(procfile) - 1, NULL) < 0)
		fuzz_fail("the fixed Procfile does not parse");
	sw_formation_plan(&live, &m, NULL, 512);
	if (sw_formation_parse(&changes, args.v, args.nr) == 0 && sw_formation_apply(&live, &changes) >= 0) {
		for (i = 0; i < live.nr; i++)
			if (live.v[i].count < 0 || live.v[i].count > SW_FORMATION_MAX_COUNT || live.v[i].memory_mb <= 0)
				fuzz_fail("scale made %s=%d:%d", live.v[i].process, live.v[i].count, live.v[i].memory_mb);
		sw_formation_describe(&live, 1, &desc);
		j = sw_formation_to_json(&live);
		if (sw_formation_from_json(&back, j) < 0)
			fuzz_fail("a scaled formation's JSON does not read back");
		json_decref(j);
	}
	sw_formation_release(&live);
	sw_formation_release(&changes);
	sw_formation_release(&back);
	sw_manifest_release(&m);
	sw_strvec_clear(&args);
	sw_buf_release(&desc);
}

static void command(json_t *req, unsigned which)
{
	static const char *const names[] = { "config", "scale", "rollback", "launch" };
	struct sw_buf what = SW_BUF_INIT;
	const char *kind = NULL;

	/* as the route does (receiver/api_releases.c): the command comes from the URL */
	json_object_set_new(req, "command", json_string(names[which % 4]));
	if (sw_command_check(req, &kind, &what) == 0) {
		if (!strcmp(kind, "config"))
			config(req);
		else if (!strcmp(kind, "scale"))
			scale(req);
	}
	sw_buf_release(&what);
}

static void run(const struct sw_buf *body)
{
	json_t *in = NULL, *env = NULL;

	if (sw_api_tasks_run_body(body, &in, &env) == 0 && (!json_is_object(in) || !json_is_array(env)))
		fuzz_fail("a run body accepted without its parts");
	json_decref(in);
	json_decref(env);
}

static void small(const json_t *in)
{
	const char *name = sw_json_str(in, "name"), *url = sw_json_str(in, "url"), *events = sw_json_str(in, "events");
	const char *idle = sw_json_str(in, "idle");
	long long secs = 0;

	if (name)
		(void)sw_app_name_valid(name);
	if (url)
		(void)sw_webhook_url_valid(url);
	if (events) {
		(void)sw_event_type_matches(events, "build.started");
		(void)sw_event_type_matches(events, "release.live");
		(void)sw_event_type_valid(events);
	}
	if (idle && sw_review_parse_duration(idle, &secs) == 0 && secs < 0)
		fuzz_fail("idle '%s' is %lld seconds", idle, secs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned sel = fuzz_byte(&in);
	struct sw_buf body = SW_BUF_INIT;
	json_t *req;

	body.ptr = fuzz_bytes(&in, &body.len);
	if (sel % 3 == 1) {
		run(&body);
	} else {
		req = body.len ? json_loadb(body.ptr, body.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		if (json_is_object(req)) {
			if (sel % 3 == 0)
				command(req, sel >> 2);
			else
				small(req);
		}
		json_decref(req);
	}
	free(body.ptr);
	return 0;
}
