#ifndef SW_ENGINE_ENGINE_DB_H
#define SW_ENGINE_ENGINE_DB_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"
#include "engine/state.h"

/*
 * The engine's database ($SLIPWAY_HOME/engine/engine.db, common/store.h): the schema
 * (numbered migrations), the meta table, and the write-through of the live state
 * (state.h). Clusters, services (with their deployments) and tasks (with their
 * containers) are each one row holding a JSON document of the struct; task
 * definitions, events, tags and repositories have their own tables, used by their
 * own files (ecs/ecs_taskdef.c, ecs/service_event.c, ecs/tag.c, ecr/repository.c) and the
 * load balancers' (elb/object.c, elb/target.c).
 *
 * All calls are made with the engine lock held (one connection, one writer).
 * They return 0 or a negative code with the error slot set.
 */

int sw_engine_db_open(sqlite3 **out, const char *path);

/* meta: SW_ENOTFOUND when absent; out is the caller's. */
int sw_engine_db_meta_get(sqlite3 *db, const char *key, struct sw_buf *out);
int sw_engine_db_meta_set(sqlite3 *db, const char *key, const char *value);

/* Load every cluster, service and task into st (which must be empty). */
int sw_engine_db_load(sqlite3 *db, struct sw_engine_state *st);

int sw_engine_db_save_cluster(sqlite3 *db, const struct sw_engine_cluster *c);
/* Assigns s->id on the first save. */
int sw_engine_db_save_service(sqlite3 *db, struct sw_engine_service *s);
int sw_engine_db_delete_service(sqlite3 *db, long long id);
int sw_engine_db_save_task(sqlite3 *db, const struct sw_engine_task *t);
int sw_engine_db_delete_task(sqlite3 *db, const char *id);

/* BEGIN / COMMIT around a batch of saves (one fsync instead of many). */
int sw_engine_db_begin(sqlite3 *db);
int sw_engine_db_commit(sqlite3 *db);

/* Struct <-> document (exposed for tests). The json_t is a new reference. */
json_t *sw_engine_db_task_doc(const struct sw_engine_task *t);
struct sw_engine_task *sw_engine_db_task_from_doc(json_t *doc);

#endif
