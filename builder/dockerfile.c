#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "builder/dockerfile.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/strvec.h"
#include "common/banned.h"

#define MAX_VARS 256
#define SHOWN 80

struct vars {
	struct sw_strvec names, values;
};

static const char *var_get(const struct vars *v, const char *name, size_t n)
{
	size_t i;
	for (i = v->names.nr; i-- > 0;)   /* the last setting wins */
		if (strlen(v->names.v[i]) == n && !strncmp(v->names.v[i], name, n))
			return v->values.v[i];
	return NULL;
}

static void var_set(struct vars *v, const char *name, size_t n, const char *value, size_t vn)
{
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT;

	if (v->names.nr >= MAX_VARS)
		return;
	sw_buf_add(&a, name, n);
	sw_buf_add(&b, value, vn);
	sw_strvec_push(&v->names, a.ptr);
	sw_strvec_push(&v->values, b.ptr);
	sw_buf_release(&a);
	sw_buf_release(&b);
}

/* A value as ARG/ENV write it: quotes taken off. */
static void unquote(const char *s, size_t n, struct sw_buf *out)
{
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s++;
		n -= 2;
	}
	sw_buf_add(out, s, n);
}

/* ARG name[=value] ... and ENV name=value ... / ENV name value: what the variables are. */
static void record_vars(struct vars *v, const char *args, int is_env)
{
	const char *p = args;

	if (is_env && !strchr(args, '=')) {   /* ENV name value... */
		size_t n;
		struct sw_buf val = SW_BUF_INIT;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n && p[n]) {
			const char *rest = p + n + strspn(p + n, " \t");
			unquote(rest, strlen(rest), &val);
			var_set(v, p, n, val.ptr ? val.ptr : "", val.len);
		}
		sw_buf_release(&val);
		return;
	}
	while (*p) {
		size_t n, eq;
		struct sw_buf val = SW_BUF_INIT;
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		eq = strcspn(p, "=");
		if (eq < n) {
			unquote(p + eq + 1, n - eq - 1, &val);
			var_set(v, p, eq, val.ptr ? val.ptr : "", val.len);
		} else if (!is_env && !var_get(v, p, n)) {
			var_set(v, p, n, "", 0);   /* ARG without a default: slipway passes no build arguments */
		}
		sw_buf_release(&val);
		p += n;
	}
}

/*
 * Expand $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word} in s with v into out. 0, or -1 when a
 * variable is not set by the Dockerfile (or takes its value from outside it).
 */
static int expand(const struct vars *v, const char *s, struct sw_buf *out)
{
	const char *p = s;

	while (*p) {
		const char *name, *val, *word = NULL;
		size_t n, wn = 0;
		char op = 0;

		if (*p == '\\' && p[1] == '$') {
			sw_buf_addch(out, '$');
			p += 2;
			continue;
		}
		if (*p != '$') {
			sw_buf_addch(out, *p++);
			continue;
		}
		p++;
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close)
				return -1;
			name = p + 1;
			n = strcspn(name, ":}");
			if (name[n] == ':' && (name[n + 1] == '-' || name[n + 1] == '+')) {
				op = name[n + 1];
				word = name + n + 2;
				wn = (size_t)(close - word);
			} else if (name[n] != '}') {
				return -1;
			}
			p = close + 1;
		} else {
			name = p;
			for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '_'; n++)
				;
			p += n;
		}
		if (!n)
			return -1;
		val = var_get(v, name, n);
		if (op == '-' && !(val && *val)) {
			sw_buf_add(out, word, wn);
		} else if (op == '+') {
			if (val && *val)
				sw_buf_add(out, word, wn);
		} else if (!val) {
			return -1;
		} else {
			sw_buf_adds(out, val);
		}
	}
	return 0;
}

static int looks_remote(const char *s)
{
	const char *at = strchr(s, '@'), *colon = strchr(s, ':'), *slash = strchr(s, '/');

	if (strstr(s, "://"))
		return 1;
	/* git@host:path, as BuildKit's ADD takes a git repository */
	return at && colon && at < colon && (!slash || colon < slash);
}

/* The sources of an ADD's arguments (flags dropped, the destination last): into list. */
static void add_sources(const char *args, struct sw_strvec *list)
{
	json_t *arr = NULL;
	size_t i;

	while (*args == ' ' || *args == '\t')
		args++;
	if (*args == '[')
		arr = json_loads(args, 0, NULL);
	if (json_is_array(arr)) {
		for (i = 0; i + 1 < json_array_size(arr); i++) {
			const char *s = json_string_value(json_array_get(arr, i));
			if (s)
				sw_strvec_push(list, s);
		}
		json_decref(arr);
		return;
	}
	json_decref(arr);
	while (*args) {
		struct sw_buf w = SW_BUF_INIT;
		size_t n;
		args += strspn(args, " \t");
		n = strcspn(args, " \t");
		if (!n)
			break;
		sw_buf_add(&w, args, n);
		args += n;
		if (strncmp(w.ptr, "--", 2))
			sw_strvec_push(list, w.ptr);
		sw_buf_release(&w);
	}
	if (list->nr)
		sw_strvec_pop(list);   /* the destination */
}

/* One instruction (its line's number first): 0, or SW_EINVAL. */
static int check_instruction(struct vars *v, const char *line, int lineno)
{
	struct sw_strvec sources = SW_STRVEC_INIT;
	struct sw_buf expanded = SW_BUF_INIT;
	const char *p = line + strspn(line, " \t");
	size_t n = strcspn(p, " \t"), i;
	int ret = 0;

	if (n == 7 && !strncasecmp(p, "ONBUILD", 7)) {   /* it runs in a build FROM this image */
		p += n;
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
	}
	if ((n == 3 && !strncasecmp(p, "ARG", 3)) || (n == 3 && !strncasecmp(p, "ENV", 3)))
		record_vars(v, p + n, !strncasecmp(p, "ENV", 3));
	if (!(n == 3 && !strncasecmp(p, "ADD", 3)))
		return 0;
	add_sources(p + n, &sources);
	for (i = 0; i < sources.nr && !ret; i++) {
		const char *src = sources.v[i];
		sw_buf_reset(&expanded);
		if (strchr(src, '$') && expand(v, src, &expanded) < 0)
			ret = sw_error_code(SW_EINVAL, "Dockerfile line %d: ADD %.*s takes a variable this Dockerfile does not"
					    " set, which could make it a URL: refused (set it with ARG NAME=value, or use"
					    " COPY)", lineno, SHOWN, src);
		else if (looks_remote(src) || (expanded.len && looks_remote(expanded.ptr)))
			ret = sw_error_code(SW_EINVAL, "Dockerfile line %d: ADD from a URL (%.*s) is refused: the builder"
					    " would fetch it from this server; download it in a RUN step, or commit the"
					    " file and COPY it", lineno, SHOWN, src);
	}
	sw_strvec_clear(&sources);
	sw_buf_release(&expanded);
	return ret;
}

/* "# escape=`" before the first instruction or comment: the line-continuation character. */
static char escape_directive(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q = p + strspn(p, " \t");
		if (q >= p + n || *q != '#')
			return '\\';   /* directives come first, before anything else */
		q++;
		q += strspn(q, " \t");
		if (!strncasecmp(q, "escape", 6)) {
			q += 6;
			q += strspn(q, " \t");
			if (*q == '=') {
				q++;
				q += strspn(q, " \t");
				if (*q == '`' || *q == '\\')
					return *q;
			}
		} else if (strncasecmp(q, "syntax", 6) && strncasecmp(q, "check", 5)) {
			return '\\';   /* a comment ends the directives */
		}
		p += n + (nl ? 1 : 0);
	}
	return '\\';
}

int sw_dockerfile_check(const char *text, size_t len)
{
	struct vars v = { SW_STRVEC_INIT, SW_STRVEC_INIT };
	struct sw_buf logical = SW_BUF_INIT, line = SW_BUF_INIT;
	const char *p = text, *end = text + len;
	char esc = escape_directive(text, len);
	int lineno = 0, first = 0, ret = 0;

	while (p < end && !ret) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q;

		lineno++;
		sw_buf_reset(&line);
		sw_buf_add(&line, p, n);
		p += n + (nl ? 1 : 0);
		if (memchr(line.ptr ? line.ptr : "", '\0', line.len)) {
			ret = sw_error_code(SW_EINVAL, "Dockerfile line %d: a NUL byte", lineno);
			break;
		}
		sw_buf_rtrim(&line);   /* "\r" and trailing blanks */
		q = line.len ? line.ptr + strspn(line.ptr, " \t") : "";
		/* comments go, in a continuation too; so do empty lines inside one */
		if (*q == '#' || (!*q && logical.len))
			continue;
		if (!logical.len)
			first = lineno;
		if (line.len && line.ptr[line.len - 1] == esc) {
			sw_buf_add(&logical, line.ptr, line.len - 1);
			sw_buf_addch(&logical, ' ');
			continue;
		}
		sw_buf_adds(&logical, line.len ? line.ptr : "");
		if (logical.len)
			ret = check_instruction(&v, logical.ptr, first);
		sw_buf_reset(&logical);
	}
	if (!ret && logical.len)   /* a continuation at the very end */
		ret = check_instruction(&v, logical.ptr, first);
	sw_strvec_clear(&v.names);
	sw_strvec_clear(&v.values);
	sw_buf_release(&logical);
	sw_buf_release(&line);
	return ret;
}
