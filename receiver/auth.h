#ifndef SW_AUTH_H
#define SW_AUTH_H

#include <stddef.h>
#include <sqlite3.h>

#include "common/buf.h"

/*
 * API tokens. A token is 32 random bytes written as 64 lowercase hex digits; it is
 * shown once (to whoever created it) and only its SHA-256 (hex) is stored. A
 * presented token is hashed and compared against every stored hash with
 * CRYPTO_memcmp, so the time taken does not depend on where a guess differs.
 *
 * Git sends it as HTTP Basic (the password; the user name is ignored), the API and
 * the CLI as "Authorization: Bearer <token>".
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

/* Store the hash of token under name. SW_EINVAL when token is not a token. */
int sw_auth_token_add(sqlite3 *db, const char *name, const char *token);

/* Create, store and return (in token) a new token called name. */
int sw_auth_token_create(sqlite3 *db, const char *name, struct sw_buf *token);

/*
 * Is token one of the stored ones? 0 with the token's name in name (may be NULL),
 * SW_EAUTH when not, SW_ERROR when the database failed.
 */
int sw_auth_check(sqlite3 *db, const char *token, struct sw_buf *name);

#endif
