#ifndef SW_APPSETTINGS_H
#define SW_APPSETTINGS_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * An app's own settings, kept in slipwayd's database (the releaser's app_settings
 * table, tables.h). They change how ECS runs the app, not its environment, so they are
 * not config vars and making one is not a release: it takes effect with the app's next
 * release (push, config:set, rollback, scale of a new size).
 *
 *   task_role   the IAM role the app's tasks run as (taskRoleArn of its task definitions);
 *               none: SLIPWAY_TASK_ROLE_ARN, else no role. A review app without its own
 *               runs as its parent's.
 *
 * `slipway apps:settings [task_role=ARN | task_role=]` (GET and POST
 * /api/v1/apps/<app>/settings).
 */

/* {"app": app, "task_role": "arn..." | null} into *out (a new reference). 0 or negative with one line. */
int sw_appsettings_get(sqlite3 *db, const char *app, json_t **out);

/*
 * Change app's settings from changes ({"task_role": "arn" | "" | null}: "" and null
 * remove it); every other member, or a bad ARN, is SW_EINVAL with one line and nothing
 * changes ("task_role: 'x' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)").
 */
int sw_appsettings_set(sqlite3 *db, const char *app, const json_t *changes);

/*
 * The task role app's tasks run as: its own, else its parent's (a review app), appended
 * to out. 1 found, 0 none, negative on a database error.
 */
int sw_appsettings_task_role(sqlite3 *db, const char *app, struct sw_buf *out);

/* Forget app's settings (apps:destroy). 0 or negative. */
int sw_appsettings_delete(sqlite3 *db, const char *app);

#endif
