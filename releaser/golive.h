#ifndef SW_GOLIVE_H
#define SW_GOLIVE_H

#include "releaser/release.h"
#include "releaser/runenv.h"

/*
 * Taking a release live on ECS (deploy.h makes the releases), to the verdict: deploy.h's
 * returns. A user's cancel (the env's token: common/cancel.h's SW_CANCEL_USER) before any
 * service changed fails the release (a running release process is stopped); after it,
 * every process is returned to the last live release (status "rolled back"); both with
 * the reason "cancelled by <who>" (SW_ERROR, events release.failed / release.rolled_back
 * with <who> as actor). A rollback, however it started, is interrupted by slipwayd
 * stopping only.
 *
 * The rollout:
 *   1. register one task definition per process type (taskdef.h), the log group;
 *   2. the web process: its target group and host rule (route.h);
 *   3. the release process, if any, with RunTask (phase.h): a non-zero exit fails the
 *      release before any service changed;
 *   4. CreateService / UpdateService per process type: circuit breaker with rollback,
 *      100/200, the web service behind its target group;
 *   5. watch to the verdict (watch.h over rollout.h);
 *   6. live: services of process types the release no longer has are removed;
 *      failed: every process is returned to the last live release, its task definition,
 *      target group and launch (ECS's own rollback is watched to completion instead when
 *      the launch and the target group stayed: it restores the task definition), and the
 *      reason recorded.
 * Each step is written to the release's state before it is taken, so a restarted
 * slipwayd knows where it was.
 */

/* Take r (pending, stored) live, or fail and roll back. r is updated (status, reason, state). */
int sw_golive_release(const struct sw_runenv *e, struct sw_release *r);

/*
 * Finish r, found unfinished after a restart: a pending release is failed
 * ("interrupted"); a deploying one continues from its recorded step (watching the
 * deployments it started, or the rollback it started) to its verdict.
 */
int sw_golive_resume(const struct sw_runenv *e, struct sw_release *r);

#endif
