#ifndef SW_ENGINE_LOGS_LOGS_H
#define SW_ENGINE_LOGS_LOGS_H

#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

#include "common/buf.h"
#include "engine/api/awsjson.h"

/*
 * CloudWatch Logs on one machine: the API (JSON 1.1, X-Amz-Target Logs_20140328.*)
 * for log groups, streams, retention and events, and the awslogs driver of ECS
 * containers.
 *
 * Storage: $SLIPWAY_HOME/engine/logs.db (its own SQLite file and connection, so a
 * flood of log lines never contends with the scheduler's writes to engine.db):
 * groups, streams, events (timestamp, ingestion time, message) and one cursor per
 * followed container.
 *
 * The awslogs driver: containers run on Docker's json-file driver
 * (engine/run/container_spec.h). For
 * every container of this engine (label slipway.engine) whose container definition
 * says logDriver "awslogs", a follower thread reads Docker's
 * GET /containers/{id}/logs?follow=1&timestamps=1 stream and stores each line as an
 * event of group awslogs-group, stream <awslogs-stream-prefix>/<container>/<task id>
 * (the container id without a prefix), with Docker's timestamp. Lines and the
 * container's cursor (last timestamp, and how many lines carried it) are committed in
 * one transaction, so an engine restart resumes where it stopped (since=<cursor>),
 * with no line lost or stored twice. Followers are started at once from Docker's
 * event stream (container start), and by a rescan every 30 s (and at start) that also
 * picks up containers that exited while the engine was down. A follower blocks on its
 * stream: at idle nothing runs. Lines longer than 256 KiB are cut (CloudWatch's
 * event size); empty lines are skipped, as the awslogs driver does.
 *
 * Retention: PutRetentionPolicy per group; groups the driver creates get
 * SLIPWAY_LOGS_RETENTION_DAYS (default 30; 0 = never expire). Expired events are
 * deleted hourly (and when a policy is set).
 *
 * Its files: logs.c (this module's life and threads), logs_db.c (logs.db), awslogs.c
 * (which containers are followed) and follower.c (one container's stream), logs_api.c
 * and log_group.c, log_stream.c, log_event.c (the API), filter_pattern.c
 * (FilterLogEvents' patterns).
 */

struct sw_engine;
struct sw_logs_follower;

/* The module's state (one per engine); its members belong to the files of engine/logs. */
struct sw_logs {
	struct sw_engine *e;
	pthread_mutex_t lock;  /* db and the followers list */
	sqlite3 *db;
	sqlite3 *engine_db;    /* read-only: task definitions */
	int default_retention;
	struct sw_logs_follower *followers;   /* follower.c */
	struct sw_buf ignored; /* "\n<id>\n" of containers that are not awslogs */
	pthread_t events_th, keeper_th;
	int started;
	int ever_started;      /* followers may still use the struct: never freed then */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	int stop;
};

/* Open logs.db. *out: sw_logs_free(). Makes sw_logs_api serve it. */
int sw_logs_new(struct sw_logs **out, struct sw_engine *e);

/* Start following awslogs containers (the events and keeper threads). */
int sw_logs_start(struct sw_logs *l);

/* Stop the threads (followers end with the process: their cursors make that safe). */
void sw_logs_stop(struct sw_logs *l);
void sw_logs_free(struct sw_logs *l);

/* Add to main.c's API list. */
extern struct sw_engine_api sw_logs_api;

#endif
