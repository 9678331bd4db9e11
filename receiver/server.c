#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>

#include "receiver/server.h"
#include "receiver/app.h"
#include "receiver/dashboard.h"
#include "receiver/db.h"
#include "receiver/door.h"
#include "receiver/frontdoor.h"
#include "receiver/githttp.h"
#include "receiver/hook_jobs.h"
#include "receiver/pushproc.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/review_apps.h"
#include "receiver/routes.h"
#include "receiver/stream.h"
#include "common/buf.h"
#include "common/connguard.h"
#include "common/error.h"
#include "common/event.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define IDLE_TIMEOUT_SECS 120
#define CONNECTION_LIMIT 512
#define DROP_MAX (16 * 1024 * 1024)
#define READ_BYTES 16384

enum request_kind {
	REQ_BODY,   /* API or internal: body collected (bounded), handled at its end */
	REQ_PAGE,   /* the dashboard's own paths: the same, answered by dashboard.h */
	REQ_GIT,    /* body streamed into git http-backend */
	REQ_DONE,   /* a response is queued */
};

struct request {
	enum request_kind kind;
	struct sw_server *srv;
	struct sw_githttp *git;
	struct sw_buf body;
	char app[SW_APP_REF_MAX + 1];
	unsigned status;
	double t0;
	int too_big; /* the body passed SW_SERVER_MAX_BODY */
	size_t dropped; /* bytes of it read and dropped since */
	int quiet;   /* not worth an access log line (health checks) */
	int close_after; /* info/refs of receive-pack: the push's POST comes on a new connection */
	char what[160]; /* "GET /hello.git/info/refs", cut, for the access log */
};

/* ---- git smart HTTP ------------------------------------------------------- */

static long read_git(void *ctx, char *buf, size_t n)
{
	return sw_githttp_read(ctx, buf, n);
}

/* git's response body, as it comes. */
static int fill_git(void *ctx, struct sw_buf *out)
{
	struct request *r = ctx;
	long n = sw_stream_read_into(out, READ_BYTES, read_git, r->git);

	if (n > 0)
		return 0;
	if (n == 0)
		return 1;
	sw_log(SW_LOG_WARN, r->app, 0, "%s", sw_error_last());
	return -1;
}
static int header_passes(const char *h)
{
	/* MHD frames the body itself (chunked); hop-by-hop headers are its business. */
	static const char *const drop[] = { "content-length:", "transfer-encoding:", "connection:", NULL };
	size_t i;
	for (i = 0; drop[i]; i++)
		if (!strncasecmp(h, drop[i], strlen(drop[i])))
			return 0;
	return 1;
}

static enum MHD_Result git_respond(struct request *r, struct MHD_Connection *c)
{
	struct sw_cgi_head head = SW_CGI_HEAD_INIT;
	struct sw_stream_body body;
	struct MHD_Response *res;
	enum MHD_Result ret;
	size_t i;

	r->kind = REQ_DONE;
	if (sw_githttp_read_head(r->git, &head) < 0) {
		sw_log(SW_LOG_ERROR, r->app, 0, "%s", sw_error_last());
		return sw_reply_line(c, MHD_HTTP_BAD_GATEWAY, &r->status, "git failed: %s", sw_error_last());
	}
	body.fill = fill_git;
	body.done = NULL;   /* r lives until on_completed() */
	body.ctx = r;
	res = sw_stream_response(&body);
	if (!res) {
		sw_cgi_head_release(&head);
		return MHD_NO;
	}
	for (i = 0; i < head.headers.nr; i++) {
		const char *h = head.headers.v[i];
		const char *colon = strchr(h, ':');
		struct sw_buf name = SW_BUF_INIT;
		if (!colon || !header_passes(h))
			continue;
		sw_buf_add(&name, h, (size_t)(colon - h));
		MHD_add_response_header(res, name.ptr, colon + 2);
		sw_buf_release(&name);
	}
	/* the push itself then reaches the front door, which hands it to a process of its own */
	if (r->close_after)
		MHD_add_response_header(res, MHD_HTTP_HEADER_CONNECTION, "close");
	/* The hook may hold the response for the whole build: no idle cut-off meanwhile. */
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)(r->srv->cfg->hook_timeout + 300));
	ret = MHD_queue_response(c, (unsigned)head.status, res);
	r->status = (unsigned)head.status;
	MHD_destroy_response(res);
	sw_cgi_head_release(&head);
	return ret;
}

/* A request header's value by name, or NULL: from MHD, or from a peeked head. */
typedef const char *(*header_fn)(const void *ctx, const char *name);

static const char *mhd_header(const void *ctx, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

static const char *head_header(const void *ctx, const char *name)
{
	return sw_http_head_get(ctx, name);
}

/* The CGI environment of `git http-backend` for one request of app by p from addr. */
static void git_env(struct sw_server *s, header_fn header, const void *hctx, const char *addr, const char *app,
		    const char *method, const char *url, const char *service, const struct sw_principal *p,
		    struct sw_strvec *env)
{
	const char *v;

	sw_strvec_push(env, "GIT_HTTP_EXPORT_ALL=1");
	sw_strvec_pushf(env, "REQUEST_METHOD=%s", method);
	sw_strvec_pushf(env, "PATH_INFO=%s", url);
	sw_strvec_pushf(env, "QUERY_STRING=%s%s", service ? "service=" : "", service ? service : "");
	if ((v = header(hctx, MHD_HTTP_HEADER_CONTENT_TYPE)))
		sw_strvec_pushf(env, "CONTENT_TYPE=%s", v);
	if ((v = header(hctx, MHD_HTTP_HEADER_CONTENT_LENGTH)))
		sw_strvec_pushf(env, "CONTENT_LENGTH=%s", v);
	if ((v = header(hctx, MHD_HTTP_HEADER_CONTENT_ENCODING)))
		sw_strvec_pushf(env, "HTTP_CONTENT_ENCODING=%s", v);
	if ((v = header(hctx, "Git-Protocol")))
		sw_strvec_pushf(env, "GIT_PROTOCOL=%s", v);
	sw_strvec_pushf(env, "REMOTE_ADDR=%s", addr);
	/* who pushes, the hook's settings, git's own (REMOTE_USER: the actor) */
	sw_hook_jobs_env(s, app, p, env);
}

/*
 * A push's app: created by the push itself; or (advertise, not there yet) the
 * advertisement of an empty repository, in root. 0, or the HTTP status of a refusal
 * with its line in why.
 */
static unsigned push_app(struct sw_server *s, const char *app, const struct sw_principal *p, int advertise,
			 int exists, struct sw_buf *root, struct sw_buf *why)
{
	int created = 0, rc;

	if (!exists && advertise) {
		rc = sw_app_empty_repo(s->cfg, root);
	} else if ((rc = sw_app_ensure(s->cfg, s->db, app, &created)) == 0 && created) {
		sw_log(SW_LOG_INFO, app, 0, "app created (first push, by %s)", p->actor);
		sw_event_emit(s->db, app, "app.created", 0, 0, p->actor, "app %s created by the first push (%s)", app,
			      p->actor);
	}
	if (rc == 0)
		return 0;
	sw_log(SW_LOG_ERROR, app, 0, "%s", sw_error_last());
	/* git's own words about a full disk run long: the pusher gets the gist */
	if (strcasestr(sw_error_last(), "no space left on device")) {
		sw_buf_addf(why, "cannot create app %s: no space left on device in %s", app, s->cfg->home);
		return MHD_HTTP_INSUFFICIENT_STORAGE;
	}
	sw_buf_addf(why, "cannot create app %s: %s", app, sw_error_last());
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* The service of a repository request (rest: "/info/refs" or "/git-*-pack"): 1 receive, 0 upload, or answered. */
static int git_service(struct MHD_Connection *c, struct request *r, const char *rest, const char *method,
		       const char **service, enum MHD_Result *ret)
{
	if (!strcmp(rest, "/info/refs")) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
			*ret = sw_reply_line(c, MHD_HTTP_METHOD_NOT_ALLOWED, &r->status, "method not allowed");
			return -1;
		}
		*service = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "service");
		if (!*service || (strcmp(*service, "git-upload-pack") && strcmp(*service, "git-receive-pack"))) {
			*ret = sw_reply_line(c, MHD_HTTP_BAD_REQUEST, &r->status,
					     "only git's smart HTTP is served (service=git-upload-pack or git-receive-pack)");
			return -1;
		}
		return !strcmp(*service, "git-receive-pack");
	}
	if (!strcmp(rest, "/git-upload-pack") || !strcmp(rest, "/git-receive-pack")) {
		if (strcmp(method, "POST")) {
			*ret = sw_reply_line(c, MHD_HTTP_METHOD_NOT_ALLOWED, &r->status, "method not allowed");
			return -1;
		}
		return !strcmp(rest, "/git-receive-pack");
	}
	*ret = sw_reply_line(c, MHD_HTTP_NOT_FOUND, &r->status, "not found");
	return -1;
}

/* First call of a repository request: route, auth, role, app, then start the CGI. */
static enum MHD_Result git_begin(struct sw_server *s, struct MHD_Connection *c, struct request *r,
				 const char *url, const char *method)
{
	struct sw_buf why = SW_BUF_INIT, root = SW_BUF_INIT;
	struct sw_strvec env = SW_STRVEC_INIT;
	struct sw_principal p;
	const char *rest = NULL, *service = NULL;
	char addr[INET6_ADDRSTRLEN];
	int receive, rc, exists, advertise;
	unsigned refused;
	enum MHD_Result ret = MHD_NO;

	r->kind = REQ_DONE;
	rc = sw_app_parse_git_path(url, r->app, &rest);
	if (rc == SW_ENOTFOUND) {
		ret = sw_reply_line(c, MHD_HTTP_NOT_FOUND, &r->status, "not found");
		goto cleanup;
	}
	if (rc < 0) {
		ret = sw_reply_line(c, MHD_HTTP_BAD_REQUEST, &r->status, "%s", sw_error_last());
		goto cleanup;
	}
	/* review apps' names may be longer than apps'; refused after auth */
	if (!sw_app_name_valid(r->app) && !sw_review_apps_is_review(s->db, r->app, NULL)) {
		ret = sw_reply_line(c, MHD_HTTP_BAD_REQUEST, &r->status,
				 "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
		goto cleanup;
	}
	if ((receive = git_service(c, r, rest, method, &service, &ret)) < 0)
		goto cleanup;
	advertise = !strcmp(rest, "/info/refs");
	r->close_after = receive && advertise && s->door;
	if ((rc = sw_request_authenticate(s->db, c, &p)) < 0) {
		if (rc == SW_EAUTH)
			ret = sw_reply_unauthorized(c, 0, sw_error_last(), &r->status);
		else
			ret = sw_reply_line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, &r->status, "%s", sw_error_last());
		goto cleanup;
	}
	/* review apps have no repository of their own: one line, nothing changed */
	if (sw_review_apps_git_refusal(s->db, r->app, receive, &why)) {
		ret = sw_reply_line(c, MHD_HTTP_FORBIDDEN, &r->status, "%s", why.ptr);
		goto cleanup;
	}
	exists = sw_app_exists(s->cfg, r->app);
	rc = sw_routes_git_check(s, &p, r->app, receive, exists, &why);
	if (rc <= 0) {
		ret = rc < 0 ? sw_reply_line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, &r->status, "%s", sw_error_last())
			     : sw_reply_line(c, MHD_HTTP_FORBIDDEN, &r->status, "forbidden: %s", why.ptr);
		goto cleanup;
	}
	if (!receive && !exists) {
		ret = sw_reply_line(c, MHD_HTTP_NOT_FOUND, &r->status, "no such app: %s", r->app);
		goto cleanup;
	}
	if (receive && (refused = push_app(s, r->app, &p, advertise, exists, &root, &why))) {
		ret = sw_reply_line(c, refused, &r->status, "%s", why.ptr);
		goto cleanup;
	}
	sw_request_peer(c, addr, sizeof(addr));
	if (root.len) {   /* a new app's advertisement: an empty repository's */
		sw_strvec_pushf(&env, "GIT_PROJECT_ROOT=%s", root.ptr);
		git_env(s, mhd_header, c, addr, r->app, method, "/new.git/info/refs", service, &p, &env);
	} else {
		sw_strvec_pushf(&env, "GIT_PROJECT_ROOT=%s", s->cfg->repos);
		git_env(s, mhd_header, c, addr, r->app, method, url, service, &p, &env);
	}
	if (sw_githttp_start(&r->git, &env) < 0) {
		sw_log(SW_LOG_ERROR, r->app, 0, "%s", sw_error_last());
		ret = sw_reply_line(c, MHD_HTTP_INTERNAL_SERVER_ERROR, &r->status, "%s", sw_error_last());
		goto cleanup;
	}
	r->kind = REQ_GIT;
	ret = MHD_YES;
cleanup:
	sw_buf_release(&why);
	sw_buf_release(&root);
	sw_strvec_clear(&env);
	return ret;
}

/* The guard's side of MHD's connection notices (common/connguard.h). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sw_server *s = cls;

	const union MHD_ConnectionInfo *peer = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		int fd = ci ? (int)ci->connect_fd : -1;
		/* from the front door: counted since its accept, its header deadline runs from then */
		*socket_context = sw_connguard_open_at(s->guard, fd, sw_frontdoor_started(s->door, fd));
	} else {
		sw_connguard_close(s->guard, *socket_context);
		*socket_context = NULL;
		sw_frontdoor_client(s->door, peer ? peer->client_addr : NULL, -1);
	}
}

static void *guard_slot(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* ---- a push's own process (pushproc.h) ------------------------------------ */

/*
 * The front door's offer (frontdoor.h): a POST to /<app>.git/git-receive-pack whose
 * head came whole. Checked as git_begin() checks it (the token, the deploy role on the
 * app, or admin to create it); when it passes, the connection goes to slipway-push with
 * git's CGI environment and 1 is returned. Anything that would be refused goes back (0)
 * to MHD, which answers it as git_begin() does.
 */
static int take_push(void *ctx, int fd, const struct sw_http_head *h, const struct sockaddr *peer, socklen_t peer_len,
		     pid_t *pid)
{
	struct sw_server *s = ctx;
	struct sw_buf why = SW_BUF_INIT;
	struct sw_strvec env = SW_STRVEC_INIT;
	struct sw_principal p;
	char app[SW_APP_REF_MAX + 1], addr[INET6_ADDRSTRLEN] = "";
	const char *rest = NULL;
	int ret = 0, exists;

	(void)peer_len;
	if (!s->push_program || strcmp(h->method, "POST") || strpbrk(h->target, "%?") ||
	    sw_app_parse_git_path(h->target, app, &rest) < 0 || strcmp(rest, "/git-receive-pack") ||
	    !sw_app_name_valid(app) || sw_request_authenticate_header(s->db, sw_http_head_get(h, "Authorization"), &p) < 0 ||
	    sw_review_apps_git_refusal(s->db, app, 1, &why))
		goto cleanup;
	exists = sw_app_exists(s->cfg, app);
	if (sw_routes_git_check(s, &p, app, 1, exists, &why) != 1 || push_app(s, app, &p, 0, exists, NULL, &why))
		goto cleanup;
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, addr, sizeof(addr));
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, addr, sizeof(addr));
	sw_strvec_pushf(&env, "GIT_PROJECT_ROOT=%s", s->cfg->repos);
	git_env(s, head_header, h, addr, app, "POST", h->target, NULL, &p, &env);
	if (sw_pushproc_spawn(s->push_program, fd, -1, &env, pid) < 0) {
		sw_log(SW_LOG_ERROR, app, 0, "%s (serving the push in slipwayd)", sw_error_last());
		goto cleanup;
	}
	close(fd);
	sw_log(SW_LOG_INFO, app, 0, "POST %.140s by %s: served by slipway-push (pid %d)", h->target, p.actor, (int)*pid);
	ret = 1;
cleanup:
	sw_buf_release(&why);
	sw_strvec_clear(&env);
	return ret;
}

/* ---- dispatch ------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct sw_server *s = cls;
	struct request *r = *con_cls;

	(void)version;
	if (!r) {
		sw_connguard_busy(s->guard, guard_slot(c));   /* the headers are all there */
		r = xcalloc(1, sizeof(*r));
		r->srv = s;
		r->t0 = sw_time_now();
		sw_buf_init(&r->body, SW_SERVER_MAX_BODY);
		*con_cls = r;
		snprintf(r->what, sizeof(r->what), "%s %.140s", method, url);
		if (!strncmp(url, "/api/", 5) || !strncmp(url, "/internal/", 10) || sw_dashboard_serves(url)) {
			const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			r->kind = sw_dashboard_serves(url) ? REQ_PAGE : REQ_BODY;
			r->quiet = !strcmp(url, "/api/v1/health");
			/* A declared length over the cap is refused before a byte of it is read. */
			if (cl && (strlen(cl) > 9 || strtoul(cl, NULL, 10) > SW_SERVER_MAX_BODY)) {
				r->kind = REQ_DONE;
				return sw_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, &r->status,
							    "request body over %d bytes", SW_SERVER_MAX_BODY);
			}
			return MHD_YES;
		}
		return git_begin(s, c, r, url, method);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->kind == REQ_GIT) {
			if (sw_githttp_write(r->git, upload_data, n) < 0) {
				sw_log(SW_LOG_ERROR, r->app, 0, "%s", sw_error_last());
				r->kind = REQ_DONE;
				return sw_reply_line(c, MHD_HTTP_BAD_GATEWAY, &r->status, "%s", sw_error_last());
			}
		} else if ((r->kind == REQ_BODY || r->kind == REQ_PAGE) && !r->too_big) {
			if (sw_buf_add(&r->body, upload_data, n) < 0) {
				r->too_big = 1;
				sw_buf_release(&r->body);
			}
		} else if (r->kind == REQ_BODY || r->kind == REQ_PAGE) {
			/* chunked, so no length was declared: the rest is dropped and the 413
			 * comes at its end (MHD cannot answer in the middle of a body), unless
			 * it goes on and on: then the connection is cut */
			r->dropped += n;
			if (r->dropped > DROP_MAX)
				return MHD_NO;
		}
		return MHD_YES;
	}
	switch (r->kind) {
	case REQ_GIT:
		return git_respond(r, c);
	case REQ_BODY:
		r->kind = REQ_DONE;
		if (r->too_big)
			return sw_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, &r->status,
						    "request body over %d bytes", SW_SERVER_MAX_BODY);
		return sw_routes_handle(s, c, url, method, &r->body, &r->status);
	case REQ_PAGE:
		r->kind = REQ_DONE;
		if (r->too_big)
			return sw_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, &r->status,
						    "request body over %d bytes", SW_SERVER_MAX_BODY);
		return sw_dashboard_handle(s, c, url, method, &r->status);
	case REQ_DONE:
		break;
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct request *r = *con_cls;
	struct sw_server *s = cls;

	sw_connguard_idle(s->guard, guard_slot(c));   /* the next request's headers: from now */
	if (!r)
		return;
	if (!r->quiet || r->status != 200)
		sw_log(SW_LOG_INFO, r->app[0] ? r->app : NULL, 0, "%s %u %.3fs%s", r->what, r->status,
		       sw_time_now() - r->t0, why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (client went away)");
	sw_githttp_finish(r->git);
	sw_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
}

/* The request line, for the access log (the URI as sent, before decoding). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	sw_log(SW_LOG_DEBUG, NULL, 0, "request %.300s", uri);
	return NULL;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	struct sw_buf b = SW_BUF_INIT;
	(void)cls;
	sw_buf_vaddf(&b, fmt, ap);
	sw_log(SW_LOG_WARN, NULL, 0, "http: %s", b.ptr);
	sw_buf_release(&b);
}

/* addr as a socket address with port (into sa4 or sa6): its family, or -1 when it is not an IP address. */
static int socket_address(const char *addr, int port, struct sockaddr_in *sa4, struct sockaddr_in6 *sa6)
{
	memset(sa4, 0, sizeof(*sa4));
	memset(sa6, 0, sizeof(*sa6));
	if (inet_pton(AF_INET, addr, &sa4->sin_addr) == 1) {
		sa4->sin_family = AF_INET;
		sa4->sin_port = htons((uint16_t)port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &sa6->sin6_addr) == 1) {
		sa6->sin6_family = AF_INET6;
		sa6->sin6_port = htons((uint16_t)port);
		return AF_INET6;
	}
	return -1;
}

/* A PEM file (at most 1 MiB) into *out (the caller frees). */
static int read_pem(const char *what, const char *path, char **out)
{
	struct sw_buf b = SW_BUF_INIT;
	char tmp[4096];
	size_t n;
	FILE *f = fopen(path, "re");

	*out = NULL;
	if (!f)
		return sw_error_errno("%s %s", what, path);
	sw_buf_init(&b, 1024 * 1024);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (sw_buf_add(&b, tmp, n) < 0) {
			fclose(f);
			sw_buf_release(&b);
			return sw_error_code(SW_ETOOBIG, "%s %s: over 1 MiB", what, path);
		}
	fclose(f);
	if (!strstr(b.len ? b.ptr : "", "-----BEGIN ")) {
		sw_buf_release(&b);
		return sw_error_code(SW_EINVAL, "%s %s: not a PEM file", what, path);
	}
	*out = sw_buf_detach(&b, NULL);
	return 0;
}

/*
 * On a network, HTTPS or nothing: an address that is not loopback needs a certificate and
 * key (or SLIPWAY_INSECURE_HTTP=1). 0 with the PEMs read (when there are some), or SW_EINVAL.
 */
static int tls_settings(struct sw_server *s, int family, const struct sockaddr_in *sa4,
			const struct sockaddr_in6 *sa6)
{
	const struct sw_config *cfg = s->cfg;
	int loopback = family == AF_INET ? (ntohl(sa4->sin_addr.s_addr) >> 24) == 127
					 : IN6_IS_ADDR_LOOPBACK(&sa6->sin6_addr);

	if (!cfg->tls_cert) {
		if (!loopback && !cfg->insecure_http)
			return sw_error_code(SW_EINVAL, "SLIPWAY_LISTEN=%s is not a loopback address: set SLIPWAY_TLS_CERT"
					     " and SLIPWAY_TLS_KEY (HTTPS), or SLIPWAY_INSECURE_HTTP=1 (tokens in the"
					     " clear on the network)", cfg->listen);
		return 0;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return sw_error_code(SW_EINVAL, "this libmicrohttpd was built without TLS: put a TLS proxy in front of"
				     " slipwayd on loopback instead of SLIPWAY_TLS_CERT");
	if (read_pem("SLIPWAY_TLS_CERT", cfg->tls_cert, &s->tls_cert_pem) < 0 ||
	    read_pem("SLIPWAY_TLS_KEY", cfg->tls_key, &s->tls_key_pem) < 0)
		return SW_EINVAL;
	return 0;
}

/*
 * The hook secret, $SLIPWAY_HOME/hook.secret (mode 0600), made at the first start and
 * kept: a push's hook outlives the slipwayd that started it and reconnects to the next.
 */
static int hook_secret(struct sw_server *s)
{
	struct sw_buf path = SW_BUF_INIT, tmp = SW_BUF_INIT, token = SW_BUF_INIT;
	char got[SW_AUTH_TOKEN_LEN + 2];
	ssize_t n = 0;
	int fd, ret = 0;

	sw_buf_addf(&path, "%s/hook.secret", s->cfg->home);
	if ((fd = open(path.ptr, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, got, sizeof(got));
		close(fd);
	}
	if (n == SW_AUTH_TOKEN_LEN) {
		memcpy(s->hook_secret, got, SW_AUTH_TOKEN_LEN);
		goto cleanup;
	}
	if ((ret = sw_auth_token_generate(&token)) < 0)
		goto cleanup;
	sw_buf_addf(&tmp, "%s.%d", path.ptr, (int)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, token.ptr, SW_AUTH_TOKEN_LEN) != SW_AUTH_TOKEN_LEN || fsync(fd) < 0 ||
	    rename(tmp.ptr, path.ptr) < 0) {
		ret = sw_error_errno("write %s", path.ptr);
		unlink(tmp.ptr);
	}
	if (fd >= 0)
		close(fd);
	memcpy(s->hook_secret, token.ptr, SW_AUTH_TOKEN_LEN);
cleanup:
	s->hook_secret[SW_AUTH_TOKEN_LEN] = '\0';
	sw_buf_release(&path);
	sw_buf_release(&tmp);
	sw_buf_release(&token);
	return ret;
}

/*
 * Our listening socket: the one a door keeper kept for us (a slipwayd died; no moment
 * of refused connections), or a new one. The socket, or negative with one line.
 */
static int listen_on(struct sw_server *s, const struct sockaddr *sa, socklen_t salen)
{
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	int fd = -1, one = 1;

	if (sw_door_take(s->cfg->home, &fd) == 1) {
		if (getsockname(fd, (struct sockaddr *)&got, &len) == 0 && len == salen && !memcmp(&got, sa, salen)) {
			sw_log_info("took the port over from the door keeper of the slipwayd before");
			return fd;
		}
		close(fd);   /* another address: a new one below */
	}
	/* a backlog as deep as the kernel allows (as libmicrohttpd's own): a flood of
	 * connections refused one by one must not overflow it, which would make the kernel
	 * drop others' SYNs (then retried a second later) */
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 || bind(fd, sa, salen) < 0 ||
	    listen(fd, 4096) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return sw_error_errno("cannot listen on %s:%d", s->cfg->listen, s->cfg->port);
	}
	return fd;
}

/*
 * Start one daemon: the front (guarded: connections per client address, a deadline for
 * headers) on listen_fd, or (listen_fd -1) without a listening socket, fed by the front
 * door; with a certificate, HTTPS on listen_fd. Or (internal) plain HTTP on sa for the
 * hook on loopback when the front speaks HTTPS.
 */
static struct MHD_Daemon *start_daemon(struct sw_server *s, const struct sockaddr *sa, int listen_fd, int internal)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	int tls = !internal && s->tls_cert_pem;
	struct MHD_OptionItem where[2] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL } };

	if (sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	if (internal)
		where[0] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)sa };
	else if (listen_fd >= 0)
		where[0] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
	else
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, s,
				MHD_OPTION_ARRAY, where,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				/* without a listening socket, the front door counts (frontdoor.h) */
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, listen_fd < 0 ? 0u : (unsigned)s->cfg->client_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_SECS,
				MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert_pem,
				MHD_OPTION_HTTPS_MEM_KEY, s->tls_key_pem,
				MHD_OPTION_END);
}

/*
 * Plain HTTP: MHD without a listening socket, the front door accepting for it (a push
 * served by slipway-push, pushproc.h), a door keeper for when we are gone (door.h).
 */
static int start_plain(struct sw_server *s, const struct sockaddr *sa, int fd)
{
	if (access(s->cfg->push_program, X_OK) == 0)
		s->push_program = s->cfg->push_program;
	else
		sw_log_warn("%s: %s: pushes are served in slipwayd (a restart during one fails it)",
			    s->cfg->push_program, strerror(errno));
	s->mhd = start_daemon(s, sa, -1, 0);
	if (!s->mhd) {
		close(fd);
		return sw_error("cannot start the HTTP server on %s:%d", s->cfg->listen, s->cfg->port);
	}
	if (sw_frontdoor_start(&s->door, fd, s->mhd, s->guard, (int)s->cfg->client_connections, take_push, s) < 0) {
		close(fd);
		return SW_ERROR;
	}
	/* something answers on the port should we die (door.h) */
	if (sw_door_start(s->cfg->door_program, s->cfg->home, fd, &s->door_keep) < 0)
		sw_log_warn("%s (while slipwayd is down, nothing answers on its port)", sw_error_last());
	return 0;
}

/*
 * HTTPS: an encrypted request head cannot be peeked at, so MHD listens itself and serves
 * every request, pushes included, as before the front door (a push does not outlive
 * slipwayd), and no door keeper answers in plain HTTP. The hook reaches us on a loopback
 * port of its own in plain HTTP: its number, or negative with one line.
 */
static int start_tls(struct sw_server *s, const struct sockaddr *sa, int fd)
{
	struct sockaddr_in lo4;
	struct sockaddr_in6 lo6;
	int family = sa->sa_family;

	s->mhd = start_daemon(s, sa, fd, 0);
	if (!s->mhd) {
		close(fd);
		return sw_error("cannot start the HTTPS server on %s:%d (do the TLS certificate and key go together?)",
				s->cfg->listen, s->cfg->port);
	}
	socket_address(family == AF_INET6 ? "::1" : "127.0.0.1", 0, &lo4, &lo6);
	s->internal = start_daemon(s, family == AF_INET6 ? (struct sockaddr *)&lo6 : (struct sockaddr *)&lo4, -1, 1);
	if (!s->internal)
		return sw_error_errno("cannot listen on loopback for the hook");
	return (int)MHD_get_daemon_info(s->internal, MHD_DAEMON_INFO_BIND_PORT)->port;
}

int sw_server_start(struct sw_server *s)
{
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
	struct sw_buf url = SW_BUF_INIT;
	int family = socket_address(s->cfg->listen, s->cfg->port, &sa4, &sa6), port = s->cfg->port, fd;
	const struct sockaddr *sa = family == AF_INET6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa4;

	s->door_keep = -1;
	if (family < 0)
		return sw_error_code(SW_EINVAL, "SLIPWAY_LISTEN: not an IP address: %.100s", s->cfg->listen);
	if (tls_settings(s, family, &sa4, &sa6) < 0)
		return SW_EINVAL;
	if (hook_secret(s) < 0)
		return SW_ERROR;
	s->sessions = sw_sessions_new((int)s->cfg->dashboard_ticket_secs, NULL);
	if (sw_connguard_new(&s->guard, s->cfg->header_timeout * 1000) < 0)
		return SW_ERROR;
	if ((fd = listen_on(s, sa, family == AF_INET6 ? sizeof(sa6) : sizeof(sa4))) < 0)
		return fd;
	if (s->tls_cert_pem)
		port = start_tls(s, sa, fd);
	else if (start_plain(s, sa, fd) < 0)
		return SW_ERROR;
	if (port < 0)
		return SW_ERROR;
	/* The hook runs on this machine: it reaches us on loopback, over plain HTTP. */
	if (family == AF_INET6)
		sw_buf_addf(&url, "http://[::1]:%d", port);
	else
		sw_buf_addf(&url, "http://127.0.0.1:%d", port);
	s->self_url = sw_buf_detach(&url, NULL);
	return 0;
}

void sw_server_quiesce(struct sw_server *s)
{
	/* plain HTTP: the door keeper leaves, the front door stops accepting */
	sw_door_close(s->door_keep, 1);
	s->door_keep = -1;
	sw_frontdoor_stop(s->door);
	if (s->tls_cert_pem && s->mhd)
		MHD_quiesce_daemon(s->mhd);
	if (s->internal)
		MHD_quiesce_daemon(s->internal);
}

void sw_server_release(struct sw_server *s)
{
	/* Connection threads may still be streaming: they are not joined (see main), and
	 * the guard, the front door and the PEMs they use live as long. */
	free(s->self_url);
	s->self_url = NULL;
	/* sessions stay: connection threads still streaming may look one up (see main) */
}
