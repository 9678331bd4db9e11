#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "receiver/auth.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "common/error.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

static const char hexdigits[] = "0123456789abcdef";

int sw_auth_token_generate(struct sw_buf *token)
{
	unsigned char raw[SW_AUTH_TOKEN_LEN / 2];
	size_t i;

	sw_buf_reset(token);
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return sw_error("cannot get random bytes for a token");
	for (i = 0; i < sizeof(raw); i++) {
		sw_buf_addch(token, hexdigits[raw[i] >> 4]);
		sw_buf_addch(token, hexdigits[raw[i] & 15]);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

void sw_auth_hash(const char *token, size_t len, char out[SW_AUTH_HASH_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)token, len, md);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hexdigits[md[i] >> 4];
		out[2 * i + 1] = hexdigits[md[i] & 15];
	}
	out[SW_AUTH_HASH_LEN] = '\0';
}

int sw_auth_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static int token_shaped(const char *t)
{
	size_t i;
	for (i = 0; t[i]; i++)
		if (!isxdigit((unsigned char)t[i]))
			return 0;
	return i == SW_AUTH_TOKEN_LEN;
}

int sw_auth_parse_header(const char *value, struct sw_buf *token)
{
	size_t len = strlen(value);
	unsigned char decoded[SW_AUTH_MAX_HEADER];
	const char *p;
	int n, pad = 0;
	char *colon;

	sw_buf_reset(token);
	if (len > SW_AUTH_MAX_HEADER)
		return sw_error_code(SW_EAUTH, "authorization header too long");
	if (!strncasecmp(value, "Bearer ", 7)) {
		for (p = value + 7; *p == ' '; p++)
			;
		sw_buf_adds(token, p);
		sw_buf_rtrim(token);
		if (!token->len)
			return sw_error_code(SW_EAUTH, "empty bearer token");
		return 0;
	}
	if (strncasecmp(value, "Basic ", 6))
		return sw_error_code(SW_EAUTH, "unsupported authorization scheme (want Basic or Bearer)");
	for (p = value + 6; *p == ' '; p++)
		;
	len = strlen(p);
	while (len && p[len - 1] == ' ')
		len--;
	if (!len || len % 4)
		return sw_error_code(SW_EAUTH, "bad basic credentials");
	if (p[len - 1] == '=')
		pad++;
	if (len > 1 && p[len - 2] == '=')
		pad++;
	n = EVP_DecodeBlock(decoded, (const unsigned char *)p, (int)len);
	if (n < 0 || n - pad < 0)
		return sw_error_code(SW_EAUTH, "bad basic credentials");
	n -= pad;
	decoded[n] = '\0';
	if (memchr(decoded, '\0', (size_t)n))
		return sw_error_code(SW_EAUTH, "bad basic credentials");
	colon = strchr((char *)decoded, ':');
	if (!colon)
		return sw_error_code(SW_EAUTH, "bad basic credentials (no password)");
	sw_buf_adds(token, colon + 1);
	OPENSSL_cleanse(decoded, sizeof(decoded));
	if (!token->len)
		return sw_error_code(SW_EAUTH, "empty password");
	return 0;
}

/* Bind spec's columns: user, name, app, role, expires_at, created_by at 1..6. */
static void bind_spec(sqlite3_stmt *st, const struct sw_token_spec *spec)
{
	sqlite3_bind_text(st, 1, spec->user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, spec->name, -1, SQLITE_TRANSIENT);
	if (spec->app && *spec->app)
		sqlite3_bind_text(st, 3, spec->app, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 3);
	if (spec->role != SW_ROLE_NONE)
		sqlite3_bind_text(st, 4, sw_role_name(spec->role), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	if (spec->expires_at > 0)
		sqlite3_bind_double(st, 5, spec->expires_at);
	else
		sqlite3_bind_null(st, 5);
	if (spec->created_by)
		sqlite3_bind_text(st, 6, spec->created_by, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 6);
}

int sw_auth_token_add(sqlite3 *db, const struct sw_token_spec *spec, const char *token)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	sqlite3_stmt *st = NULL;

	if (!token_shaped(token))
		return sw_error_code(SW_EINVAL, "not a slipway token (want %d hex digits)", SW_AUTH_TOKEN_LEN);
	sw_auth_hash(token, strlen(token), hash);
	/* a hash seen before (live or revoked) is left as it is: a revoked token stays revoked */
	if (sw_store_prepare(db, &st, "INSERT OR IGNORE INTO tokens(user, name, app, role, expires_at, created_by,"
			     " hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)") < 0)
		return SW_ERROR;
	bind_spec(st, spec);
	sqlite3_bind_text(st, 7, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 8, sw_time_now());
	return sw_store_step_done(db, st, "store token");
}

int sw_auth_token_create(sqlite3 *db, const struct sw_token_spec *spec, struct sw_buf *token)
{
	if (sw_auth_token_generate(token) < 0)
		return SW_ERROR;
	return sw_auth_token_add(db, spec, token->ptr);
}

#define PRINCIPAL_COLUMNS "t.id, t.name, t.user, t.app, t.role, t.expires_at, t.revoked_at, u.admin"

/* A principal from PRINCIPAL_COLUMNS at columns off..off+7: 0, or SW_EAUTH when it may not act. */
static int principal_from_row(sqlite3_stmt *st, int off, struct sw_principal *p)
{
	const char *app = (const char *)sqlite3_column_text(st, off + 3);
	const char *role = (const char *)sqlite3_column_text(st, off + 4);

	memset(p, 0, sizeof(*p));
	if (sqlite3_column_type(st, off + 6) != SQLITE_NULL || sqlite3_column_type(st, off + 7) == SQLITE_NULL)
		return sw_error_code(SW_EAUTH, "token revoked");   /* or its user was removed */
	if (sqlite3_column_type(st, off + 5) != SQLITE_NULL && sqlite3_column_double(st, off + 5) <= sw_time_now())
		return sw_error_code(SW_EAUTH, "token expired");
	p->token_id = sqlite3_column_int64(st, off);
	snprintf(p->token, sizeof(p->token), "%s", (const char *)sqlite3_column_text(st, off + 1));
	snprintf(p->user, sizeof(p->user), "%s", (const char *)sqlite3_column_text(st, off + 2));
	if (app)
		snprintf(p->scope_app, sizeof(p->scope_app), "%s", app);
	if (role && sw_role_parse(role, 1, &p->scope_role) < 0)
		return sw_error_code(SW_EAUTH, "token revoked");
	p->admin = sqlite3_column_int(st, off + 7) != 0;
	sw_principal_actor(p);
	return 0;
}

/* Note the token's use, at most once a minute (a write per request would be a waste). */
static void touch(sqlite3 *db, long long id)
{
	sqlite3_stmt *st = NULL;
	double now = sw_time_now();

	if (sw_store_prepare(db, &st, "UPDATE tokens SET last_used_at = ? WHERE id = ?"
			     " AND (last_used_at IS NULL OR last_used_at < ?)") < 0)
		return;
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_double(st, 3, now - 60);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

int sw_auth_check(sqlite3 *db, const char *token, struct sw_principal *p)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	struct sw_principal who;
	sqlite3_stmt *st = NULL;
	int found = 0, rc, ret = 0;

	memset(&who, 0, sizeof(who));
	/* Hash whatever came (bounded by the header cap): no early exit on its shape. */
	sw_auth_hash(token, strlen(token), hash);
	if (sw_store_prepare(db, &st, "SELECT t.hash, " PRINCIPAL_COLUMNS " FROM tokens t"
			     " LEFT JOIN users u ON u.name = t.user") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		if (h && strlen(h) == SW_AUTH_HASH_LEN && sw_auth_equal(h, hash, SW_AUTH_HASH_LEN) && !found) {
			found = 1;
			ret = principal_from_row(st, 1, &who);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sw_store_error(db, "read tokens");
	if (!found)
		return sw_error_code(SW_EAUTH, "bad token");
	if (ret < 0)
		return ret;
	touch(db, who.token_id);
	if (p)
		*p = who;
	return 0;
}

int sw_auth_principal(sqlite3 *db, long long token_id, struct sw_principal *p)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if (sw_store_prepare(db, &st, "SELECT " PRINCIPAL_COLUMNS " FROM tokens t LEFT JOIN users u ON u.name = t.user"
			     " WHERE t.id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, token_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = principal_from_row(st, 0, p);
	else if (rc == SQLITE_DONE)
		ret = sw_error_code(SW_EAUTH, "token revoked");
	else
		ret = sw_store_error(db, "read tokens");
	sqlite3_finalize(st);
	return ret;
}

int sw_auth_token_state(sqlite3 *db, const char *token)
{
	struct sw_principal p;
	int r = sw_auth_check(db, token, &p);

	if (r == 0)
		return 1;
	if (r == SW_EAUTH && !strcmp(sw_error_last(), "bad token"))
		return 0;
	return r;
}

/* The live tokens of admin users that are not limited, but for user's name (NULL: none). */
static int admin_tokens_left(sqlite3 *db, const char *user, const char *name)
{
	sqlite3_stmt *st = NULL;
	int n = SW_ERROR;

	if (sw_store_prepare(db, &st, "SELECT COUNT(*) FROM tokens t JOIN users u ON u.name = t.user AND u.admin"
			     " WHERE t.revoked_at IS NULL AND t.app IS NULL AND (t.role IS NULL OR t.role = 'admin')"
			     " AND (t.expires_at IS NULL OR t.expires_at > ?) AND NOT (t.user = ? AND t.name = ?)") < 0)
		return SW_ERROR;
	sqlite3_bind_double(st, 1, sw_time_now());
	sqlite3_bind_text(st, 2, user ? user : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, name ? name : "", -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		sw_store_error(db, "read tokens");
	sqlite3_finalize(st);
	return n;
}

int sw_auth_token_exists(sqlite3 *db, const char *user, const char *name)
{
	sqlite3_stmt *st = NULL;
	int rc = sw_store_row_texts(db, &st, "SELECT 1 FROM tokens WHERE user = ? AND name = ? AND revoked_at IS NULL",
				    (const char *[]){ user, name }, 2, "read tokens");

	sqlite3_finalize(st);
	return rc;
}

int sw_auth_token_revoke(sqlite3 *db, const char *user, const char *name)
{
	sqlite3_stmt *st = NULL;
	int exists, left, ret;

	exists = sw_auth_token_exists(db, user, name);
	if (exists <= 0)
		return exists < 0 ? SW_ERROR : sw_error_code(SW_ENOTFOUND, "%s has no token called %s", user, name);
	left = admin_tokens_left(db, user, name);
	if (left < 0)
		return SW_ERROR;
	if (left == 0 && admin_tokens_left(db, NULL, NULL) > 0)
		return sw_error_code(SW_EEXISTS, "%s is the last admin token: make another one first"
				     " (slipway tokens:create, or users:create NAME --admin)", name);
	if (sw_store_prepare(db, &st, "UPDATE tokens SET revoked_at = ? WHERE user = ? AND name = ?"
			     " AND revoked_at IS NULL") < 0)
		return SW_ERROR;
	sqlite3_bind_double(st, 1, sw_time_now());
	sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	ret = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db) : sw_store_error(db, "revoke token");
	sqlite3_finalize(st);
	return ret;
}

int sw_auth_token_revoke_all(sqlite3 *db, const char *user)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (sw_store_prepare(db, &st, "UPDATE tokens SET revoked_at = ? WHERE user = ? AND revoked_at IS NULL") < 0)
		return SW_ERROR;
	sqlite3_bind_double(st, 1, sw_time_now());
	sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
	ret = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db) : sw_store_error(db, "revoke tokens");
	sqlite3_finalize(st);
	return ret;
}

static json_t *time_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() : sw_reply_iso_time(st, col);
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return t ? json_string(t) : json_null();
}

int sw_auth_tokens_list(sqlite3 *db, const char *user, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	int rc;

	*out = NULL;
	/* one line per name of a user (a name made twice, as admin-token may, counts its tokens) */
	if (sw_store_prepare(db, &st, "SELECT user, name, MIN(created_at), COUNT(*), MAX(app), MAX(role), MAX(expires_at),"
			     " MAX(last_used_at), MIN(id) FROM tokens WHERE revoked_at IS NULL AND (?1 IS NULL OR user = ?1)"
			     " GROUP BY user, name ORDER BY user, MIN(created_at), name") < 0) {
		json_decref(list);
		return SW_ERROR;
	}
	if (user)
		sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:o,s:o,s:o,s:i,s:o,s:o,s:o,s:o,s:I}", "user", text_or_null(st, 0),
						      "name", text_or_null(st, 1), "created_at", sw_reply_iso_time(st, 2),
						      "count", sqlite3_column_int(st, 3), "app", text_or_null(st, 4),
						      "role", text_or_null(st, 5), "expires_at", time_or_null(st, 6),
						      "last_used_at", time_or_null(st, 7), "id",
						      (json_int_t)sqlite3_column_int64(st, 8)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return sw_store_error(db, "read tokens");
	}
	*out = list;
	return 0;
}
