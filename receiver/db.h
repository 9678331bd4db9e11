#ifndef SW_DB_H
#define SW_DB_H

#include <sqlite3.h>

/*
 * slipwayd's state database ($SLIPWAY_HOME/slipwayd.db) and its schema:
 *   tokens(id, name, hash, created_at, user, app, role, expires_at, last_used_at,
 *          revoked_at, created_by)        API tokens, SHA-256 hex of the secret only
 *                                          (receiver/auth.h); revoked ones stay, revoked
 *   users(name, admin, created_at, created_by)           receiver/users.h
 *   access(app, user, role, created_at, created_by)      roles on apps (receiver/roles.h)
 *   ssh_keys(fingerprint, user, type, key, comment, created_at, last_used_at)
 *   apps(name, created_at)                 one per bare repo under repos/
 *   builds(id, app, ref, old_sha, commit_sha, options, status, reason, image, digest,
 *          size, reused, created_at, started_at, finished_at)
 *          pushed_by, cancelled_by, detached)
 *          status: queued | running | succeeded | failed | cancelled; times are unix
 *          seconds (REAL)
 *   releases, reviews, review_settings     the releaser's (releaser/tables.h)
 *   events(...)                            common/event.h
 *   webhooks(id, app, url, events, secret, created_by, created_at, after_event),
 *   deliveries(...), webhook_cursor        receiver/webhook.h
 * Later pieces add tables with further migrations, at the end of the sequence in db.c.
 */

/*
 * Open (creating and migrating) path; *out is closed with sw_store_close(). A database
 * made by any earlier slipwayd is migrated to the same schema a new one gets.
 */
int sw_db_open(sqlite3 **out, const char *path);

#endif
