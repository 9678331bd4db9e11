#include <stdlib.h>
#include <string.h>

#include "releaser/release.h"
#include "releaser/formation.h"
#include "common/error.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

static const char *const status_names[] = {
	"pending", "deploying", "live", "failed", "rolled back",
};

static const char *const kind_names[] = {
	"push", "rollback", "config", "scale", "promote",
};

#define NAMES_NR(a) (sizeof(a) / sizeof(*(a)))

/* names[i], or "unknown" past the table. */
static const char *name_of(const char *const *names, unsigned n, unsigned i)
{
	return i < n ? names[i] : "unknown";
}

/* The index of name (may be NULL) in names[0..n), or -1. */
static int index_of(const char *const *names, unsigned n, const char *name)
{
	unsigned i;
	for (i = 0; name && i < n; i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

const char *sw_release_status_name(enum sw_release_status s)
{
	return name_of(status_names, NAMES_NR(status_names), (unsigned)s);
}

int sw_release_status_final(enum sw_release_status s)
{
	return s == SW_RELEASE_LIVE || s == SW_RELEASE_FAILED || s == SW_RELEASE_ROLLED_BACK;
}

const char *sw_release_kind_name(enum sw_release_kind k)
{
	return name_of(kind_names, NAMES_NR(kind_names), (unsigned)k);
}

void sw_release_init(struct sw_release *r)
{
	memset(r, 0, sizeof(*r));
	r->config = json_object();
	r->formation = json_object();
	r->manifest = json_object();
	r->state = json_object();
}

/* Free what r holds, leaving it garbage (callers re-fill or re-init it). */
static void free_fields(struct sw_release *r)
{
	free(r->app);
	free(r->description);
	free(r->commit);
	free(r->image);
	free(r->digest);
	json_decref(r->config);
	json_decref(r->formation);
	json_decref(r->manifest);
	json_decref(r->state);
	free(r->created_by);
	free(r->reason);
}

void sw_release_release(struct sw_release *r)
{
	free_fields(r);
	memset(r, 0, sizeof(*r));
}

void sw_release_describe(const struct sw_release *r, struct sw_buf *out)
{
	struct sw_formation f = SW_FORMATION_INIT;
	const char *k;
	json_t *v;
	int first = 1;

	sw_buf_addf(out, "v%d", r->version);
	if (r->description && *r->description)
		sw_buf_addf(out, " · %s", r->description);
	if (sw_formation_from_json(&f, r->formation) == 0 && f.nr) {
		sw_buf_adds(out, " · ");
		sw_formation_describe(&f, 0, out);
	}
	sw_formation_release(&f);
	json_object_foreach(r->config, k, v) {
		sw_buf_addf(out, "%s%s", first ? " · config: " : ", ", k);
		first = 0;
	}
}

/* ---- store ---- */

#define COLUMNS "id, app, version, status, kind, description, commit_sha, image, digest, config, " \
	"formation, manifest, state, release_ran, rollback_of, rolled_back_to, created_by, job_id, " \
	"reason, tagged, created_at, started_at, finished_at"

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

static json_t *col_json(sqlite3_stmt *st, int i, int *bad)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	json_t *j = s ? json_loads((const char *)s, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		*bad = 1;
		return json_object();
	}
	return j;
}

static int row_to_release(sqlite3_stmt *st, struct sw_release *r)
{
	int bad, status, kind;
	free_fields(r);
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->app = col_str(st, 1);
	r->version = sqlite3_column_int(st, 2);
	status = index_of(status_names, NAMES_NR(status_names), (const char *)sqlite3_column_text(st, 3));
	kind = index_of(kind_names, NAMES_NR(kind_names), (const char *)sqlite3_column_text(st, 4));
	bad = status < 0 || kind < 0;
	r->status = status < 0 ? SW_RELEASE_PENDING : (enum sw_release_status)status;
	r->kind = kind < 0 ? SW_RELEASE_PUSH : (enum sw_release_kind)kind;
	r->description = col_str(st, 5);
	r->commit = col_str(st, 6);
	r->image = col_str(st, 7);
	r->digest = col_str(st, 8);
	r->config = col_json(st, 9, &bad);
	r->formation = col_json(st, 10, &bad);
	r->manifest = col_json(st, 11, &bad);
	r->state = col_json(st, 12, &bad);
	r->release_ran = sqlite3_column_int(st, 13);
	r->rollback_of = sqlite3_column_int(st, 14);
	r->rolled_back_to = sqlite3_column_int(st, 15);
	r->created_by = col_str(st, 16);
	r->job_id = (long)sqlite3_column_int64(st, 17);
	r->reason = col_str(st, 18);
	r->tagged = sqlite3_column_int(st, 19);
	r->created_at = sqlite3_column_double(st, 20);
	r->started_at = sqlite3_column_double(st, 21);
	r->finished_at = sqlite3_column_double(st, 22);
	if (!r->created_by)
		r->created_by = xstrdup("");
	if (bad)
		return sw_error("release %s v%d: stored record is malformed", r->app ? r->app : "?", r->version);
	return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int bind_json(sqlite3_stmt *st, int i, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int rc = sqlite3_bind_text(st, i, s ? s : "{}", -1, SQLITE_TRANSIENT);
	free(s);
	return rc;
}

/* One statement parameter of a release row: text (NULL binds NULL), JSON (dumped), a whole number or a time. */
struct param {
	enum { P_TEXT, P_JSON, P_INT, P_TIME } kind;
	const char *text;
	const json_t *json;
	long long n;
	double t;
};
#define TEXT(v) { P_TEXT, (v), NULL, 0, 0 }
#define JSON(v) { P_JSON, NULL, (v), 0, 0 }
#define INT(v) { P_INT, NULL, NULL, (v), 0 }
#define TIME(v) { P_TIME, NULL, NULL, 0, (v) }

/* Bind ps[0] to ?1, ps[1] to ?2, ... */
static void bind_params(sqlite3_stmt *st, const struct param *ps, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		int at = (int)i + 1;
		if (ps[i].kind == P_TEXT)
			bind_text(st, at, ps[i].text);
		else if (ps[i].kind == P_JSON)
			bind_json(st, at, ps[i].json);
		else if (ps[i].kind == P_INT)
			sqlite3_bind_int64(st, at, ps[i].n);
		else
			sqlite3_bind_double(st, at, ps[i].t);
	}
}

int sw_release_insert(sqlite3 *db, struct sw_release *r)
{
	const struct param ps[] = {
		TEXT(r->app), TEXT(sw_release_kind_name(r->kind)), TEXT(r->description), TEXT(r->commit),
		TEXT(r->image), TEXT(r->digest), JSON(r->config), JSON(r->formation), JSON(r->manifest),
		JSON(r->state), INT(r->release_ran), INT(r->rollback_of), TEXT(r->created_by ? r->created_by : ""),
		INT(r->job_id), TIME(r->created_at),
	};
	sqlite3_stmt *st = NULL;
	int ret = SW_ERROR;

	if (!r->app || r->status != SW_RELEASE_PENDING || !r->description)
		return sw_error_code(SW_EINVAL, "a new release needs an app, a description and status pending");
	if (sw_store_prepare(db, &st,
		"INSERT INTO releases (app, version, status, kind, description, commit_sha, image, digest, "
		"config, formation, manifest, state, release_ran, rollback_of, created_by, job_id, created_at) "
		"SELECT ?1, COALESCE(MAX(version), 0) + 1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, ?12, ?13, ?14, ?15 FROM releases WHERE app = ?1 RETURNING id, version") < 0)
		return SW_ERROR;
	bind_params(st, ps, sizeof(ps) / sizeof(ps[0]));
	if (sqlite3_step(st) != SQLITE_ROW) {
		sw_store_error(db, "record release");
		goto cleanup;
	}
	r->id = sqlite3_column_int64(st, 0);
	r->version = sqlite3_column_int(st, 1);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sw_store_error(db, "record release");
		goto cleanup;
	}
	ret = 0;
cleanup:
	sqlite3_finalize(st);
	return ret;
}

static int load_one(sqlite3 *db, const char *sql, const char *app, int version, struct sw_release *r,
		    const char *missing)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;
	if (sw_store_prepare(db, &st, sql) < 0)
		return SW_ERROR;
	bind_text(st, 1, app);
	if (version)
		sqlite3_bind_int(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = row_to_release(st, r);
	else if (rc == SQLITE_DONE)
		ret = version ? sw_error_code(SW_ENOTFOUND, "%s has no release v%d", app, version)
			      : sw_error_code(SW_ENOTFOUND, "%s %s", app, missing);
	else
		ret = sw_store_error(db, "read release");
	sqlite3_finalize(st);
	return ret;
}

int sw_release_load(sqlite3 *db, const char *app, int version, struct sw_release *r)
{
	if (version <= 0)
		return sw_error_code(SW_EINVAL, "release versions start at v1");
	return load_one(db, "SELECT " COLUMNS " FROM releases WHERE app = ?1 AND version = ?2",
			app, version, r, NULL);
}

int sw_release_load_live(sqlite3 *db, const char *app, struct sw_release *r)
{
	return load_one(db, "SELECT " COLUMNS " FROM releases WHERE app = ?1 AND status = 'live' "
			"ORDER BY version DESC LIMIT 1", app, 0, r, "has no live release");
}

int sw_release_load_latest(sqlite3 *db, const char *app, struct sw_release *r)
{
	return load_one(db, "SELECT " COLUMNS " FROM releases WHERE app = ?1 ORDER BY version DESC LIMIT 1",
			app, 0, r, "has no releases");
}

static int allowed(enum sw_release_status from, enum sw_release_status to)
{
	switch (from) {
	case SW_RELEASE_PENDING:
		return to == SW_RELEASE_DEPLOYING || to == SW_RELEASE_FAILED || to == SW_RELEASE_ROLLED_BACK;
	case SW_RELEASE_DEPLOYING:
		return to == SW_RELEASE_LIVE || to == SW_RELEASE_FAILED || to == SW_RELEASE_ROLLED_BACK;
	default:
		return 0;
	}
}

static int write_row(sqlite3 *db, const struct sw_release *r, enum sw_release_status to,
		     enum sw_release_status from)
{
	const struct param ps[] = {
		TEXT(sw_release_status_name(to)), TEXT(r->reason), JSON(r->state), INT(r->rolled_back_to),
		INT(r->release_ran), INT(r->tagged), TIME(r->started_at), TIME(r->finished_at), INT(r->id),
		TEXT(sw_release_status_name(from)), JSON(r->formation),
	};
	sqlite3_stmt *st = NULL;
	int ret = SW_ERROR;

	if (sw_store_prepare(db, &st,
		"UPDATE releases SET status = ?1, reason = ?2, state = ?3, rolled_back_to = ?4, "
		"release_ran = ?5, tagged = ?6, started_at = ?7, finished_at = ?8, formation = ?11 "
		"WHERE id = ?9 AND status = ?10") < 0)
		return SW_ERROR;
	bind_params(st, ps, sizeof(ps) / sizeof(ps[0]));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sw_store_error(db, "update release");
		goto cleanup;
	}
	if (sqlite3_changes(db) != 1) {
		/* someone else moved it (another slipwayd resuming the same rollout?) */
		ret = sw_error_code(SW_EINVAL, "%s v%d is no longer %s", r->app, r->version,
				    sw_release_status_name(from));
		goto cleanup;
	}
	ret = 0;
cleanup:
	sqlite3_finalize(st);
	return ret;
}

int sw_release_set_status(sqlite3 *db, struct sw_release *r, enum sw_release_status to, double now)
{
	enum sw_release_status from = r->status;
	double started = r->started_at, finished = r->finished_at;
	int ret;

	if (!allowed(from, to))
		return sw_error_code(SW_EINVAL, "%s v%d is %s and cannot become %s", r->app, r->version,
				     sw_release_status_name(from), sw_release_status_name(to));
	if (to == SW_RELEASE_DEPLOYING && !r->started_at)
		r->started_at = now;
	if (sw_release_status_final(to))
		r->finished_at = now;
	if ((ret = write_row(db, r, to, from)) < 0) {
		r->started_at = started;
		r->finished_at = finished;
		return ret;
	}
	r->status = to;
	return 0;
}

int sw_release_save(sqlite3 *db, const struct sw_release *r)
{
	return write_row(db, r, r->status, r->status);
}

int sw_release_list(sqlite3 *db, const char *app, int limit, sw_release_visit_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct sw_release r;
	int rc, ret = 0;

	sw_release_init(&r);
	if (app)
		ret = sw_store_prepare(db, &st, "SELECT " COLUMNS " FROM releases WHERE app = ?1 "
				       "ORDER BY version DESC LIMIT ?2");
	else
		ret = sw_store_prepare(db, &st, "SELECT " COLUMNS " FROM releases "
				       "WHERE status IN ('pending', 'deploying') ORDER BY id");
	if (ret < 0)
		goto cleanup;
	if (app) {
		bind_text(st, 1, app);
		sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ret = row_to_release(st, &r)) < 0)
			goto cleanup;
		if ((ret = fn(ctx, &r)) < 0)
			goto cleanup;
	}
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "list releases");
	else
		ret = 0;
cleanup:
	sqlite3_finalize(st);
	sw_release_release(&r);
	return ret;
}

int sw_release_count(sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;
	int ret;
	if (sw_store_prepare(db, &st, "SELECT COUNT(*) FROM releases WHERE app = ?") < 0)
		return SW_ERROR;
	bind_text(st, 1, app);
	if (sqlite3_step(st) == SQLITE_ROW)
		ret = sqlite3_column_int(st, 0);
	else
		ret = sw_store_error(db, "read releases");
	sqlite3_finalize(st);
	return ret;
}

int sw_release_ran_between(sqlite3 *db, const char *app, int after, int upto)
{
	sqlite3_stmt *st = NULL;
	int ret;
	if (sw_store_prepare(db, &st, "SELECT COUNT(*) FROM releases WHERE app = ?1 AND version > ?2 "
			     "AND version <= ?3 AND release_ran = 1") < 0)
		return SW_ERROR;
	bind_text(st, 1, app);
	sqlite3_bind_int(st, 2, after);
	sqlite3_bind_int(st, 3, upto);
	if (sqlite3_step(st) == SQLITE_ROW)
		ret = sqlite3_column_int(st, 0) > 0;
	else
		ret = sw_store_error(db, "read releases");
	sqlite3_finalize(st);
	return ret;
}

/* phases[key] = seconds, when seconds > 0 */
static void phase(json_t *phases, const char *key, double seconds)
{
	if (seconds > 0)
		json_object_set_new(phases, key, json_real(seconds));
}

/* What release.h says of "phases": the push's, stored at its making (deploy.c), and the rollout's. */
static json_t *phases_json(const struct sw_release *r)
{
	const json_t *pushed = json_object_get(r->state, "phases");
	const json_t *ro = json_object_get(r->state, "rollout");
	json_t *o = json_object();

	phase(o, "received", json_number_value(json_object_get(pushed, "received")));
	phase(o, "build", json_number_value(json_object_get(pushed, "build")));
	phase(o, "push", json_number_value(json_object_get(pushed, "push")));
	phase(o, "registered", json_number_value(json_object_get(ro, "started_at")) / 1000.0);
	phase(o, "first_healthy", json_number_value(json_object_get(ro, "first_healthy_at")) / 1000.0);
	if (r->status == SW_RELEASE_LIVE)
		phase(o, "live", r->finished_at);
	return o;
}

json_t *sw_release_to_json(const struct sw_release *r)
{
	json_t *names = json_array(), *o, *v;
	const char *k;
	json_object_foreach(r->config, k, v)
		json_array_append_new(names, json_string(k));
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:O, s:b, s:s, s:f, s:f, s:f, s:b}",
		      "app", r->app ? r->app : "",
		      "version", r->version,
		      "status", sw_release_status_name(r->status),
		      "kind", sw_release_kind_name(r->kind),
		      "description", r->description ? r->description : "",
		      "config_vars", names,
		      "formation", r->formation,
		      "release_ran", r->release_ran,
		      "created_by", r->created_by ? r->created_by : "",
		      "created_at", r->created_at,
		      "started_at", r->started_at,
		      "finished_at", r->finished_at,
		      "tagged", r->tagged);
	json_object_set_new(o, "commit", r->commit ? json_string(r->commit) : json_null());
	json_object_set_new(o, "image", r->image ? json_string(r->image) : json_null());
	json_object_set_new(o, "digest", r->digest ? json_string(r->digest) : json_null());
	json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
	if (r->rollback_of)
		json_object_set_new(o, "rollback_of", json_integer(r->rollback_of));
	if (r->rolled_back_to)
		json_object_set_new(o, "rolled_back_to", json_integer(r->rolled_back_to));
	if (r->job_id)
		json_object_set_new(o, "job_id", json_integer(r->job_id));
	if (r->started_at && r->finished_at)
		json_object_set_new(o, "duration", json_real(r->finished_at - r->started_at));
	json_object_set_new(o, "phases", phases_json(r));
	json_object_set_new(o, "aws_requests",
			    json_integer(json_integer_value(json_object_get(json_object_get(r->state, "rollout"),
									     "requests")) +
					 json_integer_value(json_object_get(json_object_get(r->state, "rollback"),
									     "requests"))));
	return o;
}

static int append_json(void *ctx, const struct sw_release *r)
{
	json_array_append_new(ctx, sw_release_to_json(r));
	return 0;
}

json_t *sw_release_list_json(sqlite3 *db, const char *app, int limit)
{
	json_t *list = json_array();
	if (sw_release_list(db, app, limit, append_json, list) < 0) {
		json_decref(list);
		return NULL;
	}
	return json_pack("{s:o}", "releases", list);
}

json_t *sw_release_config_json(sqlite3 *db, const char *app)
{
	struct sw_release r;
	json_t *o = NULL;
	int ret;
	sw_release_init(&r);
	ret = sw_release_load_live(db, app, &r);
	if (ret == SW_ENOTFOUND)
		ret = sw_release_load_latest(db, app, &r);
	if (ret == 0)
		o = json_pack("{s:i, s:O}", "version", r.version, "config", r.config);
	else if (ret == SW_ENOTFOUND)
		o = json_pack("{s:i, s:{}}", "version", 0, "config");
	sw_release_release(&r);
	return o;
}
