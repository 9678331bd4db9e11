#ifndef SW_AUTH_H
#define SW_AUTH_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"
#include "receiver/roles.h"

/*
 * API tokens. A token is 32 random bytes written as 64 lowercase hex digits; it is
 * shown once (to whoever created it) and only its SHA-256 (hex) is stored. A
 * presented token is hashed and compared against every stored hash with
 * CRYPTO_memcmp, so the time taken does not depend on where a guess differs.
 *
 * Git sends it as HTTP Basic (the password; the user name is ignored), the API and
 * the CLI as "Authorization: Bearer <token>".
 *
 * A token belongs to a user (receiver/users.h) and acts as that user, limited to one
 * app or a lower role when it was made so (receiver/roles.h). Revoking keeps the row
 * (revoked_at), so the same secret is never taken back in; a user's removal revokes
 * its tokens.
 */

#define SW_AUTH_TOKEN_LEN 64     /* hex digits of a token */
#define SW_AUTH_HASH_LEN 64      /* hex digits of its SHA-256 */
#define SW_AUTH_MAX_HEADER 4096  /* longest Authorization header looked at */

/* Fill token (reset first) with a fresh random token. */
int sw_auth_token_generate(struct sw_buf *token);

/* out[0..64] = hex SHA-256 of token[0..len), NUL-terminated. */
void sw_auth_hash(const char *token, size_t len, char out[SW_AUTH_HASH_LEN + 1]);

/* Constant-time equality of two n-byte strings: 1 equal, 0 not. */
int sw_auth_equal(const void *a, const void *b, size_t n);

/*
 * The credential in an Authorization header value: the password of "Basic
 * base64(user:password)" or the token of "Bearer <token>". 0 with token filled, or
 * SW_EAUTH ("unsupported authorization scheme", "bad basic credentials").
 */
int sw_auth_parse_header(const char *value, struct sw_buf *token);

/* What a new token is: whose, its name, and what limits it. */
struct sw_token_spec {
	const char *user;        /* the user it belongs to */
	const char *name;        /* unique among the user's live tokens */
	const char *app;         /* NULL: every app of the user; else this app (and its review apps) only */
	enum sw_role role;       /* SW_ROLE_NONE: the user's roles; else at most this one */
	double expires_at;       /* 0: never; else seconds since the epoch */
	const char *created_by;  /* the actor that made it, or NULL */
};

/*
 * Store the hash of token as spec says. SW_EINVAL when token is not a token. A token
 * stored before, live or revoked, is left as it is (a revoked token stays revoked).
 */
int sw_auth_token_add(sqlite3 *db, const struct sw_token_spec *spec, const char *token);

/* Create, store and return (in token) a new token as spec says. */
int sw_auth_token_create(sqlite3 *db, const struct sw_token_spec *spec, struct sw_buf *token);

/*
 * Is token a live one? 0 with who acts with it in p (may be NULL; its last use noted),
 * SW_EAUTH ("bad token", "token revoked", "token expired"), SW_ERROR when the database
 * failed.
 */
int sw_auth_check(sqlite3 *db, const char *token, struct sw_principal *p);

/* The principal of the live token with id token_id: 0, SW_EAUTH, SW_ERROR. */
int sw_auth_principal(sqlite3 *db, long long token_id, struct sw_principal *p);

/* 1 when token is live, 0 when it was never stored, SW_EAUTH when revoked or expired. */
int sw_auth_token_state(sqlite3 *db, const char *token);

/* 1 when user has a live token called name, 0 when not, SW_ERROR. */
int sw_auth_token_exists(sqlite3 *db, const char *user, const char *name);

/*
 * Revoke user's live tokens called name (the rows stay, revoked): how many, or
 * SW_ENOTFOUND, or SW_EEXISTS when they are the last live unlimited tokens of an admin.
 */
int sw_auth_token_revoke(sqlite3 *db, const char *user, const char *name);

/* Revoke every live token of user (it is removed): how many, or SW_ERROR. */
int sw_auth_token_revoke_all(sqlite3 *db, const char *user);

/*
 * The live tokens of user (NULL: everyone's) into *out (a new array): {"user", "name",
 * "created_at", "count", "app", "role", "expires_at", "last_used_at", "id"}.
 */
int sw_auth_tokens_list(sqlite3 *db, const char *user, json_t **out);

#endif
