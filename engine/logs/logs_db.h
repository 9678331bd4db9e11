#ifndef SW_ENGINE_LOGS_LOGS_DB_H
#define SW_ENGINE_LOGS_LOGS_DB_H

#include <stddef.h>

#include "engine/logs/logs.h"

/*
 * logs.db ($SLIPWAY_HOME/engine/logs.db, its own SQLite file and connection, so a
 * flood of log lines never contends with the scheduler's writes to engine.db): groups,
 * streams, events (timestamp, ingestion time, message) and one cursor per followed
 * container. Every call with l->lock held; 0 or negative unless said otherwise.
 */

/* CloudWatch's largest event: 256 KiB with 26 bytes per event. */
#define SW_LOGS_EVENT_MAX (256 * 1024 - 26)

/* One event to store (the message is borrowed). */
struct sw_logs_line {
	long long ts_ms;
	char *message;
	size_t len;
};

/* Open (creating) logs.db at path into l->db. */
int sw_logs_db_open(struct sw_logs *l, const char *path);

/*
 * The id of stream in group, creating the stream, and the group too when create_group
 * (with retention days, 0: none). SW_ENOTFOUND when the group does not exist.
 */
int sw_logs_db_ensure_stream(struct sw_logs *l, const char *group, const char *stream, int create_group,
			     int retention, long long *id);

/*
 * Store lines as events of stream (one transaction), with the container's cursor
 * (cursor_ns, same) when container is not NULL.
 */
int sw_logs_db_store_events(struct sw_logs *l, long long stream, const struct sw_logs_line *lines, size_t n,
			    const char *container, long long cursor_ns, long long same);

/* Delete the events past their group's retention. Takes l->lock itself. */
void sw_logs_db_expire(struct sw_logs *l);

/* 1 when group name exists. */
int sw_logs_db_group_exists(struct sw_logs *l, const char *name);

/* The id of stream name of group, or 0. */
long long sw_logs_db_stream_id(struct sw_logs *l, const char *group, const char *name);

/* A container's cursor: *stream, *ts_ns, *same (0s when there is none); returns 1 when it is done. */
int sw_logs_db_cursor_get(struct sw_logs *l, const char *container, long long *stream, long long *ts_ns,
			  long long *same);

/* Mark a container done: its whole life is stored, it is never followed again. */
void sw_logs_db_cursor_done(struct sw_logs *l, const char *container, long long stream);

#endif
