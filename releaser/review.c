#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "releaser/review.h"
#include "common/env.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define HASH_LEN 8   /* hex digits of the hash suffix */

/* ---- names (pure) ---- */

/* FNV-1a over the branch name and a salt byte. */
static unsigned name_hash(const char *s, unsigned salt)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	if (salt)
		h = (h ^ (salt & 0xffu)) * 16777619u;
	return h;
}

/* The plain mapping: lowercase, runs of other characters one "-", none at the ends. */
static void plain(const char *branch, struct sw_buf *out)
{
	const char *p;
	int dash = 0;

	for (p = branch; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && out->len)
				sw_buf_addch(out, '-');
			dash = 0;
			sw_buf_addch(out, c);
		} else {
			dash = 1;
		}
	}
}

static void with_hash(const char *mapped, const char *branch, unsigned salt, size_t max, struct sw_buf *out)
{
	size_t keep = strlen(mapped);

	if (max > SW_REVIEW_SLUG_MAX)
		max = SW_REVIEW_SLUG_MAX;
	if (max < HASH_LEN + 2)
		max = HASH_LEN + 2;
	if (keep > max - HASH_LEN - 1)
		keep = max - HASH_LEN - 1;
	while (keep && mapped[keep - 1] == '-')
		keep--;
	if (keep) {
		sw_buf_add(out, mapped, keep);
		sw_buf_addch(out, '-');
	}
	sw_buf_addf(out, "%08x", name_hash(branch, salt));
}

void sw_review_slug(const char *branch, size_t max, struct sw_buf *out)
{
	struct sw_buf m = SW_BUF_INIT;

	if (max > SW_REVIEW_SLUG_MAX)
		max = SW_REVIEW_SLUG_MAX;
	plain(branch, &m);
	if (m.len && m.len <= max)
		sw_buf_adds(out, m.ptr);
	else
		with_hash(m.ptr, branch, 0, max, out);
	sw_buf_release(&m);
}

void sw_review_slug_hashed(const char *branch, unsigned salt, size_t max, struct sw_buf *out)
{
	struct sw_buf m = SW_BUF_INIT;
	plain(branch, &m);
	with_hash(m.ptr, branch, salt, max, out);
	sw_buf_release(&m);
}

int sw_review_slug_valid(const char *slug)
{
	size_t n = strlen(slug), i;

	if (!n || n > SW_REVIEW_SLUG_MAX || slug[0] == '-' || slug[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((slug[i] >= 'a' && slug[i] <= 'z') || (slug[i] >= '0' && slug[i] <= '9') || slug[i] == '-'))
			return 0;
	return 1;
}

void sw_review_url(const char *apps_url, const char *label, struct sw_buf *out)
{
	const char *u = apps_url ? apps_url : "", *at;
	while ((at = strstr(u, "{app}"))) {
		sw_buf_add(out, u, (size_t)(at - u));
		sw_buf_adds(out, label);
		u = at + 5;
	}
	sw_buf_adds(out, u);
}

int sw_review_parse_duration(const char *s, long long *secs)
{
	long long ms = 0;

	*secs = 0;
	if (!s || !strcmp(s, "off") || !strcmp(s, "never") || !strcmp(s, "0"))
		return 0;
	/* days unless a unit says otherwise; from a second to ten years */
	if (*s < '0' || *s > '9' || strlen(s) > 12 || sw_time_parse_duration(s, SW_DURATION_BARE_DAYS, &ms) < 0 ||
	    ms < 1000 || ms > 3650LL * 86400 * 1000)
		return sw_error_code(SW_EINVAL, "'%.20s' is not a duration (days, or like 7d, 12h, 30m, 45s; or off)", s);
	*secs = ms / 1000;
	return 0;
}

/* ---- records ---- */

void sw_review_release(struct sw_review *r)
{
	free(r->app);
	free(r->parent);
	free(r->branch);
	free(r->slug);
	free(r->destroyed_reason);
	json_decref(r->seed_config);
	memset(r, 0, sizeof(*r));
}

#define COLUMNS "app, parent, branch, slug, status, created_at, last_push_at, destroyed_at, destroyed_reason," \
	" seed_config, seed_version"

static char *col(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	return v ? xstrdup(v) : NULL;
}

static void from_row(sqlite3_stmt *st, struct sw_review *r)
{
	const char *status = (const char *)sqlite3_column_text(st, 4);
	const char *seed = (const char *)sqlite3_column_text(st, 9);

	sw_review_release(r);
	r->app = col(st, 0);
	r->parent = col(st, 1);
	r->branch = col(st, 2);
	r->slug = col(st, 3);
	r->active = status && !strcmp(status, "active");
	r->created_at = sqlite3_column_double(st, 5);
	r->last_push_at = sqlite3_column_double(st, 6);
	r->destroyed_at = sqlite3_column_double(st, 7);
	r->destroyed_reason = col(st, 8);
	r->seed_config = seed ? json_loads(seed, 0, NULL) : NULL;
	if (!json_is_object(r->seed_config)) {
		json_decref(r->seed_config);
		r->seed_config = json_object();
	}
	r->seed_version = sqlite3_column_int(st, 10);
}

/* Prepare, or SW_ENOTFOUND quietly when the database has no reviews table (a test tool's). */
static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	*st = NULL;
	if (strstr(sqlite3_errmsg(db), "no such table"))
		return sw_error_code(SW_ENOTFOUND, "no review apps here");
	return sw_store_error(db, "review apps");
}

static int load_where(sqlite3 *db, const char *sql, const char *a, const char *b, struct sw_review *out)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if ((ret = prepare(db, &st, sql)) < 0)
		return ret;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		from_row(st, out);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = sw_error_code(SW_ENOTFOUND, "%s is not a review app", a);
	} else {
		ret = sw_store_error(db, "read review apps");
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_review_load(sqlite3 *db, const char *app, struct sw_review *out)
{
	return load_where(db, "SELECT " COLUMNS " FROM reviews WHERE app = ?1", app, NULL, out);
}

int sw_review_find(sqlite3 *db, const char *parent, const char *branch, struct sw_review *out)
{
	return load_where(db, "SELECT " COLUMNS " FROM reviews WHERE parent = ?1 AND branch = ?2", parent, branch, out);
}

void sw_review_host_label(sqlite3 *db, const char *app, struct sw_buf *out)
{
	struct sw_review r = SW_REVIEW_INIT;
	if (sw_review_load(db, app, &r) == 0)
		sw_buf_addf(out, "%s.%s", r.slug, r.parent);
	else
		sw_buf_adds(out, app);
	sw_review_release(&r);
}

void sw_review_tag_place(sqlite3 *db, const char *app, struct sw_buf *repo_app, struct sw_buf *prefix)
{
	struct sw_review r = SW_REVIEW_INIT;
	if (sw_review_load(db, app, &r) == 0) {
		sw_buf_adds(repo_app, r.parent);
		sw_buf_addf(prefix, "review/%s/", r.slug);
	} else {
		sw_buf_adds(repo_app, app);
	}
	sw_review_release(&r);
}

/* ---- retired releases ---- */

int sw_review_retired(const struct sw_review *rv, double created_at)
{
	return !rv->active || created_at < rv->created_at;
}

static void retire_one(const struct sw_review *rv, json_t *rel)
{
	const char *status = sw_json_str(rel, "status");
	struct sw_buf why = SW_BUF_INIT;

	if (!status || strcmp(status, "live") ||
	    !sw_review_retired(rv, sw_json_num(rel, "created_at", 0)))
		return;
	if (rv->active)
		sw_buf_addf(&why, "review app %s was destroyed and created again since", rv->app);
	else
		sw_buf_addf(&why, "review app %s destroyed (%s)", rv->app,
			    rv->destroyed_reason ? rv->destroyed_reason : "no reason recorded");
	json_object_set_new(rel, "status", json_string("retired"));
	json_object_set_new(rel, "retired", json_string(why.ptr));
	sw_buf_release(&why);
}

void sw_review_retire_json(sqlite3 *db, const char *app, json_t *o)
{
	struct sw_review rv = SW_REVIEW_INIT;
	json_t *list = json_object_get(o, "releases"), *rel;
	size_t i;

	if (!o || sw_review_load(db, app, &rv) < 0)
		return;
	if (json_is_array(list))
		json_array_foreach(list, i, rel)
			retire_one(&rv, rel);
	else
		retire_one(&rv, o);
	sw_review_release(&rv);
}

int sw_review_check_active(sqlite3 *db, const char *app)
{
	struct sw_review rv = SW_REVIEW_INIT;
	int ret = sw_review_load(db, app, &rv);

	if (ret == SW_ENOTFOUND || (ret == 0 && rv.active))
		ret = 0;
	else if (ret == 0)
		ret = sw_error_code(SW_EINVAL, "review app %s was destroyed (%s): push branch %s to %s to bring it back",
				    app, rv.destroyed_reason ? rv.destroyed_reason : "no reason recorded", rv.branch,
				    rv.parent);
	sw_review_release(&rv);
	return ret;
}

int sw_review_save(sqlite3 *db, const struct sw_review *r)
{
	sqlite3_stmt *st = NULL;
	char *seed = json_dumps(r->seed_config ? r->seed_config : json_object(), JSON_COMPACT);
	int ret;

	if ((ret = prepare(db, &st, "INSERT OR REPLACE INTO reviews(" COLUMNS ")"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0) {
		free(seed);
		return ret == SW_ENOTFOUND ? sw_error("this database has no reviews table") : ret;
	}
	sqlite3_bind_text(st, 1, r->app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->parent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->branch, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->slug, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->active ? "active" : "destroyed", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, r->created_at);
	sqlite3_bind_double(st, 7, r->last_push_at);
	if (r->destroyed_at > 0)
		sqlite3_bind_double(st, 8, r->destroyed_at);
	if (r->destroyed_reason)
		sqlite3_bind_text(st, 9, r->destroyed_reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10, seed ? seed : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 11, r->seed_version);
	free(seed);
	return sw_store_step_done(db, st, "record review app");
}

int sw_review_set_destroyed(sqlite3 *db, const char *app, const char *reason, double now)
{
	sqlite3_stmt *st = NULL;
	int ret;
	if ((ret = prepare(db, &st, "UPDATE reviews SET status = 'destroyed', destroyed_at = ?, destroyed_reason = ?"
			   " WHERE app = ?")) < 0)
		return ret;
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, app, -1, SQLITE_TRANSIENT);
	return sw_store_step_done(db, st, "record review app destroyed");
}

int sw_review_touch(sqlite3 *db, const char *app, double now)
{
	sqlite3_stmt *st = NULL;
	int ret;
	if ((ret = prepare(db, &st, "UPDATE reviews SET last_push_at = ? WHERE app = ?")) < 0)
		return ret;
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	return sw_store_step_done(db, st, "record review app push");
}

int sw_review_count_active(sqlite3 *db, const char *parent)
{
	sqlite3_stmt *st = NULL;
	int ret;
	if ((ret = prepare(db, &st, "SELECT COUNT(*) FROM reviews WHERE parent = ? AND status = 'active'")) < 0)
		return ret == SW_ENOTFOUND ? 0 : ret;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT);
	ret = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : sw_store_error(db, "count review apps");
	sqlite3_finalize(st);
	return ret;
}

static json_t *iso_or_null(double t)
{
	char out[SW_TIME_ISO_SIZE];
	return t > 0 ? json_string(sw_time_iso(t, out)) : json_null();
}

/* s as a JSON string; bytes that are not UTF-8 become '?'. */
static json_t *text(const char *s)
{
	struct sw_buf b = SW_BUF_INIT;
	json_t *j;
	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	for (; *s; s++)
		sw_buf_addch(&b, (unsigned char)*s < 0x80 ? *s : '?');
	j = json_string(b.ptr);
	sw_buf_release(&b);
	return j ? j : json_null();
}

json_t *sw_review_to_json(const struct sw_review *r, const char *apps_url)
{
	struct sw_buf label = SW_BUF_INIT, url = SW_BUF_INIT;
	json_t *o = json_object();

	sw_buf_addf(&label, "%s.%s", r->slug, r->parent);
	sw_review_url(apps_url, label.ptr, &url);
	json_object_set_new(o, "app", text(r->app));
	json_object_set_new(o, "parent", text(r->parent));
	json_object_set_new(o, "branch", text(r->branch));
	json_object_set_new(o, "slug", text(r->slug));
	json_object_set_new(o, "status", json_string(r->active ? "active" : "destroyed"));
	json_object_set_new(o, "url", text(url.ptr));
	json_object_set_new(o, "created_at", iso_or_null(r->created_at));
	json_object_set_new(o, "last_push_at", iso_or_null(r->last_push_at));
	json_object_set_new(o, "destroyed_at", iso_or_null(r->active ? 0 : r->destroyed_at));
	json_object_set_new(o, "destroyed_reason", text(r->active ? NULL : r->destroyed_reason));
	sw_buf_release(&label);
	sw_buf_release(&url);
	return o;
}

int sw_review_list(sqlite3 *db, const char *parent, int include_destroyed, const char *apps_url, json_t **out)
{
	sqlite3_stmt *st = NULL;
	struct sw_review r = SW_REVIEW_INIT;
	int ret, rc;

	*out = json_array();
	if ((ret = prepare(db, &st, "SELECT " COLUMNS " FROM reviews WHERE parent = ?1 AND (?2 OR status = 'active')"
			   " ORDER BY last_push_at DESC, app")) < 0)
		return ret == SW_ENOTFOUND ? 0 : ret;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, include_destroyed ? 1 : 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		from_row(st, &r);
		json_array_append_new(*out, sw_review_to_json(&r, apps_url));
	}
	ret = rc == SQLITE_DONE ? 0 : sw_store_error(db, "list review apps");
	sqlite3_finalize(st);
	sw_review_release(&r);
	return ret;
}

int sw_review_apps(sqlite3 *db, const char *parent, int active_only, struct sw_strvec *names)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if ((ret = prepare(db, &st, "SELECT app FROM reviews WHERE parent = ?1 AND (?2 = 0 OR status = 'active')"
			   " ORDER BY app")) < 0)
		return ret == SW_ENOTFOUND ? 0 : ret;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, active_only ? 1 : 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sw_strvec_push(names, (const char *)sqlite3_column_text(st, 0));
	ret = rc == SQLITE_DONE ? 0 : sw_store_error(db, "list review apps");
	sqlite3_finalize(st);
	return ret;
}

/* ---- settings ---- */

int sw_review_defaults_load(struct sw_review_defaults *d)
{
	const char *idle = sw_env_str("SLIPWAY_REVIEW_IDLE");
	long long limit = 0, secs = 0;

	if (sw_env_int("SLIPWAY_REVIEW_LIMIT", SW_REVIEW_DEFAULT_LIMIT, 0, 10000, &limit) < 0)
		return SW_EINVAL;
	if (idle && sw_review_parse_duration(idle, &secs) < 0)
		return sw_error_prefix("SLIPWAY_REVIEW_IDLE");
	d->limit = (int)limit;
	d->idle_secs = secs;
	return 0;
}

int sw_review_settings(sqlite3 *db, const char *parent, const struct sw_review_defaults *dflt, int *limit,
		       long long *idle_secs)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if (limit)
		*limit = dflt->limit;
	if (idle_secs)
		*idle_secs = dflt->idle_secs;
	if ((ret = prepare(db, &st, "SELECT max_reviews, idle_secs FROM review_settings WHERE app = ?")) < 0)
		return ret == SW_ENOTFOUND ? 0 : ret;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (limit && sqlite3_column_type(st, 0) != SQLITE_NULL)
			*limit = sqlite3_column_int(st, 0);
		if (idle_secs && sqlite3_column_type(st, 1) != SQLITE_NULL)
			*idle_secs = sqlite3_column_int64(st, 1);
	}
	ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sw_store_error(db, "read review settings");
	sqlite3_finalize(st);
	return ret;
}

int sw_review_settings_save(sqlite3 *db, const char *parent, int limit, long long idle_secs)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if ((ret = prepare(db, &st, "INSERT INTO review_settings(app, max_reviews, idle_secs) VALUES (?1, ?2, ?3)"
			   " ON CONFLICT(app) DO UPDATE SET max_reviews = COALESCE(?2, max_reviews),"
			   " idle_secs = COALESCE(?3, idle_secs)")) < 0)
		return ret == SW_ENOTFOUND ? sw_error("this database has no review settings") : ret;
	sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT);
	if (limit >= 0)
		sqlite3_bind_int(st, 2, limit);
	if (idle_secs >= 0)
		sqlite3_bind_int64(st, 3, idle_secs);
	return sw_store_step_done(db, st, "record review settings");
}

int sw_review_idle(sqlite3 *db, const struct sw_review_defaults *dflt, double now, struct sw_strvec *apps)
{
	sqlite3_stmt *st = NULL;
	struct sw_strvec parents = SW_STRVEC_INIT;
	size_t i;
	int ret, rc;

	if ((ret = prepare(db, &st, "SELECT DISTINCT parent FROM reviews WHERE status = 'active' ORDER BY parent")) < 0)
		return ret == SW_ENOTFOUND ? 0 : ret;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sw_strvec_push(&parents, (const char *)sqlite3_column_text(st, 0));
	ret = rc == SQLITE_DONE ? 0 : sw_store_error(db, "list review apps");
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; ret == 0 && i < parents.nr; i++) {
		long long idle = 0;
		if ((ret = sw_review_settings(db, parents.v[i], dflt, NULL, &idle)) < 0 || idle <= 0)
			continue;
		if ((ret = prepare(db, &st, "SELECT app FROM reviews WHERE parent = ? AND status = 'active'"
				   " AND last_push_at < ? ORDER BY app")) < 0)
			break;
		sqlite3_bind_text(st, 1, parents.v[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(st, 2, now - (double)idle);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			sw_strvec_pushf(apps, "%s %lld", (const char *)sqlite3_column_text(st, 0), idle);
		ret = rc == SQLITE_DONE ? 0 : sw_store_error(db, "list idle review apps");
		sqlite3_finalize(st);
		st = NULL;
	}
	sw_strvec_clear(&parents);
	return ret;
}
