#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "receiver/auth.h"
#include "receiver/db.h"
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

int sw_auth_token_add(sqlite3 *db, const char *name, const char *token)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	sqlite3_stmt *st = NULL;

	if (!token_shaped(token))
		return sw_error_code(SW_EINVAL, "not a slipway token (want %d hex digits)", SW_AUTH_TOKEN_LEN);
	sw_auth_hash(token, strlen(token), hash);
	if (sw_store_prepare(db, &st, "INSERT OR IGNORE INTO tokens(name, hash, created_at) VALUES (?, ?, ?)") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 3, sw_time_now());
	return sw_store_step_done(db, st, "store token");
}

int sw_auth_token_create(sqlite3 *db, const char *name, struct sw_buf *token)
{
	if (sw_auth_token_generate(token) < 0)
		return SW_ERROR;
	return sw_auth_token_add(db, name, token->ptr);
}

int sw_auth_check(sqlite3 *db, const char *token, struct sw_buf *name)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	sqlite3_stmt *st = NULL;
	int found = 0, rc;

	if (name)
		sw_buf_reset(name);
	/* Hash whatever came (bounded by the header cap): no early exit on its shape. */
	sw_auth_hash(token, strlen(token), hash);
	if (sw_store_prepare(db, &st, "SELECT name, hash FROM tokens") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		if (h && strlen(h) == SW_AUTH_HASH_LEN && sw_auth_equal(h, hash, SW_AUTH_HASH_LEN) && !found) {
			found = 1;
			if (name)
				sw_buf_adds(name, (const char *)sqlite3_column_text(st, 0));
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sw_store_error(db, "read tokens");
	if (!found)
		return sw_error_code(SW_EAUTH, "bad token");
	return 0;
}
