#include <string.h>

#include "receiver/api_users.h"
#include "receiver/app.h"
#include "receiver/auth.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/review_apps.h"
#include "receiver/ssh_keys.h"
#include "receiver/users.h"
#include "common/error.h"
#include "common/json.h"
#include "common/event.h"
#include "common/banned.h"

#define MAX_SEGMENTS 5

int sw_api_users_match(const char *url)
{
	char store[512];
	const char *seg[MAX_SEGMENTS];
	int n;

	if (strncmp(url, "/api/v1/", 8))
		return 0;
	n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_SEGMENTS);
	if (n <= 0)
		return 0;
	if (!strcmp(seg[0], "users") || !strcmp(seg[0], "keys"))
		return 1;
	return !strcmp(seg[0], "apps") && n >= 3 && !strcmp(seg[2], "access");
}

/* A refusal from a store call: its code's status, the line in the error slot. */
static enum MHD_Result refused(struct MHD_Connection *c, unsigned *status)
{
	switch (sw_error_last_code()) {
	case SW_EINVAL:
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s", sw_error_last());
	case SW_ENOTFOUND:
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last());
	case SW_EEXISTS:
		return sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
	default:
		return sw_reply_db_error(c, status);
	}
}

/* ---- users ---- */

static enum MHD_Result user_create(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
				   const struct sw_principal *p, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status);
	struct sw_buf token = SW_BUF_INIT;
	struct sw_token_spec spec = { NULL, NULL, NULL, SW_ROLE_NONE, 0, p->actor };
	const char *name;
	int admin;

	if (!in)
		return r;
	name = sw_json_str(in, "name");
	admin = json_is_true(json_object_get(in, "admin"));
	if (!name) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"name\": \"alice\"}");
		goto cleanup;
	}
	if (sw_users_create(s->db, name, admin, p->actor) < 0) {
		r = refused(c, status);
		goto cleanup;
	}
	/* the first token is named after the user: it acts as plain "alice" */
	spec.user = spec.name = name;
	if (sw_auth_token_create(s->db, &spec, &token) < 0) {
		r = sw_reply_db_error(c, status);
		goto cleanup;
	}
	sw_event_emit(s->db, NULL, "user.created", 0, 0, p->actor, "user %s created%s", name, admin ? " (admin)" : "");
	r = sw_reply_json(c, MHD_HTTP_CREATED, json_pack("{s:s,s:s,s:b}", "user", name, "token", token.ptr, "admin", admin),
			  status);
cleanup:
	sw_buf_release(&token);
	json_decref(in);
	return r;
}

static enum MHD_Result user_remove(struct sw_server *s, struct MHD_Connection *c, const char *name,
				   const struct sw_principal *p, unsigned *status)
{
	if (!sw_user_name_valid(name))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no user called %.40s", name);
	if (!strcmp(name, p->user))
		return sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s is you: another admin removes you", name);
	if (sw_users_remove(s->db, name) < 0)
		return refused(c, status);
	sw_event_emit(s->db, NULL, "user.removed", 0, 0, p->actor, "user %s removed (its tokens revoked)", name);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:b}", "user", name, "removed", 1), status);
}

/* ---- access to an app ---- */

/* Refuse an app that is not there, or a review app (its roles are its parent's). 1 when answered. */
static int app_refused(struct sw_server *s, struct MHD_Connection *c, const char *app, enum MHD_Result *r,
		       unsigned *status)
{
	struct sw_buf why = SW_BUF_INIT;
	int known;

	if (!sw_app_ref_valid(app)) {
		*r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
				    "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
		return 1;
	}
	known = sw_app_known(s->db, app);
	if (known <= 0) {
		*r = known < 0 ? sw_reply_db_error(c, status) : sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
		return 1;
	}
	if (sw_review_apps_is_review(s->db, app, &why)) {
		*r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s: it has its app's access", why.ptr);
		sw_buf_release(&why);
		return 1;
	}
	return 0;
}

static enum MHD_Result access_grant(struct sw_server *s, struct MHD_Connection *c, const char *app,
				    const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status);
	const char *user, *role;
	enum sw_role want = SW_ROLE_NONE;
	int exists, admin = 0;

	if (!in)
		return r;
	user = sw_json_str(in, "user");
	role = sw_json_str(in, "role");
	if (!user || !role) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"user\": \"alice\", \"role\": \"deploy\"}");
		goto cleanup;
	}
	if (sw_role_parse(role, 0, &want) < 0) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s", sw_error_last());
		goto cleanup;
	}
	exists = sw_user_name_valid(user) ? sw_users_exists(s->db, user, &admin) : 0;
	if (exists <= 0) {
		r = exists < 0 ? sw_reply_db_error(c, status)
			       : sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no user called %.40s", user);
		goto cleanup;
	}
	if (sw_roles_grant(s->db, app, user, want, p->actor) < 0) {
		r = refused(c, status);
		goto cleanup;
	}
	sw_event_emit(s->db, app, "access.granted", 0, 0, p->actor, "%s has %s on %s%s", user, sw_role_name(want), app,
		      admin ? " (an admin: every app anyway)" : "");
	r = sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s,s:s}", "app", app, "user", user, "role", sw_role_name(want)),
			  status);
cleanup:
	json_decref(in);
	return r;
}

static enum MHD_Result access_handle(struct sw_server *s, struct MHD_Connection *c, const char *method,
				     const char **seg, int n, const struct sw_buf *body, const struct sw_principal *p,
				     unsigned *status)
{
	const char *app = seg[1];
	enum MHD_Result r;
	json_t *out = NULL;
	int gone;

	if (app_refused(s, c, app, &r, status))
		return r;
	if (n == 3 && (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
		return sw_roles_list(s->db, app, &out) < 0 ? sw_reply_db_error(c, status)
							  : sw_reply_json(c, MHD_HTTP_OK, out, status);
	if (n == 3 && !strcmp(method, "POST"))
		return access_grant(s, c, app, body, p, status);
	if (n == 4 && !strcmp(method, "DELETE")) {
		gone = sw_user_name_valid(seg[3]) ? sw_roles_revoke(s->db, app, seg[3]) : 0;
		if (gone < 0)
			return sw_reply_db_error(c, status);
		if (!gone)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%.40s has no role on %s", seg[3], app);
		sw_event_emit(s->db, app, "access.revoked", 0, 0, p->actor, "%s has no role on %s any more", seg[3], app);
		return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:s,s:b}", "app", app, "user", seg[3], "removed", 1),
				     status);
	}
	return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
}

/* ---- SSH keys ---- */

/* A fingerprint from a path: "SHA256:" optional, '-' and '_' for '+' and '/' (base64url). */
static void path_fingerprint(const char *seg, struct sw_buf *out)
{
	const char *p = seg;

	if (!strncmp(p, "SHA256:", 7))
		p += 7;
	sw_buf_adds(out, "SHA256:");
	for (; *p && out->len < SW_SSH_FINGERPRINT_MAX; p++)
		sw_buf_addch(out, *p == '-' ? '+' : *p == '_' ? '/' : *p);
}

static enum MHD_Result key_add(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
			       const struct sw_principal *p, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status);
	struct sw_ssh_key k;
	const char *line;

	if (!in)
		return r;
	sw_ssh_key_init(&k);
	line = sw_json_str(in, "key");
	if (!line) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"key\": \"ssh-ed25519 AAAA... comment\"}");
	} else if (sw_ssh_key_parse(&k, line) < 0 || sw_ssh_keys_add(s->db, p->user, &k) < 0) {
		r = refused(c, status);
	} else {
		sw_event_emit(s->db, NULL, "key.added", 0, 0, p->actor, "SSH key %s of %s added", k.fingerprint, p->user);
		r = sw_reply_json(c, MHD_HTTP_CREATED, json_pack("{s:s,s:s,s:s,s:s}", "fingerprint", k.fingerprint, "type",
								 k.type.ptr, "comment", k.comment.ptr, "user", p->user),
				  status);
	}
	sw_ssh_key_release(&k);
	json_decref(in);
	return r;
}

static enum MHD_Result keys_handle(struct sw_server *s, struct MHD_Connection *c, const char *method, const char **seg,
				   int n, const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	struct sw_buf fp = SW_BUF_INIT;
	json_t *out = NULL;
	enum MHD_Result r;

	if (n == 1 && (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
		return sw_ssh_keys_list(s->db, p->user, &out) < 0 ? sw_reply_db_error(c, status)
								   : sw_reply_json(c, MHD_HTTP_OK, out, status);
	if (n == 1 && !strcmp(method, "POST"))
		return key_add(s, c, body, p, status);
	if (n == 2 && !strcmp(method, "DELETE")) {
		path_fingerprint(seg[1], &fp);
		if (sw_ssh_keys_remove(s->db, p->user, fp.ptr) < 0) {
			r = refused(c, status);
		} else {
			sw_event_emit(s->db, NULL, "key.removed", 0, 0, p->actor, "SSH key %s of %s removed", fp.ptr, p->user);
			r = sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:b}", "fingerprint", fp.ptr, "removed", 1), status);
		}
		sw_buf_release(&fp);
		return r;
	}
	return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
}

enum MHD_Result sw_api_users_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				    const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	char store[512];
	const char *seg[MAX_SEGMENTS];
	json_t *out = NULL;
	int n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_SEGMENTS);

	if (n <= 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(seg[0], "keys"))
		return keys_handle(s, c, method, seg, n, body, p, status);
	if (!strcmp(seg[0], "apps"))
		return access_handle(s, c, method, seg, n, body, p, status);
	if (n == 1 && (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
		return sw_users_list(s->db, &out) < 0 ? sw_reply_db_error(c, status) : sw_reply_json(c, MHD_HTTP_OK, out, status);
	if (n == 1 && !strcmp(method, "POST"))
		return user_create(s, c, body, p, status);
	if (n == 2 && !strcmp(method, "DELETE"))
		return user_remove(s, c, seg[1], p, status);
	return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
}
