#include <stdlib.h>
#include <string.h>

#include "releaser/strategy.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/store.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

static const char *const keys[] = { "strategy", "bake", "canary_percent", "canary_bake", "step_percent",
				     "step_bake", NULL };

/* A duration of whole minutes from 0 to 24 h: its minutes, or -1. */
static int whole_minutes(const char *value)
{
	long long ms;
	if (!strcmp(value, "0"))
		return 0;
	if (sw_time_parse_duration(value, 0, &ms) < 0 || ms % 60000 || ms > 24LL * 3600 * 1000)
		return -1;
	return (int)(ms / 60000);
}

/* A percentage in tenths from lo_tenths to 1000, or -1. */
static int tenths(const char *value, int lo_tenths)
{
	char *end = NULL;
	double v = strtod(value, &end);
	long long t;
	if (!*value || !end || (*end && strcmp(end, "%")) || !(v >= 0.0 && v <= 100.0))
		return -1;   /* out of range (or NaN) before it is converted: no overflow */
	t = (long long)(v * 10.0 + 0.5);
	if ((double)t / 10.0 - v > 1e-9 || v - (double)t / 10.0 > 1e-9 || t < lo_tenths || t > 1000)
		return -1;
	return (int)t;
}

int sw_strategy_key(const char *key)
{
	const char *const *k;
	for (k = keys; *k; k++)
		if (!strcmp(*k, key))
			return 1;
	return 0;
}

int sw_strategy_check(const char *where, const char *key, const char *value)
{
	if (!strcmp(key, "strategy")) {
		if (strcmp(value, "rolling") && strcmp(value, "blue-green") && strcmp(value, "linear") &&
		    strcmp(value, "canary"))
			return sw_error_code(SW_EINVAL, "%s: strategy must be rolling, blue-green, linear or canary, "
					     "not '%.40s'", where, value);
	} else if (!strcmp(key, "bake") || !strcmp(key, "canary_bake") || !strcmp(key, "step_bake")) {
		if (whole_minutes(value) < 0)
			return sw_error_code(SW_EINVAL, "%s: %s must be whole minutes from 0 to 24h (like 2m or 1h), "
					     "not '%.40s'", where, key, value);
	} else if (!strcmp(key, "canary_percent")) {
		if (tenths(value, 1) < 0)
			return sw_error_code(SW_EINVAL, "%s: canary_percent must be 0.1 to 100 in steps of 0.1, "
					     "not '%.40s'", where, value);
	} else if (!strcmp(key, "step_percent")) {
		if (tenths(value, 30) < 0)
			return sw_error_code(SW_EINVAL, "%s: step_percent must be 3 to 100 in steps of 0.1, "
					     "not '%.40s'", where, value);
	} else {
		return 0;
	}
	return 1;
}

static const char *get(const json_t *settings, const char *key, const char *dflt)
{
	const char *v = sw_json_str(settings, key);
	return v ? v : dflt;
}

int sw_strategy_shifts(const json_t *settings)
{
	return strcmp(get(settings, "strategy", "rolling"), "rolling") != 0;
}

json_t *sw_strategy_effective(sqlite3 *db, const char *app, const json_t *manifest)
{
	json_t *out = json_is_object(manifest) ? json_deep_copy(manifest) : json_object();
	json_t *own = sw_strategy_settings_load(db, app);
	if (own)
		json_object_update(out, own);
	json_decref(own);
	return out;
}

json_t *sw_strategy_ecs(const json_t *settings)
{
	const char *s = get(settings, "strategy", "rolling");
	json_t *o;

	if (!strcmp(s, "rolling"))
		return json_pack("{s:s}", "strategy", "ROLLING");
	o = json_pack("{s:s, s:i}", "strategy", !strcmp(s, "blue-green") ? "BLUE_GREEN" : !strcmp(s, "linear") ?
		      "LINEAR" : "CANARY", "bakeTimeInMinutes", whole_minutes(get(settings, "bake", "0")));
	if (!strcmp(s, "canary"))
		json_object_set_new(o, "canaryConfiguration",
				    json_pack("{s:f, s:i}", "canaryPercent",
					      tenths(get(settings, "canary_percent", "5"), 1) / 10.0,
					      "canaryBakeTimeInMinutes", whole_minutes(get(settings, "canary_bake", "10m"))));
	if (!strcmp(s, "linear"))
		json_object_set_new(o, "linearConfiguration",
				    json_pack("{s:f, s:i}", "stepPercent",
					      tenths(get(settings, "step_percent", "10"), 30) / 10.0,
					      "stepBakeTimeInMinutes", whole_minutes(get(settings, "step_bake", "6m"))));
	return o;
}

long long sw_strategy_wait_ms(const json_t *settings)
{
	const char *s = get(settings, "strategy", "rolling");
	long long min;
	int step;

	if (!strcmp(s, "rolling"))
		return 0;
	min = whole_minutes(get(settings, "bake", "0"));
	if (!strcmp(s, "canary"))
		min += whole_minutes(get(settings, "canary_bake", "10m"));
	if (!strcmp(s, "linear")) {
		step = tenths(get(settings, "step_percent", "10"), 30);
		min += (long long)((1000 + step - 1) / step) * whole_minutes(get(settings, "step_bake", "6m"));
	}
	return min * 60000;
}

void sw_strategy_describe(const json_t *settings, struct sw_buf *out)
{
	const char *s = get(settings, "strategy", "rolling");
	if (!strcmp(s, "rolling")) {
		sw_buf_adds(out, "rolling");
		return;
	}
	sw_buf_adds(out, s);
	if (!strcmp(s, "canary"))
		sw_buf_addf(out, " %s%% for %s", get(settings, "canary_percent", "5"), get(settings, "canary_bake", "10m"));
	if (!strcmp(s, "linear"))
		sw_buf_addf(out, " %s%% every %s", get(settings, "step_percent", "10"), get(settings, "step_bake", "6m"));
	sw_buf_addf(out, ", bake %s", get(settings, "bake", "0"));
}

json_t *sw_strategy_settings_load(sqlite3 *db, const char *app)
{
	struct sw_buf what = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *out = NULL;
	int rc;

	sw_buf_addf(&what, "deploy settings of %s", app);
	rc = sw_store_row_text(db, &st, "SELECT settings FROM deploy_settings WHERE app = ?", app, what.ptr);
	sw_buf_release(&what);
	if (rc < 0)
		return NULL;
	if (rc == 1)
		out = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	if (!json_is_object(out)) {     /* no row, or not an object: none */
		json_decref(out);
		out = json_object();
	}
	return out;
}

int sw_strategy_settings_save(sqlite3 *db, const char *app, const char *const *pairs, size_t n)
{
	json_t *cur = sw_strategy_settings_load(db, app);
	sqlite3_stmt *st = NULL;
	char *text = NULL;
	size_t i;
	int ret = 0;

	if (!cur)
		return SW_ERROR;
	for (i = 0; i < n && ret == 0; i++) {
		const char *eq = strchr(pairs[i], '=');
		char *key = eq ? xstrndup(pairs[i], (size_t)(eq - pairs[i])) : NULL;
		if (!eq || !sw_strategy_key(key))
			ret = sw_error_code(SW_EINVAL, "deploy:settings takes key=value with key one of strategy, bake, "
					    "canary_percent, canary_bake, step_percent, step_bake; not '%.40s'", pairs[i]);
		else if (!eq[1])
			json_object_del(cur, key);
		else if (sw_strategy_check("deploy:settings", key, eq + 1) < 0)
			ret = SW_EINVAL;
		else
			json_object_set_new(cur, key, json_string(eq + 1));
		free(key);
	}
	if (ret < 0)
		goto cleanup;
	text = json_dumps(cur, JSON_COMPACT | JSON_SORT_KEYS);
	if ((ret = sw_store_prepare(db, &st, "INSERT INTO deploy_settings (app, settings) VALUES (?, ?) "
				    "ON CONFLICT(app) DO UPDATE SET settings = excluded.settings")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_error("deploy settings of %s: %s", app, sqlite3_errmsg(db));
cleanup:
	sqlite3_finalize(st);
	free(text);
	json_decref(cur);
	return ret;
}
