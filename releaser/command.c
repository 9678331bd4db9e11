#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "releaser/command.h"
#include "releaser/deploy.h"
#include "releaser/releaser.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define OUTPUT_MAX (256 * 1024)   /* unread output kept for a slow reader */

struct sw_command {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct sw_buf out;        /* JSON lines not read yet */
	size_t off;
	int done;
	int refs;                 /* the thread and the reader */
	char *app;
	char *who;
	json_t *req;
	sqlite3 *db;
	struct sw_strvec args;
	int dropped;
	int finished;             /* the last line (status) was emitted */
};

static void unref(struct sw_command *c)
{
	int last;
	pthread_mutex_lock(&c->mu);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cond);
	sw_buf_release(&c->out);
	free(c->app);
	free(c->who);
	json_decref(c->req);
	sw_strvec_clear(&c->args);
	free(c);
}

static void emit(struct sw_command *c, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->out.len - c->off + strlen(text) > OUTPUT_MAX && c->refs > 1) {
		/* nobody reads fast enough: forget what is unread, say so once */
		sw_buf_reset(&c->out);
		c->off = 0;
		if (!c->dropped++)
			sw_buf_adds(&c->out, "{\"line\":\"       (output dropped: the client is not reading)\"}\n");
	}
	if (c->refs > 1) {
		sw_buf_adds(&c->out, text);
		sw_buf_addch(&c->out, '\n');
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->mu);
	free(text);
}

static int report(void *ctx, const char *line)
{
	struct sw_command *c = ctx;
	json_t *s = json_string(line);
	if (!s) {
		/* not UTF-8: keep the line, lose the odd bytes */
		struct sw_buf b = SW_BUF_INIT;
		const char *p;
		for (p = line; *p; p++)
			sw_buf_addch(&b, (unsigned char)*p < 0x80 ? *p : '?');
		s = json_string(b.ptr);
		sw_buf_release(&b);
	}
	sw_log(SW_LOG_INFO, c->app, 0, "%s", line);
	emit(c, json_pack("{s:o}", "line", s));
	return 0;
}

static int run(const struct sw_runenv *e, void *ctx)
{
	struct sw_command *c = ctx;
	const char *cmd = json_string_value(json_object_get(c->req, "command"));
	int version = 0, ret;

	if (!strcmp(cmd, "config"))
		ret = sw_deploy_config(e, c->app, json_object_get(c->req, "unset") != NULL, c->args.v, c->args.nr,
				       c->who, &version);
	else if (!strcmp(cmd, "scale"))
		ret = sw_deploy_scale(e, c->app, c->args.v, c->args.nr, c->who, &version);
	else
		ret = sw_deploy_rollback(e, c->app, (int)json_integer_value(json_object_get(c->req, "version")),
					 json_is_true(json_object_get(c->req, "force")), c->who, &version);
	c->finished = 1;
	if (ret == 0 && version)
		emit(c, json_pack("{s:s, s:i}", "status", "live", "version", version));
	else if (ret == 0)
		emit(c, json_pack("{s:s}", "status", "unchanged"));
	else
		emit(c, json_pack("{s:s, s:i, s:s}", "status", "failed", "version", version, "reason",
				  ret == SW_ECANCEL ? "slipwayd is stopping: the rollout resumes when it starts again"
						    : sw_error_last()));
	return ret;
}

static void *thread(void *arg)
{
	struct sw_command *c = arg;
	int ret = sw_releaser_with_app(c->db, c->app, 0, report, c, NULL, run, c);
	if (!c->finished)   /* it never ran: the releaser is off, or slipwayd stopped while it waited */
		emit(c, json_pack("{s:s, s:i, s:s}", "status", "failed", "version", 0, "reason",
				  ret < 0 ? sw_error_last() : "not run"));
	pthread_mutex_lock(&c->mu);
	c->done = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
	unref(c);
	return NULL;
}

/* Turn the request into argument strings ("K=V", "K", "web=4"). */
static int parse(struct sw_command *c)
{
	const char *cmd = json_string_value(json_object_get(c->req, "command"));
	const json_t *v;
	const char *k;
	size_t i;

	if (!cmd)
		return sw_error_code(SW_EINVAL, "want {\"command\": \"config\"|\"scale\"|\"rollback\", ...}");
	if (!strcmp(cmd, "config")) {
		const json_t *set = json_object_get(c->req, "set"), *unset = json_object_get(c->req, "unset");
		if ((set != NULL) == (unset != NULL))
			return sw_error_code(SW_EINVAL, "config: want \"set\": {...} or \"unset\": [...]");
		if (set) {
			if (!json_is_object(set) || !json_object_size(set))
				return sw_error_code(SW_EINVAL, "config: \"set\" must be an object of strings");
			json_object_foreach((json_t *)set, k, v) {
				if (!json_is_string(v))
					return sw_error_code(SW_EINVAL, "config: the value of %.60s must be a string", k);
				sw_strvec_pushf(&c->args, "%s=%s", k, json_string_value(v));
			}
		} else {
			if (!json_is_array(unset) || !json_array_size(unset))
				return sw_error_code(SW_EINVAL, "config: \"unset\" must be a list of names");
			json_array_foreach(unset, i, v) {
				if (!json_is_string(v))
					return sw_error_code(SW_EINVAL, "config: \"unset\" must be a list of names");
				sw_strvec_push(&c->args, json_string_value(v));
			}
		}
	} else if (!strcmp(cmd, "scale")) {
		const json_t *f = json_object_get(c->req, "formation");
		if (!json_is_array(f) || !json_array_size(f) || json_array_size(f) > 50)
			return sw_error_code(SW_EINVAL, "scale: want \"formation\": [\"web=4\", ...]");
		json_array_foreach(f, i, v) {
			if (!json_is_string(v))
				return sw_error_code(SW_EINVAL, "scale: want \"formation\": [\"web=4\", ...]");
			sw_strvec_push(&c->args, json_string_value(v));
		}
	} else if (!strcmp(cmd, "rollback")) {
		const json_t *ver = json_object_get(c->req, "version"), *force = json_object_get(c->req, "force");
		if (ver && (!json_is_integer(ver) || json_integer_value(ver) < 0 || json_integer_value(ver) > 1000000000))
			return sw_error_code(SW_EINVAL, "rollback: \"version\" must be a release number");
		if (force && !json_is_boolean(force))
			return sw_error_code(SW_EINVAL, "rollback: \"force\" must be true or false");
	} else {
		return sw_error_code(SW_EINVAL, "unknown command '%.40s'", cmd);
	}
	return 0;
}

int sw_command_start(struct sw_command **out, sqlite3 *db, const char *app, const json_t *request,
		     const char *who)
{
	struct sw_command *c;
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	*out = NULL;
	if (!sw_releaser_enabled())
		return sw_error_code(SW_EUNAVAIL, "the releaser is off: slipwayd has no ECS to release to");
	if (!json_is_object(request))
		return sw_error_code(SW_EINVAL, "want a JSON object");
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
	sw_buf_init(&c->out, 0);
	sw_strvec_init(&c->args);
	c->app = xstrdup(app);
	c->who = xstrdup(who && *who ? who : "api");
	c->req = json_deep_copy(request);
	c->db = db;
	c->refs = 2;
	if ((ret = parse(c)) < 0) {
		c->refs = 1;
		unref(c);
		return ret;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, thread, c) != 0) {
		pthread_attr_destroy(&attr);
		c->refs = 1;
		unref(c);
		return sw_error("cannot start a thread for the command");
	}
	pthread_attr_destroy(&attr);
	*out = c;
	return 0;
}

ssize_t sw_command_read(struct sw_command *c, char *buf, size_t n, int timeout_ms)
{
	struct timespec until;
	size_t avail;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	while (c->off >= c->out.len && !c->done) {
		if (pthread_cond_timedwait(&c->cond, &c->mu, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&c->mu);
			return SW_ETIMEOUT;
		}
	}
	avail = c->out.len - c->off;
	if (avail > n)
		avail = n;
	memcpy(buf, c->out.ptr + c->off, avail);
	c->off += avail;
	if (c->off >= c->out.len) {
		sw_buf_reset(&c->out);
		c->off = 0;
	}
	pthread_mutex_unlock(&c->mu);
	return (ssize_t)avail;
}

void sw_command_release(struct sw_command *c)
{
	if (c)
		unref(c);
}
