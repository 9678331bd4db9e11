#ifndef SW_REVIEW_H
#define SW_REVIEW_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * Review apps: every branch pushed to APP other than main/master deploys to an
 * app of its own, APP-<slug>, with its own services, task definition families, target
 * group and host rule, releases and tags. This is the releaser's side of them: the names
 * (pure), and their records in slipwayd's database (table `reviews`, from
 * tables.h, which slipwayd's database takes), which the
 * releaser reads while it deploys:
 *   - the host rule is <slug>.APP.<apps domain> (route.c), the URL printed when live is
 *     SLIPWAY_APPS_URL with {app} = "<slug>.APP" (deploy.c);
 *   - the first release after the review app was (re)created takes the config copied
 *     from the parent then (seed_config) and none of the history of an earlier one; every
 *     process type runs one task unless scaled by hand (deploy.c);
 *   - live releases are tagged review/<slug>/vN in the parent's repository (releaser.c).
 * Creating, destroying and listing them is slipwayd's (receiver/review_apps.h). A destroyed
 * review app keeps its row (status destroyed) and its releases and builds as history;
 * pushing its branch again brings it back under the same name.
 */

#define SW_REVIEW_SLUG_MAX 32       /* an app's name (<= 30) + "-" + slug fits in 63 */
#define SW_REVIEW_NAME_MAX 63
#define SW_REVIEW_DEFAULT_LIMIT 10  /* review apps per app, unless its settings say */

/*
 * The slug of a branch: lowercase, every run of characters other than a-z 0-9 one "-",
 * no "-" at either end; when that is longer than max (<= SW_REVIEW_SLUG_MAX), its first
 * max - 9 characters, "-" and 8 hex digits of a hash of the whole branch name (so two
 * long branches that start alike stay apart); an empty one is the hash alone. Always a
 * valid DNS label (1-63 of a-z 0-9 -, no "-" at either end). Appended to out. Pure.
 */
void sw_review_slug(const char *branch, size_t max, struct sw_buf *out);

/*
 * The slug with the hash always there (the first max - 9 characters, "-", hash): for a
 * branch whose plain slug is taken by another app. salt (0, 1, ...) changes the hash when
 * even that is taken. Appended to out. Pure.
 */
void sw_review_slug_hashed(const char *branch, unsigned salt, size_t max, struct sw_buf *out);

/* 1 when slug is what sw_review_slug() can make: 1..SW_REVIEW_SLUG_MAX of a-z 0-9 -, no "-" at the ends. Pure. */
int sw_review_slug_valid(const char *slug);

struct sw_review {
	char *app;              /* "hello-feature-login" */
	char *parent;           /* "hello" */
	char *branch;           /* "feature/login" */
	char *slug;             /* "feature-login" */
	int active;             /* 0: destroyed (the row is history) */
	double created_at;      /* (re)created: seconds since the epoch */
	double last_push_at;
	double destroyed_at;    /* 0 while active */
	char *destroyed_reason; /* NULL while active */
	json_t *seed_config;    /* the parent's config at (re)creation; never NULL after a load */
	int seed_version;       /* the parent's release it came from (0: none) */
};

#define SW_REVIEW_INIT { NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0 }
void sw_review_release(struct sw_review *r);

/*
 * The review app called app / of parent's branch. 0 with *out filled (released first),
 * SW_ENOTFOUND when there is none (also with a database that has no reviews table, such
 * as a test tool's), negative with one line on a database error.
 */
int sw_review_load(sqlite3 *db, const char *app, struct sw_review *out);
int sw_review_find(sqlite3 *db, const char *parent, const char *branch, struct sw_review *out);

/*
 * The host label of app, appended to out: "<slug>.<parent>" for a review app, app itself
 * otherwise (its host is then LABEL.<apps domain>).
 */
void sw_review_host_label(sqlite3 *db, const char *app, struct sw_buf *out);

/*
 * Where app's release tags go: the repository of repo_app ("hello" for a review app of
 * hello, else app) and the tag name's prefix ("review/<slug>/" or ""). Appended.
 */
void sw_review_tag_place(sqlite3 *db, const char *app, struct sw_buf *repo_app, struct sw_buf *prefix);

/*
 * Records. Each returns 0 or negative with one line.
 *  save:       insert r, or (same app) replace it; r->active, created_at... as given;
 *  destroyed:  mark app destroyed now with reason;
 *  touch:      last_push_at = now;
 *  count:      the active review apps of parent (>= 0);
 *  list:       parent's review apps (active ones; all with include_destroyed) as a JSON
 *              array of sw_review_to_json(), newest first (a new reference in *out);
 *  apps:       the names of parent's review apps (all, or active only) into names.
 */
int sw_review_save(sqlite3 *db, const struct sw_review *r);
int sw_review_set_destroyed(sqlite3 *db, const char *app, const char *reason, double now);
int sw_review_touch(sqlite3 *db, const char *app, double now);
int sw_review_count_active(sqlite3 *db, const char *parent);
int sw_review_list(sqlite3 *db, const char *parent, int include_destroyed, const char *apps_url, json_t **out);
struct sw_strvec;
int sw_review_apps(sqlite3 *db, const char *parent, int active_only, struct sw_strvec *names);

/*
 * {"app", "parent", "branch", "slug", "status": "active"|"destroyed", "url", "created_at",
 * "last_push_at", "destroyed_at", "destroyed_reason"} (times ISO 8601 UTC or null). url is
 * apps_url ("http://{app}.localhost:5481", may be NULL: "") with {app} = "<slug>.<parent>".
 */
json_t *sw_review_to_json(const struct sw_review *r, const char *apps_url);

/* apps_url with every "{app}" replaced by label, appended to out. */
void sw_review_url(const char *apps_url, const char *label, struct sw_buf *out);

/*
 * Releases of review apps that run no more. A release that went live keeps status "live"
 * in the database (release.h: it went live), but once its review app is destroyed, or
 * when it is of an earlier life of the review app (made before its last (re)creation:
 * its services, task definitions and image were removed then), it is retired:
 *  - retired: 1 when a release of rv made at created_at is retired. Pure.
 *  - retire_json: what the API shows: every release in o (one sw_release_to_json(), or
 *    {"releases": [...]}) of app with status "live" that is retired gets "status":
 *    "retired" and "retired": "review app APP destroyed (REASON)" / "... (re)created
 *    since". Nothing changes for an app that is not a review app.
 *  - check_active: 0 for an app that is not a review app or an active one; SW_EINVAL
 *    with one line for a destroyed review app (a config, scale or rollback release would
 *    bring its services back: pushing its branch again does that).
 * Retired releases are no rollback target (deploy.c) and no "previous live release".
 */
int sw_review_retired(const struct sw_review *rv, double created_at);
void sw_review_retire_json(sqlite3 *db, const char *app, json_t *o);
int sw_review_check_active(sqlite3 *db, const char *app);

/*
 * The server's review settings, which an app's own override: the most review apps an app
 * may have and the idle time (seconds, 0 = never) after which one is destroyed.
 */
struct sw_review_defaults {
	int limit;
	long long idle_secs;
};

#define SW_REVIEW_DEFAULTS_INIT { SW_REVIEW_DEFAULT_LIMIT, 0 }

/*
 * Read them from the environment, once at start: SLIPWAY_REVIEW_LIMIT (0 to 10000, else
 * SW_REVIEW_DEFAULT_LIMIT) and SLIPWAY_REVIEW_IDLE (sw_review_parse_duration()'s forms,
 * e.g. "7" or "7d", else never). 0, or SW_EINVAL with one line naming the variable
 * (slipwayd refuses to start); *d is left as it was then.
 */
int sw_review_defaults_load(struct sw_review_defaults *d);

/*
 * Per-app settings of its review apps: the app's own where it has them, else the
 * server's (dflt). *limit and *idle_secs may be NULL. 0 or negative with one line.
 */
int sw_review_settings(sqlite3 *db, const char *parent, const struct sw_review_defaults *dflt, int *limit,
		       long long *idle_secs);
/* Store the app's own settings: limit < 0 and idle_secs < 0 leave that one as it is. */
int sw_review_settings_save(sqlite3 *db, const char *parent, int limit, long long idle_secs);

/*
 * The active review apps whose parent's idle time (sw_review_settings) has passed since
 * their last push, at now, pushed to apps as "<app> <idle seconds>". 0 or negative.
 */
int sw_review_idle(sqlite3 *db, const struct sw_review_defaults *dflt, double now, struct sw_strvec *apps);

/*
 * An idle time → seconds: a bare number is days ("7"), a unit suffix says otherwise
 * ("7d", "12h", "30m", "45s": fine enough for a test); "off", "never" or "0" is 0 (never).
 * 0, or SW_EINVAL with one line. Pure.
 */
int sw_review_parse_duration(const char *s, long long *secs);

#endif
