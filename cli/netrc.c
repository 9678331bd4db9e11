#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/netrc.h"
#include "common/env.h"
#include "common/error.h"
#include "common/banned.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The next token from *pos: its start and length; 0 at the end. Skips macdef bodies. */
struct lexer {
	const char *text;
	size_t pos;
};

static int next_token(struct lexer *lx, size_t *start, size_t *len)
{
	const char *t = lx->text;
	size_t p = lx->pos;

	while (t[p] && is_space(t[p]))
		p++;
	if (!t[p]) {
		lx->pos = p;
		return 0;
	}
	*start = p;
	while (t[p] && !is_space(t[p]))
		p++;
	*len = p - *start;
	lx->pos = p;
	return 1;
}

static int tok_is(const char *text, size_t start, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(text + start, word, len);
}

/* After "macdef NAME": skip to the end of the body (an empty line). */
static void skip_macdef(struct lexer *lx)
{
	const char *end = strstr(lx->text + lx->pos, "\n\n");
	lx->pos = end ? (size_t)(end - lx->text) + 2 : strlen(lx->text);
}

struct entry {
	size_t start, end;   /* [start, end): from "machine"/"default" to the next entry */
	size_t host, host_len;
	int is_default;
};

/* Every entry of text, in order; *nr of them into out (at most max). */
static size_t entries(const char *text, struct entry *out, size_t max)
{
	struct lexer lx = { text, 0 };
	size_t s, n, nr = 0;

	while (next_token(&lx, &s, &n)) {
		if (tok_is(text, s, n, "machine") || tok_is(text, s, n, "default")) {
			int is_default = tok_is(text, s, n, "default");
			if (nr && nr <= max)
				out[nr - 1].end = s;
			if (nr < max) {
				out[nr].start = s;
				out[nr].end = strlen(text);
				out[nr].is_default = is_default;
				out[nr].host = out[nr].host_len = 0;
			}
			if (!is_default) {
				size_t hs, hn;
				if (next_token(&lx, &hs, &hn) && nr < max) {
					out[nr].host = hs;
					out[nr].host_len = hn;
				}
			}
			nr++;
		} else if (tok_is(text, s, n, "macdef")) {
			size_t ms, mn;
			next_token(&lx, &ms, &mn);
			skip_macdef(&lx);
		}
	}
	return nr < max ? nr : max;
}

#define MAX_ENTRIES 4096

int sw_netrc_lookup(const char *text, const char *host, struct sw_buf *login, struct sw_buf *password)
{
	struct entry *list, *e = NULL;
	struct lexer lx;
	size_t nr, i, s, n;
	int ret = SW_ENOTFOUND;

	list = calloc(MAX_ENTRIES, sizeof(*list));
	if (!list)
		return sw_error("out of memory");
	sw_buf_reset(login);
	sw_buf_reset(password);
	nr = entries(text, list, MAX_ENTRIES);
	for (i = 0; i < nr && !e; i++)
		if (!list[i].is_default && list[i].host_len == strlen(host) &&
		    !strncmp(text + list[i].host, host, list[i].host_len))
			e = &list[i];
	for (i = 0; i < nr && !e; i++)
		if (list[i].is_default)
			e = &list[i];
	if (!e)
		goto cleanup;
	lx.text = text;
	lx.pos = e->start;
	next_token(&lx, &s, &n);          /* machine / default */
	if (!e->is_default)
		next_token(&lx, &s, &n);  /* the host */
	while (lx.pos < e->end && next_token(&lx, &s, &n) && s < e->end) {
		size_t vs, vn;
		if (tok_is(text, s, n, "macdef")) {
			next_token(&lx, &vs, &vn);
			skip_macdef(&lx);
			continue;
		}
		if (!next_token(&lx, &vs, &vn))
			break;
		if (tok_is(text, s, n, "login")) {
			sw_buf_reset(login);
			sw_buf_add(login, text + vs, vn);
		} else if (tok_is(text, s, n, "password")) {
			sw_buf_reset(password);
			sw_buf_add(password, text + vs, vn);
		}
	}
	ret = 0;
cleanup:
	free(list);
	return ret;
}

static int value_ok(const char *v)
{
	size_t i;
	if (!v || !*v)
		return 0;
	for (i = 0; v[i]; i++)
		if (is_space(v[i]) || v[i] == '"' || v[i] == '\\' || (unsigned char)v[i] < 0x20)
			return 0;
	return 1;
}

/*
 * An entry added after an unfinished end (a macdef body without the empty line that ends
 * it, a "machine" without its host) is read as part of it: refuse rather than write a
 * file where the token is lost.
 */
static int check_reads_back(struct sw_buf *out, const char *host, const char *login, const char *password)
{
	struct sw_buf l = SW_BUF_INIT, p = SW_BUF_INIT;
	int ret = 0;

	if (sw_netrc_lookup(out->ptr, host, &l, &p) < 0 || strcmp(l.ptr, login) || strcmp(p.ptr, password)) {
		sw_buf_reset(out);
		ret = sw_error_code(SW_EINVAL, "cannot add %s to this netrc: it ends unfinished (a macdef without "
				    "the empty line that ends it, or a keyword without its value)", host);
	}
	sw_buf_release(&l);
	sw_buf_release(&p);
	return ret;
}

int sw_netrc_set(const char *text, const char *host, const char *login, const char *password, struct sw_buf *out)
{
	struct entry *list;
	struct sw_buf line = SW_BUF_INIT;
	size_t nr, i, pos = 0, insert_at;
	int replaced = 0;

	sw_buf_reset(out);
	if (!value_ok(host) || !value_ok(login) || !value_ok(password))
		return sw_error_code(SW_EINVAL, "cannot write that to a netrc (empty, or spaces or quotes in it)");
	list = calloc(MAX_ENTRIES, sizeof(*list));
	if (!list)
		return sw_error("out of memory");
	sw_buf_addf(&line, "machine %s login %s password %s\n", host, login, password);
	nr = entries(text, list, MAX_ENTRIES);
	insert_at = strlen(text);
	for (i = 0; i < nr; i++)
		if (list[i].is_default) {
			insert_at = list[i].start;   /* a new machine goes before "default" */
			break;
		}
	for (i = 0; i < nr; i++) {
		int mine = !list[i].is_default && list[i].host_len == strlen(host) &&
			   !strncmp(text + list[i].host, host, list[i].host_len);
		if (!mine)
			continue;
		sw_buf_add(out, text + pos, list[i].start - pos);
		if (!replaced)
			sw_buf_add(out, line.ptr, line.len);
		replaced = 1;
		pos = list[i].end;
	}
	if (!replaced) {
		sw_buf_add(out, text, insert_at);
		if (out->len && out->ptr[out->len - 1] != '\n')
			sw_buf_addch(out, '\n');
		sw_buf_add(out, line.ptr, line.len);
		pos = insert_at;
	}
	sw_buf_adds(out, text + pos);
	free(list);
	sw_buf_release(&line);
	return check_reads_back(out, host, login, password);
}

int sw_netrc_path(struct sw_buf *out)
{
	const char *n = sw_env_str("NETRC"), *home = sw_env_str("HOME");

	sw_buf_reset(out);
	if (n) {
		sw_buf_adds(out, n);
		return 0;
	}
	if (!home)
		return sw_error_code(SW_EINVAL, "HOME is not set: cannot find ~/.netrc");
	sw_buf_addf(out, "%s/.netrc", home);
	return 0;
}

int sw_netrc_read(const char *path, struct sw_buf *text)
{
	char tmp[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	sw_buf_reset(text);
	if (fd < 0)
		return errno == ENOENT ? 0 : sw_error_errno("open %s", path);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
		if (text->len + (size_t)n > SW_NETRC_MAX) {
			close(fd);
			return sw_error_code(SW_ETOOBIG, "%s: larger than %d bytes", path, SW_NETRC_MAX);
		}
		sw_buf_add(text, tmp, (size_t)n);
	}
	close(fd);
	if (n < 0)
		return sw_error_errno("read %s", path);
	if (memchr(text->ptr, '\0', text->len))
		return sw_error_code(SW_EINVAL, "%s: not a text file", path);
	return 0;
}

int sw_netrc_write(const char *path, const char *text, size_t len)
{
	struct sw_buf tmp = SW_BUF_INIT;
	int fd = -1, ret = SW_ERROR;
	size_t off = 0;

	sw_buf_addf(&tmp, "%s.slipway-%ld", path, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		sw_error_errno("create %s", tmp.ptr);
		goto cleanup;
	}
	if (fchmod(fd, 0600) < 0) {
		sw_error_errno("chmod %s", tmp.ptr);
		goto cleanup;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sw_error_errno("write %s", tmp.ptr);
			goto cleanup;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		sw_error_errno("write %s", tmp.ptr);
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		sw_error_errno("replace %s", path);
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp.ptr);
	sw_buf_release(&tmp);
	return ret;
}
