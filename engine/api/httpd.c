#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "engine/api/httpd.h"
#include "engine/api/access.h"
#include "engine/api/throttle.h"
#include "common/connguard.h"
#include "common/error.h"
#include "common/http.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define SERVER_THREADS 4
#define MAX_HEADERS 100

struct sw_engine_api_httpd {
	struct MHD_Daemon *daemon;
	struct sw_connguard *guard;   /* the deadline for requests' headers */
	struct sw_engine *e;
	const struct sw_engine_api *const *apis;
	const struct sw_engine_api_access *access;
	struct sw_engine_api_throttle throttle;
};

/* Per-connection request state. */
struct pending {
	struct sw_buf body;
	int too_big;
};

struct header_list {
	struct sw_sigv4_header v[MAX_HEADERS];
	size_t nr;
	int overflow;
};

static enum MHD_Result collect_header(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *h = ctx;
	if (h->nr >= MAX_HEADERS) {
		h->overflow = 1;
		return MHD_NO;
	}
	h->v[h->nr].name = key;
	h->v[h->nr].value = value ? value : "";
	h->nr++;
	return MHD_YES;
}

static enum MHD_Result collect_arg(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct sw_buf *q = ctx;
	if (q->len)
		sw_buf_addch(q, '&');
	sw_http_urlencode(q, key, strlen(key));
	if (value) {
		sw_buf_addch(q, '=');
		sw_http_urlencode(q, value, strlen(value));
	}
	return MHD_YES;
}

static const char *header(const struct header_list *h, const char *name)
{
	size_t i;
	for (i = 0; i < h->nr; i++)
		if (!strcasecmp(h->v[i].name, name))
			return h->v[i].value;
	return NULL;
}

/* The SigV4 scope's service: "Credential=AKID/20150830/us-east-1/<service>/aws4_request". */
static void scope_service(const char *auth, struct sw_buf *out)
{
	const char *p = auth ? strstr(auth, "Credential=") : NULL;
	int slashes = 0;
	if (!p)
		return;
	for (p += 11; *p && *p != ',' && *p != ' '; p++) {
		if (*p == '/') {
			slashes++;
			if (slashes == 4)
				return;
			continue;
		}
		if (slashes == 3)
			sw_buf_addch(out, *p);
	}
}

static const struct sw_engine_api *pick_api(struct sw_engine_api_httpd *s, const char *target, const char *auth)
{
	const struct sw_engine_api *const *a;
	struct sw_buf svc = SW_BUF_INIT;
	const struct sw_engine_api *found = NULL;

	if (target) {
		const char *dot = strchr(target, '.');
		size_t n = dot ? (size_t)(dot - target) : strlen(target);
		for (a = s->apis; *a; a++) {
			const char *prefix = (*a)->model->target_prefix;
			if (prefix && strlen(prefix) == n && !strncmp(prefix, target, n))
				return *a;
		}
		return NULL;
	}
	scope_service(auth, &svc);
	for (a = s->apis; *a && !found; a++)
		if (!(*a)->model->target_prefix && !strcmp((*a)->model->signing_name, svc.ptr))
			found = *a;
	sw_buf_release(&svc);
	return found;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct sw_engine_response *res,
				     const char *request_id)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t i;

	r = MHD_create_response_from_buffer(res->body.len, res->body.ptr, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (res->content_type)
		MHD_add_response_header(r, "Content-Type", res->content_type);
	MHD_add_response_header(r, "x-amzn-RequestId", request_id);
	for (i = 0; i < res->headers.nr; i++) {
		const char *line = res->headers.v[i];
		const char *colon = strchr(line, ':');
		struct sw_buf name = SW_BUF_INIT;
		if (!colon)
			continue;
		sw_buf_add(&name, line, (size_t)(colon - line));
		colon++;
		while (*colon == ' ')
			colon++;
		MHD_add_response_header(r, name.ptr, colon);
		sw_buf_release(&name);
	}
	ret = MHD_queue_response(conn, (unsigned)(res->status ? res->status : 500), r);
	MHD_destroy_response(r);
	return ret;
}

static void plain_error(struct sw_engine_response *res, int status, const char *code, const char *message)
{
	json_t *doc = json_pack("{s:s, s:s}", "__type", code, "message", message);
	char *text = json_dumps(doc, JSON_COMPACT);
	res->status = status;
	res->content_type = "application/x-amz-json-1.1";
	sw_buf_reset(&res->body);
	sw_buf_adds(&res->body, text);
	free(text);
	json_decref(doc);
}

static enum MHD_Result serve(struct sw_engine_api_httpd *s, struct MHD_Connection *conn, const char *url,
			     const char *method, struct pending *p)
{
	struct sw_engine_request req = { 0 };
	struct sw_engine_response res = { 0 };
	struct header_list headers = { .nr = 0 };
	struct sw_buf query = SW_BUF_INIT, rid = SW_BUF_INIT;
	const struct sw_engine_api *api;
	enum MHD_Result ret;
	double t0 = sw_time_now();

	sw_buf_init(&res.body, 0);
	sw_strvec_init(&res.headers);
	sw_engine_uuid(&rid);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &headers);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &query);
	req.method = method;
	req.path = url;
	req.query = query.ptr;
	req.headers = headers.v;
	req.nr_headers = headers.nr;
	req.target = header(&headers, "X-Amz-Target");
	req.content_type = header(&headers, "Content-Type");
	req.body = p->body.ptr;
	req.body_len = p->body.len;
	req.request_id = rid.ptr;

	api = pick_api(s, req.target, header(&headers, "Authorization"));
	if (headers.overflow) {
		plain_error(&res, 400, "SerializationException", "too many request headers");
	} else if (p->too_big) {
		if (api)
			api->error(api, &req, &res, 413, "RequestEntityTooLarge", "Request body is too large");
		else
			plain_error(&res, 413, "RequestEntityTooLarge", "Request body is too large");
	} else if (!api) {
		if (!req.target && !header(&headers, "Authorization"))
			plain_error(&res, 400, "MissingAuthenticationTokenException", "Missing Authentication Token");
		else
			plain_error(&res, 400, "UnknownOperationException", req.target ? req.target : "no X-Amz-Target");
	} else if (sw_engine_api_access_check(s->access, api, &req, &res) < 0) {
		/* res is filled */
	} else if (!sw_engine_api_throttle_take(&s->throttle, sw_time_now())) {
		api->error(api, &req, &res, 400, api->protocol == SW_SIGV4_QUERY ? "Throttling" : "ThrottlingException",
			   "Rate exceeded");
	} else {
		req.access_key_id = s->access->access_key_id;
		api->handle(api, s->e, &req, &res);
	}
	sw_log_debug("%s %s %s -> %d (%.1f ms)", api ? api->name : "-", req.target ? req.target : method,
		     url, res.status, (sw_time_now() - t0) * 1000);
	ret = send_response(conn, &res, rid.ptr);
	sw_buf_release(&res.body);
	sw_strvec_clear(&res.headers);
	sw_buf_release(&query);
	sw_buf_release(&rid);
	return ret;
}

static void *guard_slot(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* common/connguard.h's side of MHD's connection notices. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sw_engine_api_httpd *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = sw_connguard_open(s->guard, ci ? (int)ci->connect_fd : -1);
	} else {
		sw_connguard_close(s->guard, *socket_context);
		*socket_context = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct sw_engine_api_httpd *s = cls;
	struct pending *p = *con_cls;

	if (!p) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		sw_connguard_busy(s->guard, guard_slot(conn));   /* the headers are all there */
		p = xcalloc(1, sizeof(*p));
		sw_buf_init(&p->body, (size_t)s->e->cfg.max_body);
		if (cl && strtoll(cl, NULL, 10) > s->e->cfg.max_body)
			p->too_big = 1;
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!p->too_big && sw_buf_add(&p->body, upload_data, *upload_data_size) < 0) {
			p->too_big = 1;
			sw_buf_release(&p->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return serve(s, conn, url, method, p);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sw_engine_api_httpd *s = cls;
	struct pending *p = *con_cls;

	sw_connguard_idle(s->guard, guard_slot(conn));   /* the next request's headers: from now */
	if (!p)
		return;
	sw_buf_release(&p->body);
	free(p);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_buf_vaddf(&b, fmt, ap);
	sw_buf_rtrim(&b);
	sw_log_warn("http: %s", b.ptr);
	sw_buf_release(&b);
}

int sw_engine_api_httpd_start(struct sw_engine_api_httpd **out, struct sw_engine *e,
			      const struct sw_engine_api *const *apis, const struct sw_engine_api_access *access)
{
	struct sw_engine_api_httpd *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in addr;

	*out = NULL;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)e->cfg.port);
	if (inet_pton(AF_INET, e->cfg.listen, &addr.sin_addr) != 1) {
		free(s);
		return sw_error_code(SW_EINVAL, "SLIPWAY_ENGINE_LISTEN=%s: not an IPv4 address", e->cfg.listen);
	}
	s->e = e;
	s->apis = apis;
	s->access = access;
	sw_engine_api_throttle_init(&s->throttle, e->cfg.throttle_rate, e->cfg.throttle_burst);
	if (sw_connguard_new(&s->guard, (long)e->cfg.header_timeout_ms) < 0) {
		sw_engine_api_throttle_release(&s->throttle);
		free(s);
		return SW_ERROR;
	}
	/* one client address holds at most client_connections of the 512; a request's
	 * headers come within the guard's deadline (not an idle timeout that restarts on
	 * every byte): a slow or idle client keeps no one else out */
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
				     (uint16_t)e->cfg.port, NULL, NULL, on_request, s,
				     MHD_OPTION_EXTERNAL_LOGGER, on_log, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVER_THREADS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)e->cfg.client_connections,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				     MHD_OPTION_END);
	if (!s->daemon) {
		sw_connguard_free(s->guard);
		sw_engine_api_throttle_release(&s->throttle);
		free(s);
		return sw_error_code(SW_EUNAVAIL, "cannot listen on %s:%d (in use?)", e->cfg.listen, e->cfg.port);
	}
	*out = s;
	return 0;
}

void sw_engine_api_httpd_stop(struct sw_engine_api_httpd *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	sw_connguard_free(s->guard);
	sw_engine_api_throttle_release(&s->throttle);
	free(s);
}
