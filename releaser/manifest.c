#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/manifest.h"
#include "releaser/strategy.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_manifest_init(struct sw_manifest *m)
{
	struct sw_manifest blank = SW_MANIFEST_INIT;
	*m = blank;
}

static void process_release(struct sw_process *p)
{
	free(p->name);
	sw_strvec_clear(&p->command);
	sw_strvec_clear(&p->entrypoint);
	sw_strvec_clear(&p->env);
	free(p->workdir);
	free(p->user);
	sw_strvec_clear(&p->health.command);
}

void sw_manifest_release(struct sw_manifest *m)
{
	size_t i;
	for (i = 0; i < m->nr; i++)
		process_release(&m->procs[i]);
	free(m->procs);
	free(m->source);
	free(m->healthcheck_path);
	free(m->warning);
	json_decref(m->strategy);
	sw_manifest_init(m);
}

struct sw_process *sw_manifest_find(const struct sw_manifest *m, const char *name)
{
	size_t i;
	for (i = 0; i < m->nr; i++)
		if (!strcmp(m->procs[i].name, name))
			return &m->procs[i];
	return NULL;
}

struct sw_process *sw_manifest_web(const struct sw_manifest *m)
{
	size_t i;
	for (i = 0; i < m->nr; i++)
		if (m->procs[i].web)
			return &m->procs[i];
	return NULL;
}

struct sw_process *sw_manifest_add(struct sw_manifest *m, const char *name)
{
	struct sw_process *p;
	SW_ALLOC_GROW(m->procs, m->nr + 1, m->alloc);
	p = &m->procs[m->nr++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	sw_strvec_init(&p->command);
	sw_strvec_init(&p->entrypoint);
	sw_strvec_init(&p->env);
	sw_strvec_init(&p->health.command);
	p->count = -1;
	return p;
}

int sw_manifest_check_name(const char *name)
{
	size_t i, n = strlen(name);
	if (n == 0 || n > 30 || !isalnum((unsigned char)name[0]))
		goto bad;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) || (unsigned char)name[i] > 127)
			if (name[i] != '-' && name[i] != '_')
				goto bad;
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "process type '%.40s%s' must be 1-30 letters, digits, '-' or '_'",
			     name, n > 40 ? "..." : "");
}

/* ---- units ---- */

int sw_manifest_parse_memory(const char *s, long long *mib)
{
	const char *p = s;
	double num = 0, frac = 0.1;
	long long mult = 1;
	int digits = 0;
	long double bytes;

	while (isdigit((unsigned char)*p)) {
		num = num * 10 + (*p++ - '0');
		digits++;
		if (num > 1e15)
			goto bad;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			num += (*p++ - '0') * frac;
			frac /= 10;
			digits++;
		}
	}
	if (!digits)
		goto bad;
	if (*p == ' ')
		p++;
	switch (tolower((unsigned char)*p)) {
	case 'k': mult = 1LL << 10; p++; break;
	case 'm': mult = 1LL << 20; p++; break;
	case 'g': mult = 1LL << 30; p++; break;
	case 't': mult = 1LL << 40; p++; break;
	case 'b': break;
	case '\0': break;
	default: goto bad;
	}
	if (mult > 1 && tolower((unsigned char)*p) == 'i')
		p++;
	if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p)
		goto bad;
	bytes = (long double)num * mult;
	if (bytes > (long double)(1LL << 50))
		goto bad;
	*mib = (long long)((bytes + (1 << 20) - 1) / (1 << 20));
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "'%.40s' is not a memory size (like 512m or 1g)", s);
}

/* ---- directives: "# slipway: key=value key=value" ---- */

static int check_path(const char *v)
{
	size_t i, n = strlen(v);
	if (v[0] != '/' || n > 1024)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 127)
			return -1;
	return 0;
}

int sw_manifest_directive(struct sw_manifest *m, const char *where, const char *key,
			  const char *value, struct sw_strvec *ignored)
{
	if (!strcmp(key, "healthcheck_path")) {
		if (check_path(value) < 0)
			return sw_error_code(SW_EINVAL, "%s: healthcheck_path must be a path starting "
					     "with '/' (no spaces), not '%.60s'", where, value);
		free(m->healthcheck_path);
		m->healthcheck_path = xstrdup(value);
	} else if (!strcmp(key, "deadline")) {
		long long ms;
		if (sw_time_parse_duration(value, 0, &ms) < 0)
			return sw_error_prefix("%s: deadline", where);
		if (ms < 10000 || ms > 6LL * 3600 * 1000)
			return sw_error_code(SW_EINVAL, "%s: deadline must be between 10s and 6h, not %.40s",
					     where, value);
		m->deadline = (int)((ms + 999) / 1000);
	} else if (!strcmp(key, "port")) {
		char *end = NULL;
		long port = strtol(value, &end, 10);
		struct sw_process *web = sw_manifest_web(m);
		if (!isdigit((unsigned char)value[0]) || !end || *end || port < 1 || port > 65535)
			return sw_error_code(SW_EINVAL, "%s: port must be 1-65535, not '%.20s'", where, value);
		if (web)
			web->port = (int)port;
	} else {
		int known = sw_strategy_check(where, key, value);
		if (known < 0)
			return known;
		if (!known) {
			sw_strvec_pushf(ignored, "%s", key);
			return 0;
		}
		if (!m->strategy)
			m->strategy = json_object();
		json_object_set_new(m->strategy, key, json_string(value));
	}
	return 0;
}

/*
 * Apply the "# slipway: k=v ..." lines of text (file names it in messages); unknown keys
 * go to ignored. Returns how many directive lines there were, or negative.
 */
static int scan_directives(struct sw_manifest *m, const char *file, const char *text,
			   struct sw_strvec *ignored)
{
	const char *line = text;
	int lineno = 0, found = 0;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line, *end = line + n;
		lineno++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '#') {
			p++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t)(end - p) >= 8 && !strncmp(p, "slipway:", 8)) {
				char *copy = xstrndup(p + 8, (size_t)(end - p - 8));
				char *tok = copy, *save = NULL;
				struct sw_buf w = SW_BUF_INIT;
				int ret = 0;
				found++;
				sw_buf_addf(&w, "%s:%d", file, lineno);
				for (tok = strtok_r(copy, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
					char *eq = strchr(tok, '=');
					if (!eq || eq == tok) {
						ret = sw_error_code(SW_EINVAL, "%s: expected key=value after "
								    "'# slipway:', not '%.40s'", w.ptr, tok);
						break;
					}
					*eq = '\0';
					if ((ret = sw_manifest_directive(m, w.ptr, tok, eq + 1, ignored)) < 0)
						break;
				}
				sw_buf_release(&w);
				free(copy);
				if (ret < 0)
					return ret;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return found;
}

int sw_manifest_dockerfile_port(const char *dockerfile)
{
	const char *line = dockerfile;
	int port = 0;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncasecmp(p, "FROM", 4) && (p[4] == ' ' || p[4] == '\t')) {
			port = 0;
		} else if (!strncasecmp(p, "EXPOSE", 6) && (p[6] == ' ' || p[6] == '\t') && !port) {
			long v;
			char *end = NULL;
			p += 6;
			while (*p == ' ' || *p == '\t')
				p++;
			v = strtol(p, &end, 10);
			if (end != p && v > 0 && v < 65536 && (*end == '/' || *end == ' ' ||
							       *end == '\t' || *end == '\r' ||
							       *end == '\n' || *end == '\0'))
				port = (int)v;
		}
		line = eol ? eol + 1 : NULL;
	}
	return port;
}

static void set_warning(struct sw_manifest *m, const char *file, struct sw_strvec *ignored)
{
	struct sw_buf b = SW_BUF_INIT;
	size_t i;
	if (!ignored->nr)
		return;
	sw_buf_addf(&b, "%s: not supported, ignored: ", file);
	for (i = 0; i < ignored->nr; i++)
		sw_buf_addf(&b, "%s%s", i ? ", " : "", ignored->v[i]);
	free(m->warning);
	m->warning = sw_buf_detach(&b, NULL);
}

static void finish_defaults(struct sw_manifest *m, const char *dockerfile)
{
	struct sw_process *web = sw_manifest_web(m);
	if (!m->healthcheck_path)
		m->healthcheck_path = xstrdup("/");
	if (web && !web->port) {
		int p = dockerfile ? sw_manifest_dockerfile_port(dockerfile) : 0;
		web->port = p ? p : SW_MANIFEST_DEFAULT_PORT;
	}
}

int sw_manifest_parse_dockerfile(struct sw_manifest *m, const char *dockerfile)
{
	struct sw_strvec ignored = SW_STRVEC_INIT;
	struct sw_process *web;
	int ret;

	m->source = xstrdup("Dockerfile");
	web = sw_manifest_add(m, "web");
	web->web = 1;
	ret = dockerfile ? scan_directives(m, "Dockerfile", dockerfile, &ignored) : 0;
	if (ret >= 0) {
		ret = 0;
		set_warning(m, "Dockerfile '# slipway:' directive", &ignored);
		finish_defaults(m, dockerfile);
	}
	sw_strvec_clear(&ignored);
	if (ret < 0)
		sw_manifest_release(m);
	return ret;
}

int sw_manifest_parse_procfile(struct sw_manifest *m, const char *name, const char *text,
			       size_t len, const char *dockerfile)
{
	struct sw_strvec ignored = SW_STRVEC_INIT;
	const char *line = text, *end = text + len;
	int lineno = 0, ret = 0;

	m->source = xstrdup(name);
	if (memchr(text, '\0', len)) {
		ret = sw_error_code(SW_EINVAL, "%s: not a text file (contains NUL bytes)", name);
		goto cleanup;
	}
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *le = eol ? eol : end, *p = line, *colon;
		struct sw_process *proc;
		char *pname = NULL, *cmd = NULL;

		lineno++;
		while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p == le || *p == '#')
			goto next;
		colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p) {
			ret = sw_error_code(SW_EINVAL, "%s:%d:%d: expected 'name: command'", name, lineno,
					    (int)(p - line) + 1);
			goto cleanup;
		}
		pname = xstrndup(p, (size_t)(colon - p));
		if (sw_manifest_check_name(pname) < 0) {
			ret = sw_error_prefix("%s:%d:%d", name, lineno, (int)(p - line) + 1);
			free(pname);
			goto cleanup;
		}
		if (sw_manifest_find(m, pname)) {
			ret = sw_error_code(SW_EINVAL, "%s:%d:%d: process type '%s' is defined twice",
					    name, lineno, (int)(p - line) + 1, pname);
			free(pname);
			goto cleanup;
		}
		if (m->nr >= SW_MANIFEST_MAX_PROCESSES) {
			ret = sw_error_code(SW_EINVAL, "%s:%d: more than %d process types", name, lineno,
					    SW_MANIFEST_MAX_PROCESSES);
			free(pname);
			goto cleanup;
		}
		p = colon + 1;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p == le) {
			ret = sw_error_code(SW_EINVAL, "%s:%d:%d: process type '%s' has no command",
					    name, lineno, (int)(p - line) + 1, pname);
			free(pname);
			goto cleanup;
		}
		cmd = xstrndup(p, (size_t)(le - p));
		proc = sw_manifest_add(m, pname);
		proc->web = !strcmp(pname, "web");
		sw_strvec_pushl(&proc->command, "/bin/sh", "-c", cmd, NULL);
		free(pname);
		free(cmd);
next:
		line = eol ? eol + 1 : end;
	}
	if (m->nr == 0) {
		ret = sw_error_code(SW_EINVAL, "%s: no process types (expected lines like 'web: bin/server')",
				    name);
		goto cleanup;
	}
	if (sw_manifest_find(m, "release") && m->nr == 1) {
		ret = sw_error_code(SW_EINVAL, "%s: only a release process; add a 'web:' or another process type",
				    name);
		goto cleanup;
	}
	/* the directive lives in the Procfile; the Dockerfile's is read when the Procfile has none */
	{
		struct sw_buf copy = SW_BUF_INIT;
		sw_buf_add(&copy, text, len);
		ret = scan_directives(m, name, copy.ptr, &ignored);
		sw_buf_release(&copy);
	}
	if (ret == 0 && dockerfile)
		ret = scan_directives(m, "Dockerfile", dockerfile, &ignored);
	if (ret < 0)
		goto cleanup;
	ret = 0;
	set_warning(m, "'# slipway:' directive", &ignored);
	finish_defaults(m, dockerfile);

cleanup:
	sw_strvec_clear(&ignored);
	if (ret < 0)
		sw_manifest_release(m);
	return ret;
}

/* ---- JSON ---- */

json_t *sw_manifest_to_json(const struct sw_manifest *m)
{
	json_t *procs = json_array(), *out;
	size_t i;
	for (i = 0; i < m->nr; i++) {
		const struct sw_process *p = &m->procs[i];
		json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:b, s:i, s:i, s:i}",
				      "name", p->name,
				      "command", sw_json_from_strvec(&p->command),
				      "entrypoint", sw_json_from_strvec(&p->entrypoint),
				      "env", sw_json_from_strvec(&p->env),
				      "web", p->web, "port", p->port, "count", p->count,
				      "memory", p->memory_mb);
		if (p->workdir)
			json_object_set_new(o, "workdir", json_string(p->workdir));
		if (p->user)
			json_object_set_new(o, "user", json_string(p->user));
		if (p->health.command.nr)
			json_object_set_new(o, "health", json_pack("{s:o, s:i, s:i, s:i, s:i}",
				"command", sw_json_from_strvec(&p->health.command),
				"interval", p->health.interval, "timeout", p->health.timeout,
				"retries", p->health.retries, "start_period", p->health.start_period));
		json_array_append_new(procs, o);
	}
	out = json_pack("{s:s, s:s, s:i, s:o}", "source", m->source ? m->source : "",
			"healthcheck_path", m->healthcheck_path ? m->healthcheck_path : "/",
			"deadline", m->deadline, "processes", procs);
	if (m->strategy)
		json_object_set(out, "strategy", m->strategy);
	return out;
}

int sw_manifest_from_json(struct sw_manifest *m, const json_t *j)
{
	const json_t *procs = json_object_get(j, "processes"), *o;
	const char *s;
	size_t i;

	if (!json_is_object(j) || !json_is_array(procs))
		goto bad;
	s = sw_json_str(j, "source");
	m->source = xstrdup(s ? s : "");
	s = sw_json_str(j, "healthcheck_path");
	m->healthcheck_path = xstrdup(s ? s : "/");
	m->deadline = (int)sw_json_int(j, "deadline", 0);
	if (json_is_object(json_object_get(j, "strategy")))
		m->strategy = json_deep_copy(json_object_get(j, "strategy"));
	json_array_foreach(procs, i, o) {
		const char *name = sw_json_str(o, "name");
		const json_t *h = json_object_get(o, "health");
		struct sw_process *p;
		if (!name)
			goto bad;
		p = sw_manifest_add(m, name);
		if (sw_json_to_strvec(&p->command, json_object_get(o, "command")) < 0 ||
		    sw_json_to_strvec(&p->entrypoint, json_object_get(o, "entrypoint")) < 0 ||
		    sw_json_to_strvec(&p->env, json_object_get(o, "env")) < 0)
			goto bad;
		p->web = sw_json_bool(o, "web", 0);
		p->port = (int)sw_json_int(o, "port", 0);
		p->count = (int)sw_json_int(o, "count", -1);
		p->memory_mb = (int)sw_json_int(o, "memory", 0);
		if ((s = sw_json_str(o, "workdir")))
			p->workdir = xstrdup(s);
		if ((s = sw_json_str(o, "user")))
			p->user = xstrdup(s);
		if (h) {
			if (sw_json_to_strvec(&p->health.command, json_object_get(h, "command")) < 0)
				goto bad;
			p->health.interval = (int)sw_json_int(h, "interval", 0);
			p->health.timeout = (int)sw_json_int(h, "timeout", 0);
			p->health.retries = (int)sw_json_int(h, "retries", 0);
			p->health.start_period = (int)sw_json_int(h, "start_period", 0);
		}
	}
	return 0;
bad:
	sw_manifest_release(m);
	return sw_error_code(SW_EINVAL, "stored manifest is malformed");
}
