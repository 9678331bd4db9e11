#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "builder/image.h"
#include "common/docker.h"
#include "common/env.h"
#include "common/error.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_JSON_LINE (1u << 20)
#define MAX_TEXT_LINE (64u * 1024)

/* One streamed Docker response (jsonmessage lines). */
struct jstream {
	struct sw_lines json;       /* splits the body into JSON messages */
	struct sw_lines text;       /* splits "stream" text into lines for report() */
	int relay_status;           /* build: relay status lines without progress */
	sw_build_report_fn report;
	void *report_ctx;
	int stopped;                /* report() asked to stop */
	struct sw_buf error;        /* the first error message */
	struct sw_buf api_message;  /* {"message": ...}: the body of an error status */
	struct sw_buf aux_id;       /* build: aux.ID */
	struct sw_buf aux_digest;   /* push: aux.Digest */
	struct sw_buf no_space;     /* the first output line that says a disk is full */
};

#define NO_SPACE "no space left on device"

const char *sw_image_docker_where(void)
{
	const char *host = sw_env_str("DOCKER_HOST");
	if (!host)
		return "/var/run/docker.sock";
	if (!strncmp(host, "unix://", 7))
		return host + 7;
	return host;
}

/*
 * Keep the first line of output that says a disk is full (a RUN step's "dd: error
 * writing '/big': No space left on device"), without its colour codes: Docker's own
 * error then only says "returned a non-zero code", and the reason is this line.
 */
static void note_no_space(struct jstream *js, const char *line)
{
	const char *p;

	if (js->no_space.len || !strcasestr(line, NO_SPACE))
		return;
	for (p = line; *p; p++) {
		if (*p == '\033' && p[1] == '[') {   /* CSI ... final byte */
			for (p += 2; *p && !(*p >= '@' && *p <= '~'); p++)
				;
			if (!*p)
				break;
			continue;
		}
		if (sw_buf_addch(&js->no_space, *p) < 0)
			break;
	}
	sw_buf_rtrim(&js->no_space);
}

static int report_line(void *ctx, const char *line, size_t len)
{
	struct jstream *js = ctx;
	(void)len;
	note_no_space(js, line);
	if (js->stopped || !js->report)
		return 0;
	if (js->report(js->report_ctx, line) < 0) {
		js->stopped = 1;
		return -1;
	}
	return 0;
}

static void keep_first(struct sw_buf *b, const char *s)
{
	if (!b->len && s && *s)
		sw_buf_adds(b, s);
}

static int on_json_line(void *ctx, const char *line, size_t len)
{
	struct jstream *js = ctx;
	json_error_t jerr;
	json_t *doc, *v;
	int ret = 0;

	if (!len)
		return 0;
	doc = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(doc)) {
		/* not JSON: pass it on as text (a proxy's error page, say) */
		keep_first(&js->api_message, line);
		json_decref(doc);
		return 0;
	}
	if ((v = json_object_get(doc, "stream")) && json_is_string(v)) {
		ret = sw_lines_feed(&js->text, json_string_value(v), json_string_length(v));
	} else if ((v = json_object_get(doc, "errorDetail")) || json_object_get(doc, "error")) {
		const char *msg = sw_json_str(v, "message");
		if (!msg || !*msg)
			msg = sw_json_str(doc, "error");
		keep_first(&js->error, msg ? msg : "unknown error");
	} else if ((v = json_object_get(doc, "aux")) && json_is_object(v)) {
		keep_first(&js->aux_id, sw_json_str(v, "ID"));
		keep_first(&js->aux_digest, sw_json_str(v, "Digest"));
	} else if ((v = json_object_get(doc, "status")) && json_is_string(v)) {
		json_t *pd = json_object_get(doc, "progressDetail");
		const char *id = sw_json_str(doc, "id");
		if (js->relay_status && (!pd || !json_object_size(pd)) && !json_object_get(doc, "progress")) {
			struct sw_buf l = SW_BUF_INIT;
			if (id && *id)
				sw_buf_addf(&l, "%s: ", id);
			sw_buf_adds(&l, json_string_value(v));
			ret = report_line(js, l.ptr, l.len);
			sw_buf_release(&l);
		}
	} else if ((v = json_object_get(doc, "message")) && json_is_string(v)) {
		keep_first(&js->api_message, json_string_value(v));
	}
	json_decref(doc);
	return ret;
}

static int on_body(void *ctx, const char *data, size_t n)
{
	struct jstream *js = ctx;
	return sw_lines_feed(&js->json, data, n);
}

static void jstream_init(struct jstream *js, sw_build_report_fn report, void *report_ctx, int relay_status)
{
	memset(js, 0, sizeof(*js));
	js->json = (struct sw_lines)SW_LINES_INIT(on_json_line, js, MAX_JSON_LINE);
	js->text = (struct sw_lines)SW_LINES_INIT(report_line, js, MAX_TEXT_LINE);
	js->report = report;
	js->report_ctx = report_ctx;
	js->relay_status = relay_status;
	sw_buf_init(&js->error, 0);
	sw_buf_init(&js->api_message, 0);
	sw_buf_init(&js->aux_id, 0);
	sw_buf_init(&js->aux_digest, 0);
	sw_buf_init(&js->no_space, 512);
}

static void jstream_release(struct jstream *js)
{
	sw_lines_release(&js->json);
	sw_lines_release(&js->text);
	sw_buf_release(&js->error);
	sw_buf_release(&js->api_message);
	sw_buf_release(&js->aux_id);
	sw_buf_release(&js->aux_digest);
	sw_buf_release(&js->no_space);
}

/*
 * "<what> failed: <why>", said as a lack of space when Docker's error or the output
 * says a disk is full: "build failed: out of disk space: <why> (<that output line>)".
 */
static int failed(struct jstream *js, const char *what, const char *why)
{
	if (strcasestr(why, NO_SPACE))
		return sw_error("%s failed: out of disk space: %s", what, why);
	if (js->no_space.len)
		return sw_error("%s failed: out of disk space: %s (%s)", what, why, js->no_space.ptr);
	return sw_error("%s failed: %s", what, why);
}

/*
 * After the call: the one reason it failed, or 0. what: "build" / "push".
 * http_ret: sw_http_do()'s return.
 */
static int outcome(struct jstream *js, int http_ret, long status, const char *what,
		   const struct sw_cancel *cancel)
{
	if (http_ret == 0) {
		sw_lines_finish(&js->json);
		sw_lines_finish(&js->text);
	}
	if (sw_cancel_raised(cancel) || js->stopped)
		return sw_error_code(SW_ECANCEL, "cancelled");
	if (http_ret == SW_EUNAVAIL) {
		if (!strncmp(sw_error_last(), "cannot connect", 14))
			return sw_error_code(SW_EUNAVAIL, "cannot reach Docker at %s", sw_image_docker_where());
		return sw_error_code(SW_EUNAVAIL, "lost the connection to Docker at %s during the %s",
				     sw_image_docker_where(), what);
	}
	if (http_ret < 0)
		return sw_error_prefix("%s failed", what);
	if (js->error.len)
		return failed(js, what, js->error.ptr);
	if (status >= 400)
		return failed(js, what, js->api_message.len ? js->api_message.ptr : "Docker refused it");
	if (status != 200)
		return sw_error("%s failed: Docker answered %ld", what, status);
	return 0;
}

/*
 * POST path to Docker with req's body and headers (the rest is set here) and read its
 * streamed JSON into js: outcome()'s verdict. what: "build" / "push".
 */
static int docker_stream(struct jstream *js, const char *path, struct sw_http_request *req, const char *what,
			 const struct sw_cancel *cancel)
{
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf url = SW_BUF_INIT;
	int ret;

	if ((ret = sw_docker_prepare(req, &url, path)) < 0)
		goto cleanup;
	req->method = "POST";
	req->write = on_body;
	req->write_ctx = js;
	req->cancel = cancel;
	ret = sw_http_do(req, &res);
	ret = outcome(js, ret, res.status, what, cancel);
cleanup:
	sw_buf_release(&url);
	sw_http_response_release(&res);
	return ret;
}

int sw_image_build(const struct sw_image_build_opts *opts, char **image_id)
{
	struct sw_http_request req = { 0 };
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf path = SW_BUF_INIT;
	struct jstream js;
	int ret;

	if (image_id)
		*image_id = NULL;
	jstream_init(&js, opts->report, opts->report_ctx, 1);
	/* classic builder (no BuildKit session here); remove intermediate containers, failed ones too */
	sw_buf_adds(&path, "/build?rm=1&forcerm=1&t=");
	sw_http_urlencode(&path, opts->tag, strlen(opts->tag));
	if (opts->dockerfile) {
		sw_buf_adds(&path, "&dockerfile=");
		sw_http_urlencode(&path, opts->dockerfile, strlen(opts->dockerfile));
	}
	sw_strvec_push(&headers, "Content-Type: application/x-tar");
	req.headers = &headers;
	req.read = opts->read;
	req.read_ctx = opts->read_ctx;
	if ((ret = docker_stream(&js, path.ptr, &req, "build", opts->cancel)) == 0 && image_id && js.aux_id.len)
		*image_id = sw_buf_detach(&js.aux_id, NULL);
	jstream_release(&js);
	sw_strvec_clear(&headers);
	sw_buf_release(&path);
	return ret;
}

int sw_image_push(const char *name, const char *tag, const char *auth, const struct sw_cancel *cancel,
		  sw_build_report_fn report, void *report_ctx, char **digest)
{
	struct sw_http_request req = { 0 };
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf path = SW_BUF_INIT;
	struct jstream js;
	int ret;

	*digest = NULL;
	jstream_init(&js, report, report_ctx, 0);
	sw_buf_addf(&path, "/images/%s/push?tag=", name);
	sw_http_urlencode(&path, tag, strlen(tag));
	sw_strvec_pushf(&headers, "X-Registry-Auth: %s", auth);
	req.body = "";
	req.body_len = 0;
	req.headers = &headers;
	if ((ret = docker_stream(&js, path.ptr, &req, "push", cancel)) < 0)
		goto cleanup;
	if (!js.aux_digest.len) {
		ret = sw_error("push failed: Docker did not say which digest it pushed");
		goto cleanup;
	}
	*digest = sw_buf_detach(&js.aux_digest, NULL);
cleanup:
	jstream_release(&js);
	sw_strvec_clear(&headers);
	sw_buf_release(&path);
	return ret;
}
