#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/build.h"
#include "builder/dockerfile.h"
#include "builder/context.h"
#include "builder/image.h"
#include "builder/registry.h"
#include "common/buf.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_DOCKERFILE (1024 * 1024)   /* Docker takes bigger ones; no real one is */

struct run {
	const struct sw_build_opts *opts;
	struct sw_context *ctx;
	int stopped; /* report() returned < 0 */
};

static int say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line to the pusher. < 0 when the caller wants the build stopped. */
static int say(struct run *r, const char *fmt, ...)
{
	struct sw_buf line = SW_BUF_INIT;
	va_list ap;
	int ret = 0;

	if (!r->opts->report)
		return 0;
	va_start(ap, fmt);
	sw_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	if (r->opts->report(r->opts->report_ctx, line.ptr) < 0) {
		r->stopped = 1;
		ret = sw_error_code(SW_ECANCEL, "cancelled");
	}
	sw_buf_release(&line);
	return ret;
}

static void on_warn(void *ctx, const char *line)
{
	say(ctx, " !     %s", line);
}

static ssize_t read_context(void *ctx, char *buf, size_t n)
{
	struct run *r = ctx;
	return sw_context_read(r->ctx, buf, n);
}

/* Docker's HumanSize: decimal units, three significant digits at most. */
static void human_size(struct sw_buf *out, long long n)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 0) {
		sw_buf_adds(out, "size unknown");
		return;
	}
	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		sw_buf_addf(out, "%lld B", n);
	else
		sw_buf_addf(out, "%.3g %s", v, units[u]);
}

/* A Docker repository name: components of [a-z0-9] runs joined by ".", "_", "__" or "-"s, split by "/". */
static int valid_app(const char *s)
{
	size_t i, n = strlen(s);
	if (!n || n > 200)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int alnum = islower(c) || isdigit(c);
		int first = i == 0 || s[i - 1] == '/';
		int last = i + 1 == n || s[i + 1] == '/';
		if (alnum)
			continue;
		if ((first || last) && c != '/')
			return 0;
		if (c == '/') {
			if (first || last)
				return 0;
		} else if (c == '.' || c == '_' || c == '-') {
			unsigned char p = (unsigned char)s[i - 1];
			if (c == '.' && !(islower(p) || isdigit(p)))
				return 0;
			if (c == '_' && !(islower(p) || isdigit(p) || (p == '_' && i >= 2 && s[i - 2] != '_')))
				return 0;
			if (c == '-' && !(islower(p) || isdigit(p) || p == '-'))
				return 0;
			if (s[i + 1] == '/')
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

static int check_opts(const struct sw_build_opts *o)
{
	if (!o->repo_path || !*o->repo_path)
		return sw_error_code(SW_EINVAL, "no repository given");
	if (!o->app || !valid_app(o->app))
		return sw_error_code(SW_EINVAL, "bad app name \"%.64s\": want lowercase letters, digits and dashes",
				     o->app ? o->app : "");
	if (sw_registry_check(o->registry) < 0)
		return sw_error_last_code();
	if (o->registry_password && !o->registry_user)
		return sw_error_code(SW_EINVAL, "a registry password without a user");
	return 0;
}

void sw_build_result_release(struct sw_build_result *res)
{
	free(res->image);
	free(res->digest);
	res->image = NULL;
	res->digest = NULL;
	res->size = -1;
	res->reused = 0;
	res->built_at = res->pushed_at = 0;
}

/* ---- Docker or the registry restarting under a build ---------------------------------- */

#define WAIT_DOCKER_MS 60000     /* a Docker that stopped mid-build is waited for this long */
#define WAIT_REGISTRY_MS 30000   /* ... a registry that does not answer */
#define AGAIN_MAX 3              /* builds or pushes started again at most */

/* Sleep ms (cancel honoured): 0 or SW_ECANCEL. */
static int nap(const struct sw_cancel *cancel, long ms)
{
	while (ms > 0) {
		long step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, step * 1000000L };
		if (sw_cancel_raised(cancel))
			return sw_error_code(SW_ECANCEL, "cancelled");
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return sw_cancel_raised(cancel) ? sw_error_code(SW_ECANCEL, "cancelled") : 0;
}

/*
 * Docker stopped during the build or push (the connection to it was lost): wait until
 * it answers again. 0, SW_ECANCEL, or SW_EUNAVAIL with the reason in words.
 */
static int wait_docker(const struct sw_build_opts *o, const char *what)
{
	struct sw_buf why = SW_BUF_INIT;
	long long until = sw_time_mono_ms() + WAIT_DOCKER_MS;
	int ret = 0;

	sw_buf_adds(&why, sw_error_last());
	for (;;) {
		json_t *doc = NULL;
		int ok = sw_docker_json("GET", "/version", NULL, &doc) >= 0;
		json_decref(doc);
		if (ok)
			break;
		if (sw_time_mono_ms() > until) {
			ret = sw_error_code(SW_EUNAVAIL, "Docker stopped during the %s and did not answer again for %ds (%s)",
					    what, WAIT_DOCKER_MS / 1000, why.ptr);
			break;
		}
		if ((ret = nap(o->cancel, 500)) < 0)
			break;
	}
	sw_buf_release(&why);
	return ret;
}

/* Docker's words for a registry it could not reach (a registry restarting), in a push's error. */
static int registry_gone(const char *msg)
{
	return strstr(msg, "connection refused") || strstr(msg, "connection reset") || strstr(msg, ": EOF") ||
	       strstr(msg, "i/o timeout") || strstr(msg, "503 Service Unavailable") || strstr(msg, "502 Bad Gateway");
}

/*
 * The registry lookup, waiting for a registry that stopped answering (SW_EUNAVAIL) for up
 * to WAIT_REGISTRY_MS; sw_registry_lookup()'s returns.
 */
static int lookup(const struct sw_build_opts *o, const struct sw_registry *reg, const char *ref, char **digest,
		  long long *bytes)
{
	long long until = sw_time_mono_ms() + WAIT_REGISTRY_MS;
	int ret;

	while ((ret = sw_registry_lookup(reg, o->app, ref, digest, bytes)) == SW_EUNAVAIL &&
	       sw_time_mono_ms() < until)
		if (nap(o->cancel, 500) < 0)
			return SW_ECANCEL;
	if (ret == SW_EUNAVAIL)
		sw_error_prefix("the registry is unreachable");
	return ret;
}

/* The image built, started again (a new build context) when Docker restarted under it. */
static int build_image(struct run *r, const struct sw_context_opts *copts, struct sw_image_build_opts *bopts)
{
	int ret, again;

	for (again = 0;; again++) {
		ret = sw_image_build(bopts, NULL);
		if (ret < 0 && sw_context_failure(r->ctx, NULL)) {
			/* our side of the upload failed: that is the reason, not curl's "transfer aborted" */
			const char *why = "";
			int code = sw_context_failure(r->ctx, &why);
			return sw_error_code(code, "%s", why);
		}
		/* Docker not there at all is said at once; one that went away mid-build is waited for */
		if (ret != SW_EUNAVAIL || again >= AGAIN_MAX || (!again && !strncmp(sw_error_last(), "cannot reach", 12)))
			break;
		if ((ret = wait_docker(r->opts, "build")) < 0)
			break;
		if ((ret = say(r, "-----> Docker restarted during the build: building again")) < 0)
			break;
		sw_context_free(r->ctx);
		r->ctx = NULL;
		if ((ret = sw_context_new(&r->ctx, copts)) < 0)
			break;
	}
	if (ret == SW_EUNAVAIL && strncmp(sw_error_last(), "Docker stopped", 14) && strncmp(sw_error_last(), "cannot reach", 12))
		sw_error_prefix("Docker stopped during the build");
	return ret;
}

/* The image pushed, again when Docker or the registry restarted under the push. */
static int push_image(struct run *r, const struct sw_registry *reg, const char *name, const char *auth,
		      char **digest)
{
	const struct sw_build_opts *o = r->opts;
	int ret, again;

	for (again = 0;; again++) {
		ret = sw_image_push(name, o->commit, auth, o->cancel, o->report, o->report_ctx, digest);
		if (ret >= 0 || ret == SW_ECANCEL || again >= AGAIN_MAX)
			break;
		if (ret == SW_EUNAVAIL) {
			if ((ret = wait_docker(o, "push")) < 0 ||
			    (ret = say(r, "-----> Docker restarted during the push: pushing again")) < 0)
				break;
		} else if (registry_gone(sw_error_last())) {
			struct sw_buf why = SW_BUF_INIT;
			sw_buf_adds(&why, sw_error_last());
			ret = lookup(o, reg, o->commit, NULL, NULL);
			if (ret == SW_EUNAVAIL)
				ret = sw_error_code(SW_EUNAVAIL, "push failed: the registry at %s is unreachable (%s)",
						    sw_registry_host(o->registry), why.ptr);
			sw_buf_release(&why);
			if (ret < 0 || (ret = say(r, "-----> the registry did not answer: pushing again")) < 0)
				break;
		} else {
			break;
		}
	}
	if (ret == SW_EUNAVAIL && strncmp(sw_error_last(), "Docker stopped", 14) && !strstr(sw_error_last(), "registry"))
		sw_error_prefix("Docker stopped during the push");
	else if (ret < 0 && ret != SW_ECANCEL && registry_gone(sw_error_last()) && !strstr(sw_error_last(), "registry"))
		sw_error_prefix("the registry at %s is unreachable", sw_registry_host(o->registry));
	return ret;
}

int sw_build_run(const struct sw_build_opts *opts, struct sw_build_result *res)
{
	struct run r = { opts, NULL, 0 };
	struct sw_context_opts copts = { 0 };
	struct sw_registry reg = { 0 };
	struct sw_image_build_opts bopts = { 0 };
	struct sw_buf name = SW_BUF_INIT, image = SW_BUF_INIT, shown = SW_BUF_INIT;
	struct sw_buf auth = SW_BUF_INIT, size = SW_BUF_INIT, dockerfile = SW_BUF_INIT;
	char *digest = NULL;
	long long bytes = -1;
	double start = sw_time_mono();
	const char *short_id;
	int ret;

	sw_build_result_release(res);
	if ((ret = check_opts(opts)) < 0)
		return ret;
	if (sw_cancel_raised(opts->cancel))
		return sw_error_code(SW_ECANCEL, "cancelled");

	copts.repo_path = opts->repo_path;
	copts.object_dir = opts->object_dir;
	copts.alternate_dirs = opts->alternate_dirs;
	copts.commit = opts->commit;
	copts.require_dockerfile = 1;
	copts.warn = on_warn;
	copts.warn_ctx = &r;
	copts.cancel = opts->cancel;
	if ((ret = sw_context_new(&r.ctx, &copts)) < 0)
		goto cleanup;
	short_id = sw_context_short_id(r.ctx);
	/* an ADD <url> would be fetched by the Docker engine on this machine (builder/dockerfile.h) */
	if ((ret = sw_context_read_root_file(r.ctx, sw_context_dockerfile(r.ctx), MAX_DOCKERFILE, &dockerfile)) < 0 ||
	    (ret = sw_dockerfile_check(dockerfile.ptr ? dockerfile.ptr : "", dockerfile.len)) < 0)
		goto cleanup;

	reg.spec = opts->registry;
	reg.user = opts->registry_user;
	reg.password = opts->registry_password;
	reg.cancel = opts->cancel;
	sw_buf_addf(&name, "%s/%s", sw_registry_host(opts->registry), opts->app);
	sw_buf_addf(&image, "%s:%s", name.ptr, opts->commit);
	sw_buf_addf(&shown, "%s:%s", name.ptr, short_id);

	/* Already in the registry: the same commit always makes the same image. */
	/* a registry that does not answer at all now: said at once (it is not restarting under us) */
	ret = sw_registry_lookup(&reg, opts->app, opts->commit, &digest, &bytes);
	if (ret < 0)
		goto cleanup;
	if (ret == 1) {
		if ((ret = say(&r, "-----> image for %s already built, reusing", short_id)) < 0)
			goto cleanup;
		res->reused = 1;
		res->built_at = res->pushed_at = sw_time_now();
		goto done;
	}

	bopts.tag = image.ptr;
	bopts.dockerfile = sw_context_dockerfile(r.ctx);
	bopts.read = read_context;
	bopts.read_ctx = &r;
	bopts.report = opts->report;
	bopts.report_ctx = opts->report_ctx;
	bopts.cancel = opts->cancel;
	if ((ret = build_image(&r, &copts, &bopts)) < 0)
		goto cleanup;
	res->built_at = sw_time_now();

	sw_registry_docker_auth(&reg, &auth);
	if ((ret = push_image(&r, &reg, name.ptr, auth.ptr, &digest)) < 0)
		goto cleanup;
	res->pushed_at = sw_time_now();
	/* the size of what was pushed: the manifest lists the (compressed) layers */
	if (sw_registry_lookup(&reg, opts->app, digest, NULL, &bytes) < 0)
		bytes = -1;
	human_size(&size, bytes);
	if ((ret = say(&r, "-----> pushing %s ... %s (%s)", shown.ptr, digest, size.ptr)) < 0)
		goto cleanup;
	if ((ret = say(&r, "-----> build %s done in %.1fs", short_id, sw_time_mono() - start)) < 0)
		goto cleanup;

done:
	res->image = sw_buf_detach(&image, NULL);
	res->digest = digest;
	res->size = bytes;
	digest = NULL;
	ret = 0;

cleanup:
	if (ret < 0 && r.stopped)
		ret = sw_error_code(SW_ECANCEL, "cancelled");
	free(digest);
	sw_context_free(r.ctx);
	sw_buf_release(&name);
	sw_buf_release(&image);
	sw_buf_release(&shown);
	sw_buf_release(&auth);
	sw_buf_release(&size);
	sw_buf_release(&dockerfile);
	return ret;
}
