#include <string.h>

#include "receiver/api_tokens.h"
#include "receiver/auth.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "common/event.h"
#include "common/json.h"
#include "common/store.h"
#include "common/banned.h"

#define TOKEN_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-_."

static int token_name_valid(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= 64 && strspn(name, TOKEN_NAME_CHARS) == n;
}

enum MHD_Result sw_api_tokens_handle(struct sw_server *s, struct MHD_Connection *c, const char *method, const char **seg,
			      int n, const struct sw_buf *body, const char *user, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	enum MHD_Result r = MHD_NO;

	if (n == 1 && !strcmp(method, "GET")) {
		json_t *list = json_array();
		if (sw_store_prepare(s->db, &st, "SELECT name, MIN(created_at), COUNT(*) FROM tokens GROUP BY name"
				     " ORDER BY MIN(created_at), name") < 0) {
			json_decref(list);
			return sw_reply_db_error(c, status);
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			json_array_append_new(list, json_pack("{s:s,s:o,s:i,s:b}", "name", name ? name : "", "created_at",
							      sw_reply_iso_time(st, 1), "count", sqlite3_column_int(st, 2),
							      "current", name && !strcmp(name, user)));
		}
		sqlite3_finalize(st);
		return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "tokens", list), status);
	}
	if (n == 1 && !strcmp(method, "POST")) {
		struct sw_buf token = SW_BUF_INIT;
		json_t *in = sw_request_object(c, body, &r, status);
		const char *name;
		int exists = 0;

		if (!in)
			return r;
		name = sw_json_str(in, "name");
		if (!name || !token_name_valid(name)) {
			r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
						 "token name: want 1-64 of a-z 0-9 - _ . ({\"name\": \"ci\"})");
			goto post_done;
		}
		if (sw_store_prepare(s->db, &st, "SELECT 1 FROM tokens WHERE name = ?") < 0) {
			r = sw_reply_db_error(c, status);
			goto post_done;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (exists) {
			r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "a token called %s exists already", name);
			goto post_done;
		}
		if (sw_auth_token_create(s->db, name, &token) < 0) {
			r = sw_reply_db_error(c, status);
			goto post_done;
		}
		sw_event_emit(s->db, NULL, "token.created", 0, 0, user, "token %s created by %s", name, user);
		r = sw_reply_json(c, MHD_HTTP_CREATED, json_pack("{s:{s:s,s:s},s:s}", "token", "name", name, "created_by",
							      user, "secret", token.ptr), status);
post_done:
		sw_buf_release(&token);
		json_decref(in);
		return r;
	}
	if (n == 2 && !strcmp(method, "DELETE")) {
		const char *name = seg[1];
		int changed;
		if (!token_name_valid(name))
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no token called %.64s", name);
		if (!strcmp(name, user))
			return sw_reply_error(c, MHD_HTTP_CONFLICT, status,
						    "%s is the token this request uses: revoke it with another token", name);
		if (sw_store_prepare(s->db, &st, "DELETE FROM tokens WHERE name = ?") < 0)
			return sw_reply_db_error(c, status);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return sw_reply_db_error(c, status);
		}
		changed = sqlite3_changes(s->db);
		sqlite3_finalize(st);
		if (!changed)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no token called %s", name);
		sw_event_emit(s->db, NULL, "token.revoked", 0, 0, user, "token %s revoked by %s", name, user);
		return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:b}", "token", name, "revoked", 1), status);
	}
	if (n <= 2)
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}
