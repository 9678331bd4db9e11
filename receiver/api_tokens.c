#include <string.h>

#include "receiver/api_tokens.h"
#include "receiver/app.h"
#include "receiver/auth.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/users.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

#define TOKEN_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-_."

static int token_name_valid(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= SW_TOKEN_NAME_MAX && strspn(name, TOKEN_NAME_CHARS) == n;
}

static enum MHD_Result list(struct sw_server *s, struct MHD_Connection *c, const struct sw_principal *p,
			    unsigned *status)
{
	json_t *tokens = NULL, *t;
	size_t i;

	/* yours; an admin's unlimited token sees everyone's */
	if (sw_auth_tokens_list(s->db, sw_roles_on_server(p) == SW_ROLE_ADMIN ? NULL : p->user, &tokens) < 0)
		return sw_reply_db_error(c, status);
	json_array_foreach(tokens, i, t) {
		const char *user = sw_json_str(t, "user");
		const char *name = sw_json_str(t, "name");
		json_object_set_new(t, "current", json_boolean(user && name && !strcmp(user, p->user) &&
							       !strcmp(name, p->token)));
	}
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "tokens", tokens), status);
}

/* The new token's limits from in: 0, or the status of a refusal with its line in why. */
static unsigned read_limits(struct sw_server *s, const struct sw_principal *p, const json_t *in,
			    struct sw_token_spec *spec, struct sw_buf *why)
{
	const char *app = sw_json_str(in, "app");
	const char *role = sw_json_str(in, "role");
	const char *expires = sw_json_str(in, "expires");
	enum sw_role need = SW_ROLE_READ;
	long long ms = 0;
	int ok;

	if ((json_object_get(in, "app") && !json_is_null(json_object_get(in, "app")) && !app) ||
	    (app && !sw_app_ref_valid(app))) {
		sw_buf_adds(why, "app: want an app's name");
		return MHD_HTTP_BAD_REQUEST;
	}
	if (role && sw_role_parse(role, 1, &spec->role) < 0) {
		sw_buf_adds(why, sw_error_last());
		return MHD_HTTP_BAD_REQUEST;
	}
	if (expires && (sw_time_parse_duration(expires, SW_DURATION_BARE_DAYS, &ms) < 0 || ms < 60000 ||
			ms > 3650LL * 86400 * 1000)) {
		sw_buf_addf(why, "expires: want a duration from 1m to 3650d, like 30d or 12h, not '%.20s'", expires);
		return MHD_HTTP_BAD_REQUEST;
	}
	spec->app = app;
	spec->expires_at = ms ? sw_time_now() + (double)ms / 1000.0 : 0;
	/* no stronger than its user: the role asked on the app asked, or on the server for admin */
	if (spec->role != SW_ROLE_NONE)
		need = spec->role;
	if (app)
		ok = sw_roles_check(s->db, p, app, need, why);
	else if (spec->role == SW_ROLE_ADMIN)
		ok = sw_roles_check(s->db, p, NULL, SW_ROLE_ADMIN, why);
	else
		ok = 1;
	if (ok < 0)
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	if (!ok) {
		struct sw_buf line = SW_BUF_INIT;
		sw_buf_addf(&line, "a token is no stronger than its user: %s", why->ptr);
		sw_buf_reset(why);
		sw_buf_adds(why, line.ptr);
		sw_buf_release(&line);
		return MHD_HTTP_FORBIDDEN;
	}
	return 0;
}

static enum MHD_Result create(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
			      const struct sw_principal *p, unsigned *status)
{
	struct sw_token_spec spec = { p->user, NULL, NULL, SW_ROLE_NONE, 0, p->actor };
	struct sw_buf token = SW_BUF_INIT, why = SW_BUF_INIT;
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status);
	unsigned refused;
	int exists;

	if (!in)
		return r;
	spec.name = sw_json_str(in, "name");
	if (!spec.name || !token_name_valid(spec.name)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "token name: want 1-64 of a-z 0-9 - _ . ({\"name\": \"ci\"})");
		goto cleanup;
	}
	if ((refused = read_limits(s, p, in, &spec, &why))) {
		r = refused == MHD_HTTP_INTERNAL_SERVER_ERROR ? sw_reply_db_error(c, status)
							       : sw_reply_error(c, refused, status, "%s", why.ptr);
		goto cleanup;
	}
	exists = sw_auth_token_exists(s->db, p->user, spec.name);
	if (exists) {
		r = exists < 0 ? sw_reply_db_error(c, status)
			       : sw_reply_error(c, MHD_HTTP_CONFLICT, status, "a token called %s exists already", spec.name);
		goto cleanup;
	}
	if (sw_auth_token_create(s->db, &spec, &token) < 0) {
		r = sw_reply_db_error(c, status);
		goto cleanup;
	}
	sw_event_emit(s->db, NULL, "token.created", 0, 0, p->actor, "token %s of %s created%s%s%s%s", spec.name, p->user,
		      spec.app ? " for " : "", spec.app ? spec.app : "", spec.role ? " as " : "",
		      spec.role ? sw_role_name(spec.role) : "");
	r = sw_reply_json(c, MHD_HTTP_CREATED,
			  json_pack("{s:{s:s,s:s,s:s,s:o,s:o},s:s}", "token", "name", spec.name, "user", p->user, "created_by",
				    p->actor, "app", spec.app ? json_string(spec.app) : json_null(), "role",
				    spec.role ? json_string(sw_role_name(spec.role)) : json_null(), "secret", token.ptr),
			  status);
cleanup:
	sw_buf_release(&token);
	sw_buf_release(&why);
	json_decref(in);
	return r;
}

static enum MHD_Result token_revoke(struct sw_server *s, struct MHD_Connection *c, const char *name,
			      const struct sw_principal *p, unsigned *status)
{
	const char *user = sw_request_arg(c, "user");
	struct sw_buf why = SW_BUF_INIT;
	int n;

	if (!user || !*user)
		user = p->user;
	if (!token_name_valid(name) || !sw_user_name_valid(user))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no token called %.64s", name);
	/* a user revokes their own; another's takes an admin */
	if (strcmp(user, p->user) && sw_roles_check(s->db, p, NULL, SW_ROLE_ADMIN, &why) <= 0) {
		enum MHD_Result r = sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "forbidden: %s (to revoke %s's tokens)",
						   why.ptr, user);
		sw_buf_release(&why);
		return r;
	}
	if (!strcmp(name, p->token) && !strcmp(user, p->user))
		return sw_reply_error(c, MHD_HTTP_CONFLICT, status,
				      "%s is the token this request uses: revoke it with another token", name);
	n = sw_auth_token_revoke(s->db, user, name);
	if (n < 0 && sw_error_last_code() == SW_ENOTFOUND && strcmp(user, p->user))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last());
	if (n < 0 && sw_error_last_code() == SW_ENOTFOUND)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no token called %s", name);
	if (n < 0 && sw_error_last_code() == SW_EEXISTS)
		return sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
	if (n < 0)
		return sw_reply_db_error(c, status);
	sw_event_emit(s->db, NULL, "token.revoked", 0, 0, p->actor, "token %s of %s revoked", name, user);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s,s:b}", "token", name, "user", user, "revoked", 1), status);
}

enum MHD_Result sw_api_tokens_handle(struct sw_server *s, struct MHD_Connection *c, const char *method, const char **seg,
				     int n, const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	if (n == 1 && (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
		return list(s, c, p, status);
	if (n == 1 && !strcmp(method, "POST"))
		return create(s, c, body, p, status);
	if (n == 2 && !strcmp(method, "DELETE"))
		return token_revoke(s, c, seg[1], p, status);
	if (n <= 2)
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}
