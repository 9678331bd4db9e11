#include <string.h>

#include "receiver/api_webhooks.h"
#include "receiver/netcheck.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/webhook.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/banned.h"

enum MHD_Result sw_api_webhooks_handle(struct sw_server *s, struct MHD_Connection *c, const char *method, const char **seg,
				int n, const char *app, const struct sw_buf *body, const char *user, unsigned *status)
{
	json_t *out = NULL, *in = NULL;
	enum MHD_Result r = MHD_NO;
	long long id = 0;

	if (n == 3 && !strcmp(method, "GET")) {
		if (sw_webhook_list(s->db, app, &out) < 0)
			return sw_reply_db_error(c, status);
		return sw_reply_json(c, MHD_HTTP_OK, out, status);
	}
	if (n == 3 && !strcmp(method, "POST")) {
		struct sw_buf pin = SW_BUF_INIT;
		const char *url, *types;
		json_t *ev;

		if (!(in = sw_request_object(c, body, &r, status)))
			return r;
		url = sw_json_str(in, "url");
		ev = json_object_get(in, "events");
		types = json_string_value(ev);
		if (!url || (ev && !json_is_null(ev) && !types)) {
			r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
						 "want {\"url\": \"https://...\", \"events\": \"build.*,release.live\"}");
		} else if (sw_webhook_url_valid(url) && sw_netcheck_url(url, s->cfg->webhook_allow_nets, &pin) < 0) {
			/* loopback, link-local, private, unique-local: not from here (receiver/netcheck.h) */
			r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "webhook URL: %s", sw_error_last());
		} else if (sw_webhook_add(s->db, app, url, types, user, &out) < 0) {
			r = sw_error_last_code() == SW_EINVAL
				    ? sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s", sw_error_last())
				    : sw_reply_db_error(c, status);
		} else {
			json_t *hook = json_object_get(out, "webhook");
			sw_event_emit(s->db, app, "webhook.added", 0, 0, user, "webhook %lld added for %s (%s)",
				      sw_json_int(hook, "id", 0), url,
				      types && *types ? types : "all events");
			r = sw_reply_json(c, MHD_HTTP_CREATED, out, status);
		}
		json_decref(in);
		sw_buf_release(&pin);
		return r;
	}
	if (n == 4 && !strcmp(seg[3], "deliveries") && !strcmp(method, "GET")) {
		const char *w = sw_request_arg(c, "webhook"), *l = sw_request_arg(c, "limit");
		long long limit = 50;
		if (w && sw_request_id(w, &id) < 0)
			return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "webhook: want an id");
		if (l && (sw_request_id(l, &limit) < 0 || limit > 500))
			return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "limit: want 1 to 500");
		if (sw_webhook_deliveries(s->db, app, id, (int)limit, &out) < 0)
			return sw_error_last_code() == SW_ENOTFOUND
				       ? sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last())
				       : sw_reply_db_error(c, status);
		return sw_reply_json(c, MHD_HTTP_OK, out, status);
	}
	if (n == 4 && !strcmp(method, "DELETE")) {
		if (sw_request_id(seg[3], &id) < 0)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%s has no webhook %.30s", app, seg[3]);
		if (sw_webhook_remove(s->db, app, id) < 0)
			return sw_error_last_code() == SW_ENOTFOUND
				       ? sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last())
				       : sw_reply_db_error(c, status);
		sw_event_emit(s->db, app, "webhook.removed", 0, 0, user, "webhook %lld removed", id);
		return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:I,s:b}", "webhook", (json_int_t)id, "removed", 1), status);
	}
	if (n == 3 || n == 4)
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}
