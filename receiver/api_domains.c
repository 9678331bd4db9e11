#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/api_domains.h"
#include "receiver/app.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "releaser/certs.h"
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

/*
 * "/api/v1/apps/<app>/<noun>[/<host>]" with noun domains, certs or routing → app, noun
 * and host ("" when none); -1 otherwise.
 */
static int split(const char *url, struct sw_buf *app, struct sw_buf *noun, struct sw_buf *host)
{
	static const char *const nouns[] = { "domains", "certs", "routing" };
	const char *p = url + 13, *slash, *n, *rest;
	size_t i, len;

	if (strncmp(url, "/api/v1/apps/", 13) || !(slash = strchr(p, '/')) || slash == p)
		return -1;
	n = slash + 1;
	rest = strchr(n, '/');
	len = rest ? (size_t)(rest - n) : strlen(n);
	for (i = 0; i < 3; i++)
		if (strlen(nouns[i]) == len && !strncmp(n, nouns[i], len))
			break;
	if (i == 3 || (rest && (!rest[1] || strchr(rest + 1, '/') || i == 2)))
		return -1;
	sw_buf_add(app, p, (size_t)(slash - p));
	sw_buf_adds(noun, nouns[i]);
	if (rest)
		sw_buf_adds(host, rest + 1);
	return 0;
}

int sw_api_domains_match(const char *url)
{
	struct sw_buf app = SW_BUF_INIT, noun = SW_BUF_INIT, host = SW_BUF_INIT;
	int m = split(url, &app, &noun, &host) == 0;
	sw_buf_release(&app);
	sw_buf_release(&noun);
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

/* GET certs: {"app", "certs": [{"host", "arn", "not_after"}], "https_redirect"}. */
static enum MHD_Result certs_list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	json_t *list = sw_certs_list_json(s->db, app);
	if (!list)
		return sw_reply_db_error(c, status);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s, s:o, s:b}", "app", app, "certs", list, "https_redirect",
						       sw_route_redirect_on(s->db, app)), status);
}

/* POST certs {"host", "cert", "key"}, or POST routing {"https_redirect": bool}. */
static enum MHD_Result change(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *noun,
			      const struct sw_buf *body, const char *user, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status), *out = NULL;
	const json_t *on = json_object_get(in, "https_redirect");
	const char *host = sw_json_str(in, "host");
	struct sw_runenv e;
	int ret, certs = !strcmp(noun, "certs");

	if (!in)
		return r;
	if (certs && (!host || !sw_json_str(in, "cert") || !sw_json_str(in, "key"))) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"host\", \"cert\": PEM, \"key\": PEM}");
	} else if (!certs && !json_is_boolean(on)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"https_redirect\": true|false}");
	} else if (sw_releaser_env(&e, s->db, app, NULL) < 0) {
		r = sw_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
	} else if ((ret = certs ? sw_certs_add(&e, app, host, sw_json_str(in, "cert"), sw_json_str(in, "key"))
			       : sw_route_set_redirect(&e, app, json_is_true(on))) < 0) {
		r = sw_reply_error(c, status_of(ret), status, "%s", sw_error_last());
	} else {
		sw_log(SW_LOG_INFO, app, 0, certs ? "certificate of %s added by %s" : "HTTPS redirect %s by %s",
		       certs ? host : json_is_true(on) ? "on" : "off", user);
		out = certs ? json_pack("{s:s, s:s, s:b}", "app", app, "host", host, "added", 1)
			    : json_pack("{s:s, s:b}", "app", app, "https_redirect", json_is_true(on));
		r = sw_reply_json(c, certs ? MHD_HTTP_CREATED : MHD_HTTP_OK, out, status);
	}
	json_decref(in);
	return r;
}

static enum MHD_Result cert_remove(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *host,
				   const char *user, unsigned *status)
{
	struct sw_runenv e;
	int ret;

	if (sw_releaser_env(&e, s->db, app, NULL) < 0)
		return sw_reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, status, "%s", sw_error_last());
	if ((ret = sw_certs_remove(&e, app, host)) < 0)
		return sw_reply_error(c, status_of(ret), status, "%s", sw_error_last());
	sw_log(SW_LOG_INFO, app, 0, "certificate of %s removed by %s", host, user);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s, s:s, s:b}", "app", app, "host", host, "removed", 1), status);
}

enum MHD_Result sw_api_domains_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				      const char *method, const struct sw_buf *body, const char *user,
				      unsigned *status)
{
	struct sw_buf app = SW_BUF_INIT, noun = SW_BUF_INIT, host = SW_BUF_INIT;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
	int domains;
	enum MHD_Result r;

	split(url, &app, &noun, &host);
	domains = !strcmp(noun.ptr, "domains");
	if (!sw_app_ref_valid(app.ptr))
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
				   "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
	else if (!sw_app_known(s->db, app.ptr))
		r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app.ptr);
	else if (domains && !host.len && get)
		r = list(s, c, app.ptr, status);
	else if (domains && !host.len && post)
		r = add(s, c, app.ptr, body, user, status);
	else if (domains && host.len && !strcmp(method, "DELETE"))
		r = remove_one(s, c, app.ptr, host.ptr, user, status);
	else if (!domains && !host.len && get)
		r = certs_list(s, c, app.ptr, status);
	else if (!domains && !host.len && post)
		r = change(s, c, app.ptr, noun.ptr, body, user, status);
	else if (!strcmp(noun.ptr, "certs") && host.len && !strcmp(method, "DELETE"))
		r = cert_remove(s, c, app.ptr, host.ptr, user, status);
	else
		r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	sw_buf_release(&app);
	sw_buf_release(&noun);
	sw_buf_release(&host);
	return r;
}
