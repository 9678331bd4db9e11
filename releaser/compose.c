/*
 * docker-compose.yml → the app manifest (see manifest.h), with libyaml's document
 * loader. Every error names the file, line and column of the node at fault; every key
 * slipway does not act on is named in the one warning line.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "releaser/manifest.h"
#include "releaser/strategy.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct compose {
	const char *file;
	yaml_document_t doc;
	struct sw_manifest *m;
	struct sw_strvec ignored;
};

struct pair {
	yaml_node_t *key;
	yaml_node_t *value;
};

struct pairs {
	struct pair *v;
	size_t nr, alloc;
};

static int err_at(struct compose *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err_at(struct compose *c, const yaml_node_t *n, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;
	int ret;
	if (n)
		sw_buf_addf(&b, "%s:%zu:%zu: ", c->file, n->start_mark.line + 1, n->start_mark.column + 1);
	else
		sw_buf_addf(&b, "%s: ", c->file);
	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ret = sw_error_code(SW_EINVAL, "%s", b.ptr);
	sw_buf_release(&b);
	return ret;
}

static void ignore(struct compose *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ignore(struct compose *c, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	sw_strvec_push(&c->ignored, b.ptr);
	sw_buf_release(&b);
}

static yaml_node_t *node(struct compose *c, int idx)
{
	return yaml_document_get_node(&c->doc, idx);
}

static int is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int is_null(const yaml_node_t *n)
{
	const char *s;
	if (!is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "empty";
	}
}

/*
 * The pairs of a mapping, its explicit keys first, then those merged in with "<<"
 * (a mapping or a list of them) that are not already there. A duplicate explicit key
 * or a non-scalar key is an error.
 */
static int add_pairs(struct compose *c, const yaml_node_t *map, struct pairs *out, int merged, int depth)
{
	yaml_node_pair_t *p;
	if (depth > 4)
		return err_at(c, map, "merge keys nested too deeply");
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		size_t i;
		int dup = 0;
		if (!k || !v)
			continue;
		if (!is_scalar(k))
			return err_at(c, k, "mapping keys must be plain strings");
		if (!strcmp(scalar(k), "<<") && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			continue;
		for (i = 0; i < out->nr; i++)
			if (!strcmp(scalar(out->v[i].key), scalar(k)))
				dup = 1;
		if (dup && !merged)
			return err_at(c, k, "'%.60s' is defined twice", scalar(k));
		if (dup)
			continue;
		SW_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		out->v[out->nr].key = k;
		out->v[out->nr].value = v;
		out->nr++;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		if (!k || !v || !is_scalar(k) || strcmp(scalar(k), "<<") ||
		    k->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			continue;
		if (v->type == YAML_MAPPING_NODE) {
			if (add_pairs(c, v, out, 1, depth + 1) < 0)
				return SW_EINVAL;
		} else if (v->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *it;
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				yaml_node_t *m = node(c, *it);
				if (!m || m->type != YAML_MAPPING_NODE)
					return err_at(c, m ? m : v, "'<<' merges mappings only");
				if (add_pairs(c, m, out, 1, depth + 1) < 0)
					return SW_EINVAL;
			}
		} else {
			return err_at(c, v, "'<<' merges mappings only");
		}
	}
	return 0;
}

static void pairs_release(struct pairs *p)
{
	free(p->v);
	p->v = NULL;
	p->nr = p->alloc = 0;
}

/* The pairs of map into out (reused); on failure out is released. */
static int pairs_of(struct compose *c, const yaml_node_t *map, const char *what, struct pairs *out)
{
	int ret;
	out->nr = 0;
	if (!map || map->type != YAML_MAPPING_NODE)
		return err_at(c, map, "%s must be a mapping, not %s", what, map ? kind(map) : "empty");
	if ((ret = add_pairs(c, map, out, 0, 0)) < 0)
		pairs_release(out);
	return ret;
}

/* Compose interpolation: "$$" is a literal "$" (slipway has no host environment to read). */
static void unescape_dollars(struct sw_buf *out, const char *s)
{
	for (; *s; s++) {
		if (s[0] == '$' && s[1] == '$')
			s++;
		sw_buf_addch(out, *s);
	}
}

static int scalar_string(struct compose *c, const yaml_node_t *n, const char *what, struct sw_buf *out)
{
	if (!is_scalar(n))
		return err_at(c, n, "%s must be a string, not %s", what, kind(n));
	sw_buf_reset(out);
	unescape_dollars(out, scalar(n));
	return 0;
}

static int whole_number(struct compose *c, const yaml_node_t *n, const char *what, long min, long max,
			long *out)
{
	const char *s;
	char *end = NULL;
	long v;
	if (!is_scalar(n))
		return err_at(c, n, "%s must be a whole number, not %s", what, kind(n));
	s = scalar(n);
	v = strtol(s, &end, 10);
	if (!*s || !end || *end || !(isdigit((unsigned char)s[0]) || s[0] == '-'))
		return err_at(c, n, "%s must be a whole number, not '%.40s'", what, s);
	if (v < min || v > max)
		return err_at(c, n, "%s must be between %ld and %ld, not %ld", what, min, max, v);
	*out = v;
	return 0;
}

/* mattn/go-shellwords, as compose splits a string command: quotes and backslashes, no expansion. */
static int shell_words(struct compose *c, const yaml_node_t *n, const char *s, struct sw_strvec *out)
{
	struct sw_buf w = SW_BUF_INIT;
	int in_word = 0;
	char quote = 0;
	for (; *s; s++) {
		char ch = *s;
		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			else
				sw_buf_addch(&w, ch);
			continue;
		}
		if (quote == '"') {
			if (ch == '"') {
				quote = 0;
			} else if (ch == '\\' && s[1] && strchr("\"\\$`", s[1])) {
				sw_buf_addch(&w, *++s);
			} else {
				sw_buf_addch(&w, ch);
			}
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (in_word)
				sw_strvec_push(out, w.ptr);
			sw_buf_reset(&w);
			in_word = 0;
			continue;
		}
		in_word = 1;
		if (ch == '\'' || ch == '"') {
			quote = ch;
		} else if (ch == '\\' && s[1]) {
			sw_buf_addch(&w, *++s);
		} else {
			sw_buf_addch(&w, ch);
		}
	}
	if (quote) {
		sw_buf_release(&w);
		return err_at(c, n, "unclosed %c quote in '%.60s'", quote, scalar(n));
	}
	if (in_word)
		sw_strvec_push(out, w.ptr);
	sw_buf_release(&w);
	return 0;
}

/* command / entrypoint: a string (split like a shell would, without running one) or a list. */
static int argv_value(struct compose *c, const yaml_node_t *n, const char *what, struct sw_strvec *out)
{
	struct sw_buf b = SW_BUF_INIT;
	int ret = 0;
	if (is_null(n))
		return 0;
	if (is_scalar(n)) {
		unescape_dollars(&b, scalar(n));
		ret = shell_words(c, n, b.ptr, out);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top && ret == 0; it++) {
			yaml_node_t *e = node(c, *it);
			if ((ret = scalar_string(c, e, what, &b)) == 0)
				sw_strvec_push(out, b.ptr);
		}
	} else {
		ret = err_at(c, n, "%s must be a string or a list, not %s", what, kind(n));
	}
	sw_buf_release(&b);
	return ret;
}

static int env_name_ok(const char *k, size_t n)
{
	size_t i;
	if (!n || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] <= ' ' || (unsigned char)k[i] >= 127 || k[i] == '=')
			return 0;
	return 1;
}

static int environment(struct compose *c, const char *svc, const yaml_node_t *n, struct sw_strvec *env)
{
	struct sw_buf b = SW_BUF_INIT;
	struct pairs ps = { NULL, 0, 0 };
	int ret = 0;
	size_t i;

	if (n->type == YAML_MAPPING_NODE) {
		if ((ret = pairs_of(c, n, "environment", &ps)) < 0)
			goto cleanup;
		for (i = 0; i < ps.nr; i++) {
			const char *k = scalar(ps.v[i].key);
			if (!env_name_ok(k, strlen(k))) {
				ret = err_at(c, ps.v[i].key, "'%.60s' is not a valid environment variable name", k);
				goto cleanup;
			}
			if (is_null(ps.v[i].value)) {
				ignore(c, "services.%s.environment.%s (no value: set it with slipway config:set)", svc, k);
				continue;
			}
			if ((ret = scalar_string(c, ps.v[i].value, "an environment value", &b)) < 0)
				goto cleanup;
			sw_strvec_pushf(env, "%s=%s", k, b.ptr);
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			yaml_node_t *e = node(c, *it);
			const char *eq;
			if ((ret = scalar_string(c, e, "an environment entry", &b)) < 0)
				goto cleanup;
			eq = strchr(b.ptr, '=');
			if (!env_name_ok(b.ptr, eq ? (size_t)(eq - b.ptr) : b.len)) {
				ret = err_at(c, e, "'%.60s' is not NAME=value", b.ptr);
				goto cleanup;
			}
			if (!eq) {
				ignore(c, "services.%s.environment.%s (no value: set it with slipway config:set)",
				       svc, b.ptr);
				continue;
			}
			sw_strvec_push(env, b.ptr);
		}
	} else if (!is_null(n)) {
		ret = err_at(c, n, "environment must be a mapping or a list, not %s", kind(n));
	}
cleanup:
	pairs_release(&ps);
	sw_buf_release(&b);
	return ret;
}

/* The container port of a `ports` entry: "8080", "80:8080", "127.0.0.1:80:8080/tcp", 8080, {target: 8080}. */
static int port_entry(struct compose *c, const yaml_node_t *n, int *port)
{
	const char *s, *last, *slash;
	char *end = NULL;
	long v;
	struct pairs ps = { NULL, 0, 0 };
	size_t i;

	if (n->type == YAML_MAPPING_NODE) {
		long t = 0;
		int ret;
		if ((ret = pairs_of(c, n, "a port", &ps)) < 0)
			return ret;
		for (i = 0; i < ps.nr; i++)
			if (!strcmp(scalar(ps.v[i].key), "target"))
				ret = whole_number(c, ps.v[i].value, "ports.target", 1, 65535, &t);
		if (ret == 0 && !t)
			ret = err_at(c, n, "a port mapping needs a target (the container port)");
		pairs_release(&ps);
		*port = (int)t;
		return ret;
	}
	if (!is_scalar(n))
		return err_at(c, n, "a port must be a string like \"8080\" or \"80:8080\", not %s", kind(n));
	s = scalar(n);
	last = strrchr(s, ':');
	last = last ? last + 1 : s;
	slash = strchr(last, '/');
	v = strtol(last, &end, 10);
	if (end == last || (end != (slash ? slash : last + strlen(last))) || v < 1 || v > 65535) {
		if (end && *end == '-')
			return err_at(c, n, "port ranges ('%.40s') are not supported; give one container port", s);
		return err_at(c, n, "'%.40s' is not a port mapping like \"8080\" or \"80:8080\"", s);
	}
	if (slash && strcmp(slash, "/tcp"))
		return err_at(c, n, "only tcp ports can be routed, not '%.40s'", s);
	*port = (int)v;
	return 0;
}

static int ports(struct compose *c, const char *svc, const char *key, const yaml_node_t *n, int *port)
{
	yaml_node_item_t *it;
	int ret;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return err_at(c, n, "%s must be a list, not %s", key, kind(n));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		int p = 0;
		if ((ret = port_entry(c, node(c, *it), &p)) < 0)
			return ret;
		if (it == n->data.sequence.items.start)
			*port = p;
		else if (p != *port)
			ignore(c, "services.%s.%s after the first (%d is routed)", svc, key, *port);
	}
	return 0;
}

static int memory(struct compose *c, const yaml_node_t *n, const char *what, int *mb)
{
	long long mib;
	if (!is_scalar(n))
		return err_at(c, n, "%s must be a size like 512m, not %s", what, kind(n));
	if (sw_manifest_parse_memory(scalar(n), &mib) < 0)
		return err_at(c, n, "%s: %s", what, sw_error_last());
	if (mib < SW_MANIFEST_MIN_MEMORY_MB)
		return err_at(c, n, "%s %s is below ECS's minimum of %d MB", what, scalar(n),
			      SW_MANIFEST_MIN_MEMORY_MB);
	if (mib > 1024 * 1024)
		return err_at(c, n, "%s %s is more than 1 TB", what, scalar(n));
	*mb = (int)mib;
	return 0;
}

static int deploy(struct compose *c, const char *svc, const yaml_node_t *n, struct sw_process *p)
{
	struct pairs ps = { NULL, 0, 0 }, rs = { NULL, 0, 0 }, ls = { NULL, 0, 0 };
	size_t i, j, k;
	int ret;

	if (is_null(n))
		return 0;
	if ((ret = pairs_of(c, n, "deploy", &ps)) < 0)
		goto cleanup;
	for (i = 0; i < ps.nr; i++) {
		const char *key = scalar(ps.v[i].key);
		if (!strcmp(key, "replicas")) {
			long v;
			if ((ret = whole_number(c, ps.v[i].value, "deploy.replicas", 0, 1000, &v)) < 0)
				goto cleanup;
			p->count = (int)v;
		} else if (!strcmp(key, "resources")) {
			if ((ret = pairs_of(c, ps.v[i].value, "deploy.resources", &rs)) < 0)
				goto cleanup;
			for (j = 0; j < rs.nr; j++) {
				const char *rk = scalar(rs.v[j].key);
				if (strcmp(rk, "limits")) {
					ignore(c, "services.%s.deploy.resources.%s", svc, rk);
					continue;
				}
				if ((ret = pairs_of(c, rs.v[j].value, "deploy.resources.limits", &ls)) < 0)
					goto cleanup;
				for (k = 0; k < ls.nr; k++) {
					const char *lk = scalar(ls.v[k].key);
					if (!strcmp(lk, "memory")) {
						if ((ret = memory(c, ls.v[k].value, "deploy.resources.limits.memory",
								  &p->memory_mb)) < 0)
							goto cleanup;
					} else {
						ignore(c, "services.%s.deploy.resources.limits.%s", svc, lk);
					}
				}
			}
		} else if (strncmp(key, "x-", 2)) {
			ignore(c, "services.%s.deploy.%s", svc, key);
		}
	}
cleanup:
	pairs_release(&ps);
	pairs_release(&rs);
	pairs_release(&ls);
	return ret;
}

/* A duration in whole seconds (rounded up), clamped to ECS's range with a note. */
static int seconds(struct compose *c, const char *svc, const yaml_node_t *n, const char *what,
		   int min, int max, int *out)
{
	long long ms, s;
	if (!is_scalar(n))
		return err_at(c, n, "healthcheck.%s must be a duration like 30s, not %s", what, kind(n));
	if (sw_time_parse_duration(scalar(n), 0, &ms) < 0)
		return err_at(c, n, "healthcheck.%s: %s", what, sw_error_last());
	s = (ms + 999) / 1000;
	if (s < min) {
		ignore(c, "services.%s.healthcheck.%s %s (ECS's minimum %ds used)", svc, what, scalar(n), min);
		s = min;
	} else if (s > max) {
		ignore(c, "services.%s.healthcheck.%s %s (ECS's maximum %ds used)", svc, what, scalar(n), max);
		s = max;
	}
	*out = (int)s;
	return 0;
}

static int healthcheck(struct compose *c, const char *svc, const yaml_node_t *n, struct sw_healthcheck *h)
{
	struct pairs ps = { NULL, 0, 0 };
	struct sw_strvec test = SW_STRVEC_INIT;
	struct sw_buf b = SW_BUF_INIT;
	int ret, disabled = 0;
	size_t i;

	if (is_null(n))
		return 0;
	if ((ret = pairs_of(c, n, "healthcheck", &ps)) < 0)
		goto cleanup;
	for (i = 0; i < ps.nr; i++) {
		const char *key = scalar(ps.v[i].key);
		yaml_node_t *v = ps.v[i].value;
		if (!strcmp(key, "test")) {
			if (is_scalar(v)) {
				if ((ret = scalar_string(c, v, "healthcheck.test", &b)) < 0)
					goto cleanup;
				sw_strvec_pushl(&test, "CMD-SHELL", b.ptr, NULL);
			} else if (v->type == YAML_SEQUENCE_NODE) {
				if ((ret = argv_value(c, v, "healthcheck.test", &test)) < 0)
					goto cleanup;
				if (!test.nr || (strcmp(test.v[0], "CMD") && strcmp(test.v[0], "CMD-SHELL") &&
						 strcmp(test.v[0], "NONE"))) {
					ret = err_at(c, v, "healthcheck.test must start with CMD, CMD-SHELL or NONE");
					goto cleanup;
				}
				if (!strcmp(test.v[0], "NONE")) {
					disabled = 1;
				} else if (test.nr < 2) {
					ret = err_at(c, v, "healthcheck.test has no command after %s", test.v[0]);
					goto cleanup;
				} else if (!strcmp(test.v[0], "CMD-SHELL") && test.nr > 2) {
					/* docker joins CMD-SHELL's words into one shell string */
					size_t w;
					sw_buf_reset(&b);
					for (w = 1; w < test.nr; w++)
						sw_buf_addf(&b, "%s%s", w > 1 ? " " : "", test.v[w]);
					sw_strvec_clear(&test);
					sw_strvec_pushl(&test, "CMD-SHELL", b.ptr, NULL);
				}
			} else {
				ret = err_at(c, v, "healthcheck.test must be a string or a list, not %s", kind(v));
				goto cleanup;
			}
		} else if (!strcmp(key, "disable")) {
			if (!is_scalar(v) || (strcmp(scalar(v), "true") && strcmp(scalar(v), "false"))) {
				ret = err_at(c, v, "healthcheck.disable must be true or false");
				goto cleanup;
			}
			disabled |= !strcmp(scalar(v), "true");
		} else if (!strcmp(key, "interval")) {
			if ((ret = seconds(c, svc, v, "interval", 5, 300, &h->interval)) < 0)
				goto cleanup;
		} else if (!strcmp(key, "timeout")) {
			if ((ret = seconds(c, svc, v, "timeout", 2, 60, &h->timeout)) < 0)
				goto cleanup;
		} else if (!strcmp(key, "start_period")) {
			if ((ret = seconds(c, svc, v, "start_period", 0, 300, &h->start_period)) < 0)
				goto cleanup;
		} else if (!strcmp(key, "retries")) {
			long r;
			if ((ret = whole_number(c, v, "healthcheck.retries", 0, 1000, &r)) < 0)
				goto cleanup;
			if (r < 1 || r > 10) {
				ignore(c, "services.%s.healthcheck.retries %ld (ECS's %s %d used)", svc, r,
				       r < 1 ? "minimum" : "maximum", r < 1 ? 1 : 10);
				r = r < 1 ? 1 : 10;
			}
			h->retries = (int)r;
		} else if (strncmp(key, "x-", 2)) {
			ignore(c, "services.%s.healthcheck.%s", svc, key);
		}
	}
	if (disabled) {
		sw_strvec_clear(&h->command);
		h->interval = h->timeout = h->retries = h->start_period = 0;
	} else if (test.nr) {
		sw_strvec_clear(&h->command);
		sw_strvec_pushv(&h->command, test.v);
	} else {
		/* only timings: the image's own HEALTHCHECK test is not visible to ECS */
		ignore(c, "services.%s.healthcheck without test", svc);
		h->interval = h->timeout = h->retries = h->start_period = 0;
	}
cleanup:
	pairs_release(&ps);
	sw_strvec_clear(&test);
	sw_buf_release(&b);
	return ret;
}

/* 1 when build means "the Dockerfile at the root of the pushed tree", 0 when not (noted), <0 error. */
static int builds_root(struct compose *c, const char *svc, const yaml_node_t *n)
{
	struct pairs ps = { NULL, 0, 0 };
	size_t i;
	int ret = 1;

	if (is_scalar(n)) {
		const char *s = scalar(n);
		if (!strcmp(s, ".") || !strcmp(s, "./"))
			return 1;
		ignore(c, "services.%s (builds '%.60s': only the root Dockerfile is built)", svc, s);
		return 0;
	}
	if ((ret = pairs_of(c, n, "build", &ps)) < 0)
		return ret;
	ret = 1;
	for (i = 0; i < ps.nr && ret == 1; i++) {
		const char *key = scalar(ps.v[i].key);
		yaml_node_t *v = ps.v[i].value;
		if (!strcmp(key, "context")) {
			if (!is_scalar(v)) {
				ret = err_at(c, v, "build.context must be a string");
			} else if (strcmp(scalar(v), ".") && strcmp(scalar(v), "./")) {
				ignore(c, "services.%s (builds '%.60s': only the root Dockerfile is built)", svc,
				       scalar(v));
				ret = 0;
			}
		} else if (!strcmp(key, "dockerfile")) {
			if (!is_scalar(v)) {
				ret = err_at(c, v, "build.dockerfile must be a string");
			} else if (strcmp(scalar(v), "Dockerfile") && strcmp(scalar(v), "./Dockerfile")) {
				ignore(c, "services.%s (builds '%.60s': only the root Dockerfile is built)", svc,
				       scalar(v));
				ret = 0;
			}
		} else if (strncmp(key, "x-", 2)) {
			ignore(c, "services.%s.build.%s", svc, key);
		}
	}
	pairs_release(&ps);
	return ret;
}

struct svc_ports {
	int port;               /* from ports */
	int exposed;            /* from expose */
	const yaml_node_t *at;  /* the ports node, for messages */
};

static int service(struct compose *c, const yaml_node_t *key, const yaml_node_t *n, struct svc_ports *sp)
{
	const char *svc = scalar(key);
	struct pairs ps = { NULL, 0, 0 };
	struct sw_process *p = NULL;
	struct sw_buf b = SW_BUF_INIT;
	const yaml_node_t *build = NULL;
	int ret = 0, mem_limit = 0, built;
	size_t i;

	if ((ret = pairs_of(c, n, "a service", &ps)) < 0)
		goto cleanup;
	for (i = 0; i < ps.nr; i++)
		if (!strcmp(scalar(ps.v[i].key), "build"))
			build = ps.v[i].value;
	if (!build) {
		ignore(c, "services.%s (no build: only services built from this repository run)", svc);
		goto cleanup;
	}
	if ((built = builds_root(c, svc, build)) <= 0) {
		ret = built;
		goto cleanup;
	}
	if (sw_manifest_check_name(svc) < 0) {
		ret = err_at(c, key, "%s", sw_error_last());
		goto cleanup;
	}
	if (c->m->nr >= SW_MANIFEST_MAX_PROCESSES) {
		ret = err_at(c, key, "more than %d services", SW_MANIFEST_MAX_PROCESSES);
		goto cleanup;
	}
	p = sw_manifest_add(c->m, svc);
	for (i = 0; i < ps.nr; i++) {
		const char *k = scalar(ps.v[i].key);
		yaml_node_t *v = ps.v[i].value;
		if (!strcmp(k, "build") || !strcmp(k, "image") || !strncmp(k, "x-", 2)) {
			continue;
		} else if (!strcmp(k, "command")) {
			ret = argv_value(c, v, "command", &p->command);
		} else if (!strcmp(k, "entrypoint")) {
			ret = argv_value(c, v, "entrypoint", &p->entrypoint);
		} else if (!strcmp(k, "environment")) {
			ret = environment(c, svc, v, &p->env);
		} else if (!strcmp(k, "ports")) {
			sp->at = v;
			ret = ports(c, svc, "ports", v, &sp->port);
		} else if (!strcmp(k, "expose")) {
			ret = ports(c, svc, "expose", v, &sp->exposed);
		} else if (!strcmp(k, "deploy")) {
			ret = deploy(c, svc, v, p);
		} else if (!strcmp(k, "mem_limit")) {
			ret = memory(c, v, "mem_limit", &mem_limit);
		} else if (!strcmp(k, "healthcheck")) {
			ret = healthcheck(c, svc, v, &p->health);
		} else if (!strcmp(k, "working_dir") || !strcmp(k, "user")) {
			if ((ret = scalar_string(c, v, k, &b)) == 0) {
				char **dst = !strcmp(k, "user") ? &p->user : &p->workdir;
				free(*dst);
				*dst = xstrdup(b.ptr);
			}
		} else {
			ignore(c, "services.%s.%s", svc, k);
		}
		if (ret < 0)
			goto cleanup;
	}
	if (!p->memory_mb)
		p->memory_mb = mem_limit;
cleanup:
	pairs_release(&ps);
	sw_buf_release(&b);
	return ret;
}

static int top_level(struct compose *c, const yaml_node_t *root)
{
	struct pairs ps = { NULL, 0, 0 }, ss = { NULL, 0, 0 }, xs = { NULL, 0, 0 };
	struct svc_ports *sp = NULL;
	const yaml_node_t *services = NULL, *services_key = NULL;
	struct sw_buf where = SW_BUF_INIT, val = SW_BUF_INIT;
	size_t i, nports = 0, web = (size_t)-1;
	int ret;

	if (!root || is_null(root))
		return err_at(c, NULL, "empty file (expected a 'services:' mapping)");
	if ((ret = pairs_of(c, root, "the file", &ps)) < 0)
		goto cleanup;
	for (i = 0; i < ps.nr; i++) {
		const char *k = scalar(ps.v[i].key);
		yaml_node_t *v = ps.v[i].value;
		if (!strcmp(k, "services")) {
			services = v;
			services_key = ps.v[i].key;
		} else if (!strcmp(k, "x-slipway")) {
			size_t j;
			if ((ret = pairs_of(c, v, "x-slipway", &xs)) < 0)
				goto cleanup;
			for (j = 0; j < xs.nr; j++) {
				const char *xk = scalar(xs.v[j].key);
				if (strcmp(xk, "healthcheck_path") && strcmp(xk, "deadline") &&
				    !sw_strategy_key(xk)) {
					ignore(c, "x-slipway.%s", xk);
					continue;
				}
				if ((ret = scalar_string(c, xs.v[j].value, xk, &val)) < 0)
					goto cleanup;
				sw_buf_reset(&where);
				sw_buf_addf(&where, "%s:%zu:%zu", c->file, xs.v[j].value->start_mark.line + 1,
					    xs.v[j].value->start_mark.column + 1);
				if ((ret = sw_manifest_directive(c->m, where.ptr, xk, val.ptr, &c->ignored)) < 0)
					goto cleanup;
			}
		} else if (!strcmp(k, "version") || !strcmp(k, "name") || !strncmp(k, "x-", 2)) {
			continue;
		} else {
			ignore(c, "%s", k);
		}
	}
	if (!services) {
		ret = err_at(c, root, "no 'services:' mapping");
		goto cleanup;
	}
	if ((ret = pairs_of(c, services, "services", &ss)) < 0)
		goto cleanup;
	sp = xcalloc(ss.nr + 1, sizeof(*sp));
	for (i = 0; i < ss.nr; i++) {
		size_t before = c->m->nr;
		if ((ret = service(c, ss.v[i].key, ss.v[i].value, &sp[before])) < 0)
			goto cleanup;
		if (c->m->nr == before)
			memset(&sp[before], 0, sizeof(sp[before]));
	}
	if (!c->m->nr) {
		ret = err_at(c, services_key, "no service builds the pushed tree (expected 'build: .')");
		goto cleanup;
	}
	/* the web process: the service named web, else the only one with ports */
	for (i = 0; i < c->m->nr; i++)
		if (!strcmp(c->m->procs[i].name, "web"))
			web = i;
	for (i = 0; i < c->m->nr; i++)
		if (sp[i].port && strcmp(c->m->procs[i].name, "release"))
			nports++;
	if (web == (size_t)-1 && nports > 1) {
		ret = err_at(c, services_key, "several services publish ports; name the one that serves "
			     "HTTP 'web'");
		goto cleanup;
	}
	if (web == (size_t)-1)
		for (i = 0; i < c->m->nr; i++)
			if (sp[i].port && strcmp(c->m->procs[i].name, "release"))
				web = i;
	for (i = 0; i < c->m->nr; i++) {
		struct sw_process *p = &c->m->procs[i];
		if (i == web) {
			p->web = 1;
			p->port = sp[i].port ? sp[i].port : sp[i].exposed;
		} else if (sp[i].port) {
			ignore(c, "services.%s.ports (only the web process is routed)", p->name);
		}
	}
	if (sw_manifest_find(c->m, "release") && c->m->nr == 1) {
		ret = err_at(c, services_key, "only a release service; add a web or another service");
		goto cleanup;
	}
cleanup:
	free(sp);
	pairs_release(&ps);
	pairs_release(&ss);
	pairs_release(&xs);
	sw_buf_release(&where);
	sw_buf_release(&val);
	return ret;
}

int sw_manifest_parse_compose(struct sw_manifest *m, const char *name, const char *text,
			      size_t len, const char *dockerfile)
{
	struct compose c;
	yaml_parser_t parser;
	int ret = 0, loaded = 0;

	memset(&c, 0, sizeof(c));
	c.file = name;
	c.m = m;
	sw_strvec_init(&c.ignored);
	m->source = xstrdup(name);

	if (len > SW_MANIFEST_MAX_FILE) {
		ret = sw_error_code(SW_ETOOBIG, "%s is larger than %d KB", name, SW_MANIFEST_MAX_FILE / 1024);
		goto cleanup;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = sw_error("%s: cannot initialise the YAML parser", name);
		goto cleanup;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		const yaml_mark_t *mk = &parser.problem_mark;
		if (parser.context)
			ret = sw_error_code(SW_EINVAL, "%s:%zu:%zu: %s %s", name, mk->line + 1, mk->column + 1,
					    parser.problem ? parser.problem : "invalid YAML", parser.context);
		else
			ret = sw_error_code(SW_EINVAL, "%s:%zu:%zu: %s", name, mk->line + 1, mk->column + 1,
					    parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		goto cleanup;
	}
	loaded = 1;
	yaml_parser_delete(&parser);

	if ((ret = top_level(&c, yaml_document_get_root_node(&c.doc))) < 0)
		goto cleanup;
	if (!m->healthcheck_path)
		m->healthcheck_path = xstrdup("/");
	{
		struct sw_process *web = sw_manifest_web(m);
		if (web && !web->port) {
			/* the Dockerfile's EXPOSE, else the default, as for a Procfile app */
			int p = dockerfile ? sw_manifest_dockerfile_port(dockerfile) : 0;
			web->port = p ? p : SW_MANIFEST_DEFAULT_PORT;
		}
	}
	if (c.ignored.nr) {
		struct sw_buf b = SW_BUF_INIT;
		size_t i;
		sw_buf_addf(&b, "%s: not supported, ignored: ", name);
		for (i = 0; i < c.ignored.nr; i++)
			sw_buf_addf(&b, "%s%s", i ? ", " : "", c.ignored.v[i]);
		m->warning = sw_buf_detach(&b, NULL);
	}
cleanup:
	if (loaded)
		yaml_document_delete(&c.doc);
	sw_strvec_clear(&c.ignored);
	if (ret < 0)
		sw_manifest_release(m);
	return ret;
}
