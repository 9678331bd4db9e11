#ifndef SW_PIPELINE_H
#define SW_PIPELINE_H

#include <jansson.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "receiver/config.h"

/*
 * Pipelines: apps linked in stages, staging then production, so that `slipway promote`
 * knows where an app's live image goes next. One row per app in the pipelines table
 * (receiver/db.c): its pipeline's name and its stage. An app is in one pipeline at most;
 * a stage may hold several apps (then promote asks which, with --to).
 * All functions return 0 or a negative enum sw_code with one line in the error slot.
 */

/* Put app (an app with a repository, not a review app) in pipeline at stage ("staging"|"production"). */
int sw_pipeline_add(sqlite3 *db, const char *app, const char *pipeline, const char *stage);

/* Take app out of its pipeline: SW_ENOTFOUND when it is in none. */
int sw_pipeline_remove(sqlite3 *db, const char *app);

/* {"pipelines": [{"name", "apps": [{"app", "stage"}...]}...]}, stages in order; a new reference, NULL on error. */
json_t *sw_pipeline_list_json(sqlite3 *db);

/*
 * Where a promotion of from goes: to when given (an app of a later stage of from's
 * pipeline), else the one app of the stage after from's. Appended to out; SW_EINVAL with
 * one line when there is none or several.
 */
int sw_pipeline_target(sqlite3 *db, const char *from, const char *to, struct sw_buf *out);

/*
 * Bring commit from from's repository into to's (under refs/slipway/promoted/), so the
 * promoted release is tagged vN in to's repository like any other.
 */
int sw_pipeline_bring_commit(const struct sw_config *c, const char *from, const char *to, const char *commit);

#endif
