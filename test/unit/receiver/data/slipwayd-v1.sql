-- slipwayd.db as slipwayd made it with its first 1 migrations (PRAGMA user_version 1)
PRAGMA user_version=1;
CREATE TABLE apps (  name TEXT PRIMARY KEY,  created_at REAL NOT NULL);
INSERT INTO "apps" VALUES('hello',1700000001.0);
CREATE TABLE builds (  id INTEGER PRIMARY KEY AUTOINCREMENT,  app TEXT NOT NULL REFERENCES apps(name),  ref TEXT NOT NULL,  old_sha TEXT NOT NULL,  commit_sha TEXT NOT NULL,  options TEXT NOT NULL DEFAULT '[]',  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),  reason TEXT,  image TEXT,  digest TEXT,  size INTEGER,  reused INTEGER NOT NULL DEFAULT 0,  created_at REAL NOT NULL,  started_at REAL,  finished_at REAL);
INSERT INTO "builds" VALUES(1,'hello','refs/heads/main','0000000000000000000000000000000000000000','aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','[]','succeeded',NULL,NULL,NULL,NULL,0,1700000002.0,NULL,1700000009.0);
CREATE TABLE tokens (  id INTEGER PRIMARY KEY,  name TEXT NOT NULL,  hash TEXT NOT NULL UNIQUE,  created_at REAL NOT NULL);
INSERT INTO "tokens" VALUES(1,'admin','abababababababababababababababababababababababababababababababab',1700000000.5);
CREATE INDEX builds_by_app ON builds(app, id);
CREATE INDEX builds_by_status ON builds(status);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('builds',1);
