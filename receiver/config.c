#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "receiver/config.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

static int env_long(const char *name, long def, long min, long max, long *out)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n;

	*out = def;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return sw_error_code(SW_EINVAL, "%s: want a number from %ld to %ld, not \"%.40s\"",
				     name, min, max, v);
	*out = n;
	return 0;
}

/* git's size syntax for receive.maxInputSize: digits with an optional k/m/g. */
static int size_valid(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (!n || n > 15)
		return 0;
	return !s[n] || (strchr("kmgKMG", s[n]) && !s[n + 1]);
}

/* "60m", "5s", "1m30s": minutes and seconds, the way the build timeout is told. */
static char *duration_text(long secs)
{
	struct sw_buf b = SW_BUF_INIT;

	if (secs >= 60)
		sw_buf_addf(&b, "%ldm", secs / 60);
	if (secs < 60 || secs % 60)
		sw_buf_addf(&b, "%lds", secs % 60);
	return sw_buf_detach(&b, NULL);
}

/*
 * The duration syntax of app manifests ("30m", "1h30m", a bare number of seconds), the
 * releaser's parser (releaser/manifest.c), declared here rather than through the manifest's
 * header, which slipwayd's settings have no other business with. common/time.h's parser
 * takes its place once it is there.
 */
int sw_manifest_parse_duration(const char *s, long long *ms);

/* SLIPWAY_BUILD_TIMEOUT: seconds, or a duration with units ("30m", "1h30m"); 1s to 24h. */
static int build_timeout(struct sw_config *c)
{
	const char *v = getenv("SLIPWAY_BUILD_TIMEOUT");
	long long ms = 3600 * 1000LL;

	if (v && *v && (sw_manifest_parse_duration(v, &ms) < 0 || ms < 1000 || ms > 24 * 3600 * 1000LL))
		return sw_error_code(SW_EINVAL, "SLIPWAY_BUILD_TIMEOUT: want seconds or a duration like 30m or 2h,"
				     " from 1s to 24h, not \"%.40s\"", v);
	c->build_timeout = (long)((ms + 999) / 1000);
	c->build_timeout_text = duration_text(c->build_timeout);
	return 0;
}

static char *hook_next_to_us(void)
{
	struct sw_buf b = SW_BUF_INIT;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup("slipway-hook");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	sw_buf_addf(&b, "%s/slipway-hook", self);
	return sw_buf_detach(&b, NULL);
}

int sw_config_load(struct sw_config *c)
{
	struct sw_buf b = SW_BUF_INIT;
	const char *home = getenv("SLIPWAY_HOME");
	const char *v;
	long n;

	if (!home || !*home) {
		const char *h = getenv("HOME");
		if (!h || !*h)
			return sw_error_code(SW_EINVAL, "SLIPWAY_HOME is not set and neither is HOME");
		sw_buf_addf(&b, "%s/.slipway", h);
	} else if (home[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return sw_error_errno("getcwd");
		sw_buf_addf(&b, "%s/%s", cwd, home);
	} else {
		sw_buf_adds(&b, home);
	}
	while (b.len > 1 && b.ptr[b.len - 1] == '/')
		sw_buf_setlen(&b, b.len - 1);
	c->home = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/repos", c->home);
	c->repos = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/builds", c->home);
	c->builds = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/slipwayd.db", c->home);
	c->db_path = sw_buf_detach(&b, NULL);

	if (env_long("SLIPWAY_PORT", 5480, 1, 65535, &n) < 0)
		return SW_EINVAL;
	c->port = (int)n;
	if (env_long("SLIPWAY_REGISTRY_PORT", 5000, 1, 65535, &n) < 0)
		return SW_EINVAL;
	c->registry_port = (int)n;
	if (env_long("SLIPWAY_MAX_BUILDS", 2, 1, 64, &n) < 0)
		return SW_EINVAL;
	c->max_builds = (int)n;
	if (env_long("SLIPWAY_MAX_ROLLOUTS", 64, 1, 4096, &n) < 0)
		return SW_EINVAL;
	c->max_rollouts = (int)n;
	/* the hook outlasts the build deadline plus a release (releaser/settings.h: 15m
	 * release phase, 10m rollout by default) with room to spare */
	if (build_timeout(c) < 0 ||
	    env_long("SLIPWAY_HOOK_TIMEOUT", c->build_timeout + 3600, 10, 7 * 24 * 3600, &c->hook_timeout) < 0)
		return SW_EINVAL;

	if (env_long("SLIPWAY_QUIET_SECS", 30, 1, 3600, &c->quiet_secs) < 0 ||
	    env_long("SLIPWAY_WEBHOOK_ATTEMPTS", 8, 1, 100, &c->webhook_attempts) < 0 ||
	    env_long("SLIPWAY_WEBHOOK_BACKOFF_MS", 1000, 10, 3600 * 1000, &c->webhook_backoff_ms) < 0 ||
	    env_long("SLIPWAY_WEBHOOK_TIMEOUT", 10, 1, 300, &c->webhook_timeout_secs) < 0)
		return SW_EINVAL;

	v = getenv("SLIPWAY_LISTEN");
	c->listen = xstrdup(v && *v ? v : "127.0.0.1");
	v = getenv("SLIPWAY_REGISTRY");
	if (v && *v) {
		c->registry = xstrdup(v);
	} else {
		sw_buf_addf(&b, "127.0.0.1:%d", c->registry_port);
		c->registry = sw_buf_detach(&b, NULL);
	}
	v = getenv("SLIPWAY_MAX_PUSH_SIZE");
	if (v && *v && !size_valid(v))
		return sw_error_code(SW_EINVAL, "SLIPWAY_MAX_PUSH_SIZE: want a size like 500m or 2g, not \"%.40s\"", v);
	c->max_push_size = xstrdup(v && *v ? v : "2g");
	v = getenv("SLIPWAY_HOOK");
	c->hook = v && *v ? xstrdup(v) : hook_next_to_us();
	if (c->hook[0] != '/')
		return sw_error_code(SW_EINVAL, "SLIPWAY_HOOK: want an absolute path, not \"%.200s\"", c->hook);
	return 0;
}

void sw_config_release(struct sw_config *c)
{
	free(c->home);
	free(c->repos);
	free(c->builds);
	free(c->db_path);
	free(c->listen);
	free(c->registry);
	free(c->max_push_size);
	free(c->build_timeout_text);
	free(c->hook);
	memset(c, 0, sizeof(*c));
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return sw_error_errno("mkdir %s", path);
	return 0;
}

int sw_config_make_dirs(const struct sw_config *c)
{
	/* the parent of home may be missing too (SLIPWAY_HOME=/tmp/x/y) */
	struct sw_buf p = SW_BUF_INIT;
	size_t i;
	int r = 0;

	sw_buf_adds(&p, c->home);
	for (i = 1; i < p.len && !r; i++) {
		if (p.ptr[i] != '/')
			continue;
		p.ptr[i] = '\0';
		r = make_dir(p.ptr, 0755);
		p.ptr[i] = '/';
	}
	sw_buf_release(&p);
	if (r < 0 || make_dir(c->home, 0700) < 0 || make_dir(c->repos, 0700) < 0 ||
	    make_dir(c->builds, 0700) < 0)
		return SW_ERROR;
	return 0;
}
