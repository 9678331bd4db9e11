#include <stddef.h>
#include <time.h>

#include "receiver/db.h"
#include "common/event.h"
#include "common/store.h"
#include "releaser/tables.h"
#include "common/banned.h"

/* The builds table's columns that every version of it has, before and after its status. */
#define BUILDS_HEAD \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  app TEXT NOT NULL REFERENCES apps(name)," \
	"  ref TEXT NOT NULL," \
	"  old_sha TEXT NOT NULL," \
	"  commit_sha TEXT NOT NULL," \
	"  options TEXT NOT NULL DEFAULT '[]',"
#define BUILDS_TAIL \
	"  reason TEXT," \
	"  image TEXT," \
	"  digest TEXT," \
	"  size INTEGER," \
	"  reused INTEGER NOT NULL DEFAULT 0," \
	"  created_at REAL NOT NULL," \
	"  started_at REAL," \
	"  finished_at REAL"

/* Tokens, apps, builds. */
static const char tokens_apps_builds[] =
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  created_at REAL NOT NULL);"
	"CREATE TABLE apps ("
	"  name TEXT PRIMARY KEY,"
	"  created_at REAL NOT NULL);"
	"CREATE TABLE builds ("
	BUILDS_HEAD
	"  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),"
	BUILDS_TAIL ");"
	"CREATE INDEX builds_by_app ON builds(app, id);"
	"CREATE INDEX builds_by_status ON builds(status);";

/*
 * Events (common/event.h), webhooks and their deliveries (webhook.h); builds get the
 * status "cancelled", who pushed, who cancelled, and detached pushes (SQLite cannot
 * change a CHECK constraint: the table is rebuilt).
 */
static const char events_webhooks_cancel[] =
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
	BUILDS_HEAD
	"  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled')),"
	BUILDS_TAIL ","
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
	"CREATE INDEX builds_by_status ON builds(status);";

/* Release commands (rollback, config, scale) are jobs too: a build's kind, and the release a command made. */
static const char build_kinds[] =
	"ALTER TABLE builds ADD COLUMN kind TEXT NOT NULL DEFAULT 'build'"
	"  CHECK (kind IN ('build','rollback','config','scale'));"
	"ALTER TABLE builds ADD COLUMN release_version INTEGER;";

/*
 * Jobs are numbered per app (number: #1 is an app's first; id stays the server-wide key),
 * and a failed one says which part failed: its image build, or its release.
 */
static const char build_numbers[] =
	"ALTER TABLE builds ADD COLUMN number INTEGER;"
	"ALTER TABLE builds ADD COLUMN failed_stage TEXT CHECK (failed_stage IN ('build','release'));"
	"UPDATE builds SET number = (SELECT COUNT(*) FROM builds b WHERE b.app = builds.app AND b.id <= builds.id);"
	"UPDATE builds SET failed_stage = CASE WHEN kind <> 'build' OR EXISTS (SELECT 1 FROM releases r"
	"  WHERE r.app = builds.app AND r.job_id = builds.id) THEN 'release' ELSE 'build' END"
	"  WHERE status IN ('failed', 'cancelled');"
	"CREATE UNIQUE INDEX builds_by_number ON builds(app, number);";

/*
 * Users, their roles on apps, their SSH keys; tokens belong to a user, may be limited
 * to one app or a lower role, expire, and stay (revoked) when revoked, so a revoked
 * token is never taken back in. Every token made before users existed belongs to the
 * admin user, so it keeps working.
 */
static const char users_roles_keys[] =
	"CREATE TABLE users ("
	"  name TEXT PRIMARY KEY,"
	"  admin INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL,"
	"  created_by TEXT);"
	"INSERT INTO users(name, admin, created_at, created_by)"
	"  VALUES ('admin', 1, (julianday('now') - 2440587.5) * 86400.0, 'slipwayd');"
	"ALTER TABLE tokens ADD COLUMN user TEXT NOT NULL DEFAULT 'admin';"
	"ALTER TABLE tokens ADD COLUMN app TEXT;"
	"ALTER TABLE tokens ADD COLUMN role TEXT;"
	"ALTER TABLE tokens ADD COLUMN expires_at REAL;"
	"ALTER TABLE tokens ADD COLUMN last_used_at REAL;"
	"ALTER TABLE tokens ADD COLUMN revoked_at REAL;"
	"ALTER TABLE tokens ADD COLUMN created_by TEXT;"
	"CREATE INDEX tokens_by_user ON tokens(user, name);"
	"CREATE TABLE access ("
	"  app TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('read','deploy','operate')),"
	"  created_at REAL NOT NULL,"
	"  created_by TEXT,"
	"  PRIMARY KEY (app, user));"
	"CREATE INDEX access_by_user ON access(user);"
	"CREATE TABLE ssh_keys ("
	"  fingerprint TEXT PRIMARY KEY,"
	"  user TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  comment TEXT NOT NULL DEFAULT '',"
	"  created_at REAL NOT NULL,"
	"  last_used_at REAL);"
	"CREATE INDEX ssh_keys_by_user ON ssh_keys(user);";

/*
 * Promotions are jobs too (a build's kind 'promote': SQLite cannot change a CHECK
 * constraint, so the table is rebuilt), and apps are linked in pipelines (pipeline.h).
 */
static const char promote_pipelines[] =
	"CREATE TABLE builds_new ("
	BUILDS_HEAD
	"  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled')),"
	BUILDS_TAIL ","
	"  pushed_by TEXT,"
	"  cancelled_by TEXT,"
	"  detached INTEGER NOT NULL DEFAULT 0,"
	"  kind TEXT NOT NULL DEFAULT 'build' CHECK (kind IN ('build','rollback','config','scale','promote')),"
	"  release_version INTEGER,"
	"  number INTEGER,"
	"  failed_stage TEXT CHECK (failed_stage IN ('build','release')));"
	"INSERT INTO builds_new(id, app, ref, old_sha, commit_sha, options, status, reason, image, digest, size,"
	"  reused, created_at, started_at, finished_at, pushed_by, cancelled_by, detached, kind, release_version,"
	"  number, failed_stage)"
	" SELECT id, app, ref, old_sha, commit_sha, options, status, reason, image, digest, size, reused,"
	"  created_at, started_at, finished_at, pushed_by, cancelled_by, detached, kind, release_version,"
	"  number, failed_stage FROM builds;"
	"DROP TABLE builds;"
	"ALTER TABLE builds_new RENAME TO builds;"
	"CREATE INDEX builds_by_app ON builds(app, id);"
	"CREATE INDEX builds_by_status ON builds(status);"
	"CREATE UNIQUE INDEX builds_by_number ON builds(app, number);"
	"CREATE TABLE pipelines ("
	"  app TEXT PRIMARY KEY,"
	"  pipeline TEXT NOT NULL,"
	"  stage TEXT NOT NULL CHECK (stage IN ('staging','production')),"
	"  created_at REAL NOT NULL);";

int sw_db_open(sqlite3 **out, const char *path)
{
	/*
	 * One numbered sequence (PRAGMA user_version) for slipwayd's tables and the
	 * releaser's (releaser/tables.h), in the order they were written: no position ever
	 * moves, so a database any earlier slipwayd made continues where it stopped. A new
	 * migration, slipwayd's or the releaser's, goes at the end.
	 */
	const char *const migrations[] = {
		tokens_apps_builds,          /* 1 */
		sw_tables_migration(1),      /* 2: releases */
		events_webhooks_cancel,      /* 3 */
		sw_tables_migration(2),      /* 4: review apps */
		build_kinds,                 /* 5 */
		build_numbers,               /* 6 */
		sw_tables_migration(3),      /* 7: deploy settings */
		users_roles_keys,            /* 8 */
		promote_pipelines,           /* 9 */
		sw_tables_migration(4),      /* 10: releases of kind promote, domains, certs */
		sw_tables_migration(5),      /* 11: app settings */
		NULL,
	};

	return sw_store_open(out, path, migrations);
}
