#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/args.h"
#include "cli/output.h"
#include "cli/netrc.h"
#include "cli/remote.h"
#include "common/env.h"
#include "common/error.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_RESPONSE (16 * 1024 * 1024)
#define MAX_ERROR_BODY (64 * 1024)

static int read_small(const char *path, struct sw_buf *out, size_t cap)
{
	char tmp[512];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	sw_buf_reset(out);
	if (fd < 0)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
		if (out->len + (size_t)n > cap) {
			close(fd);
			return -1;
		}
		sw_buf_add(out, tmp, (size_t)n);
	}
	close(fd);
	sw_buf_rtrim(out);
	return n < 0 ? -1 : 0;
}

void sw_cli_config_dir(struct sw_buf *out)
{
	const char *xdg = sw_env_str("XDG_CONFIG_HOME"), *home = sw_env_str("HOME");
	sw_buf_reset(out);
	if (xdg)
		sw_buf_addf(out, "%s/slipway", xdg);
	else if (home)
		sw_buf_addf(out, "%s/.config/slipway", home);
}

int sw_cli_server_url(struct sw_buf *out)
{
	const char *env = sw_env_str("SLIPWAY_URL");
	struct sw_buf path = SW_BUF_INIT;
	struct sw_cli_url u;
	long long port = 0;
	int ret = 0;

	sw_buf_reset(out);
	if (env) {
		sw_buf_adds(out, env);
	} else {
		sw_cli_config_dir(&path);
		if (path.len)
			sw_buf_adds(&path, "/url");
		if (!path.len || read_small(path.ptr, out, 2048) < 0 || !out->len) {
			sw_buf_reset(out);
			if ((ret = sw_env_int("SLIPWAY_PORT", 5480, 1, 65535, &port)) < 0)
				goto cleanup;
			sw_buf_addf(out, "http://127.0.0.1:%lld", port);
		}
	}
	while (out->len && out->ptr[out->len - 1] == '/')
		sw_buf_setlen(out, out->len - 1);
	if (sw_cli_url_parse(out->ptr, &u) < 0)
		ret = sw_error_code(SW_EINVAL, "%s%s is not an http(s) URL", env ? "SLIPWAY_URL: " : "", out->ptr);
cleanup:
	sw_buf_release(&path);
	return ret;
}

int sw_cli_client_init(struct sw_cli_client *c)
{
	struct sw_buf url = SW_BUF_INIT, b = SW_BUF_INIT, login = SW_BUF_INIT, pw = SW_BUF_INIT;
	const char *env = sw_env_str("SLIPWAY_TOKEN");
	struct sw_cli_url u;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	if (sw_cli_server_url(&url) < 0) {
		ret = SW_EINVAL;
		goto cleanup;
	}
	c->url = sw_buf_detach(&url, NULL);
	if (env) {
		c->token = xstrdup(env);
		c->token_from = "SLIPWAY_TOKEN";
		goto cleanup;
	}
	/* ~/.netrc for the server's host (what `slipway login` writes, what git reads) */
	if (sw_cli_url_parse(c->url, &u) == 0 && sw_netrc_path(&b) == 0) {
		struct sw_buf text = SW_BUF_INIT;
		if (sw_netrc_read(b.ptr, &text) == 0 && sw_netrc_lookup(text.ptr, u.host, &login, &pw) == 0 && pw.len) {
			c->token = xstrdup(pw.ptr);
			c->token_from = "~/.netrc";
		}
		sw_buf_release(&text);
		if (c->token)
			goto cleanup;
	}
	/* the admin token of a slipwayd on this machine */
	{
		const char *home = sw_env_str("SLIPWAY_HOME"), *h = sw_env_str("HOME");
		sw_buf_reset(&b);
		if (home)
			sw_buf_addf(&b, "%s/admin.token", home);
		else if (h)
			sw_buf_addf(&b, "%s/.slipway/admin.token", h);
		if (b.len && read_small(b.ptr, &pw, 1024) == 0 && pw.len) {
			c->token = xstrdup(pw.ptr);
			c->token_from = "$SLIPWAY_HOME/admin.token";
		}
	}
	sw_error_clear();
cleanup:
	sw_buf_release(&url);
	sw_buf_release(&b);
	sw_buf_release(&login);
	sw_buf_release(&pw);
	return ret;
}

void sw_cli_client_release(struct sw_cli_client *c)
{
	free(c->url);
	if (c->token) {
		memset(c->token, 0, strlen(c->token));
		free(c->token);
	}
	memset(c, 0, sizeof(*c));
}

/*
 * Why the server's address does not answer, as the OS says it ("connection refused",
 * "no route to host"), from one connect() of our own (the HTTP client keeps only "cannot
 * connect"); NULL when the connect works (then it was something else).
 */
static const char *probe(const char *url, char *buf, size_t n)
{
	struct sw_cli_url u;
	struct addrinfo hints, *ai = NULL, *p;
	char port[16];
	const char *why = NULL;
	int e = 0;

	if (sw_cli_url_parse(url, &u) < 0)
		return NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", u.port);
	if ((e = getaddrinfo(u.host, port, &hints, &ai)) != 0)
		return "unknown host";
	for (p = ai; p; p = p->ai_next) {
		int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		struct timeval tv = { 3, 0 };
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) {
			close(fd);
			why = NULL;
			break;
		}
		e = errno;
		close(fd);
		snprintf(buf, n, "%s", e == EINPROGRESS || e == EAGAIN ? "timed out" : strerror(e));
		if (buf[0] >= 'A' && buf[0] <= 'Z')
			buf[0] = (char)(buf[0] - 'A' + 'a');
		why = buf;
	}
	freeaddrinfo(ai);
	return why;
}

/* "Failed to connect to 127.0.0.1 port 5480 after 0 ms: Connection refused" → "connection refused": SW_EUNAVAIL */
static int reach_error(const struct sw_cli_client *c, int code)
{
	const char *m = sw_error_last();
	const char *why;
	char buf[128];

	if (strstr(m, "cannot connect") && (why = probe(c->url, buf, sizeof(buf))))
		;
	else if (strstr(m, "refused"))
		why = "connection refused";
	else if (strstr(m, "resolve"))
		why = "unknown host";
	else if (code == SW_ETIMEOUT || strstr(m, "timed out") || strstr(m, "Timeout"))
		why = "timed out";
	else if (strstr(m, "SSL") || strstr(m, "certificate"))
		why = "TLS failed";
	else
		why = NULL;
	return sw_error_code(SW_EUNAVAIL, "cannot reach slipwayd at %s: %s", c->url, why ? why : m);
}

/* An error status into the one-line message (the server's {"error"} when it sent one). */
static int status_error(const struct sw_cli_client *c, long status, const char *body, size_t len)
{
	json_t *o = len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *msg = sw_json_str(o, "error");
	int code = status == 404 ? SW_ENOTFOUND : status == 400 ? SW_EINVAL : status == 409 ? SW_EEXISTS :
		   status == 401 || status == 403 ? SW_EAUTH : SW_ERROR;

	if (status == 401)
		sw_error_code(SW_EAUTH, "401: %s (from %s)", msg ? msg : "bad token", c->token_from ? c->token_from : "?");
	else if (msg)
		sw_error_code(code, "%s", msg);
	else
		sw_error_code(code, "slipwayd answered %ld", status);
	json_decref(o);
	return code;
}

struct stream {
	const struct sw_cli_client *c;
	sw_http_write_fn write;
	void *ctx;
	long status;
	struct sw_buf err;   /* the body of an error status */
	struct sw_http_response *res;
};

static int need_token(const struct sw_cli_client *c)
{
	if (c->token)
		return 0;
	return sw_error_code(SW_EAUTH, "no token: run `slipway login %s`, or set SLIPWAY_TOKEN", c->url);
}

/*
 * One request to slipwayd's API: method, path under /api/v1, body (borrowed, may be
 * NULL) with the token and the usual headers; the answer into res, or to write as it
 * comes when write is set (then no overall timeout). sw_http_do()'s result.
 */
static int exchange(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body,
		    sw_http_write_fn write, void *write_ctx, struct sw_http_response *res)
{
	struct sw_http_request req;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf url = SW_BUF_INIT;
	char *text = NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	sw_buf_addf(&url, "%s/api/v1%s", c->url, path);
	sw_strvec_pushf(&headers, "Authorization: Bearer %s", c->token);
	sw_strvec_push(&headers, "Accept: application/json");
	sw_strvec_push(&headers, "User-Agent: slipway-cli/1");
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		sw_strvec_push(&headers, "Content-Type: application/json");
		req.body = text ? text : "{}";
		req.body_len = strlen(req.body);
	} else if (method && strcmp(method, "GET") && strcmp(method, "HEAD")) {
		sw_strvec_push(&headers, "Content-Type: application/json");
		req.body = "";
		req.body_len = 0;
	}
	req.method = method;
	req.url = url.ptr;
	req.headers = &headers;
	req.connect_timeout_ms = 5000;
	req.cancel = c->cancel;
	if (write) {
		req.write = write;
		req.write_ctx = write_ctx;
	} else {
		req.max_body = MAX_RESPONSE;
		req.timeout_ms = 10 * 60 * 1000;
	}
	rc = sw_http_do(&req, res);
	free(text);
	sw_strvec_clear(&headers);
	sw_buf_release(&url);
	return rc;
}

int sw_cli_api(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body, json_t **out)
{
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	json_error_t jerr;
	int rc, ret = 0;

	if (out)
		*out = NULL;
	if ((rc = need_token(c)) < 0)
		return rc;
	rc = exchange(c, method, path, body, NULL, NULL, &res);
	if (rc == SW_ECANCEL)
		ret = sw_error_code(SW_ECANCEL, "interrupted");
	else if (rc == SW_ETOOBIG)
		ret = sw_error_code(SW_ETOOBIG, "slipwayd's answer is larger than %d bytes", MAX_RESPONSE);
	else if (rc < 0)
		ret = reach_error(c, rc);
	else if (res.status < 200 || res.status > 299)
		ret = status_error(c, res.status, res.body.ptr, res.body.len);
	else if (out && res.body.len && !(*out = json_loadb(res.body.ptr, res.body.len, 0, &jerr)))
		ret = sw_error("slipwayd sent something that is not JSON: %s", jerr.text);
	sw_http_response_release(&res);
	return ret;
}

static int on_stream(void *ctx, const char *data, size_t n)
{
	struct stream *s = ctx;

	if (!s->status)
		s->status = s->res->status;
	if (s->status < 200 || s->status > 299) {
		if (s->err.len + n <= MAX_ERROR_BODY)
			sw_buf_add(&s->err, data, n);
		return 0;
	}
	return s->write(s->ctx, data, n);
}

int sw_cli_api_stream(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body,
		      sw_http_write_fn write, void *ctx)
{
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct stream s;
	int rc, ret = 0;

	if ((rc = need_token(c)) < 0)
		return rc;
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.write = write;
	s.ctx = ctx;
	s.res = &res;
	sw_buf_init(&s.err, 0);
	rc = exchange(c, method, path, body, on_stream, &s, &res);
	if (!s.status)
		s.status = res.status;
	if (rc == SW_ECANCEL && sw_cancel_raised(c->cancel))
		ret = sw_error_code(SW_ECANCEL, "interrupted");
	else if (rc < 0 && !s.status)
		ret = reach_error(c, rc);
	else if (s.status < 200 || s.status > 299)
		ret = status_error(c, s.status, s.err.ptr, s.err.len);
	else if (rc < 0 && rc != SW_ECANCEL)   /* the connection broke */
		ret = sw_error_code(rc, "lost the connection to slipwayd at %s", c->url);
	else
		ret = rc;   /* 0, or SW_ECANCEL: the callback stopped it (its message stands) */
	sw_buf_release(&s.err);
	sw_http_response_release(&res);
	return ret;
}

int sw_cli_client_app(const struct sw_cli_client *c, const char *flag, struct sw_buf *app)
{
	sw_buf_reset(app);
	if (flag) {
		if (!sw_cli_app_ref_valid(flag))   /* a review app's APP-<slug> too, up to 63 */
			return sw_error_code(SW_EINVAL, "invalid app name '%.60s' (want 3-30 of a-z, 0-9, '-', starting"
					     " with a letter)", flag);
		sw_buf_adds(app, flag);
		return 0;
	}
	return sw_cli_remote_find(c->url, app);
}

void sw_cli_urlencode(struct sw_buf *out, const char *s)
{
	sw_http_urlencode(out, s, strlen(s));
}

int sw_cli_get(const struct sw_cli_client *c, const char *path, json_t **out)
{
	return sw_cli_api(c, "GET", path, NULL, out);
}

struct ndjson {
	struct sw_lines lines;
	sw_cli_line_fn on_line;
	void *ctx;
	int stopped;
	int bad;
};

static int ndjson_line(void *ctx, const char *line, size_t len)
{
	struct ndjson *n = ctx;
	json_t *o;
	int r;

	if (!len)
		return 0;
	o = json_loadb(line, len, 0, NULL);
	if (!o) {
		n->bad = 1;
		return sw_error("slipwayd sent a line that is not JSON: %.80s", line);
	}
	r = n->on_line(n->ctx, o);
	json_decref(o);
	if (r < 0) {
		n->stopped = 1;
		return sw_error_code(SW_ECANCEL, "stopped");
	}
	return 0;
}

static int ndjson_write(void *ctx, const char *data, size_t len)
{
	struct ndjson *n = ctx;
	return sw_lines_feed(&n->lines, data, len);
}

int sw_cli_api_ndjson(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body,
		      sw_cli_line_fn on_line, void *ctx)
{
	struct ndjson n;
	int r;

	memset(&n, 0, sizeof(n));
	n.lines = (struct sw_lines)SW_LINES_INIT(ndjson_line, &n, 1024 * 1024);
	n.on_line = on_line;
	n.ctx = ctx;
	r = sw_cli_api_stream(c, method, path, body, ndjson_write, &n);
	if (r == 0 && !n.stopped)
		r = sw_lines_finish(&n.lines);
	sw_lines_release(&n.lines);
	if (n.stopped)
		return 0;
	if (n.bad)
		return SW_ERROR;
	return r;
}

int sw_cli_post_stream(const struct sw_cli_client *c, const char *path, const json_t *body, sw_cli_line_fn on_line,
		       void *ctx)
{
	return sw_cli_api_ndjson(c, "POST", path, body, on_line, ctx);
}

int sw_cli_setup(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app)
{
	if (sw_cli_client_init(c) < 0)
		return sw_cli_fail(cmd, "%s", sw_error_last());
	if (app && sw_cli_client_app(c, flag, app) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	return 0;
}

int sw_cli_call(const struct sw_cli_command *cmd, const struct sw_cli_client *c, const char *method, const char *path,
		const json_t *body, json_t **out)
{
	if (sw_cli_api(c, method, path, body, out) < 0)
		return sw_cli_fail(cmd, "%s", sw_error_last());
	return 0;
}

/* sw_cli_app_call() with the path's tail as a va_list. */
static int app_vcall(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app,
		     const char *method, const json_t *body, json_t **out, const char *fmt, va_list ap)
{
	struct sw_buf path = SW_BUF_INIT;
	int ret;

	if ((ret = sw_cli_setup(cmd, c, flag, app)))
		return ret;
	sw_buf_addf(&path, "/apps/%s", app->ptr);
	sw_buf_vaddf(&path, fmt, ap);
	ret = sw_cli_call(cmd, c, method, path.ptr, body, out);
	sw_buf_release(&path);
	return ret;
}

int sw_cli_app_call(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app,
		    const char *method, const json_t *body, json_t **out, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = app_vcall(cmd, c, flag, app, method, body, out, fmt, ap);
	va_end(ap);
	return ret;
}

int sw_cli_app_get(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app,
		   json_t **out, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = app_vcall(cmd, c, flag, app, "GET", NULL, out, fmt, ap);
	va_end(ap);
	return ret;
}

int sw_cli_app_settings(const struct sw_cli_command *cmd, const char *flag, int json, json_t *body,
			const struct sw_cli_settings *s)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_buf app = SW_BUF_INIT;
	json_t *out = NULL;
	int ret;

	if (body)
		ret = sw_cli_app_call(cmd, &c, flag, &app, "POST", body, &out, "%s", s->set);
	else
		ret = sw_cli_app_get(cmd, &c, flag, &app, &out, "%s", s->get);
	if (ret)
		goto cleanup;
	if (json) {
		if (s->hide)
			json_object_del(out, s->hide);
		ret = sw_cli_print_json(out);
	} else {
		s->show(app.ptr, out, body != NULL);
	}
cleanup:
	json_decref(body);
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}

int sw_cli_delete(const struct sw_cli_command *cmd, const char *path)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	int ret;

	if (!(ret = sw_cli_setup(cmd, &c, NULL, NULL)))
		ret = sw_cli_call(cmd, &c, "DELETE", path, NULL, NULL);
	sw_cli_client_release(&c);
	return ret;
}

int sw_cli_app_delete(const struct sw_cli_command *cmd, int argc, char **argv, const char *what,
		      int (*check)(const char *name), void (*removed)(const char *name, const char *app))
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, name = SW_BUF_INIT;
	const char *flag = NULL;
	int ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (check && check(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	sw_cli_urlencode(&name, a.pos[0]);
	if (!(ret = sw_cli_app_call(cmd, &c, flag, &app, "DELETE", NULL, NULL, "%s/%s", what, name.ptr)))
		removed(a.pos[0], app.ptr);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&name);
	return ret;
}

/* sw_cli_app_show() and sw_cli_show(): one GET, printed as it came (--json) or by show. */
static int show_get(const struct sw_cli_command *cmd, int argc, char **argv, int of_app, const char *what,
		    void (*show)(const char *app, const json_t *out))
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *out = NULL;
	int json = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (!of_app)
		opts[1] = opts[2];   /* no -a */
	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if (of_app)
		ret = sw_cli_app_get(cmd, &c, flag, &app, &out, "%s", what);
	else if (!(ret = sw_cli_setup(cmd, &c, NULL, NULL)))
		ret = sw_cli_call(cmd, &c, "GET", what, NULL, &out);
	if (ret)
		goto cleanup;
	if (json)
		ret = sw_cli_print_json(out);
	else
		show(of_app ? app.ptr : NULL, out);
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}

int sw_cli_app_show(const struct sw_cli_command *cmd, int argc, char **argv, const char *what,
		    void (*show)(const char *app, const json_t *out))
{
	return show_get(cmd, argc, argv, 1, what, show);
}

int sw_cli_show(const struct sw_cli_command *cmd, int argc, char **argv, const char *path,
		void (*show)(const char *app, const json_t *out))
{
	return show_get(cmd, argc, argv, 0, path, show);
}

int sw_cli_create(const struct sw_cli_command *cmd, int argc, char **argv, const char *path,
		  int (*check)(const char *name), void (*created)(const char *name, const json_t *out))
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	json_t *out = NULL, *body = NULL;
	int json = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (check(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	body = json_pack("{s:s}", "name", a.pos[0]);
	if ((ret = sw_cli_setup(cmd, &c, NULL, NULL)) || (ret = sw_cli_call(cmd, &c, "POST", path, body, &out)))
		goto cleanup;
	if (json)
		ret = sw_cli_print_json(out);
	else
		created(a.pos[0], out);
cleanup:
	json_decref(out);
	json_decref(body);
	sw_cli_client_release(&c);
	return ret;
}
