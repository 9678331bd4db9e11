#ifndef SW_ENGINE_LOGS_FOLLOWER_H
#define SW_ENGINE_LOGS_FOLLOWER_H

#include "engine/logs/logs.h"

/*
 * One container's log stream into CloudWatch Logs: a detached thread reads Docker's
 * GET /containers/{id}/logs?follow=1&timestamps=1 (since its cursor) and stores each
 * line as an event of its stream, with Docker's timestamp; lines and the cursor (the
 * last timestamp taken, and how many lines carried it) are committed in one
 * transaction, so a restart resumes where it stopped with no line lost or stored
 * twice. Lines longer than 256 KiB are cut, empty lines skipped, as the awslogs
 * driver does. When the container has ended and its whole life is stored, its cursor
 * is marked done. The thread blocks on its stream: at idle nothing runs.
 */

/* 1 when container id has a follower. l->lock held. */
int sw_logs_follower_running(struct sw_logs *l, const char *id);

/*
 * Follow container id (tty: Docker sends raw lines, not frames) into stream from the
 * cursor (cursor_ns, same lines with that timestamp already taken). l->lock held.
 * 0, or negative when the thread cannot start.
 */
int sw_logs_follower_start(struct sw_logs *l, const char *id, long long stream, int tty, long long cursor_ns,
			   long long same);

#endif
