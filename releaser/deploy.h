#ifndef SW_DEPLOY_H
#define SW_DEPLOY_H

#include <stddef.h>

#include "releaser/push.h"
#include "releaser/runenv.h"

/*
 * Making releases: what a push, `slipway rollback`, `config:set` / `config:unset` and
 * `scale` become (a new release vN: image, config vars, formation, manifest), each taken
 * live by golive.h. Every entry point runs inside the app's job (one at a time per app,
 * under the releaser's app lock), so what it reads as "the live release" is what runs,
 * and it returns only with the verdict:
 *   0           the release is live (or nothing needed to change: *version 0);
 *   SW_ERROR    the release failed; the error slot holds the reason in one line, which
 *               is the push's (or command's) last line; ECS is back on the last live
 *               release (status "rolled back") or nothing had changed (status "failed");
 *   SW_EINVAL   refused before any release was made (bad arguments, unknown version,
 *               a scale the cluster cannot hold, ...), nothing changed;
 *   SW_ECANCEL  slipwayd is stopping: the release stays "deploying" and golive.h's
 *               sw_golive_resume() finishes it after the restart.
 * A user's cancel (the env's token, common/cancel.h) is not SW_ECANCEL: the release fails with
 * "cancelled by <who>" (golive.h says how). *version (may be NULL) receives the release
 * made (0 when none was, e.g. a config:set that changes nothing).
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

/*
 * `slipway promote -a FROM`: a release of app running the image (same digest), commit and
 * manifest of FROM's live release (from_version, when not 0, must be it), with app's own
 * config and formation: "promote v12 of staging". Refused (SW_EINVAL, nothing changed)
 * when FROM has no live release or from_version is not it, when app is FROM, or when the
 * process types of app's release differ from FROM's. *version 0 and 0 when app already
 * runs that image.
 */
int sw_deploy_promote(const struct sw_runenv *e, const char *app, const char *from, int from_version,
		      const char *created_by, int *version);

/* `slipway config:set K=V ...` (unset = 0) or `config:unset K ...` (unset = 1). */
int sw_deploy_config(const struct sw_runenv *e, const char *app, int unset, const char *const *args,
		     size_t n, const char *created_by, int *version);

/* `slipway scale web=4 worker=2:512`. */
int sw_deploy_scale(const struct sw_runenv *e, const char *app, const char *const *args, size_t n,
		    const char *created_by, int *version);

#endif
