#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/logs/logs.h"
#include "engine/logs/awslogs.h"
#include "engine/logs/logs_api.h"
#include "engine/logs/logs_db.h"
#include "engine/engine.h"
#include "common/docker.h"
#include "common/env.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/store.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define RESCAN_SECONDS 30
#define RETENTION_EVERY_SECONDS 3600

struct events_ctx {
	struct sw_logs *logs;
	struct sw_lines lines;
};

static int on_event_line(void *ctx, const char *line, size_t len)
{
	struct sw_logs *l = ctx;
	json_t *ev = json_loadb(line, len, 0, NULL);
	const char *status = sw_json_str(ev, "status");
	const char *id = sw_json_str(ev, "id");
	if (status && id && !strcmp(status, "start"))
		sw_logs_awslogs_follow(l, id);
	json_decref(ev);
	return l->stop ? -1 : 0;
}

static int on_events(void *ctx, const char *data, size_t n)
{
	struct events_ctx *c = ctx;
	return sw_lines_feed(&c->lines, data, n);
}

/* Wait up to seconds or until the module stops; 1 when it stops. */
static int wait_or_stop(struct sw_logs *l, int seconds)
{
	struct timespec until;
	int stop;
	sw_time_deadline(&until, CLOCK_REALTIME, (long long)seconds * 1000);
	pthread_mutex_lock(&l->wake_lock);
	if (!l->stop)
		pthread_cond_timedwait(&l->wake_cond, &l->wake_lock, &until);
	stop = l->stop;
	pthread_mutex_unlock(&l->wake_lock);
	return stop;
}

/* Docker's event stream: a container of ours starts -> follow it at once. */
static void *events_main(void *arg)
{
	struct sw_logs *l = arg;
	struct sw_buf path = SW_BUF_INIT, filt = SW_BUF_INIT, url = SW_BUF_INIT;

	sw_buf_addf(&filt, "{\"type\":[\"container\"],\"event\":[\"start\"],\"label\":[\"slipway.engine=%s\"]}",
		    l->e->instance);
	sw_buf_adds(&path, "/events?filters=");
	sw_http_urlencode(&path, filt.ptr, filt.len);
	while (!l->stop) {
		struct sw_http_request req = { 0 };
		struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
		struct events_ctx ctx = { l, SW_LINES_INIT(on_event_line, l, 64 * 1024) };
		if (sw_docker_prepare(&req, &url, path.ptr) == 0) {
			req.write = on_events;
			req.write_ctx = &ctx;
			sw_http_do(&req, &res);
		}
		sw_lines_release(&ctx.lines);
		sw_http_response_release(&res);
		if (wait_or_stop(l, 2))
			break;
		sw_logs_awslogs_rescan(l); /* what started while the stream was down */
	}
	sw_buf_release(&path);
	sw_buf_release(&filt);
	sw_buf_release(&url);
	return NULL;
}

static void *keeper_main(void *arg)
{
	struct sw_logs *l = arg;
	long long last_expire = 0;

	sw_logs_awslogs_rescan(l);
	while (!wait_or_stop(l, RESCAN_SECONDS)) {
		sw_logs_awslogs_rescan(l);
		if (sw_time_now_ms() - last_expire >= RETENTION_EVERY_SECONDS * 1000LL) {
			sw_logs_db_expire(l);
			last_expire = sw_time_now_ms();
		}
	}
	return NULL;
}

int sw_logs_new(struct sw_logs **out, struct sw_engine *e)
{
	struct sw_logs *l = xcalloc(1, sizeof(*l));
	struct sw_buf path = SW_BUF_INIT;
	long long days;
	int ret = SW_ERROR;

	*out = NULL;
	l->e = e;
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->wake_lock, NULL);
	pthread_cond_init(&l->wake_cond, NULL);
	sw_buf_init(&l->ignored, 0);
	sw_buf_addch(&l->ignored, '\n');
	if (sw_env_int("SLIPWAY_LOGS_RETENTION_DAYS", 30, 0, 3653, &days) < 0)
		goto cleanup;
	if (days && !sw_logs_group_retention_valid(days)) {
		sw_error_code(SW_EINVAL, "SLIPWAY_LOGS_RETENTION_DAYS: want 0 (never expire) or one of CloudWatch's "
			      "retention periods (1, 3, 5, 7, 14, 30, 60, 90, ...), not '%lld'", days);
		goto cleanup;
	}
	l->default_retention = (int)days;
	sw_buf_addf(&path, "%s/logs.db", e->cfg.state_dir);
	if (sw_logs_db_open(l, path.ptr) < 0)
		goto cleanup;
	if (sqlite3_open_v2(e->cfg.db_path, &l->engine_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		sw_error("open %s: %s", e->cfg.db_path, sqlite3_errmsg(l->engine_db));
		goto cleanup;
	}
	sqlite3_busy_timeout(l->engine_db, 10000);
	sw_logs_api.ctx = l;
	*out = l;
	l = NULL;
	ret = 0;

cleanup:
	if (ret < 0)
		sw_error_prefix("logs");
	sw_logs_free(l);
	sw_buf_release(&path);
	return ret;
}

int sw_logs_start(struct sw_logs *l)
{
	if (pthread_create(&l->keeper_th, NULL, keeper_main, l) != 0)
		return sw_error("logs: cannot start its threads");
	if (pthread_create(&l->events_th, NULL, events_main, l) != 0) {
		pthread_mutex_lock(&l->wake_lock);
		l->stop = 1;
		pthread_cond_broadcast(&l->wake_cond);
		pthread_mutex_unlock(&l->wake_lock);
		pthread_join(l->keeper_th, NULL);
		return sw_error("logs: cannot start its threads");
	}
	l->started = 1;
	l->ever_started = 1;
	return 0;
}

void sw_logs_stop(struct sw_logs *l)
{
	if (!l || !l->started)
		return;
	pthread_mutex_lock(&l->wake_lock);
	l->stop = 1;
	pthread_cond_broadcast(&l->wake_cond);
	pthread_mutex_unlock(&l->wake_lock);
	pthread_join(l->keeper_th, NULL);
	/* the events thread may be blocked on Docker's stream: it ends with the process */
	pthread_detach(l->events_th);
	l->started = 0;
}

void sw_logs_free(struct sw_logs *l)
{
	if (!l)
		return;
	if (l->ever_started) {
		/* followers and the events thread may still use it; the process is ending */
		sw_logs_stop(l);
		return;
	}
	if (sw_logs_api.ctx == l)
		sw_logs_api.ctx = NULL;
	sw_store_close(l->db);
	if (l->engine_db)
		sqlite3_close(l->engine_db);
	sw_buf_release(&l->ignored);
	pthread_mutex_destroy(&l->wake_lock);
	pthread_cond_destroy(&l->wake_cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}
