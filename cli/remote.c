#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/remote.h"
#include "common/error.h"
#include "common/proc.h"
#include "common/banned.h"

#define MAX_REMOTES_OUTPUT (256 * 1024)

static int copy_lower(char *dst, size_t cap, const char *src, size_t n)
{
	size_t i;
	if (n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[n] = '\0';
	return 0;
}

int sw_cli_url_parse(const char *url, struct sw_cli_url *out)
{
	const char *p, *auth_end, *host_start, *host_end, *path_start, *at;
	size_t n;

	memset(out, 0, sizeof(*out));
	p = strstr(url, "://");
	if (!p || copy_lower(out->scheme, sizeof(out->scheme), url, (size_t)(p - url)) < 0)
		return sw_error_code(SW_EINVAL, "not an http(s) URL: %.100s", url);
	if (strcmp(out->scheme, "http") && strcmp(out->scheme, "https"))
		return sw_error_code(SW_EINVAL, "not an http(s) URL: %.100s", url);
	p += 3;
	auth_end = p + strcspn(p, "/?#");
	path_start = auth_end;
	/* user info: up to the last '@' before the path */
	host_start = p;
	for (at = p; at < auth_end; at++)
		if (*at == '@')
			host_start = at + 1;
	if (*host_start == '[') {
		const char *close = memchr(host_start, ']', (size_t)(auth_end - host_start));
		if (!close)
			return sw_error_code(SW_EINVAL, "bad host in %.100s", url);
		if (copy_lower(out->host, sizeof(out->host), host_start + 1, (size_t)(close - host_start - 1)) < 0)
			return sw_error_code(SW_EINVAL, "bad host in %.100s", url);
		host_end = close + 1;
	} else {
		host_end = host_start;
		while (host_end < auth_end && *host_end != ':')
			host_end++;
		if (copy_lower(out->host, sizeof(out->host), host_start, (size_t)(host_end - host_start)) < 0)
			return sw_error_code(SW_EINVAL, "bad host in %.100s", url);
	}
	if (!out->host[0])
		return sw_error_code(SW_EINVAL, "no host in %.100s", url);
	if (!strcmp(out->host, "localhost"))
		memcpy(out->host, "127.0.0.1", 10);
	if (host_end < auth_end && *host_end == ':' && host_end + 1 < auth_end) {
		const char *d = host_end + 1;
		long port = 0;
		for (; d < auth_end; d++) {
			if (*d < '0' || *d > '9')
				return sw_error_code(SW_EINVAL, "bad port in %.100s", url);
			port = port * 10 + (*d - '0');
			if (port > 65535)
				return sw_error_code(SW_EINVAL, "bad port in %.100s", url);
		}
		if (port <= 0)
			return sw_error_code(SW_EINVAL, "bad port in %.100s", url);
		out->port = (int)port;
	} else if (host_end < auth_end && *host_end != ':') {
		return sw_error_code(SW_EINVAL, "bad host in %.100s", url);
	} else {
		out->port = strcmp(out->scheme, "https") ? 80 : 443;
	}
	n = strcspn(path_start, "?#");
	if (n == 0) {
		out->path[0] = '/';
	} else if (*path_start != '/' || n >= sizeof(out->path)) {
		return sw_error_code(SW_EINVAL, "bad path in %.100s", url);
	} else {
		memcpy(out->path, path_start, n);
		out->path[n] = '\0';
	}
	return 0;
}

int sw_cli_url_same_server(const struct sw_cli_url *a, const struct sw_cli_url *b)
{
	return !strcmp(a->scheme, b->scheme) && !strcmp(a->host, b->host) && a->port == b->port;
}

int sw_cli_app_ref_valid(const char *name)
{
	size_t i;

	if (!(name[0] >= 'a' && name[0] <= 'z'))
		return 0;
	for (i = 1; name[i]; i++) {
		char ch = name[i];
		if (i >= 63)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
	}
	return i >= 3;
}

int sw_cli_app_name_valid(const char *name)
{
	size_t i;

	if (!(name[0] >= 'a' && name[0] <= 'z'))
		return 0;
	for (i = 1; name[i]; i++) {
		char ch = name[i];
		if (i >= 30)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
	}
	return i >= 3;
}

int sw_cli_remote_app(const char *server_url, const char *remote_url, struct sw_buf *app)
{
	struct sw_cli_url s, r;
	size_t plen, n;
	const char *rest;
	char name[64];

	sw_buf_reset(app);
	if (sw_cli_url_parse(server_url, &s) < 0 || sw_cli_url_parse(remote_url, &r) < 0 ||
	    !sw_cli_url_same_server(&s, &r))
		return sw_error_code(SW_ENOTFOUND, "not this server");
	/* the server's path prefix, without its trailing slashes */
	plen = strlen(s.path);
	while (plen && s.path[plen - 1] == '/')
		plen--;
	if (strncmp(r.path, s.path, plen) || r.path[plen] != '/')
		return sw_error_code(SW_ENOTFOUND, "not this server");
	rest = r.path + plen + 1;
	n = strlen(rest);
	while (n && rest[n - 1] == '/')
		n--;
	if (n > 4 && !strncmp(rest + n - 4, ".git", 4))
		n -= 4;
	if (!n || n >= sizeof(name) || memchr(rest, '/', n))
		return sw_error_code(SW_ENOTFOUND, "not an app");
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!sw_cli_app_name_valid(name))
		return sw_error_code(SW_ENOTFOUND, "not an app");
	sw_buf_adds(app, name);
	return 0;
}

int sw_cli_remote_find(const char *server_url, struct sw_buf *app)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf out, one = SW_BUF_INIT, found = SW_BUF_INIT, names = SW_BUF_INIT;
	const char *line;
	int r, distinct = 0, ret;

	sw_buf_init(&out, MAX_REMOTES_OUTPUT);
	sw_buf_reset(app);
	sw_strvec_pushl(&p.args, "git", "config", "--get-regexp", "^remote\\..*\\.url$", NULL);
	p.err = SW_PROC_NULL;
	r = sw_proc_run(&p, &out, NULL);
	for (line = out.ptr; r >= 0 && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *sp = memchr(line, ' ', len);
		if (sp) {
			struct sw_buf url = SW_BUF_INIT, remote = SW_BUF_INIT;
			sw_buf_add(&url, sp + 1, len - (size_t)(sp + 1 - line));
			/* "remote.<name>.url" */
			if (sp - line > 11)
				sw_buf_add(&remote, line + 7, (size_t)(sp - line) - 11);
			if (sw_cli_remote_app(server_url, url.ptr, &one) == 0) {
				if (!found.len || strcmp(found.ptr, one.ptr))
					distinct++;
				if (!found.len) {
					sw_buf_adds(&found, one.ptr);
				}
				sw_buf_addf(&names, "%s%s: %s", names.len ? ", " : "", remote.ptr, one.ptr);
			}
			sw_buf_release(&url);
			sw_buf_release(&remote);
		}
		line += len + (nl ? 1 : 0);
	}
	if (!found.len)
		ret = sw_error_code(SW_ENOTFOUND, "no app given: pass -a APP (or run it in a git repository with a"
				    " remote pointing at %s)", server_url);
	else if (distinct > 1)
		ret = sw_error_code(SW_EINVAL, "several git remotes point at this server (%s): pass -a APP", names.ptr);
	else {
		sw_buf_adds(app, found.ptr);
		ret = 0;
	}
	sw_proc_release(&p);
	sw_buf_release(&out);
	sw_buf_release(&one);
	sw_buf_release(&found);
	sw_buf_release(&names);
	return ret;
}
