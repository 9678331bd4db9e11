#include <stdarg.h>

#include "engine/ecs/service_event.h"
#include "engine/api/awsjson.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

int sw_ecs_service_event_add(struct sw_engine *e, const struct sw_engine_service *s, const char *fmt, ...)
{
	struct sw_buf msg = SW_BUF_INIT, id = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	va_list ap;
	int ret = 0;

	va_start(ap, fmt);
	sw_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sw_engine_uuid(&id);
	sw_log_info("%s: %s", s->cluster, msg.ptr);
	if (sw_store_prepare(e->db, &st, "INSERT INTO events (service, id, created_at, message) VALUES (?, ?, ?, ?)") < 0) {
		ret = -1;
		goto cleanup;
	}
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_text(st, 2, id.ptr, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, sw_time_now());
	sqlite3_bind_text(st, 4, msg.ptr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		ret = sw_store_error(e->db, "event");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sw_store_prepare(e->db, &st, "DELETE FROM events WHERE service = ?1 AND seq <= "
			     "(SELECT seq FROM events WHERE service = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)") == 0) {
		sqlite3_bind_int64(st, 1, s->id);
		sqlite3_bind_int(st, 2, SW_ECS_SERVICE_EVENTS_MAX);
		sqlite3_step(st);
	}
cleanup:
	sqlite3_finalize(st);
	sw_buf_release(&msg);
	sw_buf_release(&id);
	return ret;
}

json_t *sw_ecs_service_event_json(struct sw_engine *e, long long service_id)
{
	json_t *list = json_array();
	sqlite3_stmt *st = NULL;

	if (sw_store_prepare(e->db, &st, "SELECT id, created_at, message FROM events WHERE service = ? "
			     "ORDER BY seq DESC LIMIT ?") < 0)
		return list;
	sqlite3_bind_int64(st, 1, service_id);
	sqlite3_bind_int(st, 2, SW_ECS_SERVICE_EVENTS_MAX);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s, s:o, s:s}", "id", (const char *)sqlite3_column_text(st, 0),
						      "createdAt", sw_engine_api_json_time(sqlite3_column_double(st, 1)),
						      "message", (const char *)sqlite3_column_text(st, 2)));
	sqlite3_finalize(st);
	return list;
}
