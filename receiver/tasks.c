#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "receiver/tasks.h"
#include "receiver/db.h"
#include "releaser/release.h"
#include "releaser/releaser.h"
#include "releaser/settings.h"
#include "releaser/taskdef.h"
#include "common/aws/client.h"
#include "common/error.h"
#include "common/event.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_RELEASES_LOOKED_AT 50
#define STOPPED_WINDOW_S 3600
#define RUN_KEEPALIVE_S 2.0
#define RUN_POLL_MS 400
#define MAX_OUT_LINE (16 * 1024)
#define MAX_COMMAND_ARGS 100
#define MAX_COMMAND_BYTES (16 * 1024)
#define MAX_ENV 100

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- the AWS side ------------------------------------------------------------ */

static pthread_mutex_t env_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sw_aws_client *env_aws;
static struct sw_settings env_settings = SW_SETTINGS_INIT;
static int env_ready;

int sw_tasks_available(void)
{
	return sw_releaser_enabled();
}

int sw_tasks_env(struct sw_runenv *e, sqlite3 *db, const char *app, volatile int *cancel)
{
	int ret = 0;

	memset(e, 0, sizeof(*e));
	if (!sw_releaser_enabled())
		return sw_error_code(SW_EUNAVAIL, "this slipwayd does not release (no AWS configuration): no tasks to show");
	pthread_mutex_lock(&env_mu);
	/* the releaser set the environment up (profile, endpoints) when it started: a
	 * client made now reads the same configuration */
	if (!env_ready) {
		if ((ret = sw_settings_load(&env_settings)) == 0 && (ret = sw_aws_client_new(&env_aws, NULL)) == 0)
			env_ready = 1;
		else
			sw_error_prefix("AWS");
	}
	pthread_mutex_unlock(&env_mu);
	if (ret < 0)
		return ret;
	e->db = db;
	e->aws = env_aws;
	e->settings = &env_settings;
	e->app = app;
	e->cancel = cancel;
	return 0;
}

/* ---- what the releases say: task definitions → process and release ---------------- */

struct known_td {
	char *arn;
	char *process;
	int version;
};

struct app_tds {
	struct known_td *v;
	size_t nr, alloc;
	struct sw_strvec processes;   /* every process type any release had */
	int live;                     /* live version, 0 none */
	json_t *live_taskdefs;        /* {"web": arn} of the live release (a reference) */
};

static void app_tds_release(struct app_tds *t)
{
	size_t i;
	for (i = 0; i < t->nr; i++) {
		free(t->v[i].arn);
		free(t->v[i].process);
	}
	free(t->v);
	sw_strvec_clear(&t->processes);
	json_decref(t->live_taskdefs);
	memset(t, 0, sizeof(*t));
}

static void add_process(struct app_tds *t, const char *p)
{
	size_t i;
	for (i = 0; i < t->processes.nr; i++)
		if (!strcmp(t->processes.v[i], p))
			return;
	sw_strvec_push(&t->processes, p);
}

static int visit_release(void *ctx, const struct sw_release *r)
{
	struct app_tds *t = ctx;
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(r->state, "taskdefs"), k, v) {
		size_t i;
		int seen = 0;
		if (!json_is_string(v))
			continue;
		add_process(t, k);
		for (i = 0; i < t->nr; i++)
			if (!strcmp(t->v[i].arn, json_string_value(v)))
				seen = 1;   /* newest first: the newest release using it wins */
		if (seen)
			continue;
		SW_ALLOC_GROW(t->v, t->nr + 1, t->alloc);
		t->v[t->nr].arn = xstrdup(json_string_value(v));
		t->v[t->nr].process = xstrdup(k);
		t->v[t->nr].version = r->version;
		t->nr++;
	}
	json_object_foreach(r->formation, k, v)
		add_process(t, k);
	if (!t->live && r->status == SW_RELEASE_LIVE) {
		t->live = r->version;
		t->live_taskdefs = json_incref(json_object_get(r->state, "taskdefs"));
	}
	return 0;
}

static int load_tds(sqlite3 *db, const char *app, struct app_tds *t)
{
	memset(t, 0, sizeof(*t));
	sw_strvec_init(&t->processes);
	return sw_release_list(db, app, MAX_RELEASES_LOOKED_AT, visit_release, t);
}

static const struct known_td *find_td(const struct app_tds *t, const char *arn)
{
	size_t i;
	for (i = 0; arn && i < t->nr; i++)
		if (!strcmp(t->v[i].arn, arn))
			return &t->v[i];
	return NULL;
}

int sw_tasks_known(sqlite3 *db, const char *app, struct sw_strvec *processes, struct sw_strvec *taskdefs)
{
	struct app_tds t;
	size_t i;
	int ret = load_tds(db, app, &t);

	for (i = 0; ret == 0 && i < t.processes.nr; i++)
		sw_strvec_push(processes, t.processes.v[i]);
	for (i = 0; ret == 0 && i < t.nr; i++)
		sw_strvec_push(taskdefs, t.v[i].arn);
	app_tds_release(&t);
	return ret;
}

int sw_tasks_parse_stream(const char *stream, int *version, struct sw_buf *process, struct sw_buf *task)
{
	const char *p = stream, *slash1, *slash2;
	long v = 0;

	sw_buf_reset(process);
	sw_buf_reset(task);
	if (!p || *p != 'v')
		return -1;
	for (p++; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 1000000000L)
			return -1;
	}
	if (*p != '/' || v <= 0)
		return -1;
	slash1 = p;
	slash2 = strchr(slash1 + 1, '/');
	if (!slash2 || slash2 == slash1 + 1 || !slash2[1] || strchr(slash2 + 1, '/'))
		return -1;
	*version = (int)v;
	sw_buf_add(process, slash1 + 1, (size_t)(slash2 - slash1 - 1));
	sw_buf_adds(task, slash2 + 1);
	return 0;
}

/* ---- ps ---------------------------------------------------------------------------- */

static json_t *iso_ms(double secs)
{
	char out[40];
	struct tm tm;
	time_t t = (time_t)secs;
	gmtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(out);
}

static const char *task_id_of(const char *arn)
{
	const char *s = arn ? strrchr(arn, '/') : NULL;
	return s ? s + 1 : arn;
}

static json_t *task_json(const char *app, const json_t *t, const struct app_tds *tds, double now)
{
	const struct known_td *td = find_td(tds, str(t, "taskDefinitionArn"));
	const json_t *c = json_array_get(json_object_get(t, "containers"), 0);
	const char *group = str(t, "group"), *by = str(t, "startedBy");
	json_t *o = json_object(), *started = json_object_get(t, "startedAt"), *stopped = json_object_get(t, "stoppedAt");
	struct sw_buf process = SW_BUF_INIT, rel = SW_BUF_INIT;
	const char *kind = "service";

	if (td) {
		sw_buf_adds(&process, td->process);
		sw_buf_addf(&rel, "v%d", td->version);
	} else if (group) {
		/* "service:APP-web" / "family:APP-web" */
		const char *colon = strchr(group, ':');
		const char *fam = colon ? colon + 1 : group;
		size_t n = strlen(app);
		if (!strncmp(fam, app, n) && fam[n] == '-')
			sw_buf_adds(&process, fam + n + 1);
	}
	if (by && !strncmp(by, "slipway-run", 11))
		kind = "run";
	else if ((by && strstr(by, "/release")) || !strcmp(process.ptr, "release"))
		kind = "release";
	else if (group && strncmp(group, "service:", 8))
		kind = "task";
	json_object_set_new(o, "id", json_string(task_id_of(str(t, "taskArn"))));
	json_object_set_new(o, "arn", json_string(str(t, "taskArn") ? str(t, "taskArn") : ""));
	json_object_set_new(o, "process", process.len ? json_string(process.ptr) : json_null());
	json_object_set_new(o, "release", rel.len ? json_string(rel.ptr) : json_null());
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "status", json_string(str(t, "lastStatus") ? str(t, "lastStatus") : "UNKNOWN"));
	json_object_set_new(o, "desired", json_string(str(t, "desiredStatus") ? str(t, "desiredStatus") : "UNKNOWN"));
	json_object_set_new(o, "health", json_string(str(t, "healthStatus") ? str(t, "healthStatus") : "UNKNOWN"));
	json_object_set_new(o, "started_at", json_is_number(started) ? iso_ms(json_number_value(started)) : json_null());
	json_object_set_new(o, "stopped_at", json_is_number(stopped) ? iso_ms(json_number_value(stopped)) : json_null());
	json_object_set_new(o, "stop_reason", str(t, "stoppedReason") ? json_string(str(t, "stoppedReason")) : json_null());
	json_object_set_new(o, "stop_code", str(t, "stopCode") ? json_string(str(t, "stopCode")) : json_null());
	json_object_set_new(o, "exit_code", json_is_integer(json_object_get(c, "exitCode"))
				   ? json_integer(json_integer_value(json_object_get(c, "exitCode"))) : json_null());
	if (json_is_number(started))
		json_object_set_new(o, "uptime", json_real((json_is_number(stopped) ? json_number_value(stopped) : now) -
							   json_number_value(started)));
	else
		json_object_set_new(o, "uptime", json_null());
	sw_buf_release(&process);
	sw_buf_release(&rel);
	return o;
}

/* ListTasks of one family and desired status, appended to arns (deduplicated). */
static int list_family(const struct sw_runenv *e, const char *family, const char *desired, struct sw_strvec *arns)
{
	struct sw_buf next = SW_BUF_INIT;
	json_t *req, *resp = NULL, *a;
	size_t i, k;
	int pages, ret = 0;

	for (pages = 0; pages < 5; pages++) {
		req = json_pack("{s:s,s:s,s:s,s:i}", "cluster", e->settings->cluster, "family", family, "desiredStatus",
				desired, "maxResults", 100);
		if (next.len)
			json_object_set_new(req, "nextToken", json_string(next.ptr));
		ret = sw_runenv_call(e, "ecs", "ListTasks", req, &resp, NULL, NULL);
		json_decref(req);
		if (ret < 0)
			break;
		json_array_foreach(json_object_get(resp, "taskArns"), i, a) {
			int dup = 0;
			for (k = 0; k < arns->nr; k++)
				if (!strcmp(arns->v[k], json_string_value(a)))
					dup = 1;
			if (!dup && json_is_string(a))
				sw_strvec_push(arns, json_string_value(a));
		}
		sw_buf_reset(&next);
		if (str(resp, "nextToken"))
			sw_buf_adds(&next, str(resp, "nextToken"));
		json_decref(resp);
		resp = NULL;
		if (!next.len)
			break;
	}
	sw_buf_release(&next);
	return ret;
}

static double started_of(const json_t *t)
{
	const json_t *s = json_object_get(t, "startedAt");
	if (!json_is_number(s))
		s = json_object_get(t, "createdAt");
	return json_is_number(s) ? json_number_value(s) : 0;
}

static int by_started_desc(const void *a, const void *b)
{
	double x = started_of(*(json_t *const *)a), y = started_of(*(json_t *const *)b);
	return x < y ? 1 : x > y ? -1 : 0;
}

enum MHD_Result sw_tasks_ps(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	struct sw_runenv e;
	struct app_tds tds;
	struct sw_strvec arns = SW_STRVEC_INIT;
	struct sw_buf family = SW_BUF_INIT;
	json_t **raw = NULL, *out = NULL, *list;
	size_t nraw = 0, alloc = 0, i, j;
	double now = sw_db_now();
	enum MHD_Result r;
	char *text;

	memset(&tds, 0, sizeof(tds));
	if (sw_tasks_env(&e, s->db, app, NULL) < 0)
		return sw_server_json_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
	if (load_tds(s->db, app, &tds) < 0) {
		r = sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	add_process(&tds, "release");
	for (i = 0; i < tds.processes.nr; i++) {
		sw_buf_reset(&family);
		sw_taskdef_family(app, tds.processes.v[i], &family);
		if (list_family(&e, family.ptr, "RUNNING", &arns) < 0 || list_family(&e, family.ptr, "STOPPED", &arns) < 0) {
			r = sw_server_json_error(c, MHD_HTTP_BAD_GATEWAY, status, "%s", sw_error_last());
			goto cleanup;
		}
	}
	for (i = 0; i < arns.nr; i += 100) {
		json_t *req = json_pack("{s:s,s:[]}", "cluster", e.settings->cluster, "tasks"), *resp = NULL, *t;
		for (j = i; j < arns.nr && j < i + 100; j++)
			json_array_append_new(json_object_get(req, "tasks"), json_string(arns.v[j]));
		if (sw_runenv_call(&e, "ecs", "DescribeTasks", req, &resp, NULL, NULL) < 0) {
			json_decref(req);
			r = sw_server_json_error(c, MHD_HTTP_BAD_GATEWAY, status, "%s", sw_error_last());
			goto cleanup;
		}
		json_decref(req);
		json_array_foreach(json_object_get(resp, "tasks"), j, t) {
			const json_t *stopped = json_object_get(t, "stoppedAt");
			if (json_is_number(stopped) && now - json_number_value(stopped) > STOPPED_WINDOW_S)
				continue;
			SW_ALLOC_GROW(raw, nraw + 1, alloc);
			raw[nraw++] = json_incref(t);
		}
		json_decref(resp);
	}
	if (nraw)
		qsort(raw, nraw, sizeof(*raw), by_started_desc);
	list = json_array();
	for (i = 0; i < nraw; i++)
		json_array_append_new(list, task_json(app, raw[i], &tds, now));
	out = json_pack("{s:o,s:o}", "tasks", list, "live", tds.live ? json_integer(tds.live) : json_null());
	text = json_dumps(out, JSON_COMPACT);
	{
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_addf(&b, "%s\n", text ? text : "{}");
		r = sw_server_reply(c, MHD_HTTP_OK, "application/json", b.ptr, b.len, status);
		sw_buf_release(&b);
	}
	free(text);
cleanup:
	for (i = 0; i < nraw; i++)
		json_decref(raw[i]);
	free(raw);
	json_decref(out);
	app_tds_release(&tds);
	sw_strvec_clear(&arns);
	sw_buf_release(&family);
	return r;
}

/* ---- run ------------------------------------------------------------------------------ */

struct run_stream {
	struct sw_runenv e;
	volatile int gone;         /* the client hung up: stop polling */
	char *app, *user, *process, *taskdef, *log_group, *stream_prefix, *task_arn, *task_id, *summary;
	json_t *overrides;
	int version;
	int phase;                 /* 0 start, 1 running, 2 over */
	int stopped;               /* the task is STOPPED (no StopTask needed) */
	int drain;                 /* polls of the logs after STOPPED */
	struct sw_buf token;       /* GetLogEvents nextForwardToken */
	struct sw_buf out;
	size_t off;
	double last_sent;
	long long delay;
};

static void emit(struct run_stream *rs, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text) {
		sw_buf_adds(&rs->out, text);
		sw_buf_addch(&rs->out, '\n');
		free(text);
	}
	rs->last_sent = sw_db_now();
}

static void emit_failed(struct run_stream *rs, const char *reason)
{
	emit(rs, json_pack("{s:s,s:s}", "status", "failed", "reason", reason));
	rs->phase = 2;
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

static int start_task(struct run_stream *rs)
{
	json_t *req, *resp = NULL, *td = NULL;
	const json_t *t, *f, *cd, *opts;
	struct sw_buf line = SW_BUF_INIT;
	int ret = SW_ERROR;

	/* the log stream's prefix and group are the task definition's (a rollback reuses an older one) */
	req = json_pack("{s:s}", "taskDefinition", rs->taskdef);
	if (sw_runenv_call(&rs->e, "ecs", "DescribeTaskDefinition", req, &td, NULL, NULL) < 0) {
		json_decref(req);
		sw_error_prefix("cannot read the task definition of %s", rs->process);
		goto cleanup;
	}
	json_decref(req);
	cd = json_array_get(json_object_get(json_object_get(td, "taskDefinition"), "containerDefinitions"), 0);
	opts = json_object_get(json_object_get(cd, "logConfiguration"), "options");
	rs->log_group = xstrdup(str(opts, "awslogs-group") ? str(opts, "awslogs-group") : "");
	rs->stream_prefix = xstrdup(str(opts, "awslogs-stream-prefix") ? str(opts, "awslogs-stream-prefix") : "");
	if (str(cd, "name") && strcmp(str(cd, "name"), rs->process)) {
		/* the container is named after the process: keep the override pointed at it */
		json_object_set_new(json_array_get(json_object_get(rs->overrides, "containerOverrides"), 0), "name",
				    json_string(str(cd, "name")));
	}
	req = json_pack("{s:s,s:s,s:i,s:s,s:s,s:O}", "cluster", rs->e.settings->cluster, "taskDefinition", rs->taskdef,
			"count", 1, "startedBy", "slipway-run", "launchType", "EC2", "overrides", rs->overrides);
	ret = sw_runenv_call(&rs->e, "ecs", "RunTask", req, &resp, NULL, NULL);
	json_decref(req);
	if (ret < 0) {
		sw_error_prefix("cannot start the task");
		goto cleanup;
	}
	t = json_array_get(json_object_get(resp, "tasks"), 0);
	f = json_array_get(json_object_get(resp, "failures"), 0);
	if (!str(t, "taskArn")) {
		ret = sw_error("the task could not be placed: %s%s%s", f && str(f, "reason") ? str(f, "reason") : "no task started",
			       f && str(f, "detail") ? " " : "", f && str(f, "detail") ? str(f, "detail") : "");
		goto cleanup;
	}
	rs->task_arn = xstrdup(str(t, "taskArn"));
	rs->task_id = xstrdup(task_id_of(rs->task_arn));
	sw_buf_addf(&line, "-----> running %s on %s as %s.%.8s (v%d)", rs->summary, rs->app, rs->process, rs->task_id,
		    rs->version);
	emit(rs, json_pack("{s:s,s:s}", "line", line.ptr, "task", rs->task_id));
	sw_log(SW_LOG_INFO, rs->app, 0, "run by %s: task %s of %s (v%d)", rs->user, rs->task_id, rs->process, rs->version);
	sw_event_emit(rs->e.db, rs->app, "run.started", rs->version, 0, rs->user, "one-off %s.%.8s started by %s",
		      rs->process, rs->task_id, rs->user);
	ret = 0;
cleanup:
	json_decref(resp);
	json_decref(td);
	sw_buf_release(&line);
	return ret;
}

/* New output of the task: {"out": ...} lines. Returns how many. */
static int fetch_output(struct run_stream *rs)
{
	struct sw_buf stream = SW_BUF_INIT, code = SW_BUF_INIT;
	json_t *req, *resp = NULL, *ev;
	size_t i;
	int lines = 0, pages;

	if (!*rs->log_group)
		return 0;
	sw_buf_addf(&stream, "%s/%s/%s", rs->stream_prefix, rs->process, rs->task_id);
	for (pages = 0; pages < 10; pages++) {
		const char *next;
		req = json_pack("{s:s,s:s,s:b}", "logGroupName", rs->log_group, "logStreamName", stream.ptr,
				"startFromHead", 1);
		if (rs->token.len)
			json_object_set_new(req, "nextToken", json_string(rs->token.ptr));
		if (sw_runenv_call(&rs->e, "logs", "GetLogEvents", req, &resp, &code, NULL) < 0) {
			json_decref(req);
			/* the stream appears with the first line */
			if (strcmp(code.ptr, "ResourceNotFoundException") && rs->drain == 0)
				sw_log(SW_LOG_DEBUG, rs->app, 0, "run output: %s", sw_error_last());
			break;
		}
		json_decref(req);
		json_array_foreach(json_object_get(resp, "events"), i, ev) {
			const char *msg = str(ev, "message");
			size_t n;
			struct sw_buf m = SW_BUF_INIT;
			if (!msg)
				continue;
			n = strlen(msg);
			while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
				n--;
			sw_buf_add(&m, msg, n > MAX_OUT_LINE ? MAX_OUT_LINE : n);
			emit(rs, json_pack("{s:s}", "out", m.ptr));
			sw_buf_release(&m);
			lines++;
		}
		next = str(resp, "nextForwardToken");
		if (!next || !strcmp(next, rs->token.ptr) || !json_array_size(json_object_get(resp, "events"))) {
			if (next) {
				sw_buf_reset(&rs->token);
				sw_buf_adds(&rs->token, next);
			}
			break;
		}
		sw_buf_reset(&rs->token);
		sw_buf_adds(&rs->token, next);
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	sw_buf_release(&stream);
	sw_buf_release(&code);
	return lines;
}

/* One poll: output, then the task's state (and the verdict once it stopped). */
static void poll_task(struct run_stream *rs)
{
	json_t *req, *resp = NULL;
	const json_t *t, *c;
	const char *last;
	int lines = fetch_output(rs), throttled = 0, r;

	req = json_pack("{s:s,s:[s]}", "cluster", rs->e.settings->cluster, "tasks", rs->task_arn);
	r = sw_runenv_call(&rs->e, "ecs", "DescribeTasks", req, &resp, NULL, &throttled);
	json_decref(req);
	if (r < 0) {
		if (r == SW_ECANCEL)
			rs->phase = 2;
		goto cleanup;   /* throttled or a blip: the next poll tries again */
	}
	t = json_array_get(json_object_get(resp, "tasks"), 0);
	if (!t) {
		emit_failed(rs, "the task disappeared");
		goto cleanup;
	}
	last = str(t, "lastStatus");
	if (last && !strcmp(last, "STOPPED")) {
		const json_t *code;
		rs->stopped = 1;
		/* the last lines reach Logs a little after the container stops */
		if (lines || rs->drain++ < 3)
			goto cleanup;
		c = json_array_get(json_object_get(t, "containers"), 0);
		code = json_object_get(c, "exitCode");
		if (str(t, "stopCode") && !strcmp(str(t, "stopCode"), "TaskFailedToStart")) {
			struct sw_buf why = SW_BUF_INIT;
			sw_buf_addf(&why, "the task did not start: %s", str(t, "stoppedReason") ? str(t, "stoppedReason")
								       : str(c, "reason") ? str(c, "reason") : "no reason given");
			emit_failed(rs, why.ptr);
			sw_buf_release(&why);
		} else if (!json_is_integer(code)) {
			struct sw_buf why = SW_BUF_INIT;
			sw_buf_addf(&why, "the task stopped without an exit code (%s)",
				    str(t, "stoppedReason") ? str(t, "stoppedReason") : "no reason given");
			emit_failed(rs, why.ptr);
			sw_buf_release(&why);
		} else {
			emit(rs, json_pack("{s:s,s:I}", "status", "exited", "exit_code", (json_int_t)json_integer_value(code)));
			rs->phase = 2;
		}
		if (json_is_integer(code))
			sw_event_emit(rs->e.db, rs->app, "run.finished", rs->version, 0, rs->user,
				      "one-off %s.%.8s exited with %lld", rs->process, rs->task_id,
				      (long long)json_integer_value(code));
		else
			sw_event_emit(rs->e.db, rs->app, "run.finished", rs->version, 0, rs->user,
				      "one-off %s.%.8s stopped: %s", rs->process, rs->task_id,
				      str(t, "stoppedReason") ? str(t, "stoppedReason") : "no reason given");
		goto cleanup;
	}
cleanup:
	rs->delay = lines ? RUN_POLL_MS / 2 : throttled ? 2000 : RUN_POLL_MS;
	json_decref(resp);
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static ssize_t run_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct run_stream *rs = cls;
	size_t n;

	(void)pos;
	while (rs->off >= rs->out.len) {
		sw_buf_reset(&rs->out);
		rs->off = 0;
		switch (rs->phase) {
		case 0:
			if (start_task(rs) < 0)
				emit_failed(rs, sw_error_last());
			else
				rs->phase = 1;
			break;
		case 1:
			poll_task(rs);
			if (!rs->out.len && rs->phase == 1) {
				if (sw_db_now() - rs->last_sent >= RUN_KEEPALIVE_S)
					emit(rs, json_object());   /* {}: also how a hung-up client is noticed */
				else
					sleep_ms(rs->delay);
			}
			break;
		default:
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
	}
	n = rs->out.len - rs->off;
	if (n > max)
		n = max;
	memcpy(buf, rs->out.ptr + rs->off, n);
	rs->off += n;
	return (ssize_t)n;
}

static void run_free(void *cls)
{
	struct run_stream *rs = cls;

	rs->gone = 1;
	if (rs->task_arn && !rs->stopped && rs->phase != 2) {
		/* the client went away (Ctrl-C): the task goes with it */
		struct sw_runenv e = rs->e;
		json_t *req = json_pack("{s:s,s:s,s:s}", "cluster", e.settings->cluster, "task", rs->task_arn, "reason",
					"slipway run: the client went away");
		e.cancel = NULL;
		if (sw_runenv_call(&e, "ecs", "StopTask", req, NULL, NULL, NULL) < 0)
			sw_log(SW_LOG_WARN, rs->app, 0, "run: cannot stop task %s: %s", rs->task_id, sw_error_last());
		else
			sw_log(SW_LOG_INFO, rs->app, 0, "run: task %s stopped (the client went away)", rs->task_id);
		json_decref(req);
	}
	free(rs->app);
	free(rs->user);
	free(rs->process);
	free(rs->taskdef);
	free(rs->log_group);
	free(rs->stream_prefix);
	free(rs->task_arn);
	free(rs->task_id);
	free(rs->summary);
	json_decref(rs->overrides);
	sw_buf_release(&rs->token);
	sw_buf_release(&rs->out);
	free(rs);
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

enum MHD_Result sw_tasks_run(struct sw_server *s, struct MHD_Connection *c, const char *app,
			     const struct sw_buf *body, const char *user, unsigned *status)
{
	struct run_stream *rs = NULL;
	struct app_tds tds;
	struct sw_buf summary = SW_BUF_INIT;
	json_t *in = NULL, *cmd, *env, *v, *envlist = NULL, *co;
	const char *process, *k;
	struct MHD_Response *res;
	enum MHD_Result r;
	size_t i, bytes = 0;

	memset(&tds, 0, sizeof(tds));
	in = body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	cmd = json_object_get(in, "command");
	env = json_object_get(in, "env");
	process = str(in, "process");
	if (!json_is_object(in) || !json_is_array(cmd) || !json_array_size(cmd) ||
	    json_array_size(cmd) > MAX_COMMAND_ARGS || (env && !json_is_object(env)) ||
	    (json_object_get(in, "process") && !process)) {
		r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
					 "want {\"command\": [\"CMD\", \"ARG\"...], \"process\": \"web\", \"env\": {\"K\": \"V\"}}");
		goto cleanup;
	}
	json_array_foreach(cmd, i, v) {
		if (!json_is_string(v) || (bytes += strlen(json_string_value(v))) > MAX_COMMAND_BYTES) {
			r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "command: want strings, at most %d bytes",
						 MAX_COMMAND_BYTES);
			goto cleanup;
		}
	}
	envlist = json_array();
	if (json_object_size(env) > MAX_ENV) {
		r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "env: at most %d variables", MAX_ENV);
		goto cleanup;
	}
	json_object_foreach(env, k, v) {
		if (!env_name_ok(k) || !json_is_string(v) || strlen(json_string_value(v)) > MAX_COMMAND_BYTES) {
			r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "env: '%.60s' is not NAME=value", k);
			goto cleanup;
		}
		json_array_append_new(envlist, json_pack("{s:s,s:O}", "name", k, "value", v));
	}
	if (process && (strlen(process) > 30 || strspn(process, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(process))) {
		r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "process: not a process name");
		goto cleanup;
	}
	rs = xcalloc(1, sizeof(*rs));
	sw_buf_init(&rs->token, 0);   /* bounded by the AWS answer's cap */
	sw_buf_init(&rs->out, 0);
	if (sw_tasks_env(&rs->e, s->db, app, &rs->gone) < 0) {
		r = sw_server_json_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
		goto cleanup;
	}
	if (load_tds(s->db, app, &tds) < 0) {
		r = sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	if (!tds.live || !json_object_size(tds.live_taskdefs)) {
		r = sw_server_json_error(c, MHD_HTTP_CONFLICT, status, "%s has no live release to run from: push first", app);
		goto cleanup;
	}
	if (!process) {
		process = json_object_get(tds.live_taskdefs, "web") ? "web" : NULL;
		json_object_foreach(tds.live_taskdefs, k, v)
			if (!process && strcmp(k, "release"))
				process = k;
	}
	if (!process || !str(tds.live_taskdefs, process)) {
		struct sw_buf names = SW_BUF_INIT;
		json_object_foreach(tds.live_taskdefs, k, v)
			sw_buf_addf(&names, "%s%s", names.len ? ", " : "", k);
		r = sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "v%d of %s has no process %s (it has %s)", tds.live,
					 app, process ? process : "to run", names.ptr);
		sw_buf_release(&names);
		goto cleanup;
	}
	render_command(cmd, &summary);
	rs->app = xstrdup(app);
	rs->user = xstrdup(user);
	rs->process = xstrdup(process);
	rs->taskdef = xstrdup(str(tds.live_taskdefs, process));
	rs->version = tds.live;
	rs->summary = sw_buf_detach(&summary, NULL);
	co = json_pack("{s:s,s:O}", "name", process, "command", cmd);
	if (json_array_size(envlist))
		json_object_set(co, "environment", envlist);
	rs->overrides = json_pack("{s:[o]}", "containerOverrides", co);
	rs->last_sent = sw_db_now();
	rs->delay = RUN_POLL_MS;
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, run_reader, rs, run_free);
	if (!res) {
		run_free(rs);
		rs = NULL;
		r = MHD_NO;
		goto cleanup;
	}
	MHD_add_response_header(res, "Content-Type", "application/x-ndjson");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0);
	r = MHD_queue_response(c, MHD_HTTP_OK, res);
	*status = MHD_HTTP_OK;
	MHD_destroy_response(res);
	rs = NULL;   /* the response owns it */
cleanup:
	if (rs) {
		free(rs);
	}
	json_decref(in);
	json_decref(envlist);
	app_tds_release(&tds);
	sw_buf_release(&summary);
	return r;
}
