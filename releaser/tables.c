#include <stddef.h>

#include "releaser/tables.h"
#include "common/banned.h"

/* 1: releases; times in seconds since the epoch (REAL), as in slipwayd's own tables */
static const char releases[] =
	"CREATE TABLE releases ("
	"  id INTEGER PRIMARY KEY,"
	"  app TEXT NOT NULL,"
	"  version INTEGER NOT NULL CHECK (version > 0),"
	"  status TEXT NOT NULL CHECK (status IN ('pending','deploying','live','failed','rolled back')),"
	"  kind TEXT NOT NULL CHECK (kind IN ('push','rollback','config','scale')),"
	"  description TEXT NOT NULL,"
	"  commit_sha TEXT,"
	"  image TEXT,"
	"  digest TEXT,"
	"  config TEXT NOT NULL DEFAULT '{}',"
	"  formation TEXT NOT NULL DEFAULT '{}',"
	"  manifest TEXT NOT NULL DEFAULT '{}',"
	"  state TEXT NOT NULL DEFAULT '{}',"
	"  release_ran INTEGER NOT NULL DEFAULT 0,"
	"  rollback_of INTEGER NOT NULL DEFAULT 0,"
	"  rolled_back_to INTEGER NOT NULL DEFAULT 0,"
	"  created_by TEXT NOT NULL DEFAULT '',"
	"  job_id INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT,"
	"  tagged INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL,"
	"  started_at REAL NOT NULL DEFAULT 0,"
	"  finished_at REAL NOT NULL DEFAULT 0,"
	"  UNIQUE (app, version)"
	");"
	"CREATE INDEX releases_unfinished ON releases (status) WHERE status IN ('pending', 'deploying');";

/* 2: review apps: one row per branch that has (or had) one, and per-app settings */
static const char reviews[] =
	"CREATE TABLE reviews ("
	"  app TEXT PRIMARY KEY,"
	"  parent TEXT NOT NULL,"
	"  branch TEXT NOT NULL,"
	"  slug TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active','destroyed')),"
	"  created_at REAL NOT NULL,"
	"  last_push_at REAL NOT NULL,"
	"  destroyed_at REAL,"
	"  destroyed_reason TEXT,"
	"  seed_config TEXT NOT NULL DEFAULT '{}',"
	"  seed_version INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (parent, branch)"
	");"
	"CREATE INDEX reviews_by_parent ON reviews(parent, status);"
	"CREATE TABLE review_settings ("
	"  app TEXT PRIMARY KEY,"
	"  max_reviews INTEGER,"
	"  idle_secs INTEGER"
	");";

/* deploy:settings (strategy.h): {key: value} per app */
static const char *const deploy_settings =
	"CREATE TABLE deploy_settings ("
	"  app TEXT PRIMARY KEY,"
	"  settings TEXT NOT NULL"
	");";

/*
 * 4: promotions are releases of their own kind (SQLite cannot change a CHECK constraint:
 * the table is rebuilt); an app's custom domains (domains.h), the certificates served
 * for them (certs.h), and its routing settings (HTTP to HTTPS redirect).
 */
static const char promote_domains[] =
	"CREATE TABLE releases_new ("
	"  id INTEGER PRIMARY KEY,"
	"  app TEXT NOT NULL,"
	"  version INTEGER NOT NULL CHECK (version > 0),"
	"  status TEXT NOT NULL CHECK (status IN ('pending','deploying','live','failed','rolled back')),"
	"  kind TEXT NOT NULL CHECK (kind IN ('push','rollback','config','scale','promote')),"
	"  description TEXT NOT NULL,"
	"  commit_sha TEXT,"
	"  image TEXT,"
	"  digest TEXT,"
	"  config TEXT NOT NULL DEFAULT '{}',"
	"  formation TEXT NOT NULL DEFAULT '{}',"
	"  manifest TEXT NOT NULL DEFAULT '{}',"
	"  state TEXT NOT NULL DEFAULT '{}',"
	"  release_ran INTEGER NOT NULL DEFAULT 0,"
	"  rollback_of INTEGER NOT NULL DEFAULT 0,"
	"  rolled_back_to INTEGER NOT NULL DEFAULT 0,"
	"  created_by TEXT NOT NULL DEFAULT '',"
	"  job_id INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT,"
	"  tagged INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL,"
	"  started_at REAL NOT NULL DEFAULT 0,"
	"  finished_at REAL NOT NULL DEFAULT 0,"
	"  UNIQUE (app, version)"
	");"
	"INSERT INTO releases_new SELECT * FROM releases;"
	"DROP TABLE releases;"
	"ALTER TABLE releases_new RENAME TO releases;"
	"CREATE INDEX releases_unfinished ON releases (status) WHERE status IN ('pending', 'deploying');"
	"CREATE TABLE domains ("
	"  host TEXT PRIMARY KEY,"
	"  app TEXT NOT NULL,"
	"  created_at REAL NOT NULL"
	");"
	"CREATE INDEX domains_by_app ON domains(app);"
	"CREATE TABLE certs ("
	"  host TEXT PRIMARY KEY,"
	"  app TEXT NOT NULL,"
	"  arn TEXT NOT NULL,"
	"  not_after REAL NOT NULL,"
	"  created_at REAL NOT NULL"
	");"
	"CREATE TABLE route_settings ("
	"  app TEXT PRIMARY KEY,"
	"  https_redirect INTEGER NOT NULL DEFAULT 0"
	");";

/* 5: an app's own settings (appsettings.h): the IAM role its tasks run as */
static const char app_settings[] =
	"CREATE TABLE app_settings ("
	"  app TEXT PRIMARY KEY,"
	"  task_role_arn TEXT"
	");";

const char *sw_tables_migration(int n)
{
	switch (n) {
	case 1:
		return releases;
	case 2:
		return reviews;
	case 3:
		return deploy_settings;
	case 4:
		return promote_domains;
	case 5:
		return app_settings;
	default:
		return NULL;
	}
}
