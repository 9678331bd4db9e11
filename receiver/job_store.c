#include <stdlib.h>
#include <string.h>

#include "receiver/job_parts.h"
#include "receiver/db.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

long sw_job_store_insert(sqlite3 *db, const struct sw_job_request *req, const char *kind, double now, long *number)
{
	sqlite3_stmt *st = NULL;
	int running = strcmp(kind, "build") != 0;
	long id = SW_ERROR;

	if (sw_store_prepare(db, &st,
			     "INSERT INTO builds(app, ref, old_sha, commit_sha, options, status, created_at,"
			     " pushed_by, detached, kind, started_at, number)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			     "  (SELECT COALESCE(MAX(number), 0) + 1 FROM builds WHERE app = ?1)) RETURNING id, number") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, req->app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, req->ref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, req->old_sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, req->new_sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, req->options_json ? req->options_json : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, running ? "running" : "queued", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, now);
	if (req->pushed_by)
		sqlite3_bind_text(st, 8, req->pushed_by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 9, req->detach ? 1 : 0);
	sqlite3_bind_text(st, 10, kind, -1, SQLITE_STATIC);
	if (running)
		sqlite3_bind_double(st, 11, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sw_store_error(db, "record build");
		goto cleanup;
	}
	id = (long)sqlite3_column_int64(st, 0);
	*number = (long)sqlite3_column_int64(st, 1);
	if (sqlite3_step(st) != SQLITE_DONE)   /* the insert commits here (a full disk fails it) */
		id = sw_store_error(db, "record build");
cleanup:
	sqlite3_finalize(st);
	return id;
}

void sw_job_store_started(sqlite3 *db, const struct job *job)
{
	sqlite3_stmt *st = NULL;

	if (sw_store_prepare(db, &st, "UPDATE builds SET status = 'running', started_at = ? WHERE id = ?") < 0)
		return;
	sqlite3_bind_double(st, 1, job->started);
	sqlite3_bind_int64(st, 2, job->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log(SW_LOG_ERROR, job->push.app, job->id, "record start: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

int sw_job_store_finish(sqlite3 *db, long id, const char *reason, const char *stage,
			const struct sw_build_result *res, int release)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (sw_store_prepare(db, &st,
			     "UPDATE builds SET status = ?, reason = ?, image = ?, digest = ?, size = ?,"
			     " reused = ?, finished_at = ?, release_version = ?, failed_stage = ? WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, reason ? "failed" : "succeeded", -1, SQLITE_STATIC);
	if (reason)
		sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	if (res && res->image)
		sqlite3_bind_text(st, 3, res->image, -1, SQLITE_TRANSIENT);
	if (res && res->digest)
		sqlite3_bind_text(st, 4, res->digest, -1, SQLITE_TRANSIENT);
	if (res && res->size >= 0)
		sqlite3_bind_int64(st, 5, res->size);
	sqlite3_bind_int(st, 6, res ? res->reused : 0);
	sqlite3_bind_double(st, 7, sw_time_now());
	if (release > 0)
		sqlite3_bind_int(st, 8, release);
	if (reason && stage)
		sqlite3_bind_text(st, 9, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, id);
	if ((ret = sw_store_step_done(db, st, "record build")) < 0)
		sw_log_error("build %ld: %s", id, sw_error_last());
	return ret;
}

void sw_job_store_cancelled(sqlite3 *db, long id, const char *by)
{
	sqlite3_stmt *st = NULL;

	if (sw_store_prepare(db, &st, "UPDATE builds SET status = 'cancelled', cancelled_by = ? WHERE id = ?") < 0)
		return;
	sqlite3_bind_text(st, 1, by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log_error("build %ld: %s", id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

void sw_job_store_retry_locked(sqlite3 *db, struct sw_strvec *ids)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if (!ids->nr || sw_store_prepare(db, &st, "UPDATE builds SET status = 'failed', reason = ?,"
				" finished_at = ? WHERE id = ? AND status IN ('queued', 'running')") < 0)
		return;
	for (i = 0; i < ids->nr; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, "its end could not be recorded (disk full?)", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, sw_time_now());
		sqlite3_bind_int64(st, 3, strtol(ids->v[i], NULL, 10));
		if (sqlite3_step(st) != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(st);
	if (i == ids->nr)
		sw_strvec_clear(ids);
}

int sw_job_store_unfinished(sqlite3 *db, struct sw_strvec *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* the stage: a job that made a release got past its build */
	if (sw_store_prepare(db, &st, "SELECT id, number, CASE WHEN kind <> 'build' OR EXISTS (SELECT 1 FROM releases r"
			     " WHERE r.app = builds.app AND r.job_id = builds.id) THEN 'release' ELSE 'build' END, app"
			     " FROM builds WHERE status IN ('queued', 'running')") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sw_strvec_pushf(out, "%lld %lld %s %s", (long long)sqlite3_column_int64(st, 0),
				(long long)sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2),
				(const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sw_store_error(db, "read unfinished builds");
}

long sw_job_store_number(sqlite3 *db, long id)
{
	sqlite3_stmt *st = NULL;
	long n = 0;

	if (sw_store_prepare(db, &st, "SELECT number FROM builds WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n > 0 ? n : sw_error_code(SW_ENOTFOUND, "no such build: %ld", id);
}

int sw_job_store_result(sqlite3 *db, long id, struct sw_buf *status, struct sw_buf *reason, int *release)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (release)
		*release = 0;
	if (sw_store_prepare(db, &st, "SELECT status, reason, release_version FROM builds WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (status)
			sw_buf_adds(status, (const char *)sqlite3_column_text(st, 0));
		if (reason && sqlite3_column_text(st, 1))
			sw_buf_adds(reason, (const char *)sqlite3_column_text(st, 1));
		if (release)
			*release = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? sw_error_code(SW_ENOTFOUND, "no such build: %ld", id)
				 : sw_store_error(db, "read build");
}

/* Column i as a string owned by store, or NULL. */
static const char *column(sqlite3_stmt *st, int i, struct sw_strvec *store)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? sw_strvec_push(store, (const char *)t) : NULL;
}

int sw_job_store_request(sqlite3 *db, long id, struct sw_job_request *req, struct sw_strvec *store, long *number,
			 struct sw_buf *kind, double *created)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(req, 0, sizeof(*req));
	if (sw_store_prepare(db, &st, "SELECT app, ref, old_sha, commit_sha, options, pushed_by, detached, number, kind,"
			     " created_at FROM builds WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		req->app = column(st, 0, store);
		req->ref = column(st, 1, store);
		req->old_sha = column(st, 2, store);
		req->new_sha = column(st, 3, store);
		req->options_json = column(st, 4, store);
		req->pushed_by = column(st, 5, store);
		req->detach = sqlite3_column_int(st, 6);
		*number = (long)sqlite3_column_int64(st, 7);
		sw_buf_adds(kind, sqlite3_column_text(st, 8) ? (const char *)sqlite3_column_text(st, 8) : "build");
		*created = sqlite3_column_double(st, 9);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? sw_error_code(SW_ENOTFOUND, "no such build: %ld", id) : sw_store_error(db, "read build");
}

int sw_job_store_release(sqlite3 *db, const char *app, long id, int *version, struct sw_buf *status,
			 struct sw_buf *reason, struct sw_build_result *res)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sw_store_prepare(db, &st, "SELECT version, status, reason, image, digest FROM releases"
			     " WHERE app = ? AND job_id = ? ORDER BY version DESC LIMIT 1") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		sw_buf_adds(status, (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_text(st, 2))
			sw_buf_adds(reason, (const char *)sqlite3_column_text(st, 2));
		if (res && sqlite3_column_text(st, 3))
			res->image = xstrdup((const char *)sqlite3_column_text(st, 3));
		if (res && sqlite3_column_text(st, 4))
			res->digest = xstrdup((const char *)sqlite3_column_text(st, 4));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? sw_error_code(SW_ENOTFOUND, "build %ld made no release", id)
				 : sw_store_error(db, "read release");
}
