#ifndef SW_EVENT_H
#define SW_EVENT_H

#include <sqlite3.h>
#include <jansson.h>

/*
 * Events: every state change slipway makes, one row each, in slipwayd's database
 * (table `events`, created by SW_EVENT_SCHEMA in receiver/db.c's migrations). They are
 * what `slipway events [--tail]` lists, what `slipway logs` interleaves with app output,
 * and what webhooks deliver (receiver/webhook.h), in id order per app.
 *
 * ONE function records them, from any module (receiver, builder, releaser):
 *
 *	sw_event_emit(db, "hello", "release.live", 7, 0, "admin", "v7 live (took 41s)");
 *
 * Types (dotted, lowercase; webhooks filter on them, "build.*" matches a family):
 *   app.created app.destroyed
 *   build.queued build.started build.succeeded build.failed build.cancelled
 *   release.created release.deploying release.live release.failed release.rolled_back
 *   task.crashed task.replaced  scale  config.changed (names of keys only, never values)
 *   review_app.created review_app.destroyed
 *   webhook.added webhook.removed token.created token.revoked
 * Messages are one line for people; no secrets, no config values.
 *
 * It lives in common/ so that every library slipwayd links (sw_releaser included) can
 * call it without depending on the receiver. A database without the events table (a
 * test tool's own) makes emit a no-op that returns 0.
 */

/* The migration that creates the table (receiver/db.c includes it in its list). */
#define SW_EVENT_SCHEMA \
	"CREATE TABLE events (" \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  app TEXT," \
	"  type TEXT NOT NULL," \
	"  release INTEGER," \
	"  build INTEGER," \
	"  actor TEXT," \
	"  message TEXT NOT NULL," \
	"  created_at REAL NOT NULL);" \
	"CREATE INDEX events_by_app ON events(app, id);"

#define SW_EVENT_MESSAGE_MAX 1000   /* longer messages are cut */

/*
 * Record one event. app may be NULL (server-wide: tokens); release is N of vN (0: none);
 * build is a build id (0: none); actor (may be NULL) is who caused it: a token's name,
 * "slipwayd". Thread-safe. Returns the new event's id (> 0), 0 when the database has no
 * events table, or a negative code (the failure is also logged: an event that cannot
 * be written never fails the operation that caused it, so callers may ignore it).
 * Wakes everyone in sw_event_wait().
 */
long long sw_event_emit(sqlite3 *db, const char *app, const char *type, int release, long long build,
			const char *actor, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * Block until an event with an id above after has been emitted in this process, or
 * timeout_ms passed (< 0: no limit), or sw_event_interrupt() was called. 1 when there
 * is a newer event, 0 when the time ran out, -1 once interrupted (the process is
 * stopping: followers end). The highest id emitted so far is sw_event_latest().
 */
int sw_event_wait(long long after, int timeout_ms);
long long sw_event_latest(void);

/* Wake every waiter (shutdown); later waits return at once. */
void sw_event_interrupt(void);

/* Make sw_event_latest() start at the database's highest id (call once at start). */
int sw_event_init(sqlite3 *db);

/*
 * Events as a JSON array, oldest first: of app (NULL: all apps), with id > after, at
 * most limit (the newest ones when there are more and after is 0; the oldest ones
 * after `after` otherwise). Each is
 *   {"id", "type", "app", "release": "v7"|null, "build": 12|null, "actor", "message",
 *    "created_at": "2026-11-26T10:00:01Z", "time": 1795687201.25 (seconds since the epoch)}
 * types (may be NULL) is a comma-separated filter of types or families ("build.*").
 * *out is a new reference the caller json_decref()s.
 */
int sw_event_query(sqlite3 *db, const char *app, long long after, int limit, const char *types, json_t **out);

/* 1 when type matches the pattern list ("build.*,release.live", "*" or "" for all). */
int sw_event_type_matches(const char *patterns, const char *type);

/* 1 when type is a well-formed event type (lowercase words and dots, 3..40 bytes). */
int sw_event_type_valid(const char *type);

#endif
