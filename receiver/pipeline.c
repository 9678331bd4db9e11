#include <stdlib.h>
#include <string.h>

#include "receiver/pipeline.h"
#include "receiver/app.h"
#include "common/error.h"
#include "common/json.h"
#include "common/proc.h"
#include "common/store.h"
#include "common/banned.h"

/* The stages in order: a promotion goes to the next one. */
static const char *const stages[] = { "staging", "production" };
#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

static int stage_index(const char *stage)
{
	size_t i;
	for (i = 0; stage && i < NSTAGES; i++)
		if (!strcmp(stages[i], stage))
			return (int)i;
	return -1;
}

/* A pipeline's name: 1-30 of a-z, 0-9, '-'. */
static int name_valid(const char *s)
{
	size_t i, n = strlen(s);
	if (n < 1 || n > 30)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int sw_pipeline_add(sqlite3 *db, const char *app, const char *pipeline, const char *stage)
{
	int n;

	if (stage_index(stage) < 0)
		return sw_error_code(SW_EINVAL, "unknown stage '%.30s': want staging or production", stage ? stage : "");
	if (!name_valid(pipeline))
		return sw_error_code(SW_EINVAL, "invalid pipeline name (want 1-30 of a-z, 0-9, '-')");
	n = sw_store_exec_texts(db, "INSERT INTO pipelines (app, pipeline, stage, created_at) "
				"VALUES (?1, ?2, ?3, strftime('%s','now')) ON CONFLICT(app) DO UPDATE SET "
				"pipeline = excluded.pipeline, stage = excluded.stage",
				(const char *[]){ app, pipeline, stage }, 3, "pipelines");
	return n < 0 ? n : 0;
}

int sw_pipeline_remove(sqlite3 *db, const char *app)
{
	int n = sw_store_exec_text(db, "DELETE FROM pipelines WHERE app = ?", app, "pipelines");
	if (n < 0)
		return n;
	return n ? 0 : sw_error_code(SW_ENOTFOUND, "%s is in no pipeline", app);
}

json_t *sw_pipeline_list_json(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	json_t *all = json_array(), *cur = NULL;
	const char *last = NULL;
	int rc;

	if (sw_store_prepare(db, &st, "SELECT pipeline, app, stage FROM pipelines ORDER BY pipeline, "
			     "CASE stage WHEN 'staging' THEN 0 ELSE 1 END, app") < 0) {
		json_decref(all);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!cur || strcmp(last, name)) {
			cur = json_object();
			json_object_set_new(cur, "name", json_string(name));
			json_object_set_new(cur, "apps", json_array());
			json_array_append_new(all, cur);
			last = sw_json_str(cur, "name");
		}
		json_array_append_new(json_object_get(cur, "apps"),
				      json_pack("{s:s, s:s}", "app", (const char *)sqlite3_column_text(st, 1), "stage",
						(const char *)sqlite3_column_text(st, 2)));
	}
	if (rc != SQLITE_DONE) {
		sw_store_error(db, "pipelines");
		json_decref(all);
		all = NULL;
	}
	sqlite3_finalize(st);
	return all ? json_pack("{s:o}", "pipelines", all) : NULL;
}

/* app's pipeline and stage index: 1 found, 0 not in one, negative on error. */
static int place(sqlite3 *db, const char *app, struct sw_buf *pipeline, int *stage)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (sw_store_prepare(db, &st, "SELECT pipeline, stage FROM pipelines WHERE app = ?1") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sw_buf_adds(pipeline, (const char *)sqlite3_column_text(st, 0));
		*stage = stage_index((const char *)sqlite3_column_text(st, 1));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = sw_store_error(db, "pipelines");
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_pipeline_target(sqlite3 *db, const char *from, const char *to, struct sw_buf *out)
{
	struct sw_buf pl = SW_BUF_INIT, tpl = SW_BUF_INIT, found = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int ret, stage = -1, tstage = -1, n = 0, rc;

	if ((ret = place(db, from, &pl, &stage)) <= 0) {
		if (ret == 0)
			ret = sw_error_code(SW_EINVAL, "%s is in no pipeline: `slipway pipeline:add %s --stage staging`",
					    from, from);
		goto cleanup;
	}
	if (to) {
		if ((ret = place(db, to, &tpl, &tstage)) < 0)
			goto cleanup;
		if (ret == 0 || strcmp(pl.ptr, tpl.ptr) || tstage <= stage) {
			ret = sw_error_code(SW_EINVAL, "%s is not in a later stage of %s's pipeline (%s)", to, from, pl.ptr);
			goto cleanup;
		}
		sw_buf_adds(out, to);
		ret = 0;
		goto cleanup;
	}
	if ((size_t)stage + 1 >= NSTAGES) {
		ret = sw_error_code(SW_EINVAL, "%s is in %s, the last stage of pipeline %s: nothing to promote to", from,
				    stages[stage], pl.ptr);
		goto cleanup;
	}
	if ((ret = sw_store_prepare(db, &st, "SELECT app FROM pipelines WHERE pipeline = ?1 AND stage = ?2 ORDER BY app")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, pl.ptr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, stages[stage + 1], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sw_buf_addf(&found, "%s%s", n++ ? ", " : "", (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "pipelines");
	else if (n == 0)
		ret = sw_error_code(SW_EINVAL, "pipeline %s has no %s app: `slipway pipeline:add APP --stage %s`", pl.ptr,
				    stages[stage + 1], stages[stage + 1]);
	else if (n > 1)
		ret = sw_error_code(SW_EINVAL, "pipeline %s has several %s apps (%s): say which with --to", pl.ptr,
				    stages[stage + 1], found.ptr);
	else
		sw_buf_adds(out, found.ptr);
cleanup:
	sqlite3_finalize(st);
	sw_buf_release(&pl);
	sw_buf_release(&tpl);
	sw_buf_release(&found);
	return ret;
}

int sw_pipeline_bring_commit(const struct sw_config *c, const char *from, const char *to, const char *commit)
{
	struct sw_buf src = SW_BUF_INIT, dst = SW_BUF_INIT, gitdir = SW_BUF_INIT, refspec = SW_BUF_INIT,
		      err = SW_BUF_INIT;
	struct sw_proc p = SW_PROC_INIT;
	size_t i;
	int ret = 0, code;

	for (i = 0; commit[i]; i++)   /* a full hex sha only: it goes into a refspec */
		if (!((commit[i] >= '0' && commit[i] <= '9') || (commit[i] >= 'a' && commit[i] <= 'f')))
			return sw_error_code(SW_EINVAL, "not a commit: %.50s", commit);
	if (i != 40 && i != 64)
		return sw_error_code(SW_EINVAL, "not a commit: %.50s", commit);
	sw_app_repo_path(&src, c, from);
	sw_app_repo_path(&dst, c, to);
	sw_buf_addf(&gitdir, "--git-dir=%s", dst.ptr);
	sw_buf_addf(&refspec, "+%s:refs/slipway/promoted/%s", commit, commit);
	sw_strvec_pushl(&p.args, "git", gitdir.ptr, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", src.ptr,
			refspec.ptr, NULL);
	sw_strvec_push(&p.env, "GIT_TERMINAL_PROMPT=0");
	sw_buf_init(&err, 4096);
	code = sw_proc_run(&p, NULL, &err);
	if (code != 0) {
		sw_buf_rtrim(&err);
		ret = code < 0 ? code : sw_error("git fetch of %.7s from %s into %s: %s", commit, from, to, err.ptr);
	}
	sw_proc_release(&p);
	sw_buf_release(&src);
	sw_buf_release(&dst);
	sw_buf_release(&gitdir);
	sw_buf_release(&refspec);
	sw_buf_release(&err);
	return ret;
}
