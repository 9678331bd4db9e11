#include <stdlib.h>
#include <string.h>

#include "engine/engine_db.h"
#include "common/error.h"
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
	/* 2: ELBv2 (engine/elbv2.c): load balancers, target groups, listeners, rules as
	 *    documents (kind: loadbalancer|targetgroup|listener|rule), and targets */
	"CREATE TABLE elb_objects (arn TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at REAL NOT NULL,"
	"  doc TEXT NOT NULL);"
	"CREATE TABLE elb_targets (tg_arn TEXT NOT NULL, id TEXT NOT NULL, port INTEGER NOT NULL,"
	"  addr TEXT NOT NULL, draining INTEGER NOT NULL, registered_at REAL NOT NULL,"
	"  drain_until REAL NOT NULL, PRIMARY KEY (tg_arn, id, port));",
	/* 3: ELBv2: a target's container address ("ip:port") the router dials when it can */
	"ALTER TABLE elb_targets ADD COLUMN direct TEXT;",
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
	int ret;

	if (sw_store_prepare(db, &st, "SELECT value FROM meta WHERE key = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	ret = sqlite3_step(st);
	if (ret == SQLITE_ROW) {
		sw_buf_reset(out);
		sw_buf_adds(out, (const char *)sqlite3_column_text(st, 0));
		ret = 0;
	} else if (ret == SQLITE_DONE) {
		ret = sw_error_code(SW_ENOTFOUND, "meta %s: not set", key);
	} else {
		ret = sw_store_error(db, "meta");
	}
	sqlite3_finalize(st);
	return ret;
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

static void put_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static void put_num(json_t *o, const char *k, double v)
{
	if (v != 0)
		json_object_set_new(o, k, json_real(v));
}

static void put_int(json_t *o, const char *k, long long v)
{
	json_object_set_new(o, k, json_integer(v));
}

static char *get_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? xstrdup(s) : NULL;
}

static double get_num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static long long get_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static json_t *get_json(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return v && !json_is_null(v) ? json_incref(v) : NULL;
}

json_t *sw_engine_db_task_doc(const struct sw_engine_task *t)
{
	json_t *o = json_object();
	json_t *cs = json_array();
	size_t i;

	put_str(o, "arn", t->arn);
	put_str(o, "id", t->id);
	put_str(o, "cluster", t->cluster);
	put_str(o, "taskdef", t->taskdef);
	put_str(o, "family", t->family);
	put_str(o, "group", t->group);
	put_str(o, "startedBy", t->started_by);
	put_str(o, "launchType", t->launch_type);
	put_int(o, "service", t->service_id);
	put_str(o, "deployment", t->deployment);
	put_str(o, "last", sw_task_status_name(t->last));
	put_int(o, "desiredRunning", t->desired_running);
	put_int(o, "health", t->health);
	put_str(o, "stopCode", t->stop_code);
	put_str(o, "stoppedReason", t->stopped_reason);
	put_int(o, "cpu", t->cpu);
	put_int(o, "memory", t->memory);
	put_str(o, "taskCpu", t->task_cpu);
	put_str(o, "taskMemory", t->task_memory);
	if (t->overrides)
		json_object_set(o, "overrides", t->overrides);
	put_str(o, "networkMode", t->network_mode);
	put_num(o, "createdAt", t->created_at);
	put_num(o, "pullStartedAt", t->pull_started_at);
	put_num(o, "pullStoppedAt", t->pull_stopped_at);
	put_num(o, "startedAt", t->started_at);
	put_num(o, "stoppingAt", t->stopping_at);
	put_num(o, "executionStoppedAt", t->execution_stopped_at);
	put_num(o, "stoppedAt", t->stopped_at);
	put_num(o, "healthyAt", t->healthy_at);
	put_num(o, "connectivityAt", t->connectivity_at);
	put_num(o, "unhealthyAt", t->unhealthy_at);
	put_int(o, "version", t->version);
	put_int(o, "lb", t->lb);
	put_num(o, "drainUntil", t->drain_until);
	put_num(o, "killAt", t->kill_at);
	put_int(o, "failed", t->failed);
	put_int(o, "stopTimeout", t->stop_timeout);
	for (i = 0; i < t->nr_containers; i++) {
		const struct sw_engine_container *c = &t->containers[i];
		json_t *co = json_object();
		put_str(co, "name", c->name);
		put_str(co, "arn", c->arn);
		put_str(co, "image", c->image);
		put_str(co, "dockerId", c->docker_id);
		put_str(co, "lastStatus", c->last_status);
		put_str(co, "reason", c->reason);
		put_str(co, "imageDigest", c->image_digest);
		put_str(co, "ip", c->ip);
		put_int(co, "health", c->health);
		put_int(co, "hasHealthCheck", c->has_health_check);
		put_int(co, "essential", c->essential);
		if (c->has_exit)
			put_int(co, "exitCode", c->exit_code);
		put_int(co, "cpu", c->cpu);
		put_int(co, "memory", c->memory);
		put_int(co, "memoryReservation", c->memory_reservation);
		if (c->bindings)
			json_object_set(co, "bindings", c->bindings);
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

	t->arn = get_str(o, "arn");
	t->id = get_str(o, "id");
	t->cluster = get_str(o, "cluster");
	if (!t->arn || !t->id || !t->cluster) {
		sw_engine_task_free(t);
		return NULL;
	}
	t->taskdef = get_str(o, "taskdef");
	t->family = get_str(o, "family");
	t->group = get_str(o, "group");
	t->started_by = get_str(o, "startedBy");
	t->launch_type = get_str(o, "launchType");
	t->service_id = get_int(o, "service");
	t->deployment = get_str(o, "deployment");
	last = sw_task_status_parse(json_string_value(json_object_get(o, "last")));
	t->last = last < 0 ? SW_TASK_STOPPED : (enum sw_task_status)last;
	t->desired_running = (int)get_int(o, "desiredRunning");
	t->health = (enum sw_health)get_int(o, "health");
	t->stop_code = get_str(o, "stopCode");
	t->stopped_reason = get_str(o, "stoppedReason");
	t->cpu = get_int(o, "cpu");
	t->memory = get_int(o, "memory");
	t->task_cpu = get_str(o, "taskCpu");
	t->task_memory = get_str(o, "taskMemory");
	t->overrides = get_json(o, "overrides");
	t->network_mode = get_str(o, "networkMode");
	t->created_at = get_num(o, "createdAt");
	t->pull_started_at = get_num(o, "pullStartedAt");
	t->pull_stopped_at = get_num(o, "pullStoppedAt");
	t->started_at = get_num(o, "startedAt");
	t->stopping_at = get_num(o, "stoppingAt");
	t->execution_stopped_at = get_num(o, "executionStoppedAt");
	t->stopped_at = get_num(o, "stoppedAt");
	t->healthy_at = get_num(o, "healthyAt");
	t->connectivity_at = get_num(o, "connectivityAt");
	t->unhealthy_at = get_num(o, "unhealthyAt");
	t->version = get_int(o, "version");
	t->lb = (enum sw_task_lb)get_int(o, "lb");
	t->drain_until = get_num(o, "drainUntil");
	t->kill_at = get_num(o, "killAt");
	t->failed = (int)get_int(o, "failed");
	t->stop_timeout = get_int(o, "stopTimeout");
	t->counted = t->failed;
	t->nr_containers = json_array_size(cs);
	t->containers = xcalloc(t->nr_containers ? t->nr_containers : 1, sizeof(*t->containers));
	for (i = 0; i < t->nr_containers; i++) {
		json_t *co = json_array_get(cs, i);
		struct sw_engine_container *c = &t->containers[i];
		c->name = get_str(co, "name");
		if (!c->name)
			c->name = xstrdup("?");
		c->arn = get_str(co, "arn");
		c->image = get_str(co, "image");
		c->docker_id = get_str(co, "dockerId");
		c->last_status = get_str(co, "lastStatus");
		c->reason = get_str(co, "reason");
		c->image_digest = get_str(co, "imageDigest");
		c->ip = get_str(co, "ip");
		c->health = (enum sw_health)get_int(co, "health");
		c->has_health_check = (int)get_int(co, "hasHealthCheck");
		c->essential = (int)get_int(co, "essential");
		if (json_object_get(co, "exitCode")) {
			c->has_exit = 1;
			c->exit_code = (int)get_int(co, "exitCode");
		}
		c->cpu = get_int(co, "cpu");
		c->memory = get_int(co, "memory");
		c->memory_reservation = get_int(co, "memoryReservation");
		c->bindings = get_json(co, "bindings");
	}
	return t;
}

static json_t *service_doc(const struct sw_engine_service *s)
{
	json_t *o = json_object();
	json_t *ds = json_array();
	size_t i;

	put_str(o, "arn", s->arn);
	put_str(o, "name", s->name);
	put_str(o, "cluster", s->cluster);
	put_str(o, "status", sw_service_status_name(s->status));
	put_int(o, "desired", s->desired);
	put_str(o, "taskdef", s->taskdef);
	put_str(o, "launchType", s->launch_type);
	put_int(o, "minPct", s->min_pct);
	put_int(o, "maxPct", s->max_pct);
	put_int(o, "cbEnable", s->cb_enable);
	put_int(o, "cbRollback", s->cb_rollback);
	put_int(o, "grace", s->grace_s);
	if (s->load_balancers)
		json_object_set(o, "loadBalancers", s->load_balancers);
	if (s->doc)
		json_object_set(o, "doc", s->doc);
	put_str(o, "clientToken", s->client_token);
	put_num(o, "createdAt", s->created_at);
	put_num(o, "updatedAt", s->updated_at);
	put_num(o, "deletedAt", s->deleted_at);
	put_str(o, "stableDeployment", s->stable_deployment);
	put_str(o, "stableTaskdef", s->stable_taskdef);
	put_int(o, "failStreak", s->fail_streak);
	put_num(o, "lastFailAt", s->last_fail_at);
	put_num(o, "placeEventAt", s->place_event_at);
	put_num(o, "steadyEventAt", s->steady_event_at);
	put_num(o, "throttleEventAt", s->throttle_event_at);
	for (i = 0; i < s->nr_deps; i++) {
		const struct sw_engine_deployment *d = s->deps[i];
		json_t *d_o = json_object();
		put_str(d_o, "id", d->id);
		put_str(d_o, "status", sw_deployment_status_name(d->status));
		put_str(d_o, "taskdef", d->taskdef);
		put_int(d_o, "desired", d->desired);
		put_str(d_o, "rollout", sw_rollout_name(d->rollout));
		put_str(d_o, "reason", d->rollout_reason);
		put_int(d_o, "failed", d->failed_tasks);
		put_num(d_o, "createdAt", d->created_at);
		put_num(d_o, "updatedAt", d->updated_at);
		put_str(d_o, "launchType", d->launch_type);
		json_array_append_new(ds, d_o);
	}
	json_object_set_new(o, "deployments", ds);
	return o;
}

static int parse_enum(const char *s, const char *a, const char *b)
{
	if (s && !strcmp(s, a))
		return 0;
	if (s && !strcmp(s, b))
		return 1;
	return 2;
}

static struct sw_engine_service *service_from_doc(long long id, json_t *o)
{
	struct sw_engine_service *s = xcalloc(1, sizeof(*s));
	json_t *ds = json_object_get(o, "deployments");
	size_t i;

	s->id = id;
	s->arn = get_str(o, "arn");
	s->name = get_str(o, "name");
	s->cluster = get_str(o, "cluster");
	if (!s->arn || !s->name || !s->cluster) {
		sw_engine_service_free(s);
		return NULL;
	}
	s->status = (enum sw_service_status)parse_enum(json_string_value(json_object_get(o, "status")),
						       "ACTIVE", "DRAINING");
	s->desired = (int)get_int(o, "desired");
	s->taskdef = get_str(o, "taskdef");
	s->launch_type = get_str(o, "launchType");
	s->min_pct = (int)get_int(o, "minPct");
	s->max_pct = (int)get_int(o, "maxPct");
	s->cb_enable = (int)get_int(o, "cbEnable");
	s->cb_rollback = (int)get_int(o, "cbRollback");
	s->grace_s = (int)get_int(o, "grace");
	s->load_balancers = get_json(o, "loadBalancers");
	s->doc = get_json(o, "doc");
	s->client_token = get_str(o, "clientToken");
	s->created_at = get_num(o, "createdAt");
	s->updated_at = get_num(o, "updatedAt");
	s->deleted_at = get_num(o, "deletedAt");
	s->stable_deployment = get_str(o, "stableDeployment");
	s->stable_taskdef = get_str(o, "stableTaskdef");
	s->fail_streak = (int)get_int(o, "failStreak");
	s->last_fail_at = get_num(o, "lastFailAt");
	s->place_event_at = get_num(o, "placeEventAt");
	s->steady_event_at = get_num(o, "steadyEventAt");
	s->throttle_event_at = get_num(o, "throttleEventAt");
	for (i = 0; i < json_array_size(ds); i++) {
		json_t *d_o = json_array_get(ds, i);
		struct sw_engine_deployment *d = xcalloc(1, sizeof(*d));
		const char *r = json_string_value(json_object_get(d_o, "rollout"));
		d->id = get_str(d_o, "id");
		if (!d->id) {
			free(d);
			continue;
		}
		d->status = (enum sw_deployment_status)parse_enum(
			json_string_value(json_object_get(d_o, "status")), "PRIMARY", "ACTIVE");
		d->taskdef = get_str(d_o, "taskdef");
		d->desired = (int)get_int(d_o, "desired");
		d->rollout = r && !strcmp(r, "COMPLETED") ? SW_ROLLOUT_COMPLETED :
			     r && !strcmp(r, "FAILED") ? SW_ROLLOUT_FAILED : SW_ROLLOUT_IN_PROGRESS;
		d->rollout_reason = get_str(d_o, "reason");
		d->failed_tasks = (int)get_int(d_o, "failed");
		d->created_at = get_num(d_o, "createdAt");
		d->updated_at = get_num(d_o, "updatedAt");
		d->launch_type = get_str(d_o, "launchType");
		SW_ALLOC_GROW(s->deps, s->nr_deps + 1, s->alloc_deps);
		s->deps[s->nr_deps++] = d;
	}
	return s;
}

static json_t *cluster_doc(const struct sw_engine_cluster *c)
{
	json_t *o = json_object();
	put_str(o, "name", c->name);
	put_str(o, "arn", c->arn);
	put_str(o, "status", c->status);
	put_num(o, "createdAt", c->created_at);
	return o;
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

int sw_engine_db_load(sqlite3 *db, struct sw_engine_state *st)
{
	sqlite3_stmt *q = NULL;
	json_error_t jerr;
	int ret = 0;
	int rc;

	if (sw_store_prepare(db, &q, "SELECT doc FROM clusters ORDER BY rowid") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = json_loads((const char *)sqlite3_column_text(q, 0), 0, &jerr);
		struct sw_engine_cluster *c;
		if (!o)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->name = get_str(o, "name");
		c->arn = get_str(o, "arn");
		c->status = get_str(o, "status");
		c->created_at = get_num(o, "createdAt");
		json_decref(o);
		if (!c->name || !c->arn || !c->status) {
			sw_engine_cluster_free(c);
			continue;
		}
		sw_engine_state_add_cluster(st, c);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_DONE)
		return sw_store_error(db, "load clusters");

	if (sw_store_prepare(db, &q, "SELECT id, doc FROM services ORDER BY id") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = json_loads((const char *)sqlite3_column_text(q, 1), 0, &jerr);
		struct sw_engine_service *s = o ? service_from_doc(sqlite3_column_int64(q, 0), o) : NULL;
		json_decref(o);
		if (s)
			sw_engine_state_add_service(st, s);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_DONE)
		return sw_store_error(db, "load services");

	if (sw_store_prepare(db, &q, "SELECT doc FROM tasks ORDER BY rowid") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = json_loads((const char *)sqlite3_column_text(q, 0), 0, &jerr);
		struct sw_engine_task *t = o ? sw_engine_db_task_from_doc(o) : NULL;
		json_decref(o);
		if (t)
			sw_engine_state_add_task(st, t);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "load tasks");
	return ret;
}
