#ifndef SW_APP_H
#define SW_APP_H

#include <sqlite3.h>

#include "common/buf.h"
#include "receiver/config.h"

/*
 * Apps: a name and a bare repository $SLIPWAY_HOME/repos/<app>.git, created on the
 * first push with slipway-hook installed as hooks/pre-receive and the receive
 * settings slipway relies on (fsckObjects, maxInputSize, keepAlive, push options,
 * http.receivepack).
 */

#define SW_APP_NAME_MAX 30

/* 1 when name matches ^[a-z][a-z0-9-]{2,29}$ and does not end in '-'. */
int sw_app_name_valid(const char *name);

/*
 * A name that may refer to an existing app: an app's own
 * (sw_app_name_valid) or a review app's, "<app>-<slug>", up to SW_APP_REF_MAX
 * (^[a-z][a-z0-9-]{2,62}$). The API takes these; only apps' own names are ever created
 * by a push or apps:create. Buffers for any app name are SW_APP_REF_MAX + 1.
 */
#define SW_APP_REF_MAX 63
int sw_app_ref_valid(const char *name);

/*
 * Split a (decoded) request path "/<app>.git<rest>" into app and rest (a pointer
 * into path: "" or "/info/refs", ...). 0 when it names an app or a review app
 * (sw_app_ref_valid: the caller checks sw_app_name_valid before it creates one);
 * SW_EINVAL with "invalid app name: ..." when the part before ".git" is neither;
 * SW_ENOTFOUND when the path is not a repository path at all.
 */
int sw_app_parse_git_path(const char *path, char app[SW_APP_REF_MAX + 1], const char **rest);

/* repos/<app>.git into out (reset first). */
void sw_app_repo_path(struct sw_buf *out, const struct sw_config *c, const char *app);

/*
 * 1 when commit sha can be read from the repository at repo_path, or from a push's
 * quarantine (object_dir and alternate_dirs, may be NULL: the repository's own).
 */
int sw_app_has_commit(const char *repo_path, const char *sha, const char *object_dir, const char *alternate_dirs);

/* 1 when the app's repository exists. */
int sw_app_exists(const struct sw_config *c, const char *app);

/* 1 when app has a row in the store, 0 when not, SW_ERROR when the store failed. */
int sw_app_known(sqlite3 *db, const char *app);

/* Record app's row in the store (kept if it is there). 0 or SW_ERROR. */
int sw_app_record(sqlite3 *db, const char *app);

/*
 * Make sure the app exists: create the bare repository (atomically: built under a
 * temporary name, then renamed) and its row in apps, or on an existing one re-point
 * hooks/pre-receive at c->hook when it points elsewhere. *created (may be NULL) is
 * set to 1 when this call created it. The name must be valid (sw_app_name_valid).
 * A review app's name is refused (SW_EEXISTS, naming its parent and branch): review
 * apps have no repository of their own.
 */
int sw_app_ensure(const struct sw_config *c, sqlite3 *db, const char *app, int *created);

/*
 * The root (into root, reset first) of an empty repository "new.git" with an app's
 * settings and no hook, made once: git's answer to "what refs are there?" for an app a
 * push is about to create (only the push itself creates it). 0 or SW_ERROR.
 */
int sw_app_empty_repo(const struct sw_config *c, struct sw_buf *root);

/* Remove the log files of app's builds (before their rows go). */
void sw_app_remove_build_logs(const struct sw_config *c, sqlite3 *db, const char *app);

/*
 * Remove app's repository: renamed away first (so a push cannot find half of it), then
 * removed. Gone already is fine. 0, or negative with one line when it could not be moved.
 */
int sw_app_remove_repo(const struct sw_config *c, const char *app);

#endif
