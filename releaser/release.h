#ifndef SW_RELEASE_H
#define SW_RELEASE_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * A release: version vN (numbered per app from 1), made of an image pinned by digest,
 * config vars, a formation and the manifest it was made from, and the state of its
 * rollout. Stored in slipwayd's SQLite database (tables from
 * releaser/tables.h, which slipwayd's database takes), so a
 * restarted slipwayd can finish what it started.
 *
 * Status:  pending ──▶ deploying ──▶ live
 *             │            ├──────▶ failed        (nothing to return to, or nothing changed)
 *             └────────────┴──────▶ rolled back   (failed; every process returned to the
 *                                                  last live release, rolled_back_to)
 * The live release of an app is its newest release with status live.
 * Review apps (releaser/review.h): once one is destroyed, or for an earlier life of it,
 * its releases that went live stay "live" here but are retired: the API shows them as
 * "retired", and they are no rollback target.
 *
 * Config values live in the database only: sw_release_describe() and everything
 * printed name config vars, never their values.
 */

enum sw_release_status {
	SW_RELEASE_PENDING,
	SW_RELEASE_DEPLOYING,
	SW_RELEASE_LIVE,
	SW_RELEASE_FAILED,
	SW_RELEASE_ROLLED_BACK,
};

/* "pending", "deploying", "live", "failed", "rolled back". */
const char *sw_release_status_name(enum sw_release_status s);
/* 1 for live, failed, rolled back. */
int sw_release_status_final(enum sw_release_status s);

/* What made the release. */
enum sw_release_kind {
	SW_RELEASE_PUSH,      /* a build (or a reused image) from git push */
	SW_RELEASE_ROLLBACK,  /* slipway rollback, or a pushed release tag */
	SW_RELEASE_CONFIG,    /* config:set / config:unset */
	SW_RELEASE_SCALE,     /* slipway scale */
	SW_RELEASE_PROMOTE,   /* slipway promote: another app's live image, this app's config */
};

const char *sw_release_kind_name(enum sw_release_kind k);

struct sw_release {
	long long id;              /* row id, 0 before insert */
	char *app;
	int version;               /* 0 before insert */
	enum sw_release_status status;
	enum sw_release_kind kind;
	char *description;         /* "deploy 4f2a1c9", "rollback to v5", "set A, B", "scale web=4",
	                              "promote v12 of staging" */
	char *commit;              /* full sha, or NULL */
	char *image;               /* "<registry>/<app>:<sha>", or NULL */
	char *digest;              /* "sha256:...", or NULL */
	json_t *config;            /* {"NAME": "value"}; never NULL */
	json_t *formation;         /* sw_formation_to_json(); never NULL */
	json_t *manifest;          /* sw_manifest_to_json(); never NULL */
	json_t *state;             /* the rollout's own record (task definitions, deployments); never NULL */
	int release_ran;           /* the release process ran for this release */
	int rollback_of;           /* kind rollback: the version rolled back to; else 0 */
	int rolled_back_to;        /* status rolled back: the version now running; else 0 */
	char *created_by;          /* who: the token's name, "push by <user>", never NULL */
	long job_id;               /* the slipwayd job that made it, 0 none */
	char *reason;              /* why it failed (one line), or NULL */
	int tagged;                /* the vN tag exists in the app's repo */
	double created_at;         /* seconds since the epoch (slipwayd's convention, sw_time_now()) */
	double started_at;         /* rollout start, 0 not yet */
	double finished_at;        /* final status reached, 0 not yet */
};

/*
 * init: empty, with the four JSON objects allocated. release: frees everything and
 * zeroes r (JSON members NULL); init it again before filling it by hand. The load
 * functions accept an initialised or a released r and overwrite it.
 */
void sw_release_init(struct sw_release *r);
void sw_release_release(struct sw_release *r);

/* One line for humans and tags: "v7 · deploy 4f2a1c9 · web=2, worker=1 · config: A, B". */
void sw_release_describe(const struct sw_release *r, struct sw_buf *out);

/*
 * Store. Every function takes slipwayd's database handle (migrated with
 * tables.h), returns 0 or negative with one line, and fills caller-
 * initialised structs the caller releases.
 */

/* Insert r as the app's next version: sets r->id and r->version. status must be pending. */
int sw_release_insert(sqlite3 *db, struct sw_release *r);

/* Load vN of app into r. SW_ENOTFOUND: "hello has no release v9". */
int sw_release_load(sqlite3 *db, const char *app, int version, struct sw_release *r);

/* The app's live release (newest with status live). SW_ENOTFOUND when none went live. */
int sw_release_load_live(sqlite3 *db, const char *app, struct sw_release *r);

/* The app's newest release of any status. SW_ENOTFOUND when none. */
int sw_release_load_latest(sqlite3 *db, const char *app, struct sw_release *r);

/*
 * Move r to status to (also writes r's reason, state, rolled_back_to, release_ran,
 * tagged, started_at and finished_at). Refuses transitions the diagram above does not
 * have (a final status never changes): SW_EINVAL. now is seconds since the epoch; entering
 * deploying sets started_at, a final status sets finished_at.
 */
int sw_release_set_status(sqlite3 *db, struct sw_release *r, enum sw_release_status to, double now);

/*
 * Write r's mutable fields (state, release_ran, tagged, reason, and the formation, which
 * the rollout sizes for its launch before anything changes) without a status change.
 */
int sw_release_save(sqlite3 *db, const struct sw_release *r);

/*
 * Visit releases: of app newest first (limit 0 = all), or with app NULL every unfinished
 * (pending / deploying) release of any app, oldest first. fn gets each release (valid
 * only during the call); a negative return stops the walk and is returned.
 */
typedef int (*sw_release_visit_fn)(void *ctx, const struct sw_release *r);
int sw_release_list(sqlite3 *db, const char *app, int limit, sw_release_visit_fn fn, void *ctx);

/* How many releases app has (any status), or negative with one line. */
int sw_release_count(sqlite3 *db, const char *app);

/*
 * 1 when a release process ran in a release of app newer than version `after` up to and
 * including `upto` (rollback warns: schema changes do not roll back), 0 when not.
 */
int sw_release_ran_between(sqlite3 *db, const char *app, int after, int upto);

/*
 * The release as JSON for the API (config as names only). A new reference. Its
 * "phases" say when each step of the release ended (seconds since the epoch; a step
 * not reached, or not part of this kind of release, is absent): "received" (the push
 * reached slipwayd), "build" (the image was built), "push" (it was in the registry),
 * "registered" (task definitions registered: the services' rollout begins),
 * "first_healthy" (the watcher first saw a new task healthy), "live". "aws_requests":
 * the AWS requests its rollout watcher made (a rollback's included).
 */
json_t *sw_release_to_json(const struct sw_release *r);

/* {"releases": [release...]} of app, newest first, at most limit; NULL on error. */
json_t *sw_release_list_json(sqlite3 *db, const char *app, int limit);

/*
 * {"version": N, "config": {"NAME": "value"}} of the live release (else the newest), for
 * `slipway config` (the one place values are shown, to an authenticated caller who
 * asked); {"version": 0, "config": {}} before the first release; NULL on error.
 */
json_t *sw_release_config_json(sqlite3 *db, const char *app);

#endif
