#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/dashboard.h"
#include "receiver/auth.h"
#include "receiver/reply.h"
#include "receiver/roles.h"
#include "receiver/request.h"
#include "receiver/session.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/banned.h"

/* The page and its assets, built in by receiver/CMakeLists.txt from receiver/dashboard/. */
extern const char sw_dashboard_index_html[], sw_dashboard_app_js[], sw_dashboard_app_css[], sw_dashboard_icon_svg[];
extern const size_t sw_dashboard_index_html_len, sw_dashboard_app_js_len, sw_dashboard_app_css_len,
	sw_dashboard_icon_svg_len;

struct asset {
	const char *path;
	const char *type;
	const char *data;
	const size_t *len;
	char etag[24];   /* "\"<16 hex of its SHA-256>\"", made once */
};

static struct asset assets[] = {
	{ "/", "text/html; charset=utf-8", sw_dashboard_index_html, &sw_dashboard_index_html_len, "" },
	{ "/assets/app.js", "text/javascript; charset=utf-8", sw_dashboard_app_js, &sw_dashboard_app_js_len, "" },
	{ "/assets/app.css", "text/css; charset=utf-8", sw_dashboard_app_css, &sw_dashboard_app_css_len, "" },
	{ "/assets/icon.svg", "image/svg+xml", sw_dashboard_icon_svg, &sw_dashboard_icon_svg_len, "" },
};
#define NASSETS (sizeof(assets) / sizeof(assets[0]))

static pthread_once_t etags_once = PTHREAD_ONCE_INIT;

static void make_etags(void)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	size_t i;
	for (i = 0; i < NASSETS; i++) {
		sw_auth_hash(assets[i].data, *assets[i].len, hash);
		snprintf(assets[i].etag, sizeof(assets[i].etag), "\"%.16s\"", hash);
	}
}

/* The headers of every page and asset: nothing runs or loads but our own files. */
static void page_headers(struct MHD_Response *res)
{
	MHD_add_response_header(res, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none';"
				" form-action 'self'");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(res, "X-Frame-Options", "DENY");
}

/* Queue res with status and the page headers (takes res). */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned code, struct MHD_Response *res, unsigned *status)
{
	enum MHD_Result r;
	if (!res)
		return MHD_NO;
	page_headers(res);
	r = MHD_queue_response(c, code, res);
	MHD_destroy_response(res);
	if (status)
		*status = code;
	return r;
}

/* A short HTML page saying one thing (what is not valid, what to do), with code. */
static enum MHD_Result say(struct MHD_Connection *c, unsigned code, const char *line, unsigned *status)
{
	struct sw_buf b = SW_BUF_INIT;
	struct MHD_Response *res;
	size_t i;

	sw_buf_adds(&b, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\""
		    " content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/assets/app.css\">"
		    "<title>slipway</title><main class=\"notice\"><h1>slipway</h1><p>");
	for (i = 0; line[i]; i++) {   /* the line is ours, escaped all the same */
		if (line[i] == '<')
			sw_buf_adds(&b, "&lt;");
		else if (line[i] == '&')
			sw_buf_adds(&b, "&amp;");
		else
			sw_buf_addch(&b, line[i]);
	}
	sw_buf_adds(&b, "</p></main></html>\n");
	res = MHD_create_response_from_buffer(b.len, b.ptr, MHD_RESPMEM_MUST_COPY);
	sw_buf_release(&b);
	if (res) {
		MHD_add_response_header(res, "Content-Type", "text/html; charset=utf-8");
		MHD_add_response_header(res, "Cache-Control", "no-store");
	}
	return queue(c, code, res, status);
}

static enum MHD_Result serve_asset(struct MHD_Connection *c, const struct asset *a, unsigned *status)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	struct MHD_Response *res;
	int same = inm && !strcmp(inm, a->etag);

	res = same ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
		   : MHD_create_response_from_buffer(*a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", a->type);
	MHD_add_response_header(res, "ETag", a->etag);
	MHD_add_response_header(res, "Cache-Control", "no-cache");   /* asked again each time: 304 when unchanged */
	return queue(c, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, res, status);
}

/* 1 when slipwayd serves this connection over TLS (the cookie is then Secure). Plain HTTP today. */
static int over_tls(const struct sw_server *s)
{
	(void)s;
	return 0;
}

/* "slipway_session=<id>; Path=/; HttpOnly; SameSite=Strict; Max-Age=<n>[; Secure]" into out. */
static void cookie(const struct sw_server *s, const char *id, int max_age, struct sw_buf *out)
{
	sw_buf_addf(out, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", SW_DASHBOARD_COOKIE, id, max_age,
		    over_tls(s) ? "; Secure" : "");
}

static enum MHD_Result login(struct sw_server *s, struct MHD_Connection *c, unsigned *status)
{
	const char *ticket = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ticket");
	struct sw_buf id = SW_BUF_INIT, csrf = SW_BUF_INIT, set = SW_BUF_INIT;
	struct MHD_Response *res;
	enum MHD_Result r;
	int max_age = 0;

	if (!ticket || !*ticket)
		return say(c, MHD_HTTP_BAD_REQUEST, "Sign in with the link `slipway dashboard` prints.", status);
	if (sw_sessions_redeem(s->sessions, ticket, &id, &csrf, &max_age) < 0) {
		sw_log(SW_LOG_INFO, NULL, 0, "dashboard: a sign-in link was refused (expired, used or unknown)");
		r = say(c, MHD_HTTP_FORBIDDEN, sw_error_last(), status);
		goto cleanup;
	}
	cookie(s, id.ptr, max_age, &set);
	res = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (res) {
		MHD_add_response_header(res, "Set-Cookie", set.ptr);
		MHD_add_response_header(res, "Location", "/");
		MHD_add_response_header(res, "Cache-Control", "no-store");
	}
	r = queue(c, MHD_HTTP_SEE_OTHER, res, status);
cleanup:
	sw_buf_release(&id);
	sw_buf_release(&csrf);
	sw_buf_release(&set);
	return r;
}

static enum MHD_Result logout(struct sw_server *s, struct MHD_Connection *c, unsigned *status)
{
	const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SW_DASHBOARD_COOKIE);
	const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	struct sw_buf set = SW_BUF_INIT;
	struct MHD_Response *res;
	enum MHD_Result r;

	if (id && sw_sessions_check(s->sessions, id, NULL, NULL) == 0) {
		if (!sw_sessions_csrf_ok(s->sessions, id, token))
			return sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "forbidden: sign out from the dashboard's own page");
		sw_sessions_end(s->sessions, id);
	}
	cookie(s, "", 0, &set);
	res = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (res) {
		MHD_add_response_header(res, "Set-Cookie", set.ptr);
		MHD_add_response_header(res, "Cache-Control", "no-store");
	}
	r = queue(c, MHD_HTTP_NO_CONTENT, res, status);
	sw_buf_release(&set);
	return r;
}

int sw_dashboard_serves(const char *url)
{
	size_t i;
	if (!strcmp(url, "/login") || !strcmp(url, "/logout"))
		return 1;
	for (i = 0; i < NASSETS; i++)
		if (!strcmp(url, assets[i].path))
			return 1;
	return 0;
}

enum MHD_Result sw_dashboard_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				    unsigned *status)
{
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	size_t i;

	pthread_once(&etags_once, make_etags);
	if (!strcmp(url, "/logout"))
		return strcmp(method, "POST") ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					      : logout(s, c, status);
	if (!get)
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	if (!strcmp(url, "/login"))
		return login(s, c, status);
	for (i = 0; i < NASSETS; i++)
		if (!strcmp(url, assets[i].path))
			return serve_asset(c, &assets[i], status);
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}

/* ---- who a session acts as ---- */

/*
 * The one place a session becomes who acts: the principal of the token it was signed in
 * with (its user, limited as the token is), as that token is now: a revoked or expired
 * token's sessions stop working at once.
 */
static int session_principal(struct sw_server *s, const struct sw_session_who *who, struct sw_principal *p)
{
	int rc = sw_auth_principal(s->db, who->token_id, p);

	if (rc == SW_EAUTH)
		return sw_error_code(SW_EAUTH, "the token this session was signed in with was revoked or expired:"
				     " sign in again");
	return rc;
}

/* What p may do on app (NULL: on the server), for the page to show or hide controls. */
static const char *session_role(struct sw_server *s, const struct sw_principal *p, const char *app)
{
	enum sw_role r = SW_ROLE_NONE;

	if (!app || !*app)
		r = sw_roles_on_server(p);
	else if (sw_roles_on_app(s->db, p, app, &r) < 0)
		r = SW_ROLE_NONE;
	return sw_role_name(r);
}

/* Who the Authorization header's token is, for a ticket: its user (as records say it) and id. */
static int who_from_token(struct sw_server *s, struct MHD_Connection *c, struct sw_session_who *who)
{
	struct sw_principal p;
	int ret;

	memset(who, 0, sizeof(*who));
	if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))
		return sw_error_code(SW_EAUTH, "a sign-in link is asked for with an API token (`slipway dashboard`)");
	if ((ret = sw_request_authenticate(s->db, c, &p)) < 0)
		return ret;
	who->token_id = p.token_id;
	snprintf(who->user, sizeof(who->user), "%.*s", (int)sizeof(who->user) - 1, p.actor);
	return 0;
}

int sw_dashboard_authenticate(struct sw_server *s, struct MHD_Connection *c, const char *method, struct sw_principal *p)
{
	const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SW_DASHBOARD_COOKIE);
	const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	struct sw_session_who who;
	int rc;

	/* a token wins; the cookie is the browser's way */
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) || !id || !*id)
		return sw_request_authenticate(s->db, c, p);
	if ((rc = sw_sessions_check(s->sessions, id, &who, NULL)) < 0)
		return rc;
	if (strcmp(method, "GET") && strcmp(method, "HEAD") && !sw_sessions_csrf_ok(s->sessions, id, token))
		return sw_error_code(SW_EINVAL, "forbidden: a change from the dashboard needs its CSRF token (X-CSRF-Token)");
	return session_principal(s, &who, p);
}

/* ---- its API ---- */

int sw_dashboard_api_match(const char *url)
{
	return !strcmp(url, "/api/v1/dashboard/tickets") || !strcmp(url, "/api/v1/session");
}

static enum MHD_Result make_ticket(struct sw_server *s, struct MHD_Connection *c, unsigned *status)
{
	struct sw_session_who who;
	struct sw_buf ticket = SW_BUF_INIT, path = SW_BUF_INIT;
	enum MHD_Result r;
	int rc;

	if ((rc = who_from_token(s, c, &who)) < 0) {
		r = rc == SW_EAUTH ? sw_reply_unauthorized(c, 1, sw_error_last(), status) : sw_reply_db_error(c, status);
		goto cleanup;
	}
	if (sw_sessions_ticket(s->sessions, &who, &ticket) < 0) {
		r = sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	sw_buf_addf(&path, "/login?ticket=%s", ticket.ptr);
	sw_log(SW_LOG_INFO, NULL, 0, "dashboard: a sign-in link for %s", who.user);
	r = sw_reply_json(c, MHD_HTTP_CREATED, json_pack("{s:s, s:s, s:i}", "ticket", ticket.ptr, "path", path.ptr,
						       "expires_in", sw_sessions_ticket_secs(s->sessions)), status);
cleanup:
	sw_buf_release(&ticket);
	sw_buf_release(&path);
	return r;
}

static enum MHD_Result session_info(struct sw_server *s, struct MHD_Connection *c, unsigned *status)
{
	const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SW_DASHBOARD_COOKIE);
	const char *app = sw_request_arg(c, "app");
	struct sw_buf csrf = SW_BUF_INIT;
	struct sw_session_who who;
	struct sw_principal p;
	enum MHD_Result r;
	int rc;

	if (!id || !*id)
		return sw_reply_unauthorized(c, 1, "not signed in: run `slipway dashboard` for a sign-in link", status);
	rc = sw_sessions_check(s->sessions, id, &who, &csrf);
	if (rc == 0)
		rc = session_principal(s, &who, &p);
	if (rc < 0) {
		r = rc == SW_EAUTH ? sw_reply_unauthorized(c, 1, sw_error_last(), status) : sw_reply_db_error(c, status);
		goto cleanup;
	}
	r = sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s, s:s, s:i, s:i, s:s, s:s?}", "user", p.actor, "csrf", csrf.ptr,
						  "idle_timeout", SW_SESSION_IDLE_SECS, "max_age", SW_SESSION_MAX_SECS,
						  "role", session_role(s, &p, app), "app", app), status);
cleanup:
	sw_buf_release(&csrf);
	return r;
}

enum MHD_Result sw_dashboard_api(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 unsigned *status)
{
	if (!strcmp(url, "/api/v1/dashboard/tickets"))
		return strcmp(method, "POST") ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					      : make_ticket(s, c, status);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	return session_info(s, c, status);
}
