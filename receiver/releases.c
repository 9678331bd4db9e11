#include <stdlib.h>
#include <string.h>

#include "receiver/releases.h"
#include "receiver/app.h"
#include "receiver/reviews.h"
#include "releaser/command.h"
#include "releaser/releaser.h"
#include "releaser/release.h"
#include "common/error.h"
#include "common/log.h"
#include "common/banned.h"

#define KEEPALIVE_MS 15000

/* "/api/v1/apps/<app>/<what>[/<rest>]" → app and what (and rest, may be ""). */
static int split(const char *url, struct sw_buf *app, struct sw_buf *what, struct sw_buf *rest)
{
	const char *p = url + strlen("/api/v1/apps/"), *slash;
	if (strncmp(url, "/api/v1/apps/", 13))
		return -1;
	if (!(slash = strchr(p, '/')))
		return -1;
	sw_buf_add(app, p, (size_t)(slash - p));
	p = slash + 1;
	slash = strchr(p, '/');
	sw_buf_add(what, p, slash ? (size_t)(slash - p) : strlen(p));
	if (slash)
		sw_buf_adds(rest, slash + 1);
	return 0;
}

int sw_releases_match(const char *url)
{
	struct sw_buf app = SW_BUF_INIT, what = SW_BUF_INIT, rest = SW_BUF_INIT;
	int m = 0;
	if (!strcmp(url, "/api/v1/doctor"))
		return 1;
	if (split(url, &app, &what, &rest) == 0)
		m = !strcmp(what.ptr, "releases") || !strcmp(what.ptr, "config") || !strcmp(what.ptr, "scale") ||
		    !strcmp(what.ptr, "rollback");
	sw_buf_release(&app);
	sw_buf_release(&what);
	sw_buf_release(&rest);
	return m;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, json_t *o, unsigned *status)
{
	char *text;
	struct sw_buf b = SW_BUF_INIT;
	enum MHD_Result r;
	if (!o)
		return sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	sw_buf_addf(&b, "%s\n", text ? text : "{}");
	free(text);
	r = sw_server_reply(c, code, "application/json", b.ptr, b.len, status);
	sw_buf_release(&b);
	return r;
}

struct stream {
	struct sw_command *cmd;
	char buf[16384];
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n = sw_command_read(st->cmd, buf, max, KEEPALIVE_MS);
	(void)pos;
	if (n == SW_ETIMEOUT) {
		if (max < 3)
			return 0;
		memcpy(buf, "{}\n", 3);
		return 3;
	}
	if (n <= 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	sw_command_release(st->cmd);
	free(st);
}

static enum MHD_Result run_command(struct sw_server *s, struct MHD_Connection *c, const char *app,
				   const char *command, const struct sw_buf *body, const char *user, unsigned *status)
{
	json_error_t err;
	json_t *req = body && body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, &err) : json_object();
	enum MHD_Result r;

	if (!json_is_object(req)) {
		json_decref(req);
		return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "want a JSON object");
	}
	json_object_set_new(req, "command", json_string(command));
	r = sw_releases_command(s, c, app, req, user, status);
	json_decref(req);
	return r;
}

/* review apps (issue 8): run_command's second half, for review:sync-config too */
enum MHD_Result sw_releases_command(struct sw_server *s, struct MHD_Connection *c, const char *app,
				    const json_t *req, const char *user, unsigned *status)
{
	struct stream *st;
	struct MHD_Response *res;
	enum MHD_Result r;
	int ret;

	st = calloc(1, sizeof(*st));
	if (!st)
		return MHD_NO;
	ret = sw_command_start(&st->cmd, s->db, app, req, user);
	if (ret < 0) {
		free(st);
		return sw_server_json_error(c, ret == SW_EUNAVAIL ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_BAD_REQUEST,
					    status, "%s", sw_error_last());
	}
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, sizeof(st->buf), stream_reader, st, stream_free);
	if (!res) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", "application/x-ndjson");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0);
	r = MHD_queue_response(c, MHD_HTTP_OK, res);
	*status = MHD_HTTP_OK;
	MHD_destroy_response(res);
	return r;
}

enum MHD_Result sw_releases_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				   const char *method, const struct sw_buf *body, const char *user, unsigned *status)
{
	struct sw_buf app = SW_BUF_INIT, what = SW_BUF_INIT, rest = SW_BUF_INIT;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
	enum MHD_Result r;

	if (!strcmp(url, "/api/v1/doctor")) {
		if (!get)
			return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return reply(c, MHD_HTTP_OK, sw_releaser_doctor(), status);
	}
	split(url, &app, &what, &rest);
	/* review apps (issue 8): longer names, and no repository of their own */
	if (!sw_app_ref_valid(app.ptr)) {
		r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
					 "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
		goto cleanup;
	}
	if (!sw_app_exists(s->cfg, app.ptr) && !sw_reviews_is_review(s->db, app.ptr, NULL)) {
		r = sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app.ptr);
		goto cleanup;
	}
	if (!strcmp(what.ptr, "releases") && get && !rest.len) {
		r = reply(c, MHD_HTTP_OK, sw_release_list_json(s->db, app.ptr, 100), status);
	} else if (!strcmp(what.ptr, "releases") && get && !strchr(rest.ptr, '/')) {
		const char *v = rest.ptr[0] == 'v' ? rest.ptr + 1 : rest.ptr;
		char *end = NULL;
		long n = strtol(v, &end, 10);
		struct sw_release rel;
		if (!*v || !end || *end || n <= 0 || n > 1000000000) {
			r = sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such release: %.40s", rest.ptr);
			goto cleanup;
		}
		sw_release_init(&rel);
		if (sw_release_load(s->db, app.ptr, (int)n, &rel) == 0)
			r = reply(c, MHD_HTTP_OK, sw_release_to_json(&rel), status);
		else
			r = sw_server_json_error(c, sw_error_last_code() == SW_ENOTFOUND ? MHD_HTTP_NOT_FOUND
							: MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		sw_release_release(&rel);
	} else if (!strcmp(what.ptr, "config") && get && !rest.len) {
		r = reply(c, MHD_HTTP_OK, sw_release_config_json(s->db, app.ptr), status);
	} else if ((!strcmp(what.ptr, "config") || !strcmp(what.ptr, "scale") || !strcmp(what.ptr, "rollback")) &&
		   post && !rest.len) {
		r = run_command(s, c, app.ptr, what.ptr, body, user, status);
	} else if (get || post) {
		r = sw_server_json_error(c, rest.len ? MHD_HTTP_NOT_FOUND : MHD_HTTP_METHOD_NOT_ALLOWED, status,
					 rest.len ? "not found" : "method not allowed");
	} else {
		r = sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	}
cleanup:
	sw_buf_release(&app);
	sw_buf_release(&what);
	sw_buf_release(&rest);
	return r;
}
