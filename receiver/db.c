#include <stddef.h>
#include <time.h>

#include "receiver/db.h"
#include "common/store.h"
#include "common/banned.h"

static const char *const migrations[] = {
	/* 1: tokens, apps, builds */
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  created_at REAL NOT NULL);"
	"CREATE TABLE apps ("
	"  name TEXT PRIMARY KEY,"
	"  created_at REAL NOT NULL);"
	"CREATE TABLE builds ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  app TEXT NOT NULL REFERENCES apps(name),"
	"  ref TEXT NOT NULL,"
	"  old_sha TEXT NOT NULL,"
	"  commit_sha TEXT NOT NULL,"
	"  options TEXT NOT NULL DEFAULT '[]',"
	"  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),"
	"  reason TEXT,"
	"  image TEXT,"
	"  digest TEXT,"
	"  size INTEGER,"
	"  reused INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL,"
	"  started_at REAL,"
	"  finished_at REAL);"
	"CREATE INDEX builds_by_app ON builds(app, id);"
	"CREATE INDEX builds_by_status ON builds(status);",
	/* 2..: the releaser's tables (releases, release_routes); that file only ever grows */
#include "releaser/release_migrations.inc"
	NULL,
};

int sw_db_open(sqlite3 **out, const char *path)
{
	return sw_store_open(out, path, migrations);
}

double sw_db_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
