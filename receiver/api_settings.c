#include <string.h>
#include <jansson.h>

#include "receiver/api_settings.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "releaser/appsettings.h"
#include "common/error.h"
#include "common/log.h"
#include "common/banned.h"

static enum MHD_Result show(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	json_t *out = NULL;
	if (sw_appsettings_get(s->db, app, &out) < 0)
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	return sw_reply_json(c, MHD_HTTP_OK, out, status);
}

enum MHD_Result sw_api_settings_handle(struct sw_server *s, struct MHD_Connection *c, const char *method,
				       const char *app, const struct sw_buf *body, const char *user, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in;
	int ret;

	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return show(s, c, app, status);
	if (strcmp(method, "POST"))
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	if (!(in = sw_request_object(c, body, &r, status)))
		return r;
	ret = sw_appsettings_set(s->db, app, in);
	json_decref(in);
	if (ret == SW_EINVAL)
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s", sw_error_last());
	if (ret < 0)
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	sw_log(SW_LOG_INFO, app, 0, "app settings changed by %s (the next release runs with them)", user);
	return show(s, c, app, status);
}
