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
#include "releaser/runtask.h"
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
#define RUN_OUT_MAX (1024 * 1024)   /* unsent output that makes the run wait for its client */
#define RUN_STOP_WAIT_S 10          /* a hung-up run waits this long for its task to be stopped */
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
	char *target_group;           /* the web process's target group (newest release's), or NULL */
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
	free(t->target_group);
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
	if (!t->target_group && str(r->state, "target_group"))
		t->target_group = xstrdup(str(r->state, "target_group"));
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

/*
 * HEALTH: the load balancer's view of the task's target (healthy, unhealthy, initial,
 * draining, ...) when it is behind one, else its container health check's status
 * (lowercased), else "unknown".
 */
static void task_health(json_t *o, const json_t *t, const char *target_state)
{
	const char *c = str(t, "healthStatus");
	struct sw_buf low = SW_BUF_INIT;
	size_t i;

	if (target_state) {
		json_object_set_new(o, "health", json_string(target_state));
		json_object_set_new(o, "health_from", json_string("load balancer"));
		return;
	}
	if (c && strcmp(c, "UNKNOWN")) {
		for (i = 0; c[i]; i++)
			sw_buf_addch(&low, c[i] >= 'A' && c[i] <= 'Z' ? (char)(c[i] - 'A' + 'a') : c[i]);
		json_object_set_new(o, "health", json_string(low.ptr));
		json_object_set_new(o, "health_from", json_string("container"));
	} else {
		json_object_set_new(o, "health", json_string("unknown"));
		json_object_set_new(o, "health_from", json_null());
	}
	sw_buf_release(&low);
}

static json_t *task_json(const char *app, const json_t *t, const struct app_tds *tds, double now,
			 const char *target_state)
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
	task_health(o, t, target_state);
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

/* ---- ps: the load balancer's view of the tasks ------------------------------------------- */

struct target_view {
	json_t *instances;   /* containerInstanceArn -> EC2 instance id */
	json_t *targets;     /* "instance-id:port" -> state */
};

/*
 * What the web process's target group says of its targets, and which EC2 instance each
 * container instance is, so a task (container instance, host port) finds its target.
 * Failures leave the view empty (ps then shows container health): logged, not fatal.
 */
static void load_targets(const struct sw_runenv *e, const char *target_group, json_t *const *tasks, size_t n,
			 struct target_view *v)
{
	json_t *req, *resp = NULL, *arns = json_array(), *d;
	size_t i;

	v->instances = json_object();
	v->targets = json_object();
	if (!target_group)
		goto cleanup;
	for (i = 0; i < n; i++) {
		const char *ci = str(tasks[i], "containerInstanceArn");
		size_t k;
		json_t *a;
		int dup = 0;
		if (!ci || !strcmp(str(tasks[i], "lastStatus") ? str(tasks[i], "lastStatus") : "", "STOPPED"))
			continue;
		json_array_foreach(arns, k, a)
			dup |= !strcmp(json_string_value(a), ci);
		if (!dup && json_array_size(arns) < 100)
			json_array_append_new(arns, json_string(ci));
	}
	if (!json_array_size(arns))
		goto cleanup;
	req = json_pack("{s:s, s:O}", "cluster", e->settings->cluster, "containerInstances", arns);
	if (sw_runenv_call(e, "ecs", "DescribeContainerInstances", req, &resp, NULL, NULL) < 0) {
		json_decref(req);
		sw_log(SW_LOG_WARN, e->app, 0, "ps: %s", sw_error_last());
		goto cleanup;
	}
	json_decref(req);
	json_array_foreach(json_object_get(resp, "containerInstances"), i, d)
		if (str(d, "containerInstanceArn") && str(d, "ec2InstanceId"))
			json_object_set_new(v->instances, str(d, "containerInstanceArn"), json_string(str(d, "ec2InstanceId")));
	json_decref(resp);
	resp = NULL;
	req = json_pack("{s:s}", "TargetGroupArn", target_group);
	if (sw_runenv_call(e, "elbv2", "DescribeTargetHealth", req, &resp, NULL, NULL) < 0) {
		json_decref(req);
		sw_log(SW_LOG_WARN, e->app, 0, "ps: %s", sw_error_last());
		goto cleanup;
	}
	json_decref(req);
	json_array_foreach(json_object_get(resp, "TargetHealthDescriptions"), i, d) {
		const json_t *tg = json_object_get(d, "Target"), *port = json_object_get(tg, "Port");
		const char *state = str(json_object_get(d, "TargetHealth"), "State");
		struct sw_buf key = SW_BUF_INIT;
		if (!str(tg, "Id") || !json_is_integer(port) || !state)
			continue;
		sw_buf_addf(&key, "%s:%lld", str(tg, "Id"), (long long)json_integer_value(port));
		json_object_set_new(v->targets, key.ptr, json_string(state));
		sw_buf_release(&key);
	}
cleanup:
	json_decref(resp);
	json_decref(arns);
}

/* The state of t's target, or NULL when it has none (not behind the balancer, stopped). */
static const char *target_state(const struct target_view *v, const json_t *t)
{
	const json_t *c = json_array_get(json_object_get(t, "containers"), 0);
	const json_t *b = json_array_get(json_object_get(c, "networkBindings"), 0), *port = json_object_get(b, "hostPort");
	const char *ci = str(t, "containerInstanceArn"), *ec2 = ci ? str(v->instances, ci) : NULL, *state;
	struct sw_buf key = SW_BUF_INIT;

	if (!ec2 || !json_is_integer(port) || !strcmp(str(t, "lastStatus") ? str(t, "lastStatus") : "", "STOPPED"))
		return NULL;
	sw_buf_addf(&key, "%s:%lld", ec2, (long long)json_integer_value(port));
	state = str(v->targets, key.ptr);
	sw_buf_release(&key);
	return state;
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
	struct target_view view = { NULL, NULL };
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
	load_targets(&e, tds.target_group, raw, nraw, &view);   /* ops (issue 7): HEALTH from the balancer */
	list = json_array();
	for (i = 0; i < nraw; i++)
		json_array_append_new(list, task_json(app, raw[i], &tds, now, target_state(&view, raw[i])));
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
	json_decref(view.instances);
	json_decref(view.targets);
	app_tds_release(&tds);
	sw_strvec_clear(&arns);
	sw_buf_release(&family);
	return r;
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
	volatile int gone;         /* the client hung up: the env's cancel flag */
	char *app, *user, *process, *taskdef, *task_id, *summary;
	json_t *command, *env;
	int version;
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
	free(rs->process);
	free(rs->taskdef);
	free(rs->task_id);
	free(rs->summary);
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
	while (!rs->gone && rs->out.len - rs->off > RUN_OUT_MAX)
		pthread_cond_wait(&rs->cond, &rs->mu);
	if (!rs->gone) {
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

static void run_started(void *ctx, const char *task_arn)
{
	struct run_stream *rs = ctx;
	struct sw_buf line = SW_BUF_INIT;

	rs->task_id = xstrdup(task_id_of(task_arn));
	sw_buf_addf(&line, "-----> running %s on %s as %s.%.8s (v%d)", rs->summary, rs->app, rs->process, rs->task_id,
		    rs->version);
	emit(rs, json_pack("{s:s,s:s}", "line", line.ptr, "task", rs->task_id));
	sw_log(SW_LOG_INFO, rs->app, 0, "run by %s: task %s of %s (v%d)", rs->user, rs->task_id, rs->process, rs->version);
	sw_event_emit(rs->e.db, rs->app, "run.started", rs->version, 0, rs->user, "one-off %s.%.8s started by %s",
		      rs->process, rs->task_id, rs->user);
	sw_buf_release(&line);
}

static void *run_thread(void *arg)
{
	struct run_stream *rs = arg;
	struct sw_runtask t = SW_RUNTASK_INIT;
	struct sw_buf why = SW_BUF_INIT;
	int ret;

	t.cluster = rs->e.settings->cluster;
	t.taskdef = rs->taskdef;
	t.started_by = "slipway-run";
	t.command = rs->command;
	t.env = rs->env;
	t.poll_ms = RUN_POLL_MS;
	t.max_poll_ms = RUN_POLL_MS;
	t.max_line = MAX_OUT_LINE;
	t.output = run_output;
	t.started = run_started;
	t.ctx = rs;
	ret = sw_runtask_run(&rs->e, &t);
	if (ret == SW_ECANCEL) {
		/* the client went away (Ctrl-C): the task goes with it */
		if (t.task_arn) {
			sw_runtask_stop(&rs->e, &t, "slipway run: the client went away");
			sw_log(SW_LOG_INFO, rs->app, 0, "run: task %s stopped (the client went away)", rs->task_id);
		}
	} else if (ret < 0) {
		sw_buf_addf(&why, "%s%s", t.task_arn ? "" : "the task ", sw_error_last());
		emit_failed(rs, why.ptr);
	} else {
		if (t.failed_to_start) {
			sw_buf_addf(&why, "the task did not start: %s", t.stopped_reason ? t.stopped_reason
								 : t.container_reason ? t.container_reason : "no reason given");
			emit_failed(rs, why.ptr);
		} else if (t.exit_code < 0) {
			sw_buf_addf(&why, "the task stopped without an exit code (%s)",
				    t.stopped_reason ? t.stopped_reason : "no reason given");
			emit_failed(rs, why.ptr);
		} else {
			emit(rs, json_pack("{s:s,s:i}", "status", "exited", "exit_code", t.exit_code));
		}
		if (t.exit_code >= 0)
			sw_event_emit(rs->e.db, rs->app, "run.finished", rs->version, 0, rs->user,
				      "one-off %s.%.8s exited with %d", rs->process, rs->task_id, t.exit_code);
		else
			sw_event_emit(rs->e.db, rs->app, "run.finished", rs->version, 0, rs->user,
				      "one-off %s.%.8s stopped: %s", rs->process, rs->task_id,
				      t.stopped_reason ? t.stopped_reason : "no reason given");
	}
	sw_runtask_release(&t);
	sw_buf_release(&why);
	pthread_mutex_lock(&rs->mu);
	rs->done = 1;
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->mu);
	run_unref(rs);
	return NULL;
}

static ssize_t run_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct run_stream *rs = cls;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&rs->mu);
	while (rs->off >= rs->out.len) {
		struct timespec until;
		double wait;
		sw_buf_reset(&rs->out);
		rs->off = 0;
		if (rs->done) {
			pthread_mutex_unlock(&rs->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		wait = rs->last_sent + RUN_KEEPALIVE_S - sw_db_now();
		if (wait <= 0) {
			sw_buf_adds(&rs->out, "{}\n");   /* {}: also how a hung-up client is noticed */
			break;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)wait;
		until.tv_nsec += (long)((wait - (double)(long)wait) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&rs->cond, &rs->mu, &until);
	}
	n = rs->out.len - rs->off;
	if (n > max)
		n = max;
	memcpy(buf, rs->out.ptr + rs->off, n);
	rs->off += n;
	rs->last_sent = sw_db_now();
	pthread_cond_broadcast(&rs->cond);   /* room for the thread */
	pthread_mutex_unlock(&rs->mu);
	return (ssize_t)n;
}

static void run_free(void *cls)
{
	struct run_stream *rs = cls;
	struct timespec until;

	pthread_mutex_lock(&rs->mu);
	rs->gone = 1;
	pthread_cond_broadcast(&rs->cond);
	/* a client that hung up (or slipwayd stopping) before the end: give the thread a
	 * moment to stop the task, so it is stopped when this connection is gone */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RUN_STOP_WAIT_S;
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

enum MHD_Result sw_tasks_run(struct sw_server *s, struct MHD_Connection *c, const char *app,
			     const struct sw_buf *body, const char *user, unsigned *status)
{
	struct run_stream *rs = NULL;
	struct app_tds tds;
	struct sw_buf summary = SW_BUF_INIT;
	json_t *in = NULL, *cmd, *env, *v, *envlist = NULL;
	const char *process, *k;
	struct MHD_Response *res;
	pthread_t thread;
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
	sw_buf_init(&rs->out, 0);   /* bounded: emit() waits past RUN_OUT_MAX */
	pthread_mutex_init(&rs->mu, NULL);
	pthread_cond_init(&rs->cond, NULL);
	rs->refs = 1;
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
	rs->command = json_incref(cmd);
	rs->env = json_array_size(envlist) ? json_incref(envlist) : NULL;
	rs->last_sent = sw_db_now();
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, run_reader, rs, run_free);
	if (!res) {
		r = MHD_NO;
		goto cleanup;
	}
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
	MHD_add_response_header(res, "Content-Type", "application/x-ndjson");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0);
	r = MHD_queue_response(c, MHD_HTTP_OK, res);
	*status = MHD_HTTP_OK;
	MHD_destroy_response(res);   /* run_free() comes when the response is done with */
	rs = NULL;
cleanup:
	if (rs)
		run_unref(rs);
	json_decref(in);
	json_decref(envlist);
	app_tds_release(&tds);
	sw_buf_release(&summary);
	return r;
}
