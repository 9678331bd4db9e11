/* The SQLite store: numbered migrations applied once each, in order; statements run once; errors named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/store.h"
#include "common/error.h"
#include "common/banned.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/sw-test-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];
	static const char *const files[] = { "", "-wal", "-shm" };
	size_t i;
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, files[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n = -1;
	assert_int_equal(sw_store_prepare(db, &st, sql), 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A database made with the first migrations continues with the later ones, and none runs twice. */
static void migrations_run_once_in_order(void **state)
{
	struct fixture *f = *state;
	const char *const first[] = { "CREATE TABLE apps(name TEXT PRIMARY KEY)",
				      "INSERT INTO apps VALUES ('hello')", NULL };
	const char *const later[] = { first[0], first[1], "ALTER TABLE apps ADD COLUMN created_at REAL", NULL };
	sqlite3 *db = NULL;

	assert_int_equal(sw_store_open(&db, f->path, first), 0);
	assert_int_equal(count(db, "PRAGMA user_version"), 2);
	sw_store_close(db);
	assert_int_equal(sw_store_open(&db, f->path, later), 0);
	assert_int_equal(count(db, "PRAGMA user_version"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM apps"), 1);   /* the insert did not run again */
	assert_int_equal(count(db, "SELECT count(*) FROM apps WHERE created_at IS NULL"), 1);
	sw_store_close(db);
}

/* A failing migration is rolled back whole and named; the database stays as it was. */
static void failed_migration_changes_nothing(void **state)
{
	struct fixture *f = *state;
	const char *const good[] = { "CREATE TABLE apps(name TEXT PRIMARY KEY)", NULL };
	const char *const bad[] = { good[0], "CREATE TABLE builds(id INTEGER); SELECT nope FROM nowhere", NULL };
	sqlite3 *db = NULL;

	assert_int_equal(sw_store_open(&db, f->path, good), 0);
	sw_store_close(db);
	assert_int_equal(sw_store_open(&db, f->path, bad), SW_ERROR);
	assert_null(db);
	assert_non_null(strstr(sw_error_last(), "state.db: migration 2: sqlite: no such table: nowhere"));
	assert_int_equal(sw_store_open(&db, f->path, good), 0);
	assert_int_equal(count(db, "PRAGMA user_version"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'builds'"), 0);
	sw_store_close(db);
}

static void statements_run_once(void **state)
{
	struct fixture *f = *state;
	const char *const schema[] = { "CREATE TABLE apps(name TEXT PRIMARY KEY)", NULL };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sw_store_open(&db, f->path, schema), 0);
	assert_int_equal(sw_store_prepare(db, &st, "INSERT INTO apps VALUES (?)"), 0);
	sqlite3_bind_text(st, 1, "hello", -1, SQLITE_STATIC);
	assert_int_equal(sw_store_step_done(db, st, "record app"), 0);
	assert_int_equal(sw_store_prepare(db, &st, "INSERT INTO apps VALUES (?)"), 0);
	sqlite3_bind_text(st, 1, "hello", -1, SQLITE_STATIC);
	assert_int_equal(sw_store_step_done(db, st, "record app"), SW_ERROR);   /* finalized all the same */
	assert_string_equal(sw_error_last(), "record app: UNIQUE constraint failed: apps.name");

	assert_int_equal(sw_store_exec_text(db, "INSERT INTO apps VALUES (?)", "world", "record app"), 1);
	assert_int_equal(sw_store_exec_text(db, "DELETE FROM apps WHERE name = ?", "nobody", "remove app"), 0);
	assert_int_equal(sw_store_exec_text(db, "DELETE FROM apps WHERE name <> ?", "", "remove apps"), 2);
	assert_int_equal(sw_store_exec_texts(db, "INSERT INTO apps VALUES (?), (?), (?)",
					     (const char *[]){ "a", "b", "c" }, 3, "record apps"), 3);
	assert_int_equal(sw_store_exec_texts(db, "DELETE FROM apps WHERE name = ? OR name = ?",
					     (const char *[]){ "a", "c" }, 2, "remove apps"), 2);
	assert_int_equal(sw_store_exec_texts(db, "INSERT INTO apps VALUES (?), (?)", (const char *[]){ "b", "d" }, 2,
					     "record apps"), SW_ERROR);
	assert_string_equal(sw_error_last(), "record apps: UNIQUE constraint failed: apps.name");
	assert_int_equal(sw_store_row_texts(db, &st, "SELECT name FROM apps WHERE name IN (?, ?)",
					    (const char *[]){ "nobody", "b" }, 2, "read apps"), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "b");
	sqlite3_finalize(st);
	assert_int_equal(sw_store_row_texts(db, &st, "SELECT name FROM apps WHERE name = ? AND name = ?",
					    (const char *[]){ "b", "c" }, 2, "read apps"), 0);
	assert_null(st);
	assert_int_equal(sw_store_prepare(db, &st, "SELECT nope FROM apps"), SW_ERROR);
	assert_string_equal(sw_error_last(), "sqlite prepare: no such column: nope");
	assert_int_equal(sw_store_exec(db, "DROP TABLE missing"), SW_ERROR);
	assert_string_equal(sw_error_last(), "sqlite: no such table: missing");
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(migrations_run_once_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_migration_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(statements_run_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
