#include <git2.h>

#include "releaser/tags.h"
#include "releaser/release.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/banned.h"

/*
 * Create annotated tag <prefix>vN on r's commit in repo ("" for an app's own, "review/<slug>/"
 * for a review app's). 1 created, 0 commit not (yet) there, <0 error.
 */
static int tag_release(git_repository *repo, const struct sw_release *r, const char *prefix)
{
	git_oid oid, tag_id;
	git_object *target = NULL;
	git_signature *sig = NULL;
	git_reference *existing = NULL;
	struct sw_buf name = SW_BUF_INIT, msg = SW_BUF_INIT, ref = SW_BUF_INIT;
	int ret;

	if (!r->commit || git_oid_fromstr(&oid, r->commit) < 0)
		return sw_error_code(SW_EINVAL, "v%d has no commit to tag", r->version);
	if (git_object_lookup(&target, repo, &oid, GIT_OBJECT_COMMIT) < 0) {
		git_error_clear();
		return 0;
	}
	sw_buf_addf(&name, "%sv%d", prefix, r->version);
	sw_buf_addf(&ref, "refs/tags/%sv%d", prefix, r->version);
	if (git_reference_lookup(&existing, repo, ref.ptr) == 0) {
		git_object *peeled = NULL;
		int ours = git_reference_peel(&peeled, existing, GIT_OBJECT_COMMIT) == 0 &&
			   git_oid_equal(git_object_id(peeled), &oid);
		git_object_free(peeled);
		git_error_clear();
		if (ours) {   /* made by a run that died before recording it */
			ret = 1;
			goto cleanup;
		}
		/* vN names are slipway's (the hook refuses pushes of them): a stray one is replaced */
		sw_log(SW_LOG_WARN, r->app, r->job_id, "tag %s pointed elsewhere than v%d's commit: replaced",
		       name.ptr, r->version);
	}
	sw_release_describe(r, &msg);
	sw_buf_addf(&msg, "\n\nimage %s@%s\nmade by %s\n", r->image ? r->image : "?", r->digest ? r->digest : "?",
		    r->created_by && *r->created_by ? r->created_by : "slipway");
	if (git_signature_new(&sig, "slipway", "slipway@localhost", (git_time_t)r->finished_at, 0) < 0 ||
	    git_tag_create(&tag_id, repo, name.ptr, target, sig, msg.ptr, existing != NULL) < 0) {
		const git_error *ge = git_error_last();
		ret = sw_error("tag %s: %s", name.ptr, ge ? ge->message : "cannot create");
		goto cleanup;
	}
	ret = 1;
cleanup:
	git_reference_free(existing);
	git_signature_free(sig);
	git_object_free(target);
	sw_buf_release(&name);
	sw_buf_release(&msg);
	sw_buf_release(&ref);
	return ret;
}

struct tag_ctx {
	sqlite3 *db;
	const char *repos;
	int tagged;
};

static int tag_visit(void *ctx, const struct sw_release *r)
{
	struct tag_ctx *tc = ctx;
	struct sw_buf path = SW_BUF_INIT, repo_app = SW_BUF_INIT, prefix = SW_BUF_INIT;
	git_repository *repo = NULL;
	int ret;

	if (r->status != SW_RELEASE_LIVE || r->tagged || !r->commit)
		return 0;
	/* a review app's are review/<slug>/vN in its parent's repository */
	sw_review_tag_place(tc->db, r->app, &repo_app, &prefix);
	sw_buf_addf(&path, "%s/%s.git", tc->repos, repo_app.ptr);
	sw_buf_release(&repo_app);
	if (git_repository_open_ext(&repo, path.ptr, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		git_error_clear();
		sw_buf_release(&path);
		sw_buf_release(&prefix);
		return 0;
	}
	ret = tag_release(repo, r, prefix.ptr);
	sw_buf_release(&prefix);
	if (ret > 0) {
		struct sw_release copy;
		sw_release_init(&copy);
		if (sw_release_load(tc->db, r->app, r->version, &copy) == 0) {
			copy.tagged = 1;
			if (sw_release_save(tc->db, &copy) == 0) {
				tc->tagged++;
				sw_log(SW_LOG_INFO, r->app, r->job_id, "tagged v%d on %.7s", r->version, r->commit);
			}
		}
		sw_release_release(&copy);
	} else if (ret < 0) {
		sw_log(SW_LOG_WARN, r->app, r->job_id, "%s", sw_error_last());
	}
	git_repository_free(repo);
	sw_buf_release(&path);
	return 0;
}

/* The apps with an untagged live release, newest first: walking them needs a list. */
static int untagged_apps(sqlite3 *db, struct sw_strvec *apps)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT app FROM releases WHERE status = 'live' AND tagged = 0 "
			       "AND commit_sha IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return sw_error("read releases: %s", sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sw_strvec_push(apps, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sw_error("read releases: %s", sqlite3_errmsg(db));
}

int sw_tags_pending(sqlite3 *db, const char *repos)
{
	struct sw_strvec apps = SW_STRVEC_INIT;
	struct tag_ctx tc = { db, repos, 0 };
	size_t i;
	int ret;
	if ((ret = untagged_apps(db, &apps)) < 0)
		return ret;
	for (i = 0; i < apps.nr; i++)
		sw_release_list(db, apps.v[i], 50, tag_visit, &tc);
	sw_strvec_clear(&apps);
	return tc.tagged;
}
