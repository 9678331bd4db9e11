#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "receiver/review_apps.h"
#include "receiver/app.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "releaser/release.h"
#include "releaser/releaser.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/event.h"
#include "common/gitref.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_SALTS 16            /* hashed names tried when the plain one is taken */

/* Creating review apps: the limit check and the name choice happen one at a time. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

const char *sw_review_apps_url(void)
{
	const struct sw_settings *st = sw_releaser_settings();
	return st ? st->apps_url : NULL;
}

/* ---- answers to the hook (ndjson, hook_jobs.h's protocol) ------------------------------ */

/* lines (one a line) then the verdict: succeeded when reason is NULL, else failed. */
static enum MHD_Result answer(struct MHD_Connection *c, const char *lines, const char *reason, unsigned *status)
{
	struct sw_buf out = SW_BUF_INIT;
	const char *p = lines;
	enum MHD_Result r;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		sw_reply_text_line(&out, p, nl ? (size_t)(nl - p) : strlen(p));
		p = nl ? nl + 1 : NULL;
	}
	if (reason) {
		struct sw_buf clean = SW_BUF_INIT;
		sw_reply_utf8_clean(&clean, reason, strlen(reason));
		sw_reply_json_line(&out, json_pack("{s:s, s:s}", "status", "failed", "reason", clean.ptr));
		sw_buf_release(&clean);
	} else {
		sw_reply_json_line(&out, json_pack("{s:s}", "status", "succeeded"));
	}
	r = sw_reply(c, MHD_HTTP_OK, "application/x-ndjson", out.ptr, out.len, status);
	sw_buf_release(&out);
	return r;
}

/* ---- names ----------------------------------------------------------------------- */

/* 1 when name is taken by an app (any: a row, a repository, a review app's row). */
static int name_taken(struct sw_server *s, const char *name)
{
	struct sw_review rv = SW_REVIEW_INIT;
	int taken = sw_app_exists(s->cfg, name);

	if (!taken)
		taken = sw_app_known(s->db, name) == 1;
	if (!taken)
		taken = sw_review_load(s->db, name, &rv) != SW_ENOTFOUND;
	sw_review_release(&rv);
	return taken;
}

/* A free name for parent's branch: the plain slug, else hashed ones. */
static int choose_name(struct sw_server *s, const char *parent, const char *branch, struct sw_buf *app,
		       struct sw_buf *slug)
{
	unsigned salt;

	for (salt = 0; salt <= MAX_SALTS; salt++) {
		sw_buf_reset(slug);
		sw_buf_reset(app);
		if (salt == 0)
			sw_review_slug(branch, SW_REVIEW_SLUG_MAX, slug);
		else
			sw_review_slug_hashed(branch, salt - 1, SW_REVIEW_SLUG_MAX, slug);
		sw_buf_addf(app, "%s-%s", parent, slug->ptr);
		if (sw_app_ref_valid(app->ptr) && !name_taken(s, app->ptr))
			return 0;
	}
	return sw_error("no free name for a review app of %s's branch %.100s", parent, branch);
}

/* ---- creating ---------------------------------------------------------------------- */

/* "A, B" (names only) of a config object. */
static void config_names(const json_t *config, struct sw_buf *out)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)config, k, v)
		sw_buf_addf(out, "%s%s", out->len ? ", " : "", k);
}

/*
 * The active review app of parent's branch, created (or brought back) when there is none.
 * 0 with *rv; *created set when this made it; say gets a line about it. SW_EINVAL with the
 * limit line.
 */
static int ensure_review(struct sw_server *s, const char *parent, const char *branch, const char *user,
			 struct sw_review *rv, int *created, struct sw_buf *say)
{
	struct sw_buf app = SW_BUF_INIT, slug = SW_BUF_INIT, names = SW_BUF_INIT;
	json_t *cfg = NULL;
	double now = sw_time_now();
	int ret, limit = 0, count, found;

	*created = 0;
	pthread_mutex_lock(&create_lock);
	found = sw_review_find(s->db, parent, branch, rv);
	if (found < 0 && found != SW_ENOTFOUND) {
		ret = found;
		goto cleanup;
	}
	if (found == 0 && rv->active) {
		ret = sw_review_touch(s->db, rv->app, now);
		rv->last_push_at = now;
		goto cleanup;
	}
	if ((ret = sw_review_settings(s->db, parent, &s->cfg->review, &limit, NULL)) < 0 ||
	    (ret = count = sw_review_count_active(s->db, parent)) < 0)
		goto cleanup;
	if (count >= limit && limit == 0) {
		ret = sw_error_code(SW_EINVAL, "%s takes no review apps (its limit is 0): raise the limit to deploy"
				    " branch %s (slipway reviews:settings --limit %d -a %s)", parent, branch,
				    SW_REVIEW_DEFAULT_LIMIT, parent);
		goto cleanup;
	}
	if (count >= limit) {
		ret = sw_error_code(SW_EINVAL, "%s has %d review app%s, its limit: delete a branch you no longer need"
				    " (git push deploy :BRANCH) or raise the limit (slipway reviews:settings --limit %d -a %s)",
				    parent, count, count == 1 ? "" : "s", limit + 5 > 10 ? limit + 5 : 10, parent);
		goto cleanup;
	}
	if (found == SW_ENOTFOUND) {
		if ((ret = choose_name(s, parent, branch, &app, &slug)) < 0)
			goto cleanup;
		sw_review_release(rv);
		rv->app = xstrdup(app.ptr);
		rv->parent = xstrdup(parent);
		rv->branch = xstrdup(branch);
		rv->slug = xstrdup(slug.ptr);
	}
	/* (re)created: the parent's config as it is now, nothing of an earlier life */
	if (!(cfg = sw_release_config_json(s->db, parent))) {
		ret = sw_error_prefix("read %s's config", parent);
		goto cleanup;
	}
	rv->active = 1;
	rv->created_at = rv->last_push_at = now;
	rv->destroyed_at = 0;
	free(rv->destroyed_reason);
	rv->destroyed_reason = NULL;
	json_decref(rv->seed_config);
	rv->seed_config = json_deep_copy(json_object_get(cfg, "config"));
	if (!json_is_object(rv->seed_config)) {
		json_decref(rv->seed_config);
		rv->seed_config = json_object();
	}
	rv->seed_version = (int)sw_json_int(cfg, "version", 0);
	if ((ret = sw_app_record(s->db, rv->app)) < 0 || (ret = sw_review_save(s->db, rv)) < 0)
		goto cleanup;
	*created = 1;
	config_names(rv->seed_config, &names);
	if (rv->seed_version)
		sw_buf_addf(say, "-----> review app %s created for branch %s (config of %s v%d%s%s%s)\n", rv->app, branch,
			    parent, rv->seed_version, names.len ? ": " : "", names.ptr, names.len ? "" : ": none");
	else
		sw_buf_addf(say, "-----> review app %s created for branch %s (%s has no release: no config to copy)\n",
			    rv->app, branch, parent);
	sw_event_emit(s->db, parent, "review_app.created", 0, 0, user, "review app %s created for branch %s%s",
		      rv->app, branch, found == 0 ? " (again)" : "");
	sw_log(SW_LOG_INFO, parent, 0, "review app %s created for branch %s by %s", rv->app, branch, user ? user : "?");
	ret = 0;
cleanup:
	pthread_mutex_unlock(&create_lock);
	json_decref(cfg);
	sw_buf_release(&app);
	sw_buf_release(&slug);
	sw_buf_release(&names);
	return ret;
}

/* ---- destroying -------------------------------------------------------------------- */

/* "1 ECS service, 2 task definitions, ..." of a removed list. */
static void removed_text(const json_t *removed, struct sw_buf *out)
{
	size_t i;
	json_t *v;
	json_array_foreach(removed, i, v)
		sw_buf_addf(out, "%s%s", i ? ", " : "", json_string_value(v));
	if (!out->len)
		sw_buf_adds(out, "nothing was left to remove");
}

/*
 * Destroy review app rv (its cloud side; its records stay, marked destroyed). removed
 * gets what went. 0 or negative with one line (nothing recorded then; it can be retried).
 */
static int destroy_review(struct sw_server *s, const struct sw_review *rv, const char *reason, const char *user,
			  json_t *removed)
{
	struct sw_buf what = SW_BUF_INIT;
	int ret;

	if ((ret = sw_jobs_hold_app(s->jobs, rv->app)) < 0)
		return ret;
	if ((ret = sw_releaser_teardown(s->db, rv->app, removed)) < 0)
		goto cleanup;
	if ((ret = sw_review_set_destroyed(s->db, rv->app, reason, sw_time_now())) < 0)
		goto cleanup;
	removed_text(removed, &what);
	sw_event_emit(s->db, rv->parent, "review_app.destroyed", 0, 0, user, "review app %s (branch %s) destroyed: %s;"
		      " removed %s", rv->app, rv->branch, reason, what.ptr);
	sw_log(SW_LOG_INFO, rv->parent, 0, "review app %s destroyed (%s): %s", rv->app, reason, what.ptr);
cleanup:
	sw_jobs_release_app(s->jobs, rv->app);
	sw_buf_release(&what);
	return ret;
}

static enum MHD_Result branch_deleted(struct sw_server *s, struct MHD_Connection *c, const char *parent,
				      const char *branch, const char *user, unsigned *status)
{
	struct sw_review rv = SW_REVIEW_INIT;
	struct sw_buf lines = SW_BUF_INIT, reason = SW_BUF_INIT, what = SW_BUF_INIT;
	json_t *removed = json_array();
	enum MHD_Result r;
	int found = sw_review_find(s->db, parent, branch, &rv);

	if (found == SW_ENOTFOUND || (found == 0 && !rv.active)) {
		sw_buf_addf(&lines, "-----> branch %s deleted (it has no review app)", branch);
		r = answer(c, lines.ptr, NULL, status);
		goto cleanup;
	}
	if (found < 0) {
		r = answer(c, NULL, sw_error_last(), status);
		goto cleanup;
	}
	sw_buf_addf(&reason, "branch %s deleted by %s", branch, user ? user : "a push");
	sw_buf_addf(&lines, "-----> destroying review app %s (branch %s deleted)\n", rv.app, branch);
	if (destroy_review(s, &rv, reason.ptr, user, removed) < 0) {
		sw_buf_reset(&reason);
		sw_buf_addf(&reason, "review app %s not destroyed: %s", rv.app, sw_error_last());
		r = answer(c, lines.ptr, reason.ptr, status);
		goto cleanup;
	}
	removed_text(removed, &what);
	sw_buf_addf(&lines, "       removed: %s\n", what.ptr);
	sw_buf_addf(&lines, "-----> review app %s destroyed; its releases and builds stay as history", rv.app);
	r = answer(c, lines.ptr, NULL, status);
cleanup:
	json_decref(removed);
	sw_review_release(&rv);
	sw_buf_release(&lines);
	sw_buf_release(&reason);
	sw_buf_release(&what);
	return r;
}

/* ---- the hook's request ------------------------------------------------------------- */

int sw_review_apps_push(struct sw_server *s, struct MHD_Connection *c, struct sw_job_request *req, struct sw_buf *app,
		    struct sw_buf *say, enum MHD_Result *ret, unsigned *status)
{
	struct sw_review rv = SW_REVIEW_INIT;
	struct sw_buf line = SW_BUF_INIT;
	const char *branch = sw_gitref_branch(req->ref);
	int created = 0, r;

	if (!branch) {
		*ret = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "not a branch: %.200s", req->ref);
		return 1;
	}
	if (!sw_releaser_enabled()) {
		/* no ECS to deploy review apps to: the branch is stored, as it always was */
		sw_buf_addf(&line, "-----> branch %s %s", branch, sw_gitref_is_null(req->new_sha) ? "deleted" : "stored");
		*ret = answer(c, line.ptr, NULL, status);
		sw_buf_release(&line);
		return 1;
	}
	if (sw_gitref_is_null(req->new_sha)) {
		*ret = branch_deleted(s, c, req->app, branch, req->pushed_by, status);
		return 1;
	}
	r = ensure_review(s, req->app, branch, req->pushed_by, &rv, &created, say);
	if (r < 0) {
		sw_log(SW_LOG_WARN, req->app, 0, "branch %s: %s", branch, sw_error_last());
		*ret = answer(c, NULL, sw_error_last(), status);
		sw_review_release(&rv);
		return 1;
	}
	sw_buf_reset(app);
	sw_buf_adds(app, rv.app);
	req->repo_app = req->app;
	req->app = app->ptr;
	sw_review_release(&rv);
	return 0;
}

/* ---- apps:destroy ------------------------------------------------------------------- */

/* Every record of a review app whose parent goes: build logs, builds, releases, ... */
static int forget(struct sw_server *s, const char *app)
{
	static const char *const sql[] = {
		"DELETE FROM builds WHERE app = ?", "DELETE FROM releases WHERE app = ?",
		"DELETE FROM webhooks WHERE app = ?", "DELETE FROM events WHERE app = ?",
		"DELETE FROM reviews WHERE app = ?", "DELETE FROM apps WHERE name = ?", NULL,
	};
	size_t i;
	int ret = 0;

	sw_app_remove_build_logs(s->cfg, s->db, app);
	for (i = 0; sql[i] && ret == 0; i++)
		ret = sw_store_exec_text(s->db, sql[i], app, "destroy") < 0 ? SW_ERROR : 0;
	return ret;
}

int sw_review_apps_destroy_parent(struct sw_server *s, const char *parent, const char *user, json_t *removed)
{
	struct sw_strvec all = SW_STRVEC_INIT;
	struct sw_buf note = SW_BUF_INIT;
	size_t i;
	int ret, n = 0;

	if ((ret = sw_review_apps(s->db, parent, 0, &all)) < 0)
		goto cleanup;
	for (i = 0; i < all.nr; i++) {
		struct sw_review rv = SW_REVIEW_INIT;
		json_t *gone = json_array();
		if ((ret = sw_review_load(s->db, all.v[i], &rv)) == 0 && rv.active) {
			ret = destroy_review(s, &rv, "its app was destroyed", user, gone);
			n++;
		}
		if (ret == 0)
			ret = forget(s, all.v[i]);
		sw_review_release(&rv);
		json_decref(gone);
		if (ret < 0) {
			sw_error_prefix("review app %s", all.v[i]);
			goto cleanup;
		}
	}
	if (n) {
		sw_buf_addf(&note, "%d review app%s", n, n == 1 ? "" : "s");
		json_array_append_new(removed, json_string(note.ptr));
	}
	ret = sw_store_exec_text(s->db, "DELETE FROM review_settings WHERE app = ?", parent, "destroy") < 0 ?
		      SW_ERROR : 0;
cleanup:
	sw_strvec_clear(&all);
	sw_buf_release(&note);
	return ret;
}

int sw_review_apps_is_review(sqlite3 *db, const char *app, struct sw_buf *why)
{
	struct sw_review rv = SW_REVIEW_INIT;
	int is = sw_review_load(db, app, &rv) == 0;

	if (is && why)
		sw_buf_addf(why, "%s is a review app of %s (branch %s)", app, rv.parent, rv.branch);
	sw_review_release(&rv);
	return is;
}

int sw_review_apps_git_refusal(sqlite3 *db, const char *app, int receive, struct sw_buf *why)
{
	struct sw_review rv = SW_REVIEW_INIT;
	int is = sw_review_load(db, app, &rv) == 0;

	if (is)
		sw_buf_addf(why, "%s is a review app of %s (branch %s)%s: %s the branch %s %s.git", app, rv.parent,
			    rv.branch, rv.active ? "" : ", destroyed", receive ? "push" : "fetch", receive ? "to" : "from",
			    rv.parent);
	sw_review_release(&rv);
	return is;
}

void sw_review_apps_json(sqlite3 *db, const char *app, json_t *o)
{
	struct sw_review rv = SW_REVIEW_INIT;
	if (sw_review_load(db, app, &rv) == 0)
		json_object_set_new(o, "review", sw_review_to_json(&rv, sw_review_apps_url()));
	else
		json_object_set_new(o, "review", json_null());
	sw_review_release(&rv);
}

/* ---- the idle sweep ------------------------------------------------------------------ */

static struct {
	struct sw_server *srv;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int stopping;
} sweep = { NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void sweep_once(struct sw_server *s)
{
	struct sw_strvec idle = SW_STRVEC_INIT;
	size_t i;

	if (!sw_releaser_enabled())
		return;
	if (sw_review_idle(s->db, &s->cfg->review, sw_time_now(), &idle) < 0) {
		sw_log_warn("review apps: %s", sw_error_last());
		return;
	}
	for (i = 0; i < idle.nr && !sweep.stopping; i++) {
		struct sw_review rv = SW_REVIEW_INIT;
		struct sw_buf app = SW_BUF_INIT, reason = SW_BUF_INIT, d = SW_BUF_INIT;
		const char *sp = strchr(idle.v[i], ' ');
		json_t *removed = json_array();

		sw_buf_add(&app, idle.v[i], sp ? (size_t)(sp - idle.v[i]) : strlen(idle.v[i]));
		sw_time_format_unit(&d, sp ? atoll(sp + 1) : 0);
		if (sw_review_load(s->db, app.ptr, &rv) == 0 && rv.active) {
			sw_buf_addf(&reason, "idle: no push for %s", d.ptr);
			if (destroy_review(s, &rv, reason.ptr, "slipwayd", removed) < 0)
				sw_log(SW_LOG_WARN, rv.parent, 0, "idle review app %s not destroyed yet: %s", rv.app,
				       sw_error_last());
		}
		json_decref(removed);
		sw_review_release(&rv);
		sw_buf_release(&app);
		sw_buf_release(&reason);
		sw_buf_release(&d);
	}
	sw_strvec_clear(&idle);
}

static void *sweeper(void *arg)
{
	struct sw_server *s = arg;

	pthread_mutex_lock(&sweep.mu);
	while (!sweep.stopping) {
		struct timespec until;
		pthread_mutex_unlock(&sweep.mu);
		sweep_once(s);
		pthread_mutex_lock(&sweep.mu);
		sw_time_deadline(&until, CLOCK_REALTIME, s->cfg->review_sweep_secs * 1000LL);
		while (!sweep.stopping && pthread_cond_timedwait(&sweep.cond, &sweep.mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sweep.mu);
	return NULL;
}

int sw_review_apps_start(struct sw_server *s)
{
	sweep.srv = s;
	if (pthread_create(&sweep.thread, NULL, sweeper, s) != 0)
		return sw_error_errno("review apps: thread");
	sweep.started = 1;
	return 0;
}

void sw_review_apps_stop(void)
{
	if (!sweep.started)
		return;
	pthread_mutex_lock(&sweep.mu);
	sweep.stopping = 1;
	pthread_cond_broadcast(&sweep.cond);
	pthread_mutex_unlock(&sweep.mu);
	pthread_join(sweep.thread, NULL);
	sweep.started = 0;
}
