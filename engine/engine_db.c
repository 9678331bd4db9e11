#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_db.h"
#include "common/error.h"
#include "common/json.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE clusters (name TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE services (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE tasks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
	"CREATE TABLE taskdefs (family TEXT NOT NULL, revision INTEGER NOT NULL,"
	"  arn TEXT NOT NULL UNIQUE, status TEXT NOT NULL, registered_at REAL NOT NULL,"
	"  doc TEXT NOT NULL, PRIMARY KEY (family, revision));"
	"CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, service INTEGER NOT NULL,"
	"  id TEXT NOT NULL, created_at REAL NOT NULL, message TEXT NOT NULL);"
	"CREATE INDEX events_by_service ON events (service, seq);"
	"CREATE TABLE tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	"  PRIMARY KEY (arn, key));"
	"CREATE TABLE repositories (name TEXT PRIMARY KEY, created_at REAL NOT NULL, doc TEXT NOT NULL);",
	/* 2: ELBv2 (engine/elb/object.c, target.c): load balancers, target groups, listeners, rules as
	 *    documents (kind: loadbalancer|targetgroup|listener|rule), and targets */
	"CREATE TABLE elb_objects (arn TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at REAL NOT NULL,"
	"  doc TEXT NOT NULL);"
	"CREATE TABLE elb_targets (tg_arn TEXT NOT NULL, id TEXT NOT NULL, port INTEGER NOT NULL,"
	"  addr TEXT NOT NULL, draining INTEGER NOT NULL, registered_at REAL NOT NULL,"
	"  drain_until REAL NOT NULL, PRIMARY KEY (tg_arn, id, port));",
	/* 3: ELBv2: a target's container address ("ip:port") the router dials when it can */
	"ALTER TABLE elb_targets ADD COLUMN direct TEXT;",
	/* 4: ELBv2: the ECS task a target stands for (its router server is named after it) */
	"ALTER TABLE elb_targets ADD COLUMN task TEXT;",
	NULL,
};

int sw_engine_db_open(sqlite3 **out, const char *path)
{
	return sw_store_open(out, path, migrations);
}

int sw_engine_db_begin(sqlite3 *db)
{
	return sw_store_exec(db, "BEGIN IMMEDIATE");
}

int sw_engine_db_commit(sqlite3 *db)
{
	return sw_store_exec(db, "COMMIT");
}

int sw_engine_db_meta_get(sqlite3 *db, const char *key, struct sw_buf *out)
{
	sqlite3_stmt *st = NULL;
	int ret = sw_store_row_text(db, &st, "SELECT value FROM meta WHERE key = ?", key, "meta");

	if (ret == 0)
		return sw_error_code(SW_ENOTFOUND, "meta %s: not set", key);
	if (ret < 0)
		return ret;
	sw_buf_reset(out);
	sw_buf_adds(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

static int exec2(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;

	if (sw_store_prepare(db, &st, sql) < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(db, "save");
	sqlite3_finalize(st);
	return ret;
}

int sw_engine_db_meta_set(sqlite3 *db, const char *key, const char *value)
{
	return exec2(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
}

/* ---- documents ---------------------------------------------------------------- */

/*
 * The state's structs as JSON documents, field by field: one table per struct says
 * which member goes under which key, both ways. Strings and JSON values are left out
 * when NULL, times (K_NUM) when 0; enums are stored as their int unless they have a
 * name (the statuses, written below).
 */
enum kind { K_STR, K_NUM, K_LL, K_INT, K_ENUM, K_JSON };

struct field {
	const char *key;
	enum kind kind;
	size_t off;
};

_Static_assert(sizeof(enum sw_engine_health) == sizeof(int) && sizeof(enum sw_engine_task_lb) == sizeof(int),
	       "K_ENUM members are stored as an int");

#define TASK(key, kind, member) { key, kind, offsetof(struct sw_engine_task, member) }
static const struct field task_fields[] = {
	TASK("arn", K_STR, arn), TASK("id", K_STR, id), TASK("cluster", K_STR, cluster),
	TASK("taskdef", K_STR, taskdef), TASK("family", K_STR, family), TASK("group", K_STR, group),
	TASK("startedBy", K_STR, started_by), TASK("launchType", K_STR, launch_type),
	TASK("service", K_LL, service_id), TASK("deployment", K_STR, deployment),
	TASK("desiredRunning", K_INT, desired_running), TASK("health", K_ENUM, health),
	TASK("stopCode", K_STR, stop_code), TASK("stoppedReason", K_STR, stopped_reason),
	TASK("cpu", K_LL, cpu), TASK("memory", K_LL, memory), TASK("taskCpu", K_STR, task_cpu),
	TASK("taskMemory", K_STR, task_memory), TASK("overrides", K_JSON, overrides),
	TASK("networkMode", K_STR, network_mode), TASK("createdAt", K_NUM, created_at),
	TASK("pullStartedAt", K_NUM, pull_started_at), TASK("pullStoppedAt", K_NUM, pull_stopped_at),
	TASK("startedAt", K_NUM, started_at), TASK("stoppingAt", K_NUM, stopping_at),
	TASK("executionStoppedAt", K_NUM, execution_stopped_at), TASK("stoppedAt", K_NUM, stopped_at),
	TASK("healthyAt", K_NUM, healthy_at), TASK("connectivityAt", K_NUM, connectivity_at),
	TASK("unhealthyAt", K_NUM, unhealthy_at), TASK("version", K_LL, version), TASK("lb", K_ENUM, lb),
	TASK("drainUntil", K_NUM, drain_until), TASK("killAt", K_NUM, kill_at), TASK("failed", K_INT, failed),
	TASK("stopTimeout", K_LL, stop_timeout), TASK("capacityProvider", K_STR, capacity_provider),
	TASK("platformVersion", K_STR, platform_version), TASK("eni", K_JSON, eni), TASK("lbAlt", K_INT, lb_alt),
	{ NULL, K_STR, 0 },
};

#define CONTAINER(key, kind, member) { key, kind, offsetof(struct sw_engine_container, member) }
static const struct field container_fields[] = {
	CONTAINER("name", K_STR, name), CONTAINER("arn", K_STR, arn), CONTAINER("image", K_STR, image),
	CONTAINER("dockerId", K_STR, docker_id), CONTAINER("lastStatus", K_STR, last_status),
	CONTAINER("reason", K_STR, reason), CONTAINER("imageDigest", K_STR, image_digest), CONTAINER("ip", K_STR, ip),
	CONTAINER("health", K_ENUM, health), CONTAINER("hasHealthCheck", K_INT, has_health_check),
	CONTAINER("essential", K_INT, essential), CONTAINER("cpu", K_LL, cpu), CONTAINER("memory", K_LL, memory),
	CONTAINER("memoryReservation", K_LL, memory_reservation), CONTAINER("bindings", K_JSON, bindings),
	{ NULL, K_STR, 0 },
};

#define SERVICE(key, kind, member) { key, kind, offsetof(struct sw_engine_service, member) }
static const struct field service_fields[] = {
	SERVICE("arn", K_STR, arn), SERVICE("name", K_STR, name), SERVICE("cluster", K_STR, cluster),
	SERVICE("desired", K_INT, desired), SERVICE("taskdef", K_STR, taskdef), SERVICE("launchType", K_STR, launch_type),
	SERVICE("minPct", K_INT, min_pct), SERVICE("maxPct", K_INT, max_pct), SERVICE("cbEnable", K_INT, cb_enable),
	SERVICE("cbRollback", K_INT, cb_rollback), SERVICE("grace", K_INT, grace_s),
	SERVICE("loadBalancers", K_JSON, load_balancers), SERVICE("doc", K_JSON, doc),
	SERVICE("clientToken", K_STR, client_token), SERVICE("createdAt", K_NUM, created_at),
	SERVICE("updatedAt", K_NUM, updated_at), SERVICE("deletedAt", K_NUM, deleted_at),
	SERVICE("stableDeployment", K_STR, stable_deployment), SERVICE("stableTaskdef", K_STR, stable_taskdef),
	SERVICE("failStreak", K_INT, fail_streak), SERVICE("lastFailAt", K_NUM, last_fail_at),
	SERVICE("placeEventAt", K_NUM, place_event_at), SERVICE("steadyEventAt", K_NUM, steady_event_at),
	SERVICE("throttleEventAt", K_NUM, throttle_event_at), SERVICE("strategy", K_JSON, strategy),
	SERVICE("platformVersion", K_STR, platform_version), SERVICE("shifting", K_JSON, shifting),
	SERVICE("lbAlt", K_INT, lb_alt), { NULL, K_STR, 0 },
};

#define DEPLOYMENT(key, kind, member) { key, kind, offsetof(struct sw_engine_deployment, member) }
static const struct field deployment_fields[] = {
	DEPLOYMENT("id", K_STR, id), DEPLOYMENT("taskdef", K_STR, taskdef), DEPLOYMENT("desired", K_INT, desired),
	DEPLOYMENT("reason", K_STR, rollout_reason), DEPLOYMENT("failed", K_INT, failed_tasks),
	DEPLOYMENT("createdAt", K_NUM, created_at), DEPLOYMENT("updatedAt", K_NUM, updated_at),
	DEPLOYMENT("launchType", K_STR, launch_type), DEPLOYMENT("strategy", K_JSON, strategy),
	DEPLOYMENT("platformVersion", K_STR, platform_version), DEPLOYMENT("network", K_JSON, network),
	DEPLOYMENT("shifting", K_JSON, shifting), DEPLOYMENT("alt", K_INT, alt), DEPLOYMENT("stage", K_STR, stage),
	DEPLOYMENT("stageAt", K_NUM, stage_at), DEPLOYMENT("permille", K_INT, permille),
	DEPLOYMENT("aborted", K_INT, aborted), DEPLOYMENT("failedAtShift", K_INT, failed_at_shift),
	{ NULL, K_STR, 0 },
};

#define CLUSTER(key, kind, member) { key, kind, offsetof(struct sw_engine_cluster, member) }
static const struct field cluster_fields[] = {
	CLUSTER("name", K_STR, name), CLUSTER("arn", K_STR, arn), CLUSTER("status", K_STR, status),
	CLUSTER("createdAt", K_NUM, created_at), CLUSTER("capacityProviders", K_JSON, capacity_providers),
	CLUSTER("defaultStrategy", K_JSON, default_strategy), CLUSTER("settings", K_JSON, settings),
	CLUSTER("configuration", K_JSON, configuration), { NULL, K_STR, 0 },
};

/* The members of obj that fields name, into o. */
static void put_fields(json_t *o, const void *obj, const struct field *f)
{
	for (; f->key; f++) {
		const void *p = (const char *)obj + f->off;
		char *const *str = p;
		json_t *const *json = p;
		int i;
		switch (f->kind) {
		case K_STR:
			if (*str)
				json_object_set_new(o, f->key, json_string(*str));
			break;
		case K_NUM:
			if (*(const double *)p != 0)
				json_object_set_new(o, f->key, json_real(*(const double *)p));
			break;
		case K_LL:
			json_object_set_new(o, f->key, json_integer(*(const long long *)p));
			break;
		case K_INT:
		case K_ENUM:
			memcpy(&i, p, sizeof(i));
			json_object_set_new(o, f->key, json_integer(i));
			break;
		case K_JSON:
			if (*json)
				json_object_set(o, f->key, *json);
			break;
		}
	}
}

/* The members of obj that fields name, from o (strings and JSON values are new). */
static void get_fields(json_t *o, void *obj, const struct field *f)
{
	for (; f->key; f++) {
		void *p = (char *)obj + f->off;
		json_t *v = json_object_get(o, f->key);
		int i;
		switch (f->kind) {
		case K_STR:
			*(char **)p = json_string_value(v) ? xstrdup(json_string_value(v)) : NULL;
			break;
		case K_NUM:
			*(double *)p = json_number_value(v);
			break;
		case K_LL:
			*(long long *)p = json_integer_value(v);
			break;
		case K_INT:
		case K_ENUM:
			i = (int)json_integer_value(v);
			memcpy(p, &i, sizeof(i));
			break;
		case K_JSON:
			*(json_t **)p = v && !json_is_null(v) ? json_incref(v) : NULL;
			break;
		}
	}
}

json_t *sw_engine_db_task_doc(const struct sw_engine_task *t)
{
	json_t *o = json_object();
	json_t *cs = json_array();
	size_t i;

	put_fields(o, t, task_fields);
	json_object_set_new(o, "last", json_string(sw_engine_task_status_name(t->last)));
	for (i = 0; i < t->nr_containers; i++) {
		const struct sw_engine_container *c = &t->containers[i];
		json_t *co = json_object();
		put_fields(co, c, container_fields);
		if (c->has_exit)
			json_object_set_new(co, "exitCode", json_integer(c->exit_code));
		json_array_append_new(cs, co);
	}
	json_object_set_new(o, "containers", cs);
	return o;
}

struct sw_engine_task *sw_engine_db_task_from_doc(json_t *o)
{
	struct sw_engine_task *t = xcalloc(1, sizeof(*t));
	json_t *cs = json_object_get(o, "containers");
	int last;
	size_t i;

	get_fields(o, t, task_fields);
	if (!t->arn || !t->id || !t->cluster) {
		sw_engine_task_free(t);
		return NULL;
	}
	last = sw_engine_task_status_parse(sw_json_str(o, "last"));
	t->last = last < 0 ? SW_TASK_STOPPED : (enum sw_engine_task_status)last;
	t->counted = t->failed;
	t->nr_containers = json_array_size(cs);
	t->containers = xcalloc(t->nr_containers ? t->nr_containers : 1, sizeof(*t->containers));
	for (i = 0; i < t->nr_containers; i++) {
		json_t *co = json_array_get(cs, i);
		struct sw_engine_container *c = &t->containers[i];
		get_fields(co, c, container_fields);
		if (!c->name)
			c->name = xstrdup("?");
		if (json_object_get(co, "exitCode")) {
			c->has_exit = 1;
			c->exit_code = (int)sw_json_int(co, "exitCode", 0);
		}
	}
	return t;
}

static json_t *service_doc(const struct sw_engine_service *s)
{
	json_t *o = json_object();
	json_t *ds = json_array();
	size_t i;

	put_fields(o, s, service_fields);
	json_object_set_new(o, "status", json_string(sw_engine_service_status_name(s->status)));
	for (i = 0; i < s->nr_deps; i++) {
		const struct sw_engine_deployment *d = s->deps[i];
		json_t *d_o = json_object();
		put_fields(d_o, d, deployment_fields);
		json_object_set_new(d_o, "status", json_string(sw_engine_deployment_status_name(d->status)));
		json_object_set_new(d_o, "rollout", json_string(sw_engine_rollout_name(d->rollout)));
		json_array_append_new(ds, d_o);
	}
	json_object_set_new(o, "deployments", ds);
	return o;
}

static struct sw_engine_service *service_from_doc(long long id, json_t *o)
{
	struct sw_engine_service *s = xcalloc(1, sizeof(*s));
	json_t *ds = json_object_get(o, "deployments");
	size_t i;

	get_fields(o, s, service_fields);
	s->id = id;
	if (!s->arn || !s->name || !s->cluster) {
		sw_engine_service_free(s);
		return NULL;
	}
	s->status = sw_engine_service_status_parse(sw_json_str(o, "status"));
	for (i = 0; i < json_array_size(ds); i++) {
		json_t *d_o = json_array_get(ds, i);
		struct sw_engine_deployment *d = xcalloc(1, sizeof(*d));
		get_fields(d_o, d, deployment_fields);
		if (!d->id) {
			sw_engine_deployment_free(d);
			continue;
		}
		d->status = sw_engine_deployment_status_parse(sw_json_str(d_o, "status"));
		d->rollout = sw_engine_rollout_parse(sw_json_str(d_o, "rollout"));
		SW_ALLOC_GROW(s->deps, s->nr_deps + 1, s->alloc_deps);
		s->deps[s->nr_deps++] = d;
	}
	return s;
}

static json_t *cluster_doc(const struct sw_engine_cluster *c)
{
	json_t *o = json_object();
	put_fields(o, c, cluster_fields);
	return o;
}

static struct sw_engine_cluster *cluster_from_doc(json_t *o)
{
	struct sw_engine_cluster *c = xcalloc(1, sizeof(*c));
	get_fields(o, c, cluster_fields);
	if (!c->name || !c->arn || !c->status) {
		sw_engine_cluster_free(c);
		return NULL;
	}
	return c;
}

/* ---- save / load ---------------------------------------------------------------- */

static int save_doc(sqlite3 *db, const char *sql, const char *key, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	int ret = exec2(db, sql, key, text);
	free(text);
	return ret;
}

int sw_engine_db_save_cluster(sqlite3 *db, const struct sw_engine_cluster *c)
{
	json_t *doc = cluster_doc(c);
	int ret = save_doc(db, "INSERT OR REPLACE INTO clusters (name, doc) VALUES (?, ?)", c->name, doc);
	json_decref(doc);
	return ret;
}

int sw_engine_db_save_service(sqlite3 *db, struct sw_engine_service *s)
{
	sqlite3_stmt *st = NULL;
	json_t *doc = service_doc(s);
	char *text = json_dumps(doc, JSON_COMPACT);
	int ret = 0;

	if (s->id) {
		if (sw_store_prepare(db, &st, "INSERT OR REPLACE INTO services (id, doc) VALUES (?, ?)") < 0) {
			ret = SW_ERROR;
			goto cleanup;
		}
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	} else {
		if (sw_store_prepare(db, &st, "INSERT INTO services (doc) VALUES (?)") < 0) {
			ret = SW_ERROR;
			goto cleanup;
		}
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		ret = sw_store_error(db, "save service");
		goto cleanup;
	}
	if (!s->id)
		s->id = sqlite3_last_insert_rowid(db);

cleanup:
	sqlite3_finalize(st);
	free(text);
	json_decref(doc);
	return ret;
}

int sw_engine_db_delete_service(sqlite3 *db, long long id)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;
	if (sw_store_prepare(db, &st, "DELETE FROM services WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(db, "delete service");
	sqlite3_finalize(st);
	if (ret == 0 && sw_store_prepare(db, &st, "DELETE FROM events WHERE service = ?") == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	return ret;
}

int sw_engine_db_save_task(sqlite3 *db, const struct sw_engine_task *t)
{
	json_t *doc = sw_engine_db_task_doc(t);
	int ret = save_doc(db, "INSERT OR REPLACE INTO tasks (id, doc) VALUES (?, ?)", t->id, doc);
	json_decref(doc);
	return ret;
}

int sw_engine_db_delete_task(sqlite3 *db, const char *id)
{
	return exec2(db, "DELETE FROM tasks WHERE id = ?", id, NULL);
}

static void add_cluster(struct sw_engine_state *st, long long rowid, json_t *doc)
{
	struct sw_engine_cluster *c = cluster_from_doc(doc);
	if (c)
		sw_engine_state_add_cluster(st, c);
}

static void add_service(struct sw_engine_state *st, long long id, json_t *doc)
{
	struct sw_engine_service *s = service_from_doc(id, doc);
	if (s)
		sw_engine_state_add_service(st, s);
}

static void add_task(struct sw_engine_state *st, long long rowid, json_t *doc)
{
	struct sw_engine_task *t = sw_engine_db_task_from_doc(doc);
	if (t)
		sw_engine_state_add_task(st, t);
}

/* Each row (id, doc) of sql into st through add; a document that does not parse is skipped. */
static int load_rows(sqlite3 *db, struct sw_engine_state *st, const char *sql, const char *what,
		     void (*add)(struct sw_engine_state *st, long long id, json_t *doc))
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (sw_store_prepare(db, &q, sql) < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *doc = json_loads((const char *)sqlite3_column_text(q, 1), 0, NULL);
		if (doc)
			add(st, sqlite3_column_int64(q, 0), doc);
		json_decref(doc);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sw_store_error(db, what);
}

int sw_engine_db_load(sqlite3 *db, struct sw_engine_state *st)
{
	int ret = load_rows(db, st, "SELECT rowid, doc FROM clusters ORDER BY rowid", "load clusters", add_cluster);
	if (ret == 0)
		ret = load_rows(db, st, "SELECT id, doc FROM services ORDER BY id", "load services", add_service);
	if (ret == 0)
		ret = load_rows(db, st, "SELECT rowid, doc FROM tasks ORDER BY rowid", "load tasks", add_task);
	return ret;
}
