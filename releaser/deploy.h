#ifndef SW_DEPLOY_H
#define SW_DEPLOY_H

#include <stddef.h>

#include "releaser/manifest.h"
#include "releaser/push.h"
#include "releaser/release.h"
#include "releaser/runenv.h"

/*
 * Making releases and taking them live. Every entry point runs inside the app's job
 * (one at a time per app, in slipwayd's queue), so what it reads as "the live release"
 * is what runs, and it returns only with the verdict:
 *   0           the release is live;
 *   SW_ERROR    the release failed; the error slot holds the reason in one line, which
 *               is the push's (or command's) last line; ECS is back on the last live
 *               release (status "rolled back") or nothing had changed (status "failed");
 *   SW_EINVAL   refused before any release was made (bad arguments, unknown version,
 *               a scale the cluster cannot hold, ...), nothing changed;
 *   SW_ECANCEL  slipwayd is stopping: the release stays "deploying" and
 *               sw_deploy_resume() finishes it after the restart.
 * ops (issue 7): when the env tells a user's cancel apart (runenv.h: cancelled_by) and
 * says a user cancelled, that is not SW_ECANCEL: before any service changed the release
 * fails (a running release process is stopped), after it every process is returned to
 * the last live release (status "rolled back"), both with the reason "cancelled by
 * <who>" (SW_ERROR, events release.failed / release.rolled_back with <who> as actor).
 * A rollback, however it started, is interrupted by slipwayd stopping only.
 * *version (may be NULL) receives the release made (0 when none was, e.g. a config:set
 * that changes nothing).
 *
 * The rollout (sw_deploy_release):
 *   1. register one task definition per process type (taskdef.h), the log group;
 *   2. the web process: its target group and host rule (route.h);
 *   3. the release process, if any, with RunTask (phase.h): a non-zero exit fails the
 *      release before any service changed;
 *   4. CreateService / UpdateService per process type: circuit breaker with rollback,
 *      100/200, the web service behind its target group;
 *   5. watch to the verdict (watch.h over rollout.h);
 *   6. live: services of process types the release no longer has are removed;
 *      failed: every process is returned to the last live release (or ECS's own rollback
 *      is watched to completion) and the reason recorded.
 * Each step is written to the release's state before it is taken, so a restarted
 * slipwayd knows where it was.
 */

/*
 * A push: a new release of the built image, made from the push's manifest (read before:
 * p->have_manifest), or, when the commit is a live release's, a rollback to it.
 */
int sw_deploy_push(const struct sw_runenv *e, const struct sw_push *p, int *version);

/*
 * `slipway rollback [vN]`: target 0 means the release that was live before the current
 * one. A target that never went live is refused unless force.
 */
int sw_deploy_rollback(const struct sw_runenv *e, const char *app, int target, int force,
		       const char *created_by, int *version);

/* `slipway config:set K=V ...` (unset = 0) or `config:unset K ...` (unset = 1). */
int sw_deploy_config(const struct sw_runenv *e, const char *app, int unset, const char *const *args,
		     size_t n, const char *created_by, int *version);

/* `slipway scale web=4 worker=2:512`. */
int sw_deploy_scale(const struct sw_runenv *e, const char *app, const char *const *args, size_t n,
		    const char *created_by, int *version);

/* Take r (pending, stored) live, or fail and roll back. r is updated (status, reason, state). */
int sw_deploy_release(const struct sw_runenv *e, struct sw_release *r);

/*
 * Finish r, found unfinished after a restart: a pending release is failed
 * ("interrupted"); a deploying one continues from its recorded step (watching the
 * deployments it started, or the rollback it started) to its verdict.
 */
int sw_deploy_resume(const struct sw_runenv *e, struct sw_release *r);

/* ECS names: service (and task family) "APP-PROCESS"; log group "<prefix>APP". Appended to out. */
void sw_deploy_service_name(const char *app, const char *process, struct sw_buf *out);
void sw_deploy_log_group(const struct sw_runenv *e, const char *app, struct sw_buf *out);

/*
 * Ownership of an ECS service (an element of DescribeServices' "services", asked with
 * include ["TAGS"]): names collide ("a" + "b-web" and "a-b" + "web" are both "a-b-web"),
 * and a shared cluster may hold services slipway never made. 0 when svc's "slipway:app"
 * tag is app; else SW_EEXISTS with one line in the error slot ("PROCESS: the ECS service
 * NAME belongs to app OTHER (slipway:app tag), not APP: rename the process type", or
 * "... is not managed by slipway ..."). sw_deploy_service_owner: the slipway:app tag's
 * value in the "tags" array of svc (or of any ECS answer with one, e.g. DescribeTaskDefinition
 * with include TAGS), borrowed from it; NULL when untagged.
 */
int sw_deploy_service_owned(const json_t *svc, const char *app, const char *process);
const char *sw_deploy_service_owner(const json_t *svc);

#endif
