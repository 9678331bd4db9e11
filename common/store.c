#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/store.h"
#include "common/error.h"
#include "common/banned.h"

int sw_store_error(sqlite3 *db, const char *what)
{
	return sw_error("%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
}

int sw_store_exec_texts(sqlite3 *db, const char *sql, const char *const *args, int n, const char *what)
{
	sqlite3_stmt *st = NULL;
	int i, ret;

	if (sw_store_prepare(db, &st, sql) < 0)
		return SW_ERROR;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
	ret = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db) : sw_store_error(db, what);
	sqlite3_finalize(st);
	return ret;
}

int sw_store_exec_text(sqlite3 *db, const char *sql, const char *arg, const char *what)
{
	return sw_store_exec_texts(db, sql, &arg, 1, what);
}

int sw_store_row_texts(sqlite3 *db, sqlite3_stmt **st, const char *sql, const char *const *args, int n,
		       const char *what)
{
	int i, rc;

	*st = NULL;
	if (sw_store_prepare(db, st, sql) < 0)
		return SW_ERROR;
	for (i = 0; i < n; i++)
		sqlite3_bind_text(*st, i + 1, args[i], -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW)
		return 1;
	rc = rc == SQLITE_DONE ? 0 : sw_store_error(db, what);
	sqlite3_finalize(*st);
	*st = NULL;
	return rc;
}

int sw_store_row_text(sqlite3 *db, sqlite3_stmt **st, const char *sql, const char *arg, const char *what)
{
	return sw_store_row_texts(db, st, sql, &arg, 1, what);
}

int sw_store_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int ret = sqlite3_step(st) == SQLITE_DONE ? 0 : sw_store_error(db, what);
	sqlite3_finalize(st);
	return ret;
}

int sw_store_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sw_error("sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return SW_ERROR;
	}
	return 0;
}

int sw_store_prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK)
		return sw_store_error(db, "sqlite prepare");
	return 0;
}

static int user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int ret = SW_ERROR;
	if (sw_store_prepare(db, &st, "PRAGMA user_version") < 0)
		return SW_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		ret = 0;
	} else {
		sw_store_error(db, "user_version");
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_store_open(sqlite3 **out, const char *path, const char *const *migrations)
{
	sqlite3 *db = NULL;
	int version = 0;
	int i;

	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		sw_error("open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, 10000);
	/* state files hold secrets' hashes and config values: their owner's only, whatever
	 * umask made them (an older engine's were 0644) */
	if (path[0] && strcmp(path, ":memory:"))
		chmod(path, 0600);
	if (sw_store_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;") < 0)
		goto fail;
	if (user_version(db, &version) < 0)
		goto fail;
	for (i = 0; migrations && migrations[i]; i++) {
		char pragma[64];
		if (i < version)
			continue;
		if (sw_store_exec(db, "BEGIN IMMEDIATE") < 0)
			goto fail;
		/* another process may have migrated while we waited for the lock */
		if (user_version(db, &version) < 0 || i < version) {
			sw_store_exec(db, "ROLLBACK");
			if (i < version)
				continue;
			goto fail;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", i + 1);
		if (sw_store_exec(db, migrations[i]) < 0 || sw_store_exec(db, pragma) < 0) {
			sw_error_prefix("%s: migration %d", path, i + 1);
			sw_store_exec(db, "ROLLBACK");
			goto fail;
		}
		if (sw_store_exec(db, "COMMIT") < 0)
			goto fail;
	}
	*out = db;
	return 0;

fail:
	sqlite3_close(db);
	return SW_ERROR;
}

void sw_store_close(sqlite3 *db)
{
	sqlite3_close(db);
}
