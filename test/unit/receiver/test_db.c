#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "receiver/db.h"
#include "common/buf.h"
#include "common/store.h"
#include "common/banned.h"

/*
 * slipwayd's schema: its tables and the releaser's (releaser/tables.h) in one sequence.
 * data/schema.txt is sqlite_master of a database a new slipwayd makes (all its migrations);
 * data/slipwayd-vN.sql are databases it left after N migrations
 * (with a few rows), as an older slipwayd would have.
 */
#define DATA "test/unit/receiver/data/"

static void read_file(const char *path, struct sw_buf *out)
{
	char tmp[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		sw_buf_add(out, tmp, n);
	fclose(f);
}

/* "type|name|tbl_name|sql" of every schema object, by type and name, one a line. */
static void schema_of(sqlite3 *db, struct sw_buf *out)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sw_store_prepare(db, &st, "SELECT type, name, tbl_name, ifnull(sql, '') FROM sqlite_master"
					  " ORDER BY type, name"), 0);
	while (sqlite3_step(st) == SQLITE_ROW)
		sw_buf_addf(out, "%s|%s|%s|%s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			    sqlite3_column_text(st, 2), sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static int int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	assert_int_equal(sw_store_prepare(db, &st, sql), 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void assert_current_schema(sqlite3 *db)
{
	struct sw_buf want = SW_BUF_INIT, got = SW_BUF_INIT;

	read_file(DATA "schema.txt", &want);
	schema_of(db, &got);
	assert_string_equal(got.ptr, want.ptr);
	assert_int_equal(int_of(db, "PRAGMA user_version"), 11);
	sw_buf_release(&want);
	sw_buf_release(&got);
}

static void new_database_has_the_schema(void **state)
{
	sqlite3 *db = NULL;
	(void)state;
	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_current_schema(db);
	sw_store_close(db);
}

/* An older slipwayd's database (version after its first `version` migrations) opens and migrates. */
static void migrate_from(int version)
{
	char path[] = "/tmp/sw-test-db-XXXXXX";
	struct sw_buf file = SW_BUF_INIT, sql = SW_BUF_INIT;
	sqlite3 *db = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	sw_buf_addf(&file, DATA "slipwayd-v%d.sql", version);
	read_file(file.ptr, &sql);
	assert_int_equal(sw_store_open(&db, path, NULL), 0);
	assert_int_equal(sw_store_exec(db, sql.ptr), 0);
	assert_int_equal(int_of(db, "PRAGMA user_version"), version);
	sw_store_close(db);

	db = NULL;
	assert_int_equal(sw_db_open(&db, path), 0);
	assert_current_schema(db);
	/* what it held is still there, with the columns later migrations added */
	assert_int_equal(int_of(db, "SELECT COUNT(*) FROM builds WHERE app = 'hello' AND status = 'succeeded'"
				" AND kind = 'build' AND detached = 0"), 1);
	/* jobs numbered per app, the first #1 */
	assert_int_equal(int_of(db, "SELECT MIN(number) FROM builds WHERE app = 'hello'"), 1);
	assert_int_equal(int_of(db, "SELECT COUNT(*) FROM tokens WHERE name = 'admin'"), 1);
	/* tokens made before users belong to the admin user, who is an admin */
	assert_int_equal(int_of(db, "SELECT COUNT(*) FROM tokens WHERE user <> 'admin'"), 0);
	assert_int_equal(int_of(db, "SELECT admin FROM users WHERE name = 'admin'"), 1);
	if (version >= 3)
		assert_int_equal(int_of(db, "SELECT COUNT(*) FROM releases WHERE app = 'hello' AND version = 1"), 1);
	sw_store_close(db);
	unlink(path);
	sw_buf_reset(&file);
	sw_buf_addf(&file, "%s-wal", path);
	unlink(file.ptr);
	sw_buf_reset(&file);
	sw_buf_addf(&file, "%s-shm", path);
	unlink(file.ptr);
	sw_buf_release(&file);
	sw_buf_release(&sql);
}

static void old_databases_migrate(void **state)
{
	(void)state;
	migrate_from(1);
	migrate_from(3);
	migrate_from(5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_database_has_the_schema),
		cmocka_unit_test(old_databases_migrate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
