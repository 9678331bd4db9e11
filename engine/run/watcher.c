#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/run/watcher.h"
#include "engine/run/runtime.h"
#include "engine/run/worker.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/log.h"
#include "common/banned.h"

#define EVENT_LINE_MAX (64 * 1024)
#define STREAM_SECONDS 300
#define BACKOFF_FIRST_MS 250     /* the pause before reopening a stream that failed, doubling */
#define BACKOFF_MAX_MS 2000

struct stream {
	struct sw_engine *e;
	struct sw_lines lines;
	long long last_time;   /* seconds: where the next stream starts */
	int got_any;
};

static int on_event(void *ctx, const char *line, size_t len)
{
	struct stream *s = ctx;
	struct sw_engine *e = s->e;
	json_t *doc = json_loadb(line, len, 0, NULL);
	json_t *attrs = json_object_get(json_object_get(doc, "Actor"), "Attributes");
	const char *action = sw_json_str(doc, "Action");
	const char *tid = sw_json_str(attrs, "slipway.task");
	const char *cname = sw_json_str(attrs, "slipway.container");
	long long t = sw_json_int(doc, "time", 0);

	if (t > s->last_time)
		s->last_time = t;
	s->got_any = 1;
	if (action && tid && cname) {
		struct sw_engine_task *task;
		pthread_mutex_lock(&e->lock);
		task = sw_engine_state_task(&e->st, tid);
		if (task) {
			struct sw_engine_container *c = sw_engine_task_container(task, cname);
			if (c)
				c->dirty = 1;
		} else if (strcmp(action, "destroy")) {
			e->resync_at = 0;  /* a container no task owns: resync soon */
		}
		sw_log_debug("docker event %s task %s container %s", action, tid, cname);
		sw_engine_wake_locked(e);
		pthread_mutex_unlock(&e->lock);
	}
	json_decref(doc);
	return e->stopping ? -1 : 0;
}

static int on_data(void *ctx, const char *data, size_t n)
{
	struct stream *s = ctx;
	return sw_lines_feed(&s->lines, data, n);
}

static void *watch_main(void *arg)
{
	struct sw_engine *e = arg;
	struct stream s = { e, SW_LINES_INIT(on_event, &s, EVENT_LINE_MAX), 0, 0 };
	struct sw_buf path = SW_BUF_INIT, url = SW_BUF_INIT, filt = SW_BUF_INIT;
	long backoff_ms = BACKOFF_FIRST_MS;

	s.lines.ctx = &s;
	s.last_time = (long long)time(NULL);
	sw_buf_addf(&filt, "{\"type\":[\"container\"],\"label\":[\"slipway.engine=%s\"],"
		    "\"event\":[\"start\",\"die\",\"oom\",\"destroy\",\"health_status\"]}", e->instance);
	while (!e->stopping) {
		struct sw_http_request req = { 0 };
		struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
		long long now = (long long)time(NULL);
		long long since = s.last_time < now ? s.last_time : now;
		int ret;

		sw_buf_reset(&path);
		sw_buf_addf(&path, "/events?since=%lld&until=%lld&filters=", since, now + STREAM_SECONDS);
		sw_http_urlencode(&path, filt.ptr, filt.len);
		if (sw_docker_prepare(&req, &url, path.ptr) < 0) {
			sw_log_error("watch: %s", sw_error_last());
			break;
		}
		req.write = on_data;
		req.write_ctx = &s;
		req.timeout_ms = (STREAM_SECONDS + 60) * 1000L;
		s.got_any = 0;
		pthread_mutex_lock(&e->lock);
		e->watch_connected = 1;
		pthread_mutex_unlock(&e->lock);
		ret = sw_http_do(&req, &res);
		sw_lines_finish(&s.lines);
		sw_lines_release(&s.lines);
		pthread_mutex_lock(&e->lock);
		e->watch_connected = 0;
		pthread_mutex_unlock(&e->lock);
		if (ret == 0 && res.status == 200) {
			backoff_ms = BACKOFF_FIRST_MS;
			if (s.last_time < now + STREAM_SECONDS - 1)
				s.last_time = now + STREAM_SECONDS - 1;
			if (s.last_time > (long long)time(NULL))
				s.last_time = (long long)time(NULL);
		} else if (!e->stopping) {
			struct timespec pause = { (time_t)(backoff_ms / 1000), (long)(backoff_ms % 1000) * 1000000L };
			sw_log_warn("docker events: %s", ret < 0 ? sw_error_last() : "bad status");
			/*
			 * Events may have been missed: compare with Docker as soon as it answers. A
			 * stream cut because Docker stopped: it is marked down (tasks wait), and the
			 * resync that finds it back marks it up.
			 */
			pthread_mutex_lock(&e->lock);
			if (ret == SW_EUNAVAIL || ret == SW_ETIMEOUT)
				sw_run_runtime_docker_lost(e);
			e->resync_at = 0;
			sw_engine_wake_locked(e);
			pthread_mutex_unlock(&e->lock);
			/* short: a restarted Docker is seen within BACKOFF_MAX_MS */
			nanosleep(&pause, NULL);
			backoff_ms = backoff_ms * 2 < BACKOFF_MAX_MS ? backoff_ms * 2 : BACKOFF_MAX_MS;
		}
		sw_http_response_release(&res);
	}
	sw_buf_release(&path);
	sw_buf_release(&url);
	sw_buf_release(&filt);
	return NULL;
}

int sw_run_watcher_start(struct sw_engine *e)
{
	pthread_t th;
	pthread_attr_t attr;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&th, &attr, watch_main, e);
	pthread_attr_destroy(&attr);
	if (rc)
		return sw_error("cannot start the Docker events thread");
	return 0;
}
