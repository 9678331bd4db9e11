#ifndef SW_STORE_H
#define SW_STORE_H

#include <sqlite3.h>

/*
 * SQLite, the way every slipway state file uses it: WAL, foreign keys on, a busy
 * timeout, and a schema brought up to date by numbered migrations (PRAGMA
 * user_version counts those applied). Each program owns its own database file;
 * the connection is usable from several threads (SQLite's serialized mode), and a
 * thread that needs a transaction takes its own connection with sw_store_open().
 */

/*
 * Open (creating) path. migrations is a NULL-terminated list of SQL scripts;
 * migrations[i] runs (in a transaction) when user_version <= i. *out is the caller's,
 * closed with sw_store_close().
 */
int sw_store_open(sqlite3 **out, const char *path, const char *const *migrations);
void sw_store_close(sqlite3 *db);

/* Run SQL without results. 0 or negative with SQLite's message. */
int sw_store_exec(sqlite3 *db, const char *sql);

/* Prepare sql into *stmt (the caller sqlite3_finalize()s it). */
int sw_store_prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql);

/*
 * Run sql (one statement, one '?' bound to the text arg) without results: the number of
 * rows it changed, or SW_ERROR with "what: SQLite's message".
 */
int sw_store_exec_text(sqlite3 *db, const char *sql, const char *arg, const char *what);

/* The same with n '?'s, bound in order to the texts args[0..n-1] (a NULL one binds NULL). */
int sw_store_exec_texts(sqlite3 *db, const char *sql, const char *const *args, int n, const char *what);

/*
 * Look one row up by one key: run sql (one '?' bound to the text arg) for its first row.
 * 1 with *st on that row (the caller reads its columns, then sqlite3_finalize()s *st),
 * 0 when there is none, or SW_ERROR with "what: SQLite's message" (for both, *st is
 * finalized and NULL).
 */
int sw_store_row_text(sqlite3 *db, sqlite3_stmt **st, const char *sql, const char *arg, const char *what);

/* The same with n '?'s, bound in order to the texts args[0..n-1] (a NULL one binds NULL). */
int sw_store_row_texts(sqlite3 *db, sqlite3_stmt **st, const char *sql, const char *const *args, int n,
		       const char *what);

/*
 * Run st, a prepared statement that returns no rows (its values bound), and finalize it:
 * 0, or SW_ERROR with "what: SQLite's message". st is finalized either way.
 */
int sw_store_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what);

/* Set the error slot from db's last error: "what: message". Returns SW_ERROR. */
int sw_store_error(sqlite3 *db, const char *what);

#endif
