#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/dockerignore.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

/*
 * moby/patternmatcher compiles each pattern into one of four match types: exact
 * (no wildcard at all), prefix ("dir/" then "**"), suffix ("**" followed only by literal
 * characters: a plain HasSuffix, so "**file" matches "myfile" too) and regexp. The
 * first three are string comparisons there and here; the regexp is replayed here as
 * a small NFA over the same tokens (linear in path length times pattern length, so
 * a hostile pattern cannot make a build hang).
 */

#define MAX_LINE (64 * 1024) /* Go's bufio.Scanner token limit: longer lines are an error there too */
#define INVALID_BYTE 0x110000u /* undecodable byte b reads as INVALID_BYTE + b */

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_GLOB };

enum tok_kind {
	T_RUNE,        /* one given character */
	T_ANY,         /* "?": one character except "/" */
	T_CLASS,       /* "[...]" */
	T_STAR,        /* "*": [^/]* */
	T_DSTAR_SLASH, /* "**" (and a "/" after it) not at the end: the regexp (.*[/])? */
	T_DSTAR,       /* "**" at the end, not first: .* */
	T_BOL,         /* an unescaped "^" outside a class: Go's regexp reads it as an anchor */
};

struct range {
	uint32_t lo, hi;
};

struct tok {
	enum tok_kind kind;
	uint32_t rune;
	int negated;
	size_t nranges;
	struct range *ranges;
};

struct pattern {
	char *text; /* cleaned, without the "!" */
	size_t len;
	int exception;
	enum match_type type;
	struct tok *toks;
	size_t ntoks, alloc;
};

struct sw_dockerignore {
	struct pattern *pats;
	size_t nr, alloc;
	int exceptions;
};

/* UTF-8 decode of one character at s (n > 0 bytes left); *w gets its width. */
static uint32_t decode(const char *s, size_t n, size_t *w)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t need, i;

	if (u[0] < 0x80) {
		*w = 1;
		return u[0];
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		need = 1;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		need = 2;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		need = 3;
		c = u[0] & 0x07;
	} else {
		goto invalid;
	}
	if (n < need + 1)
		goto invalid;
	for (i = 1; i <= need; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if ((need == 2 && c < 0x800) || (need == 3 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*w = need + 1;
	return c;
invalid:
	*w = 1;
	return INVALID_BYTE + u[0];
}

/* Go's unicode.IsSpace, which strings.TrimSpace uses. */
static int is_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	default:
		return r >= 0x2000 && r <= 0x200a;
	}
}

static void trim_space(const char **s, size_t *n)
{
	size_t i = 0, end = 0, w;
	while (*n && is_space(decode(*s, *n, &w))) {
		*s += w;
		*n -= w;
	}
	while (i < *n) {
		uint32_t r = decode(*s + i, *n - i, &w);
		i += w;
		if (!is_space(r))
			end = i;
	}
	*n = end;
}

void sw_dockerignore_clean_path(struct sw_buf *out, const char *s, size_t n)
{
	size_t base = out->len, w, r = 0, dotdot = 0;
	int rooted;

	if (!n) {
		sw_buf_addch(out, '.');
		return;
	}
	/* The result is never longer than the input (plus "." for empty). */
	sw_buf_grow(out, n + 1);
	w = 0;
	rooted = s[0] == '/';
	if (rooted) {
		out->ptr[base + w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (s[r] == '/') {
			r++;
		} else if (s[r] == '.' && (r + 1 == n || s[r + 1] == '/')) {
			r++;
		} else if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == n || s[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out->ptr[base + w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out->ptr[base + w++] = '/';
				out->ptr[base + w++] = '.';
				out->ptr[base + w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out->ptr[base + w++] = '/';
			for (; r < n && s[r] != '/'; r++)
				out->ptr[base + w++] = s[r];
		}
	}
	if (w == 0)
		out->ptr[base + w++] = '.';
	sw_buf_setlen(out, base + w);
}

static struct tok *add_tok(struct pattern *p, enum tok_kind kind, uint32_t rune)
{
	struct tok *t;
	SW_ALLOC_GROW(p->toks, p->ntoks + 1, p->alloc);
	t = &p->toks[p->ntoks++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->rune = rune;
	return t;
}

/*
 * One class item, as Go's filepath.Match reads it (getEsc): not empty, not an
 * unescaped "-" or "]", "\x" is x. Advances *i. -1 on a syntax error.
 */
static int class_char(const char *s, size_t n, size_t *i, uint32_t *out)
{
	size_t w;
	if (*i >= n || s[*i] == '-' || s[*i] == ']')
		return -1;
	if (s[*i] == '\\') {
		(*i)++;
		if (*i >= n)
			return -1;
	}
	*out = decode(s + *i, n - *i, &w);
	*i += w;
	return 0;
}

/* Parse "[...]" starting at s[*i] == '['; filepath.Match's syntax rules. */
static int parse_class(struct pattern *p, const char *s, size_t n, size_t *i)
{
	struct tok *t = add_tok(p, T_CLASS, 0);
	size_t alloc = 0;

	(*i)++;
	if (*i < n && s[*i] == '^') {
		t->negated = 1;
		(*i)++;
	}
	for (;;) {
		struct range r;
		if (*i < n && s[*i] == ']' && t->nranges > 0) {
			(*i)++;
			return 0;
		}
		if (class_char(s, n, i, &r.lo) < 0)
			return -1;
		r.hi = r.lo;
		if (*i < n && s[*i] == '-') {
			(*i)++;
			if (class_char(s, n, i, &r.hi) < 0)
				return -1;
			if (r.hi < r.lo)
				return -1; /* Go's regexp: "invalid character class range" */
		}
		SW_ALLOC_GROW(t->ranges, t->nranges + 1, alloc);
		t->ranges[t->nranges++] = r;
	}
}

/*
 * Pattern.compile of moby/patternmatcher, token for token, plus the syntax check
 * New() does with filepath.Match.
 */
static int compile(struct pattern *p)
{
	const char *s = p->text;
	size_t n = p->len, i = 0, w;
	int step = 0;

	p->type = MATCH_EXACT;
	for (; i < n; step++) {
		uint32_t ch = decode(s + i, n - i, &w);
		i += w;
		if (ch == '*') {
			if (i < n && s[i] == '*') {
				i++;
				if (i < n && s[i] == '/')
					i++;
				if (i >= n) {
					if (p->type == MATCH_EXACT) {
						p->type = MATCH_PREFIX;
					} else {
						add_tok(p, T_DSTAR, 0);
						p->type = MATCH_GLOB;
					}
				} else {
					add_tok(p, T_DSTAR_SLASH, 0);
					p->type = MATCH_GLOB;
				}
				if (step == 0)
					p->type = MATCH_SUFFIX;
			} else {
				add_tok(p, T_STAR, 0);
				p->type = MATCH_GLOB;
			}
		} else if (ch == '?') {
			add_tok(p, T_ANY, 0);
			p->type = MATCH_GLOB;
		} else if (ch == '\\') {
			if (i >= n)
				return -1; /* filepath.Match: trailing backslash */
			add_tok(p, T_RUNE, decode(s + i, n - i, &w));
			i += w;
			p->type = MATCH_GLOB;
		} else if (ch == '[') {
			i--;
			if (parse_class(p, s, n, &i) < 0)
				return -1;
			p->type = MATCH_GLOB;
		} else if (ch == ']') {
			add_tok(p, T_RUNE, ch);
			p->type = MATCH_GLOB;
		} else if (ch == '^') {
			add_tok(p, T_BOL, 0);
		} else {
			add_tok(p, T_RUNE, ch);
		}
	}
	return 0;
}

static int class_has(const struct tok *t, uint32_t r)
{
	size_t i;
	int in = 0;
	for (i = 0; i < t->nranges && !in; i++)
		in = r >= t->ranges[i].lo && r <= t->ranges[i].hi;
	return in != t->negated;
}

/* Follow the empty transitions (forward only, so one pass in order). */
static void closure(const struct pattern *p, unsigned char *at, int at_start)
{
	size_t i;
	for (i = 0; i < p->ntoks; i++) {
		if (!at[i])
			continue;
		switch (p->toks[i].kind) {
		case T_STAR:
		case T_DSTAR:
		case T_DSTAR_SLASH:
			at[i + 1] = 1;
			break;
		case T_BOL:
			if (at_start)
				at[i + 1] = 1;
			break;
		default:
			break;
		}
	}
}

/*
 * The anchored regexp of a MATCH_GLOB pattern, simulated: at[i] "before token i",
 * in[i] "inside the .* of a T_DSTAR_SLASH". Go's "." does not match "\n".
 */
static int glob_match(const struct pattern *p, const char *s, size_t n)
{
	unsigned char small[4 * 64];
	unsigned char *mem = small;
	unsigned char *cur_at, *cur_in, *nxt_at, *nxt_in, *tmp;
	size_t k = p->ntoks + 1, off = 0, i, w;
	int alive, ret;

	if (4 * k > sizeof(small))
		mem = xmalloc(4 * k);
	cur_at = mem;
	cur_in = mem + k;
	nxt_at = mem + 2 * k;
	nxt_in = mem + 3 * k;
	memset(mem, 0, 2 * k);
	cur_at[0] = 1;
	closure(p, cur_at, 1);
	while (off < n) {
		uint32_t r = decode(s + off, n - off, &w);
		memset(nxt_at, 0, 2 * k);
		alive = 0;
		for (i = 0; i < p->ntoks; i++) {
			const struct tok *t = &p->toks[i];
			if (cur_in[i]) {
				if (r != '\n')
					nxt_in[i] = 1, alive = 1;
				if (r == '/')
					nxt_at[i + 1] = 1, alive = 1;
			}
			if (!cur_at[i])
				continue;
			switch (t->kind) {
			case T_RUNE:
				if (r == t->rune)
					nxt_at[i + 1] = 1, alive = 1;
				break;
			case T_ANY:
				if (r != '/')
					nxt_at[i + 1] = 1, alive = 1;
				break;
			case T_CLASS:
				if (class_has(t, r))
					nxt_at[i + 1] = 1, alive = 1;
				break;
			case T_STAR:
				if (r != '/')
					nxt_at[i] = 1, alive = 1;
				break;
			case T_DSTAR:
				if (r != '\n')
					nxt_at[i] = 1, alive = 1;
				break;
			case T_DSTAR_SLASH:
				if (r != '\n')
					nxt_in[i] = 1, alive = 1;
				if (r == '/')
					nxt_at[i + 1] = 1, alive = 1;
				break;
			case T_BOL:
				break;
			}
		}
		off += w;
		tmp = cur_at, cur_at = nxt_at, nxt_at = tmp;
		tmp = cur_in, cur_in = nxt_in, nxt_in = tmp;
		if (!alive)
			break;
		closure(p, cur_at, 0);
	}
	ret = off >= n && cur_at[p->ntoks];
	if (mem != small)
		free(mem);
	return ret;
}

static int pattern_match(const struct pattern *p, const char *s, size_t n)
{
	switch (p->type) {
	case MATCH_EXACT:
		return n == p->len && !memcmp(s, p->text, n);
	case MATCH_PREFIX:
		return n >= p->len - 2 && !memcmp(s, p->text, p->len - 2);
	case MATCH_SUFFIX: {
		const char *suffix = p->text + 2;
		size_t sl = p->len - 2;
		if (n >= sl && !memcmp(s + n - sl, suffix, sl))
			return 1;
		return sl > 0 && suffix[0] == '/' && n == sl - 1 && !memcmp(s, suffix + 1, sl - 1);
	}
	case MATCH_GLOB:
		return glob_match(p, s, n);
	}
	return 0;
}

static void pattern_release(struct pattern *p)
{
	size_t i;
	for (i = 0; i < p->ntoks; i++)
		free(p->toks[i].ranges);
	free(p->toks);
	free(p->text);
}

void sw_dockerignore_free(struct sw_dockerignore *ig)
{
	size_t i;
	if (!ig)
		return;
	for (i = 0; i < ig->nr; i++)
		pattern_release(&ig->pats[i]);
	free(ig->pats);
	free(ig);
}

/* ReadAll's treatment of one line: "" when the line yields no pattern. */
static void read_line(struct sw_buf *out, const char *s, size_t n)
{
	int invert;

	sw_buf_reset(out);
	if (n && s[0] == '#')
		return;
	trim_space(&s, &n);
	if (!n)
		return;
	invert = s[0] == '!';
	if (invert) {
		sw_buf_addch(out, '!');
		s++, n--;
		trim_space(&s, &n);
	}
	if (n) {
		size_t start = out->len;
		sw_dockerignore_clean_path(out, s, n);
		if (out->len - start > 1 && out->ptr[start] == '/') {
			memmove(out->ptr + start, out->ptr + start + 1, out->len - start - 1);
			sw_buf_setlen(out, out->len - 1);
		}
	}
}

/* New()'s treatment of one pattern from ReadAll. 0 added or skipped, < 0 error. */
static int add_pattern(struct sw_dockerignore *ig, const char *s, size_t n, size_t lineno)
{
	struct sw_buf clean = SW_BUF_INIT;
	struct pattern p;
	const char *text;
	size_t len;
	int ret = 0;

	memset(&p, 0, sizeof(p));
	trim_space(&s, &n);
	if (!n)
		return 0;
	sw_dockerignore_clean_path(&clean, s, n);
	text = clean.ptr;
	len = clean.len;
	if (text[0] == '!') {
		if (len == 1) {
			ret = sw_error_code(SW_EINVAL, ".dockerignore line %zu: illegal exclusion pattern: \"!\"", lineno);
			goto cleanup;
		}
		p.exception = 1;
		text++, len--;
	}
	p.text = xmemdup(text, len + 1);
	p.text[len] = '\0';
	p.len = len;
	if (compile(&p) < 0) {
		ret = sw_error_code(SW_EINVAL, ".dockerignore line %zu: bad pattern \"%s\": syntax error in pattern",
				    lineno, p.text);
		pattern_release(&p);
		goto cleanup;
	}
	SW_ALLOC_GROW(ig->pats, ig->nr + 1, ig->alloc);
	ig->pats[ig->nr++] = p;
	if (p.exception)
		ig->exceptions = 1;

cleanup:
	sw_buf_release(&clean);
	return ret;
}

int sw_dockerignore_new(struct sw_dockerignore **out, const char *text, size_t len)
{
	struct sw_dockerignore *ig = xcalloc(1, sizeof(*ig));
	struct sw_buf line = SW_BUF_INIT;
	size_t off = 0, lineno = 0;
	int ret = 0;

	*out = NULL;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		off = 3;
	while (off < len) {
		const char *s = text + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;

		off += n + (nl ? 1 : 0);
		lineno++;
		if (n && s[n - 1] == '\r')
			n--;
		if (n > MAX_LINE) {
			ret = sw_error_code(SW_EINVAL, ".dockerignore line %zu: longer than %d bytes", lineno, MAX_LINE);
			goto cleanup;
		}
		read_line(&line, s, n);
		if (line.len && (ret = add_pattern(ig, line.ptr, line.len, lineno)) < 0)
			goto cleanup;
	}
	*out = ig;
	ig = NULL;

cleanup:
	sw_dockerignore_free(ig);
	sw_buf_release(&line);
	return ret;
}

size_t sw_dockerignore_count(const struct sw_dockerignore *ig)
{
	return ig->nr;
}

int sw_dockerignore_has_exceptions(const struct sw_dockerignore *ig)
{
	return ig->exceptions;
}

const char *sw_dockerignore_pattern(const struct sw_dockerignore *ig, size_t i, int *exception)
{
	if (i >= ig->nr)
		return NULL;
	if (exception)
		*exception = ig->pats[i].exception;
	return ig->pats[i].text;
}

/* Does p match one of the parent directories of path ("a", "a/b" for "a/b/c")? */
static int parent_matches(const struct pattern *p, const char *path, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++)
		if (path[i] == '/' && pattern_match(p, path, i))
			return 1;
	return 0;
}

int sw_dockerignore_match(const struct sw_dockerignore *ig, const char *path, size_t len,
			  const unsigned char *parent, unsigned char *info)
{
	int matched = 0;
	size_t i;

	for (i = 0; i < ig->nr; i++) {
		const struct pattern *p = &ig->pats[i];
		int m = parent ? parent[i] : 0;

		if (!m) {
			/* An include that already matched, or an exception with nothing to undo: skip. */
			if (p->exception != matched) {
				if (info)
					info[i] = 0;
				continue;
			}
			m = pattern_match(p, path, len);
			if (!m && !parent)
				m = parent_matches(p, path, len);
		}
		if (info)
			info[i] = (unsigned char)m;
		if (m)
			matched = !p->exception;
	}
	return matched;
}

int sw_dockerignore_descend(const struct sw_dockerignore *ig, const char *dir, size_t len)
{
	size_t i;
	if (!ig->exceptions)
		return 0;
	for (i = 0; i < ig->nr; i++) {
		const struct pattern *p = &ig->pats[i];
		/* strings.HasPrefix(pattern + "/", dir + "/") */
		if (!p->exception || p->len + 1 < len + 1)
			continue;
		if (!memcmp(p->text, dir, len) && (p->len == len ? 1 : p->text[len] == '/'))
			return 1;
	}
	return 0;
}
