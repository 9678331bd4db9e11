#include <stdlib.h>
#include <string.h>

#include "releaser/deploy.h"
#include "releaser/appconfig.h"
#include "releaser/formation.h"
#include "releaser/golive.h"
#include "releaser/launch.h"
#include "releaser/manifest.h"
#include "releaser/pager.h"
#include "releaser/review.h"
#include "releaser/rollout.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* The release the next one starts from: the live one, else the newest. 1 found, 0 none. */
static int base_release(const struct sw_runenv *e, const char *app, struct sw_release *out)
{
	int ret = sw_release_load_live(e->db, app, out);
	if (ret == SW_ENOTFOUND)
		ret = sw_release_load_latest(e->db, app, out);
	if (ret == SW_ENOTFOUND)
		return 0;
	return ret < 0 ? ret : 1;
}

static void fill_new(struct sw_release *n, const char *app, enum sw_release_kind kind, const char *desc,
		     const char *created_by, const struct sw_runenv *e)
{
	sw_release_init(n);
	n->app = xstrdup(app);
	n->kind = kind;
	n->description = xstrdup(desc);
	n->created_by = xstrdup(created_by ? created_by : "");
	n->job_id = e->job;
	n->created_at = sw_runenv_seconds(e);
}

static void copy_image(struct sw_release *n, const struct sw_release *from)
{
	n->commit = from->commit ? xstrdup(from->commit) : NULL;
	n->image = from->image ? xstrdup(from->image) : NULL;
	n->digest = from->digest ? xstrdup(from->digest) : NULL;
	json_decref(n->manifest);
	n->manifest = json_deep_copy(from->manifest);
}

static int make_and_deploy(const struct sw_runenv *e, struct sw_release *n, int *version)
{
	int ret;
	if ((ret = sw_release_insert(e->db, n)) < 0)
		return ret;
	if (version)
		*version = n->version;
	sw_log(SW_LOG_INFO, n->app, e->job, "v%d: %s", n->version, n->description);
	sw_event_emit(e->db, n->app, "release.created", n->version, n->job_id, n->created_by, "v%d: %s", n->version,
		      n->description);
	if (n->kind == SW_RELEASE_CONFIG)   /* names only, never values */
		sw_event_emit(e->db, n->app, "config.changed", n->version, n->job_id, n->created_by, "v%d: %s",
			      n->version, n->description);
	else if (n->kind == SW_RELEASE_SCALE)
		sw_event_emit(e->db, n->app, "scale", n->version, n->job_id, n->created_by, "v%d: %s", n->version,
			      n->description);
	return sw_golive_release(e, n);
}

static int rollback_to(const struct sw_runenv *e, const char *app, int target, int force, const char *created_by,
		       const char *via, int *version)
{
	struct sw_release live, t, n;
	struct sw_manifest tm = SW_MANIFEST_INIT;
	struct sw_formation lf = SW_FORMATION_INIT, tf = SW_FORMATION_INIT, nf = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	struct sw_review rv = SW_REVIEW_INIT;
	int have_live, ret, review;
	size_t i;

	sw_release_init(&live);
	sw_release_init(&t);
	sw_release_init(&n);
	have_live = sw_release_load_live(e->db, app, &live);
	if (have_live < 0 && have_live != SW_ENOTFOUND) {
		ret = have_live;
		goto cleanup;
	}
	/* a review app's releases of an earlier life are retired: none of them runs any more */
	review = sw_review_load(e->db, app, &rv) == 0;
	have_live = have_live == 0 && !(review && sw_review_retired(&rv, live.created_at));
	if (!target) {
		/* the release that was live before the live one */
		struct sw_release *found = NULL;
		int v;
		if (!have_live) {
			ret = sw_error_code(SW_EINVAL, "%s has no live release to roll back from", app);
			goto cleanup;
		}
		for (v = live.version - 1; v > 0 && !found; v--) {
			if (sw_release_load(e->db, app, v, &t) == 0 && t.status == SW_RELEASE_LIVE &&
			    !(review && sw_review_retired(&rv, t.created_at)))
				found = &t;
		}
		if (!found) {
			ret = sw_error_code(SW_EINVAL, "no release before v%d went live", live.version);
			goto cleanup;
		}
	} else if ((ret = sw_release_load(e->db, app, target, &t)) < 0) {
		ret = SW_EINVAL;
		goto cleanup;
	}
	if (have_live && t.version == live.version) {
		ret = sw_error_code(SW_EINVAL, "v%d is already live", t.version);
		goto cleanup;
	}
	if (review && sw_review_retired(&rv, t.created_at)) {
		ret = sw_error_code(SW_EINVAL, "v%d is retired: review app %s was destroyed since, with its image", t.version,
				    app);
		goto cleanup;
	}
	if (t.status != SW_RELEASE_LIVE && !force) {
		ret = sw_error_code(SW_EINVAL, "v%d never went live (%s%s%s); use --force to roll back to it anyway",
				    t.version, sw_release_status_name(t.status), t.reason ? ": " : "",
				    t.reason ? t.reason : "");
		goto cleanup;
	}
	if (!t.image || !t.digest) {
		ret = sw_error_code(SW_EINVAL, "v%d has no image to roll back to", t.version);
		goto cleanup;
	}
	if (have_live && t.version < live.version && sw_release_ran_between(e->db, app, t.version, live.version) == 1)
		sw_runenv_report(e, "-----> note: a release process ran after v%d; what it changed (schema, data) "
				 "is not rolled back", t.version);

	sw_buf_addf(&desc, "rollback to v%d%s%s", t.version, via ? " " : "", via ? via : "");
	fill_new(&n, app, SW_RELEASE_ROLLBACK, desc.ptr, created_by, e);
	copy_image(&n, &t);
	json_decref(n.config);
	n.config = json_deep_copy(t.config);
	n.rollback_of = t.version;
	/* the formation stays the live one for the process types vN has */
	if (sw_manifest_from_json(&tm, t.manifest) < 0 || sw_formation_from_json(&tf, t.formation) < 0 ||
	    (have_live && sw_formation_from_json(&lf, live.formation) < 0)) {
		ret = SW_ERROR;
		goto cleanup;
	}
	sw_formation_plan(&nf, &tm, have_live ? &lf : &tf, 0);
	for (i = 0; i < nf.nr; i++) {
		const struct sw_formation_entry *src = have_live ? sw_formation_find(&lf, nf.v[i].process) : NULL;
		if (!src)
			src = sw_formation_find(&tf, nf.v[i].process);
		if (src) {
			nf.v[i].count = src->count;
			nf.v[i].memory_mb = src->memory_mb;
			nf.v[i].cpu = src->cpu;
			nf.v[i].scaled_count = src->scaled_count;
			nf.v[i].scaled_memory = src->scaled_memory;
			nf.v[i].scaled_cpu = src->scaled_cpu;
		}
	}
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&nf);
	ret = make_and_deploy(e, &n, version);
cleanup:
	sw_release_release(&live);
	sw_release_release(&t);
	sw_release_release(&n);
	sw_manifest_release(&tm);
	sw_formation_release(&lf);
	sw_formation_release(&tf);
	sw_formation_release(&nf);
	sw_buf_release(&desc);
	sw_review_release(&rv);
	return ret;
}

int sw_deploy_rollback(const struct sw_runenv *e, const char *app, int target, int force,
		       const char *created_by, int *version)
{
	if (version)
		*version = 0;
	if (target < 0)
		return sw_error_code(SW_EINVAL, "release versions start at v1");
	if (sw_review_check_active(e->db, app) < 0)
		return SW_EINVAL;
	return rollback_to(e, app, target, force, created_by, NULL, version);
}

struct commit_match {
	const char *commit;
	int live_version;
	int found;
	double since;   /* a review app's releases made before this are history */
};

static int match_commit(void *ctx, const struct sw_release *r)
{
	struct commit_match *cm = ctx;
	if (!cm->found && r->status == SW_RELEASE_LIVE && r->version != cm->live_version && r->commit &&
	    !strcmp(r->commit, cm->commit) && r->created_at >= cm->since)
		cm->found = r->version;
	return 0;
}

int sw_deploy_push(const struct sw_runenv *e, const struct sw_push *p, int *version)
{
	struct sw_release base, n;
	struct sw_formation bf = SW_FORMATION_INIT, nf = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	struct commit_match cm = { p->commit, 0, 0, 0 };
	struct sw_review rv = SW_REVIEW_INIT;
	int have, ret, review;
	size_t i;

	if (version)
		*version = 0;
	if (!p->app || !p->commit || !p->image || !p->digest || !p->have_manifest)
		return sw_error_code(SW_EINVAL, "a push release needs app, commit, image, digest and manifest");
	sw_release_init(&base);
	sw_release_init(&n);
	if ((have = base_release(e, p->app, &base)) < 0) {
		ret = have;
		goto cleanup;
	}
	/* a review app's first release after it was (re)created starts
	 * from the config copied from its parent then; an earlier life's releases are history */
	review = sw_review_load(e->db, p->app, &rv) == 0 && rv.active;
	if (review && have && base.created_at < rv.created_at)
		have = 0;
	if (review)
		cm.since = rv.created_at;
	/* a commit that was live before (git push -f deploy v5:main): a rollback to it */
	if (have && base.status == SW_RELEASE_LIVE)
		cm.live_version = base.version;
	if ((ret = sw_release_list(e->db, p->app, 0, match_commit, &cm)) < 0)
		goto cleanup;
	if (cm.found) {
		struct sw_buf via = SW_BUF_INIT;
		sw_buf_addf(&via, "(git push of %.7s)", p->commit);
		ret = rollback_to(e, p->app, cm.found, 0, p->created_by, via.ptr, version);
		sw_buf_release(&via);
		goto cleanup;
	}
	if (p->manifest.warning)
		sw_runenv_report(e, "-----> warning: %s", p->manifest.warning);
	if (have && sw_formation_from_json(&bf, base.formation) < 0) {
		ret = sw_error("v%d: stored formation is malformed", base.version);
		goto cleanup;
	}
	sw_formation_plan(&nf, &p->manifest, have ? &bf : NULL, 0);
	for (i = 0; review && i < nf.nr; i++)   /* review apps: one task a process type, unless scaled */
		if (!nf.v[i].scaled_count)
			nf.v[i].count = 1;
	if (!nf.nr) {
		ret = sw_error_code(SW_EINVAL, "%s: nothing to run (only a release process)", p->manifest.source);
		goto cleanup;
	}
	sw_buf_addf(&desc, "deploy %.7s", p->commit);
	fill_new(&n, p->app, SW_RELEASE_PUSH, desc.ptr, p->created_by, e);
	n.job_id = p->job ? p->job : e->job;
	n.commit = xstrdup(p->commit);
	n.image = xstrdup(p->image);
	n.digest = xstrdup(p->digest);
	if (p->received_at > 0)   /* the first phases of the push, for releases:info (release.h) */
		json_object_set_new(n.state, "phases", json_pack("{s:f, s:f, s:f}", "received", p->received_at,
								  "build", p->built_at, "push", p->pushed_at));
	if (have) {
		json_decref(n.config);
		n.config = json_deep_copy(base.config);
	} else if (review) {
		json_decref(n.config);
		n.config = json_deep_copy(rv.seed_config);
	}
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&nf);
	json_decref(n.manifest);
	n.manifest = sw_manifest_to_json(&p->manifest);
	ret = make_and_deploy(e, &n, version);
cleanup:
	sw_review_release(&rv);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_formation_release(&bf);
	sw_formation_release(&nf);
	sw_buf_release(&desc);
	return ret;
}

/* The process types of manifest m (a release's), space-separated, in order. */
static int process_names(const json_t *m, struct sw_buf *out)
{
	struct sw_manifest man = SW_MANIFEST_INIT;
	size_t i;
	if (sw_manifest_from_json(&man, m) < 0)
		return SW_ERROR;
	for (i = 0; i < man.nr; i++)
		sw_buf_addf(out, "%s%s", i ? " " : "", man.procs[i].name);
	sw_manifest_release(&man);
	return 0;
}

/* The source of a promotion: from's live release, which from_version (0: any) must be. */
static int promote_source(const struct sw_runenv *e, const char *from, int from_version, struct sw_release *src)
{
	int ret = sw_release_load_live(e->db, from, src);
	if (ret == SW_ENOTFOUND)
		return sw_error_code(SW_EINVAL, "%s has no live release to promote", from);
	if (ret < 0)
		return ret;
	if (from_version && from_version != src->version)
		return sw_error_code(SW_EINVAL, "v%d of %s is not live (v%d is): only the live release is promoted",
				     from_version, from, src->version);
	if (!src->image || !src->digest)
		return sw_error_code(SW_EINVAL, "v%d of %s has no image to promote", src->version, from);
	return 0;
}

int sw_deploy_promote(const struct sw_runenv *e, const char *app, const char *from, int from_version,
		      const char *created_by, int *version)
{
	struct sw_release src, base, n;
	struct sw_manifest sm = SW_MANIFEST_INIT;
	struct sw_formation bf = SW_FORMATION_INIT, nf = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT, sp = SW_BUF_INIT, tp = SW_BUF_INIT;
	struct sw_review rv = SW_REVIEW_INIT;
	int have, ret;

	if (version)
		*version = 0;
	if (!strcmp(app, from))
		return sw_error_code(SW_EINVAL, "%s cannot be promoted into itself", app);
	if (sw_review_load(e->db, app, &rv) == 0 || sw_review_load(e->db, from, &rv) == 0) {
		sw_review_release(&rv);
		return sw_error_code(SW_EINVAL, "review apps are not promoted, nor promoted into");
	}
	sw_release_init(&src);
	sw_release_init(&base);
	sw_release_init(&n);
	if ((ret = promote_source(e, from, from_version, &src)) < 0)
		goto cleanup;
	if ((have = base_release(e, app, &base)) < 0) {
		ret = have;
		goto cleanup;
	}
	if (process_names(src.manifest, &sp) < 0 || (have && process_names(base.manifest, &tp) < 0) ||
	    sw_manifest_from_json(&sm, src.manifest) < 0) {
		ret = sw_error("a stored manifest is malformed");
		goto cleanup;
	}
	if (have && strcmp(sp.ptr, tp.ptr)) {
		ret = sw_error_code(SW_EINVAL, "processes differ: %s runs %s, %s runs %s", from, sp.ptr, app, tp.ptr);
		goto cleanup;
	}
	if (have && base.status == SW_RELEASE_LIVE && base.digest && !strcmp(base.digest, src.digest)) {
		sw_runenv_report(e, "-----> no change: %s v%d already runs %s's v%d image (%.19s)", app, base.version, from,
				 src.version, src.digest);
		ret = 0;
		goto cleanup;
	}
	if (have && sw_formation_from_json(&bf, base.formation) < 0) {
		ret = sw_error("v%d: stored formation is malformed", base.version);
		goto cleanup;
	}
	sw_formation_plan(&nf, &sm, have ? &bf : NULL, e->settings->default_memory_mb);
	sw_buf_addf(&desc, "promote v%d of %s", src.version, from);
	fill_new(&n, app, SW_RELEASE_PROMOTE, desc.ptr, created_by, e);
	copy_image(&n, &src);
	if (have) {
		json_decref(n.config);
		n.config = json_deep_copy(base.config);
	}
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&nf);
	sw_runenv_report(e, "-----> promoting v%d of %s (%.7s, %.19s) with %s's config", src.version, from,
			 src.commit ? src.commit : "-", src.digest, app);
	ret = make_and_deploy(e, &n, version);
cleanup:
	sw_release_release(&src);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_manifest_release(&sm);
	sw_formation_release(&bf);
	sw_formation_release(&nf);
	sw_buf_release(&desc);
	sw_buf_release(&sp);
	sw_buf_release(&tp);
	return ret;
}

/* A config or scale change of app may be made (*version reset): not of a destroyed review app. */
static int may_change(const struct sw_runenv *e, const char *app, int *version)
{
	if (version)
		*version = 0;
	/* a destroyed review app comes back by a push only */
	return sw_review_check_active(e->db, app) < 0 ? SW_EINVAL : 0;
}

/* The release a change starts from (base_release()), or SW_EINVAL when app has none yet. */
static int change_base(const struct sw_runenv *e, const char *app, struct sw_release *base)
{
	int have = base_release(e, app, base);
	if (have < 0)
		return have;
	return have ? 0 : sw_error_code(SW_EINVAL, "%s has no release yet: push it first", app);
}

int sw_deploy_config(const struct sw_runenv *e, const char *app, int unset, const char *const *args,
		     size_t nargs, const char *created_by, int *version)
{
	struct sw_release base, n;
	struct sw_buf summary = SW_BUF_INIT;
	json_t *config = NULL;
	int ret;

	if (may_change(e, app, version) < 0)
		return SW_EINVAL;
	sw_release_init(&base);
	sw_release_init(&n);
	if ((ret = change_base(e, app, &base)) < 0)
		goto cleanup;
	config = json_deep_copy(base.config);
	ret = unset ? sw_appconfig_unset(config, args, nargs, &summary)
		    : sw_appconfig_set(config, args, nargs, &summary);
	if (ret < 0)
		goto cleanup;
	if (ret == 0) {
		sw_runenv_report(e, "-----> no change: the config of v%d already says so", base.version);
		goto cleanup;
	}
	fill_new(&n, app, SW_RELEASE_CONFIG, summary.ptr, created_by, e);
	copy_image(&n, &base);
	json_decref(n.config);
	n.config = config;
	config = NULL;
	json_decref(n.formation);
	n.formation = json_deep_copy(base.formation);
	ret = make_and_deploy(e, &n, version);
cleanup:
	json_decref(config);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_buf_release(&summary);
	return ret;
}

/* The cluster's container instances as DescribeContainerInstances shows them, fed to ro: 0, or < 0 unknown. */
static int cluster_room(const struct sw_runenv *e, struct sw_rollout *ro)
{
	json_t *arns = json_array(), *req = json_pack("{s:s, s:i}", "cluster", e->settings->cluster, "maxResults", 100);
	json_t *all = json_pack("{s:[]}", "containerInstances");
	int ret = sw_pager_collect_call(e, "ecs", "ListContainerInstances", req, "containerInstanceArns", arns, NULL, NULL);

	if (ret == 0 && !json_array_size(arns))
		ret = sw_error("no container instance is registered");
	json_object_del(req, "maxResults");
	if (ret == 0)
		ret = sw_pager_batch_call(e, "ecs", "DescribeContainerInstances", req, "containerInstances", arns, 100,
					  "containerInstances", json_object_get(all, "containerInstances"), NULL, NULL);
	if (ret == 0)
		sw_rollout_instances(ro, all);
	json_decref(req);
	json_decref(arns);
	json_decref(all);
	return ret;
}

/* Room check for a scale on EC2: the cluster's free memory against what the changes add. */
static int check_room(const struct sw_runenv *e, const struct sw_formation *before,
		      const struct sw_formation *after, const struct sw_formation *changes)
{
	struct sw_rollout tmp;
	size_t i;
	int ret = 0;

	sw_rollout_init(&tmp, 0, 0);
	if (cluster_room(e, &tmp) < 0) {
		sw_log(SW_LOG_WARN, e->app, e->job, "scale: cluster capacity unknown (%s); not checked", sw_error_last());
		goto cleanup;
	}
	for (i = 0; i < changes->nr; i++) {
		const struct sw_formation_entry *a = sw_formation_find(after, changes->v[i].process);
		const struct sw_formation_entry *b = sw_formation_find(before, changes->v[i].process);
		int room = sw_rollout_room(&tmp, a->memory_mb);
		/* same memory: the running tasks stay; new memory: new tasks start beside the old */
		int keep = b && b->memory_mb == a->memory_mb ? b->count : 0;
		if (room >= 0 && a->count > keep + room) {
			ret = sw_error_code(SW_EINVAL, "%s needs %d \xc3\x97 %d MB; the cluster has room for %d",
					    a->process, a->count, a->memory_mb, keep + room);
			break;
		}
	}
cleanup:
	sw_rollout_release(&tmp);
	return ret;
}

int sw_deploy_scale(const struct sw_runenv *e, const char *app, const char *const *args, size_t nargs,
		    const char *created_by, int *version)
{
	struct sw_release base, n;
	struct sw_formation before = SW_FORMATION_INIT, after = SW_FORMATION_INIT, changes = SW_FORMATION_INIT;
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	json_t *reuse = NULL;
	const json_t *tds;
	size_t i;
	int ret;

	if (may_change(e, app, version) < 0)
		return SW_EINVAL;
	sw_release_init(&base);
	sw_release_init(&n);
	if ((ret = sw_formation_parse(&changes, args, nargs)) < 0)
		goto cleanup;
	if ((ret = change_base(e, app, &base)) < 0)
		goto cleanup;
	if (sw_formation_from_json(&before, base.formation) < 0 || sw_formation_from_json(&after, base.formation) < 0) {
		ret = sw_error("v%d: stored formation is malformed", base.version);
		goto cleanup;
	}
	if ((ret = sw_formation_apply(&after, &changes)) < 0)
		goto cleanup;
	if (ret == 0) {
		struct sw_buf now = SW_BUF_INIT;
		sw_formation_describe(&after, 1, &now);
		sw_runenv_report(e, "-----> no change: %s already runs %s", app, now.ptr);
		sw_buf_release(&now);
		goto cleanup;
	}
	/*
	 * a size the launch does not have is refused before anything is made; when the launch
	 * cannot be told now, the release is made and its rollout fails saying why (golive.h)
	 */
	if ((ret = sw_launch_resolve(e, &l)) == SW_ECANCEL)
		goto cleanup;
	if (ret == 0 && l.fargate && (ret = sw_formation_fit_fargate(&after, &changes, NULL)) < 0)
		goto cleanup;
	if (ret == 0 && !l.fargate && (ret = check_room(e, &before, &after, &changes)) < 0)
		goto cleanup;
	sw_buf_adds(&desc, "scale ");
	for (i = 0; i < nargs; i++)
		sw_buf_addf(&desc, "%s%s", i ? " " : "", args[i]);
	fill_new(&n, app, SW_RELEASE_SCALE, desc.ptr, created_by, e);
	copy_image(&n, &base);
	json_decref(n.config);
	n.config = json_deep_copy(base.config);
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&after);
	/*
	 * a process whose size stays keeps its task definition: its tasks are not replaced
	 * (when the launch and the task role are still those it was made with: golive.c)
	 */
	reuse = json_object();
	tds = json_object_get(base.state, "taskdefs");
	if (base.status == SW_RELEASE_LIVE)
		for (i = 0; i < after.nr; i++) {
			const struct sw_formation_entry *b = sw_formation_find(&before, after.v[i].process);
			if (b && b->memory_mb == after.v[i].memory_mb && b->cpu == after.v[i].cpu && sw_json_str(tds, after.v[i].process))
				json_object_set_new(reuse, after.v[i].process, json_string(sw_json_str(tds, after.v[i].process)));
		}
	if (base.status == SW_RELEASE_LIVE && sw_json_str(tds, "release"))
		json_object_set_new(reuse, "release", json_string(sw_json_str(tds, "release")));
	json_object_set(n.state, "reuse", reuse);
	json_object_set_new(n.state, "reuse_launch",
			    json_string(sw_json_str_or(json_object_get(base.state, "launch"), "mode", "ec2")));
	json_object_set_new(n.state, "reuse_task_role", json_string(sw_json_str_or(base.state, "task_role", "")));
	ret = make_and_deploy(e, &n, version);
cleanup:
	sw_launch_release(&l);
	json_decref(reuse);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_formation_release(&before);
	sw_formation_release(&after);
	sw_formation_release(&changes);
	sw_buf_release(&desc);
	return ret;
}
