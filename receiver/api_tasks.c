#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "receiver/api_tasks.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "receiver/stream.h"
#include "releaser/releaser.h"
#include "releaser/tasks.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define RUN_KEEPALIVE_S 2.0
#define RUN_POLL_MS 400
#define MAX_OUT_LINE (16 * 1024)
#define RUN_OUT_MAX (1024 * 1024)   /* unsent output that makes the run wait for its client */
#define RUN_STOP_WAIT_S 10          /* a hung-up run waits this long for its task to be stopped */
#define MAX_COMMAND_ARGS 100
#define MAX_COMMAND_BYTES (16 * 1024)
#define MAX_ENV 100

/* ---- ps ---------------------------------------------------------------------------- */

enum MHD_Result sw_api_tasks_ps(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	struct sw_runenv e;
	json_t *out = NULL;
	int ret;

	if (sw_releaser_env(&e, s->db, app, NULL) < 0)
		return sw_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
	if ((ret = sw_tasks_list(&e, app, sw_time_now(), &out)) < 0)
		return sw_reply_error(c, ret == SW_EUNAVAIL ? MHD_HTTP_BAD_GATEWAY : MHD_HTTP_INTERNAL_SERVER_ERROR,
					    status, "%s", sw_error_last());
	return sw_reply_json(c, MHD_HTTP_OK, out, status);
}

/* ---- run ------------------------------------------------------------------------------ */

/*
 * A run is a thread doing sw_runtask_run() (releaser/runtask.h: the one RunTask-and-
 * stream loop) whose lines go into out, and the HTTP response reading out, sending a
 * keepalive every RUN_KEEPALIVE_S while nothing comes. The thread and the response each
 * hold a reference; a response freed before the thread ends (the client hung up: Ctrl-C)
 * raises gone, and the thread stops the task.
 */
struct run_stream {
	pthread_mutex_t mu;
	pthread_cond_t cond;       /* out grew or shrank, done, gone */
	int refs;
	struct sw_runenv e;
	struct sw_cancel gone;     /* the client hung up: the env's cancel token */
	char *app, *user, *summary;
	struct sw_oneoff run;      /* what runs (releaser/tasks.h) */
	json_t *command, *env;
	struct sw_buf out;         /* ndjson not sent yet */
	size_t off;
	int done;                  /* the verdict is in out */
	double last_sent;
};

static void run_unref(struct run_stream *rs)
{
	int last;
	pthread_mutex_lock(&rs->mu);
	last = --rs->refs == 0;
	pthread_mutex_unlock(&rs->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&rs->mu);
	pthread_cond_destroy(&rs->cond);
	free(rs->app);
	free(rs->user);
	free(rs->summary);
	sw_oneoff_release(&rs->run);
	json_decref(rs->command);
	json_decref(rs->env);
	sw_buf_release(&rs->out);
	free(rs);
}

/* Append one ndjson line; waits while RUN_OUT_MAX bytes are unread (a slow client). */
static void emit(struct run_stream *rs, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return;
	pthread_mutex_lock(&rs->mu);
	while (!sw_cancel_raised(&rs->gone) && rs->out.len - rs->off > RUN_OUT_MAX)
		pthread_cond_wait(&rs->cond, &rs->mu);
	if (!sw_cancel_raised(&rs->gone)) {
		sw_buf_adds(&rs->out, text);
		sw_buf_addch(&rs->out, '\n');
		pthread_cond_broadcast(&rs->cond);
	}
	pthread_mutex_unlock(&rs->mu);
	free(text);
}

static void emit_failed(struct run_stream *rs, const char *reason)
{
	emit(rs, json_pack("{s:s,s:s}", "status", "failed", "reason", reason));
}

/* A JSON string of text, its bytes that are not UTF-8 as '?'. */
static json_t *text_json(const char *text, size_t n)
{
	json_t *j = json_stringn(text, n);
	if (!j) {
		struct sw_buf b = SW_BUF_INIT;
		size_t i;
		for (i = 0; i < n; i++)
			sw_buf_addch(&b, (unsigned char)text[i] < 0x80 && text[i] ? text[i] : '?');
		j = json_stringn(b.ptr, b.len);
		sw_buf_release(&b);
	}
	return j;
}

static void run_output(void *ctx, const char *line, size_t n)
{
	struct run_stream *rs = ctx;
	json_t *s = text_json(line, n);
	if (s)
		emit(rs, json_pack("{s:o}", "out", s));
}

static void run_started(void *ctx, const char *task_id)
{
	struct run_stream *rs = ctx;
	struct sw_buf line = SW_BUF_INIT;

	sw_buf_addf(&line, "-----> running %s on %s as %s.%.8s (v%d)", rs->summary, rs->app, rs->run.process, task_id,
		    rs->run.version);
	emit(rs, json_pack("{s:s,s:s}", "line", line.ptr, "task", task_id));
	sw_log(SW_LOG_INFO, rs->app, 0, "run by %s: task %s of %s (v%d)", rs->user, task_id, rs->run.process,
	       rs->run.version);
	sw_event_emit(rs->e.db, rs->app, "run.started", rs->run.version, 0, rs->user, "one-off %s.%.8s started by %s",
		      rs->run.process, task_id, rs->user);
	sw_buf_release(&line);
}

static void *run_thread(void *arg)
{
	struct run_stream *rs = arg;
	struct sw_oneoff *o = &rs->run;
	struct sw_buf why = SW_BUF_INIT;
	int ret;

	o->command = rs->command;
	o->env = rs->env;
	o->poll_ms = RUN_POLL_MS;
	o->max_line = MAX_OUT_LINE;
	o->output = run_output;
	o->started = run_started;
	o->ctx = rs;
	ret = sw_oneoff_run(&rs->e, o);
	if (ret == SW_ECANCEL) {
		/* the client went away: the releaser stopped the task */
	} else if (ret < 0) {
		emit_failed(rs, sw_error_last());
	} else {
		if (o->failed_to_start) {
			sw_buf_addf(&why, "the task did not start: %s", o->stopped_reason ? o->stopped_reason
								 : o->container_reason ? o->container_reason : "no reason given");
			emit_failed(rs, why.ptr);
		} else if (o->exit_code < 0) {
			sw_buf_addf(&why, "the task stopped without an exit code (%s)",
				    o->stopped_reason ? o->stopped_reason : "no reason given");
			emit_failed(rs, why.ptr);
		} else {
			emit(rs, json_pack("{s:s,s:i}", "status", "exited", "exit_code", o->exit_code));
		}
		if (o->exit_code >= 0)
			sw_event_emit(rs->e.db, rs->app, "run.finished", o->version, 0, rs->user,
				      "one-off %s.%.8s exited with %d", o->process, o->task_id, o->exit_code);
		else
			sw_event_emit(rs->e.db, rs->app, "run.finished", o->version, 0, rs->user,
				      "one-off %s.%.8s stopped: %s", o->process, o->task_id,
				      o->stopped_reason ? o->stopped_reason : "no reason given");
	}
	sw_buf_release(&why);
	pthread_mutex_lock(&rs->mu);
	rs->done = 1;
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->mu);
	run_unref(rs);
	return NULL;
}

/* What the run's thread said since the last call, or {} every RUN_KEEPALIVE_S of quiet. */
static int fill_run(void *ctx, struct sw_buf *out)
{
	struct run_stream *rs = ctx;
	int over = 0;

	pthread_mutex_lock(&rs->mu);
	while (rs->off >= rs->out.len) {
		struct timespec until;
		double wait;
		sw_buf_reset(&rs->out);
		rs->off = 0;
		if (rs->done) {
			over = 1;
			break;
		}
		wait = rs->last_sent + RUN_KEEPALIVE_S - sw_time_now();
		if (wait <= 0) {
			sw_buf_adds(&rs->out, "{}\n");   /* {}: also how a hung-up client is noticed */
			break;
		}
		sw_time_deadline(&until, CLOCK_REALTIME, (long long)(wait * 1000));
		pthread_cond_timedwait(&rs->cond, &rs->mu, &until);
	}
	sw_buf_add(out, rs->out.ptr + rs->off, rs->out.len - rs->off);
	rs->off = rs->out.len;
	rs->last_sent = sw_time_now();
	pthread_cond_broadcast(&rs->cond);   /* room for the thread */
	pthread_mutex_unlock(&rs->mu);
	return over;
}

static void run_free(void *ctx)
{
	struct run_stream *rs = ctx;
	struct timespec until;

	pthread_mutex_lock(&rs->mu);
	sw_cancel_raise(&rs->gone, SW_CANCEL_GONE, NULL);
	pthread_cond_broadcast(&rs->cond);
	/* a client that hung up (or slipwayd stopping) before the end: give the thread a
	 * moment to stop the task, so it is stopped when this connection is gone */
	sw_time_deadline(&until, CLOCK_REALTIME, RUN_STOP_WAIT_S * 1000);
	while (!rs->done)
		if (pthread_cond_timedwait(&rs->cond, &rs->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&rs->mu);
	run_unref(rs);
}

/* Shell-ish rendering of the command for the first line ("sh -c 'exit 3'"). */
static void render_command(const json_t *cmd, struct sw_buf *out)
{
	size_t i;
	json_t *a;
	json_array_foreach(cmd, i, a) {
		const char *s = json_string_value(a);
		if (i)
			sw_buf_addch(out, ' ');
		if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@%+") == strlen(s))
			sw_buf_adds(out, s);
		else {
			sw_buf_addch(out, '\'');
			for (; *s; s++) {
				if (*s == '\'')
					sw_buf_adds(out, "'\\''");
				else
					sw_buf_addch(out, *s);
			}
			sw_buf_addch(out, '\'');
		}
		if (out->len > 200) {
			sw_buf_setlen(out, 200);
			sw_buf_adds(out, "...");
			break;
		}
	}
}

static int env_name_ok(const char *k)
{
	size_t i, n = strlen(k);
	if (!n || n > 200 || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
		      k[i] == '_'))
			return 0;
	return 1;
}

int sw_api_tasks_run_body(const struct sw_buf *body, json_t **in_out, json_t **env_out)
{
	json_t *in, *cmd, *env, *v, *envlist = NULL;
	const char *process, *k;
	size_t i, bytes = 0;
	int ret = SW_EINVAL;

	in = body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	cmd = json_object_get(in, "command");
	env = json_object_get(in, "env");
	process = sw_json_str(in, "process");
	if (!json_is_object(in) || !json_is_array(cmd) || !json_array_size(cmd) ||
	    json_array_size(cmd) > MAX_COMMAND_ARGS || (env && !json_is_object(env)) ||
	    (json_object_get(in, "process") && !process)) {
		sw_error_code(SW_EINVAL, "want {\"command\": [\"CMD\", \"ARG\"...], \"process\": \"web\", \"env\": {\"K\": \"V\"}}");
		goto cleanup;
	}
	json_array_foreach(cmd, i, v) {
		if (!json_is_string(v) || (bytes += strlen(json_string_value(v))) > MAX_COMMAND_BYTES) {
			sw_error_code(SW_EINVAL, "command: want strings, at most %d bytes", MAX_COMMAND_BYTES);
			goto cleanup;
		}
	}
	envlist = json_array();
	if (json_object_size(env) > MAX_ENV) {
		sw_error_code(SW_EINVAL, "env: at most %d variables", MAX_ENV);
		goto cleanup;
	}
	json_object_foreach(env, k, v) {
		if (!env_name_ok(k) || !json_is_string(v) || strlen(json_string_value(v)) > MAX_COMMAND_BYTES) {
			sw_error_code(SW_EINVAL, "env: '%.60s' is not NAME=value", k);
			goto cleanup;
		}
		json_array_append_new(envlist, json_pack("{s:s,s:O}", "name", k, "value", v));
	}
	if (process && (strlen(process) > 30 || strspn(process, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(process))) {
		sw_error_code(SW_EINVAL, "process: not a process name");
		goto cleanup;
	}
	*in_out = in;
	*env_out = envlist;
	in = envlist = NULL;
	ret = 0;
cleanup:
	json_decref(in);
	json_decref(envlist);
	return ret;
}

enum MHD_Result sw_api_tasks_run(struct sw_server *s, struct MHD_Connection *c, const char *app,
			     const struct sw_buf *body, const char *user, unsigned *status)
{
	struct run_stream *rs = NULL;
	struct sw_stream_body response;
	struct sw_buf summary = SW_BUF_INIT;
	json_t *in = NULL, *cmd, *envlist = NULL;
	const char *process;
	pthread_t thread;
	enum MHD_Result r;
	int ret;

	if (sw_api_tasks_run_body(body, &in, &envlist) < 0) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s", sw_error_last());
		goto cleanup;
	}
	cmd = json_object_get(in, "command");
	process = sw_json_str(in, "process");
	rs = xcalloc(1, sizeof(*rs));
	sw_buf_init(&rs->out, 0);   /* bounded: emit() waits past RUN_OUT_MAX */
	pthread_mutex_init(&rs->mu, NULL);
	pthread_cond_init(&rs->cond, NULL);
	rs->refs = 1;
	rs->run = (struct sw_oneoff)SW_ONEOFF_INIT;
	sw_cancel_init(&rs->gone);
	if (sw_releaser_env(&rs->e, s->db, app, &rs->gone) < 0) {
		r = sw_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
		goto cleanup;
	}
	if ((ret = sw_oneoff_plan(s->db, app, process, &rs->run)) < 0) {
		r = sw_reply_error(c, ret == SW_EEXISTS ? MHD_HTTP_CONFLICT : ret == SW_ENOTFOUND ? MHD_HTTP_NOT_FOUND
					 : MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	render_command(cmd, &summary);
	rs->app = xstrdup(app);
	rs->user = xstrdup(user);
	rs->summary = sw_buf_detach(&summary, NULL);
	rs->command = json_incref(cmd);
	rs->env = json_array_size(envlist) ? json_incref(envlist) : NULL;
	rs->last_sent = sw_time_now();
	rs->refs = 2;   /* the response's and the thread's */
	if (pthread_create(&thread, NULL, run_thread, rs) != 0) {
		rs->refs = 1;
		sw_log(SW_LOG_ERROR, app, 0, "run: cannot start a thread");
		pthread_mutex_lock(&rs->mu);
		sw_buf_adds(&rs->out, "{\"status\":\"failed\",\"reason\":\"slipwayd cannot start a thread\"}\n");
		rs->done = 1;
		pthread_mutex_unlock(&rs->mu);
	} else {
		pthread_detach(thread);
	}
	response.fill = fill_run;
	response.done = run_free;   /* drops the response's reference */
	response.ctx = rs;
	rs = NULL;
	r = sw_stream_reply(c, MHD_HTTP_OK, NULL, 0, &response, status);
cleanup:
	if (rs)
		run_unref(rs);
	json_decref(in);
	json_decref(envlist);
	sw_buf_release(&summary);
	return r;
}
