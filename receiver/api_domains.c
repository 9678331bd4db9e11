#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/api_domains.h"
#include "receiver/app.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "releaser/domains.h"
#include "releaser/releaser.h"
#include "releaser/review.h"
#include "releaser/route.h"
#include "releaser/settings.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/banned.h"

/* "/api/v1/apps/<app>/domains[/<host>]" → app and host ("" when none); -1 otherwise. */
static int split(const char *url, struct sw_buf *app, struct sw_buf *host)
{
	const char *p = url + 13, *slash;
	if (strncmp(url, "/api/v1/apps/", 13) || !(slash = strchr(p, '/')) || slash == p)
		return -1;
	if (strncmp(slash, "/domains", 8) || (slash[8] && slash[8] != '/') || (slash[8] == '/' && !slash[9]) ||
	    (slash[8] == '/' && strchr(slash + 9, '/')))
		return -1;
	sw_buf_add(app, p, (size_t)(slash - p));
	if (slash[8] == '/')
		sw_buf_adds(host, slash + 9);
	return 0;
}

int sw_api_domains_match(const char *url)
{
	struct sw_buf app = SW_BUF_INIT, host = SW_BUF_INIT;
	int m = split(url, &app, &host) == 0;
	sw_buf_release(&app);
	sw_buf_release(&host);
	return m;
}

/* The HTTP status of a refusal or failure from route.h. */
static unsigned status_of(int code)
{
	switch (code) {
	case SW_EINVAL:
		return MHD_HTTP_BAD_REQUEST;
	case SW_EEXISTS:
		return MHD_HTTP_CONFLICT;
	case SW_ENOTFOUND:
		return MHD_HTTP_NOT_FOUND;
	case SW_EUNAVAIL:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	default:
		return MHD_HTTP_BAD_GATEWAY;
	}
}

static enum MHD_Result list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	const struct sw_settings *set = sw_releaser_settings();
	struct sw_strvec hosts = SW_STRVEC_INIT;
	struct sw_buf def = SW_BUF_INIT;
	json_t *out;
	size_t i;

	if (sw_domains_of(s->db, app, &hosts) < 0)
		return sw_reply_db_error(c, status);
	sw_review_host_label(s->db, app, &def);
	if (set)
		sw_buf_addf(&def, ".%s", set->apps_domain);
	out = json_pack("{s:s, s:s, s:[]}", "app", app, "default", def.ptr, "domains");
	for (i = 0; i < hosts.nr; i++)
		json_array_append_new(json_object_get(out, "domains"), json_string(hosts.v[i]));
	sw_strvec_clear(&hosts);
	sw_buf_release(&def);
	return sw_reply_json(c, MHD_HTTP_OK, out, status);
}

static enum MHD_Result add(struct sw_server *s, struct MHD_Connection *c, const char *app, const struct sw_buf *body,
			   const char *user, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status);
	struct sw_runenv e;
	const char *host;
	int ret;

	if (!in)
		return r;
	host = sw_json_str(in, "host");
	if (!host) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"host\": \"www.example.com\"}");
	} else if (sw_releaser_env(&e, s->db, app, NULL) < 0) {
		r = sw_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
	} else if ((ret = sw_route_domain_add(&e, app, host)) < 0) {
		r = sw_reply_error(c, status_of(ret), status, "%s", sw_error_last());
	} else {
		struct sw_buf norm = SW_BUF_INIT;
		sw_domains_check(host, NULL, &norm);   /* passed: its normal form */
		if (ret == 0)
			sw_log(SW_LOG_INFO, app, 0, "domain %s added by %s", norm.ptr, user);
		r = sw_reply_json(c, ret == 0 ? MHD_HTTP_CREATED : MHD_HTTP_OK,
				  json_pack("{s:s, s:s, s:b}", "app", app, "host", norm.ptr, "added", ret == 0), status);
		sw_buf_release(&norm);
	}
	json_decref(in);
	return r;
}

static enum MHD_Result remove_one(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *host,
				  const char *user, unsigned *status)
{
	struct sw_runenv e;
	int ret;

	if (sw_releaser_env(&e, s->db, app, NULL) < 0)
		return sw_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
	if ((ret = sw_route_domain_remove(&e, app, host)) < 0)
		return sw_reply_error(c, status_of(ret), status, "%s", sw_error_last());
	sw_log(SW_LOG_INFO, app, 0, "domain %s removed by %s", host, user);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s, s:s, s:b}", "app", app, "host", host, "removed", 1), status);
}

enum MHD_Result sw_api_domains_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				      const char *method, const struct sw_buf *body, const char *user,
				      unsigned *status)
{
	struct sw_buf app = SW_BUF_INIT, host = SW_BUF_INIT;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	enum MHD_Result r;

	split(url, &app, &host);
	if (!sw_app_ref_valid(app.ptr))
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
				   "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
	else if (!sw_app_known(s->db, app.ptr))
		r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app.ptr);
	else if (!host.len && get)
		r = list(s, c, app.ptr, status);
	else if (!host.len && !strcmp(method, "POST"))
		r = add(s, c, app.ptr, body, user, status);
	else if (host.len && !strcmp(method, "DELETE"))
		r = remove_one(s, c, app.ptr, host.ptr, user, status);
	else
		r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	sw_buf_release(&app);
	sw_buf_release(&host);
	return r;
}
