#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "releaser/releaser.h"
#include "releaser/certs.h"
#include "releaser/deploy.h"
#include "releaser/golive.h"
#include "releaser/doctor.h"
#include "releaser/ecr.h"
#include "releaser/manifest.h"
#include "releaser/release.h"
#include "releaser/review.h"
#include "releaser/route.h"
#include "releaser/tags.h"
#include "releaser/teardown.h"
#include "builder/context.h"
#include "common/aws/client.h"
#include "common/aws/stack.h"
#include "common/env.h"
#include "common/error.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define TAG_INTERVAL_MS 2000

struct app_lock {
	char *app;
	int busy;
	int waiters;
	struct app_lock *next;
};

static struct {
	int enabled;
	struct sw_aws_client *aws;
	struct sw_settings settings;
	sqlite3 *db;
	char *home;
	char *repos;
	char *registry;
	pthread_mutex_t mu;
	pthread_cond_t cond;       /* an app lock was released, or stop */
	struct app_lock *locks;
	pthread_t thread;
	int thread_started;
	struct sw_cancel stop;     /* SW_CANCEL_STOP once sw_releaser_stop() began */
	int active;                /* sw_releaser_with_app() calls running */
} rel = { .settings = SW_SETTINGS_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

int sw_releaser_enabled(void)
{
	return rel.enabled;
}

const struct sw_settings *sw_releaser_settings(void)
{
	return rel.enabled ? &rel.settings : NULL;
}

/* ---- per-app locks ---- */

static int lock_app(const char *app, const struct sw_runenv *e)
{
	struct app_lock *l;
	int said = 0;

	pthread_mutex_lock(&rel.mu);
	for (l = rel.locks; l; l = l->next)
		if (!strcmp(l->app, app))
			break;
	if (!l) {
		l = xcalloc(1, sizeof(*l));
		l->app = xstrdup(app);
		l->next = rel.locks;
		rel.locks = l;
	}
	l->waiters++;
	while (l->busy) {
		struct timespec ts;
		if (!said && e) {
			said = 1;
			pthread_mutex_unlock(&rel.mu);
			sw_runenv_report(e, "-----> waiting for another release of %s to finish", app);
			pthread_mutex_lock(&rel.mu);
			continue;
		}
		if (e && sw_runenv_cancelled(e)) {
			l->waiters--;
			pthread_mutex_unlock(&rel.mu);
			return sw_error_code(SW_ECANCEL, "cancelled while waiting for another release of %s", app);
		}
		sw_time_deadline(&ts, CLOCK_REALTIME, 200);
		pthread_cond_timedwait(&rel.cond, &rel.mu, &ts);
	}
	l->waiters--;
	l->busy = 1;
	pthread_mutex_unlock(&rel.mu);
	return 0;
}

static void unlock_app(const char *app)
{
	struct app_lock *l;
	pthread_mutex_lock(&rel.mu);
	for (l = rel.locks; l; l = l->next)
		if (!strcmp(l->app, app))
			l->busy = 0;
	pthread_cond_broadcast(&rel.cond);
	pthread_mutex_unlock(&rel.mu);
}

static void env_for(struct sw_runenv *e, sqlite3 *db, const char *app, long job, sw_runenv_report_fn report,
		    void *ctx, struct sw_cancel *cancel)
{
	memset(e, 0, sizeof(*e));
	e->db = db;
	e->aws = rel.aws;
	e->settings = &rel.settings;
	e->report = report;
	e->report_ctx = ctx;
	e->cancel = cancel;
	e->app = app;
	e->job = job;
}

/* fn(e, ctx) under e->app's lock, counted as active (sw_releaser_stop waits for it). */
static int run_locked(const struct sw_runenv *e, int (*fn)(const struct sw_runenv *e, void *ctx), void *ctx)
{
	const char *app = e->app;
	int ret;
	if (!rel.enabled)
		return sw_error_code(SW_EUNAVAIL, "the releaser is off (no AWS configuration; SLIPWAY_RELEASER)");
	pthread_mutex_lock(&rel.mu);
	if (sw_cancel_raised(&rel.stop)) {
		pthread_mutex_unlock(&rel.mu);
		return sw_error_code(SW_ECANCEL, "slipwayd is stopping");
	}
	rel.active++;
	pthread_mutex_unlock(&rel.mu);
	if ((ret = lock_app(app, e)) == 0) {
		ret = fn(e, ctx);
		unlock_app(app);
	}
	pthread_mutex_lock(&rel.mu);
	rel.active--;
	pthread_cond_broadcast(&rel.cond);
	pthread_mutex_unlock(&rel.mu);
	return ret;
}

int sw_releaser_with_app(sqlite3 *db, const char *app, long job, sw_runenv_report_fn report,
			 sw_runenv_observe_fn observe, void *report_ctx, struct sw_cancel *cancel,
			 int (*fn)(const struct sw_runenv *e, void *ctx), void *ctx)
{
	struct sw_runenv e;
	int ret;

	env_for(&e, db, app, job, report, report_ctx, cancel ? cancel : &rel.stop);
	e.observe = observe;
	/* a deploy waits out an endpoint that restarts (the engine), for the stall window */
	e.patience_ms = rel.settings.stall_s * 1000LL;
	ret = run_locked(&e, fn, ctx);
	if (ret == SW_ECANCEL) {
		/* a user's cancel the deploy had nothing to undo for (no release was made yet,
		 * e.g. while waiting for the app's lock) */
		struct sw_buf who = SW_BUF_INIT;
		if (sw_runenv_user_cancel(&e, &who))
			ret = sw_error_code(SW_ERROR, "cancelled by %s", who.ptr);
		sw_buf_release(&who);
	}
	return ret;
}

json_t *sw_releaser_doctor(void)
{
	struct sw_runenv e;
	if (!rel.enabled)
		return json_pack("{s:[{s:s, s:b, s:s, s:s}]}", "checks", "check", "releaser", "ok", 0, "detail",
				 "off: slipwayd found no AWS configuration (or SLIPWAY_RELEASER=off)", "fix",
				 "give slipwayd AWS settings (AWS_PROFILE, AWS_REGION, ...) or run scripts/up for the engine");
	env_for(&e, rel.db, NULL, 0, NULL, NULL, &rel.stop);
	return sw_doctor_run(&e);
}

/* ---- push ---- */

int sw_releaser_check_manifest(struct sw_push *p)
{
	return sw_push_read_manifest(p);
}

struct push_ctx {
	struct sw_push *p;
	int *version;
};

static int do_push(const struct sw_runenv *e, void *ctx)
{
	struct push_ctx *pc = ctx;
	return sw_deploy_push(e, pc->p, pc->version);
}

int sw_releaser_push(struct sw_push *p, sw_runenv_report_fn report, sw_runenv_observe_fn observe, void *report_ctx,
		     struct sw_cancel *cancel, int *version)
{
	struct push_ctx pc = { p, version };
	int ret;

	if (version)
		*version = 0;
	if ((ret = sw_push_read_manifest(p)) < 0)
		return ret;
	return sw_releaser_with_app(rel.db, p->app, p->job, report, observe, report_ctx, cancel, do_push, &pc);
}

int sw_releaser_push_target(const char *app, struct sw_push_target *t)
{
	struct sw_ecr_auth a = SW_ECR_AUTH_INIT;
	int ret;

	sw_push_target_release(t);
	if (!rel.enabled)
		return sw_push_target_local(rel.home, rel.registry, t);
	if ((ret = sw_ecr_login(rel.aws, app, &a)) < 0)
		return ret;
	t->registry = a.registry;
	t->user = a.user;
	t->password = a.password;
	return 0;
}

int sw_releaser_env(struct sw_runenv *e, sqlite3 *db, const char *app, struct sw_cancel *cancel)
{
	if (!rel.enabled) {
		memset(e, 0, sizeof(*e));
		return sw_error_code(SW_EUNAVAIL, "this slipwayd does not release (no AWS configuration): no tasks to show");
	}
	env_for(e, db, app, 0, NULL, NULL, cancel);
	return 0;
}

/* ---- teardown ---- */

struct teardown_ctx {
	const char *app;
	json_t *removed;
};

static int teardown_fn(const struct sw_runenv *e, void *ctx)
{
	struct teardown_ctx *t = ctx;
	/* its certificates first; teardown takes the rules forwarding to its target group, then
	 * what is left of its hosts' rules goes (a redirect to HTTPS forwards nowhere) */
	int ret = sw_certs_forget_app(e, t->app);
	if (ret < 0 || (ret = sw_teardown_app(e, t->app, t->removed)) < 0)
		return ret;
	return sw_route_forget_app(e, t->app);
}

int sw_releaser_teardown(sqlite3 *db, const char *app, json_t *removed)
{
	struct teardown_ctx t = { app, removed };
	int n;

	if (rel.enabled)
		return sw_releaser_with_app(db, app, 0, NULL, NULL, NULL, NULL, teardown_fn, &t);
	/* with the releaser off there is no way to reach what earlier releases made: refused
	 * rather than left half-removed */
	if ((n = sw_release_count(db, app)) < 0)
		return n;
	if (n > 0)
		return sw_error_code(SW_EUNAVAIL, "%s has %d release%s on ECS and this slipwayd has no AWS configuration"
				     " to remove them with (SLIPWAY_RELEASER); nothing was removed", app, n, n == 1 ? "" : "s");
	return 0;
}

/* ---- the background thread ---- */

static int log_line(void *ctx, const char *line)
{
	const struct sw_release *r = ctx;
	sw_log(SW_LOG_INFO, r->app, r->job_id, "%s", line);
	return 0;
}

static int resume_one(const struct sw_runenv *e, void *ctx)
{
	struct sw_release *r = ctx;
	return sw_golive_resume(e, r);
}

static int collect(void *ctx, const struct sw_release *r)
{
	struct sw_strvec *v = ctx;
	sw_strvec_pushf(v, "%d %s", r->version, r->app);
	return 0;
}

static void resume_all(void)
{
	struct sw_strvec todo = SW_STRVEC_INIT;
	size_t i;
	if (sw_release_list(rel.db, NULL, 0, collect, &todo) < 0) {
		sw_log_error("releaser: cannot list unfinished releases: %s", sw_error_last());
		return;
	}
	for (i = 0; i < todo.nr && !sw_cancel_raised(&rel.stop); i++) {
		struct sw_release r;
		int version = atoi(todo.v[i]);
		const char *app = strchr(todo.v[i], ' ') + 1;
		int ret;
		sw_release_init(&r);
		if (sw_release_load(rel.db, app, version, &r) == 0) {
			sw_log(SW_LOG_INFO, app, r.job_id, "resuming v%d (%s)", version, sw_release_status_name(r.status));
			ret = sw_releaser_with_app(rel.db, app, r.job_id, log_line, NULL, &r, &rel.stop, resume_one, &r);
			sw_log(ret < 0 && ret != SW_ECANCEL ? SW_LOG_WARN : SW_LOG_INFO, app, r.job_id,
			       "v%d after resuming: %s%s%s", version, sw_release_status_name(r.status),
			       ret < 0 ? ": " : "", ret < 0 ? sw_error_last() : "");
		}
		sw_release_release(&r);
	}
	sw_strvec_clear(&todo);
}

static void *background(void *arg)
{
	resume_all();
	while (!sw_cancel_raised(&rel.stop)) {
		struct timespec ts = { 0, 100 * 1000000L };
		int i;
		if (sw_tags_pending(rel.db, rel.repos) < 0)
			sw_log_warn("releaser: tags: %s", sw_error_last());
		for (i = 0; i < TAG_INTERVAL_MS / 100 && !sw_cancel_raised(&rel.stop); i++)
			nanosleep(&ts, NULL);
	}
	return NULL;
}

/* AWS configured in the environment the SDK way? */
static int aws_configured(void)
{
	static const char *const vars[] = {
		"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL,
	};
	int i;
	for (i = 0; vars[i]; i++)
		if (sw_env_str(vars[i]))
			return 1;
	return 0;
}

/*
 * The bootstrap stack to read (*name, NULL: none): SLIPWAY_STACK ("none": none), else the
 * record `slipway aws:bootstrap` wrote in $SLIPWAY_HOME/aws/stack.env, unless slipwayd
 * runs on scripts/up's engine files (engine_files), where a stack would be somebody
 * else's AWS. The record's region becomes AWS_REGION when no region is set.
 */
static int stack_name(const char *home, int engine_files, char **name)
{
	const char *v = sw_env_str("SLIPWAY_STACK");
	char *region = NULL;
	int ret;

	*name = NULL;
	if (v && !strcmp(v, "none"))
		return 0;
	if (v) {
		if (!sw_aws_stack_name_valid(v))
			return sw_error_code(SW_EINVAL, "SLIPWAY_STACK: '%.60s' is not a CloudFormation stack name (a "
					     "letter, then letters, digits and '-', 128 at most)", v);
		*name = xstrdup(v);
		return 0;
	}
	if (engine_files)
		return 0;
	ret = sw_aws_stack_record_read(home, name, &region);
	if (ret == SW_ENOTFOUND)
		ret = 0;
	if (ret == 0 && *name) {
		struct sw_buf path = SW_BUF_INIT;
		sw_aws_stack_record_path(home, &path);
		sw_log_info("releaser: the stack %s recorded in %s (SLIPWAY_STACK=none ignores it)", *name, path.ptr);
		sw_buf_release(&path);
		if (region && !sw_env_str("AWS_REGION") && !sw_env_str("AWS_DEFAULT_REGION"))
			setenv("AWS_REGION", region, 1);
	}
	free(region);
	return ret;
}

/* 1 when service's endpoint is AWS's own (none configured): slipway-engine, moto, ... are not. */
static int on_aws(const char *service)
{
	const struct sw_aws_endpoint *ep = sw_aws_client_endpoint(rel.aws, service);
	return ep && ep->source && !strcmp(ep->source, "default");
}

/* Settings from the environment, then the stack's outputs (a stack not in a usable state refuses). */
static int load_settings(const char *stack)
{
	json_t *outputs = NULL;
	int ret;

	if ((ret = sw_settings_load(&rel.settings)) < 0)
		return ret;
	if (stack && (ret = sw_aws_stack_outputs(rel.aws, stack, &outputs)) < 0)
		return sw_error_prefix("SLIPWAY_STACK");
	if (stack)
		ret = sw_settings_use_stack(&rel.settings, stack, outputs);
	json_decref(outputs);
	if (ret == 0)
		ret = sw_settings_check(&rel.settings);
	/* on AWS nothing is guessed (route.h): the engine's load balancer is found by its name,
	 * its cluster is "default"; on AWS both are the stack's or named */
	if (ret == 0 && on_aws("elbv2") && rel.settings.load_balancer && !rel.settings.listener_arn)
		ret = sw_error_code(SW_EINVAL, "no listener for the apps: set SLIPWAY_STACK (slipway aws:bootstrap "
				    "makes one) or SLIPWAY_LISTENER_ARN (or SLIPWAY_LOAD_BALANCER=none)");
	if (ret == 0 && on_aws("ecs") && !strcmp(sw_settings_from(&rel.settings, "cluster"), "default"))
		ret = sw_error_code(SW_EINVAL, "no ECS cluster for the apps: set SLIPWAY_STACK (slipway aws:bootstrap "
				    "makes one) or SLIPWAY_CLUSTER");
	return ret;
}

int sw_releaser_start(const struct sw_releaser_opts *o)
{
	const char *mode = sw_env_str("SLIPWAY_RELEASER");
	struct sw_buf cfg = SW_BUF_INIT, creds = SW_BUF_INIT;
	struct stat st;
	char *stack = NULL;
	int ret = 0, engine_files = 0;

	rel.home = xstrdup(o->home);
	rel.registry = xstrdup(o->registry);
	if (mode && strcmp(mode, "on") && strcmp(mode, "off") && strcmp(mode, "auto"))
		return sw_error_code(SW_EINVAL, "SLIPWAY_RELEASER: want on, off or auto, not '%.20s'", mode);
	if (mode && !strcmp(mode, "off")) {
		sw_log_info("releaser off (SLIPWAY_RELEASER=off): pushes only build");
		return 0;
	}
	sw_buf_addf(&cfg, "%s/aws/config", o->home);
	sw_buf_addf(&creds, "%s/aws/credentials", o->home);
	if (!aws_configured() && (!sw_env_str("SLIPWAY_STACK") || !strcmp(sw_env_str("SLIPWAY_STACK"), "none")) &&
	    stat(cfg.ptr, &st) == 0) {
		/* scripts/up's files for slipway-engine */
		setenv("AWS_CONFIG_FILE", cfg.ptr, 1);
		setenv("AWS_SHARED_CREDENTIALS_FILE", creds.ptr, 1);
		setenv("AWS_PROFILE", "slipway", 1);
		engine_files = 1;
	}
	if ((ret = stack_name(o->home, engine_files, &stack)) < 0)
		goto cleanup;
	if (!aws_configured() && !stack && !(mode && !strcmp(mode, "on"))) {
		sw_log_info("releaser off (no AWS configuration, no %s): pushes only build", cfg.ptr);
		goto cleanup;
	}
	/* main() says "slipwayd: releaser: <why>" */
	if ((ret = sw_aws_global_init()) < 0 || (ret = sw_aws_client_new(&rel.aws, NULL)) < 0 ||
	    (ret = load_settings(stack)) < 0)
		goto cleanup;
	rel.db = o->db;
	rel.repos = xstrdup(o->repos);
	rel.enabled = 1;
	git_libgit2_init();
	if (pthread_create(&rel.thread, NULL, background, NULL) != 0) {
		ret = sw_error_errno("releaser: thread");
		rel.enabled = 0;
		goto cleanup;
	}
	rel.thread_started = 1;
	{
		const struct sw_aws_endpoint *ep = sw_aws_client_endpoint(rel.aws, "ecs");
		const struct sw_settings *s = &rel.settings;
		sw_log_info("releaser on: ECS cluster %s%s%s%s in %s%s%s, launch %s", s->cluster, s->stack ? " (stack " : "",
			    s->stack ? s->stack : "", s->stack ? ")" : "", sw_aws_client_region(rel.aws), ep ? " at " : "",
			    ep ? ep->url : "", s->launch == SW_LAUNCH_FARGATE ? "fargate (SLIPWAY_LAUNCH)" :
			    s->launch == SW_LAUNCH_EC2 ? "ec2 (SLIPWAY_LAUNCH)" : "from the cluster's default strategy");
	}
cleanup:
	free(stack);
	sw_buf_release(&cfg);
	sw_buf_release(&creds);
	return ret;
}

void sw_releaser_stop(void)
{
	struct timespec until;

	if (!rel.enabled)
		return;
	/* commands and resumed rollouts stop at their next step: their releases stay
	 * deploying and are resumed by the next start */
	sw_time_deadline(&until, CLOCK_REALTIME, 30000);
	pthread_mutex_lock(&rel.mu);
	sw_cancel_raise(&rel.stop, SW_CANCEL_STOP, NULL);
	pthread_cond_broadcast(&rel.cond);
	while (rel.active > 0)
		if (pthread_cond_timedwait(&rel.cond, &rel.mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&rel.mu);
	if (rel.thread_started)
		pthread_join(rel.thread, NULL);
	rel.thread_started = 0;
}
