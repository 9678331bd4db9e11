#include <stddef.h>
#include <time.h>

#include "receiver/db.h"
#include "common/event.h"
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
	/* 3: events (common/event.h), webhooks and their deliveries (webhook.h); builds
	 * get the status "cancelled", who pushed, who cancelled, and detached pushes
	 * (SQLite cannot change a CHECK constraint: the table is rebuilt) */
	SW_EVENT_SCHEMA
	"CREATE TABLE webhooks ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  app TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  events TEXT NOT NULL DEFAULT '',"
	"  secret TEXT NOT NULL,"
	"  created_by TEXT,"
	"  created_at REAL NOT NULL,"
	"  after_event INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX webhooks_by_app ON webhooks(app);"
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  webhook INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"
	"  event INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at REAL NOT NULL,"
	"  response_code INTEGER,"
	"  error TEXT,"
	"  duration REAL,"
	"  created_at REAL NOT NULL,"
	"  finished_at REAL,"
	"  UNIQUE (webhook, event));"
	"CREATE INDEX deliveries_pending ON deliveries(webhook, id) WHERE status = 'pending';"
	"CREATE TABLE webhook_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), event INTEGER NOT NULL);"
	"INSERT INTO webhook_cursor(id, event) VALUES (1, 0);"
	"CREATE TABLE builds_new ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  app TEXT NOT NULL REFERENCES apps(name),"
	"  ref TEXT NOT NULL,"
	"  old_sha TEXT NOT NULL,"
	"  commit_sha TEXT NOT NULL,"
	"  options TEXT NOT NULL DEFAULT '[]',"
	"  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled')),"
	"  reason TEXT,"
	"  image TEXT,"
	"  digest TEXT,"
	"  size INTEGER,"
	"  reused INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL,"
	"  started_at REAL,"
	"  finished_at REAL,"
	"  pushed_by TEXT,"
	"  cancelled_by TEXT,"
	"  detached INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO builds_new(id, app, ref, old_sha, commit_sha, options, status, reason, image, digest, size,"
	"  reused, created_at, started_at, finished_at)"
	" SELECT id, app, ref, old_sha, commit_sha, options, status, reason, image, digest, size, reused,"
	"  created_at, started_at, finished_at FROM builds;"
	"DROP TABLE builds;"
	"ALTER TABLE builds_new RENAME TO builds;"
	"CREATE INDEX builds_by_app ON builds(app, id);"
	"CREATE INDEX builds_by_status ON builds(status);",
	/* 4: review apps (issue 8): reviews, review_settings (releaser/review.h) */
#include "releaser/review_migrations.inc"
	/* 5: ops (issue 7): release commands (rollback, config, scale) are jobs too: a build's
	 * kind, and the release a command made */
	"ALTER TABLE builds ADD COLUMN kind TEXT NOT NULL DEFAULT 'build'"
	"  CHECK (kind IN ('build','rollback','config','scale'));"
	"ALTER TABLE builds ADD COLUMN release_version INTEGER;",
	/* Next migrations go here, at the end (a releaser one in a second .inc file). */
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
