#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "receiver/ssh_keys.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "common/error.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

#define MAX_BLOB64 (16 * 1024)
#define MAX_COMMENT 200

static const char *const key_types[] = {
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", NULL,
};

void sw_ssh_key_init(struct sw_ssh_key *k)
{
	sw_buf_init(&k->type, 64);
	sw_buf_init(&k->blob64, MAX_BLOB64);
	sw_buf_init(&k->comment, MAX_COMMENT);
	k->fingerprint[0] = '\0';
}

void sw_ssh_key_release(struct sw_ssh_key *k)
{
	sw_buf_release(&k->type);
	sw_buf_release(&k->blob64);
	sw_buf_release(&k->comment);
	k->fingerprint[0] = '\0';
}

static int type_known(const char *t)
{
	size_t i;
	for (i = 0; key_types[i]; i++)
		if (!strcmp(key_types[i], t))
			return 1;
	return 0;
}

/* Decode base64 blob64 into out (n bytes): 0, or -1 when it is not base64. */
static int decode(const char *blob64, unsigned char *out, size_t *n)
{
	size_t len = strlen(blob64), pad = 0;
	int r;

	if (!len || len % 4 || len > MAX_BLOB64 || strspn(blob64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
							   "0123456789+/=") != len)
		return -1;
	if (blob64[len - 1] == '=')
		pad++;
	if (blob64[len - 2] == '=')
		pad++;
	if (strcspn(blob64, "=") != len - pad)   /* '=' only as padding, at the end */
		return -1;
	r = EVP_DecodeBlock(out, (const unsigned char *)blob64, (int)len);
	if (r < 0 || (size_t)r < pad)
		return -1;
	*n = (size_t)r - pad;
	return 0;
}

int sw_ssh_key_fingerprint(const char *type, const char *blob64, char out[SW_SSH_FINGERPRINT_MAX + 1])
{
	unsigned char blob[MAX_BLOB64], md[SHA256_DIGEST_LENGTH], b64[64];
	size_t n = 0, tlen = strlen(type);
	uint32_t first;
	int len;

	out[0] = '\0';
	if (decode(blob64, blob, &n) < 0)
		return sw_error_code(SW_EINVAL, "the key is not base64");
	/* the blob names its own type first: uint32 length, then the name */
	if (n < 4 + tlen)
		return sw_error_code(SW_EINVAL, "the key is too short for a %s key", type);
	first = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (first != tlen || memcmp(blob + 4, type, tlen))
		return sw_error_code(SW_EINVAL, "the key's data is not a %s key", type);
	SHA256(blob, n, md);
	len = EVP_EncodeBlock(b64, md, sizeof(md));
	while (len > 0 && b64[len - 1] == '=')
		len--;
	snprintf(out, SW_SSH_FINGERPRINT_MAX + 1, "SHA256:%.*s", len, (const char *)b64);
	return 0;
}

/* The next run of non-space bytes of *p into out (reset first); *p moves past it. */
static void word(const char **p, struct sw_buf *out)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s; *e && *e != ' ' && *e != '\t'; e++)
		;
	sw_buf_reset(out);
	sw_buf_add(out, s, (size_t)(e - s));
	*p = e;
}

int sw_ssh_key_parse(struct sw_ssh_key *k, const char *line)
{
	const char *p = line;
	size_t i, n;

	sw_buf_reset(&k->comment);
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t' && !(line[i] == '\n' && !line[i + 1]) &&
		    !(line[i] == '\r' && line[i + 1] == '\n' && !line[i + 2]))
			return sw_error_code(SW_EINVAL, "an SSH public key is one line of text");
	if (strlen(line) > MAX_BLOB64 + 300)
		return sw_error_code(SW_EINVAL, "that is too long for an SSH public key");
	word(&p, &k->type);
	if (!type_known(k->type.ptr)) {
		if (strstr(line, "PRIVATE KEY"))
			return sw_error_code(SW_EINVAL, "that is a private key: give the public one (the .pub file)");
		return sw_error_code(SW_EINVAL, "not an SSH public key (want 'ssh-ed25519 AAAA... comment', as in"
				     " ~/.ssh/id_ed25519.pub; key options are not taken)");
	}
	word(&p, &k->blob64);
	if (sw_ssh_key_fingerprint(k->type.ptr, k->blob64.ptr, k->fingerprint) < 0)
		return SW_EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, "\r\n");
	if (n > MAX_COMMENT)
		n = MAX_COMMENT;
	sw_buf_add(&k->comment, p, n);
	sw_buf_rtrim(&k->comment);
	return 0;
}

int sw_ssh_keys_add(sqlite3 *db, const char *user, const struct sw_ssh_key *k)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (sw_store_prepare(db, &st, "INSERT INTO ssh_keys(fingerprint, user, type, key, comment, created_at)"
			     " VALUES (?, ?, ?, ?, ?, ?)") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, k->fingerprint, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, k->type.ptr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, k->blob64.ptr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, k->comment.ptr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 6, sw_time_now());
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT)
		ret = sw_error_code(SW_EEXISTS, "the key %s is registered already", k->fingerprint);
	else if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "add key");
	sqlite3_finalize(st);
	return ret;
}

int sw_ssh_keys_remove(sqlite3 *db, const char *user, const char *fp)
{
	int n = sw_store_exec_texts(db, "DELETE FROM ssh_keys WHERE user = ? AND fingerprint = ?",
				    (const char *[]){ user, fp }, 2, "remove key");

	if (n < 0)
		return n;
	return n ? 0 : sw_error_code(SW_ENOTFOUND, "%s has no key %.60s", user, fp);
}

int sw_ssh_keys_list(sqlite3 *db, const char *user, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (sw_store_prepare(db, &st, "SELECT fingerprint, type, comment, created_at, last_used_at, user FROM ssh_keys"
			     " WHERE ?1 IS NULL OR user = ?1 ORDER BY user, created_at") < 0) {
		json_decref(list);
		return SW_ERROR;
	}
	if (user)
		sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o,s:o,s:s}",
						      "fingerprint", (const char *)sqlite3_column_text(st, 0),
						      "type", (const char *)sqlite3_column_text(st, 1),
						      "comment", (const char *)sqlite3_column_text(st, 2),
						      "created_at", sw_reply_iso_time(st, 3),
						      "last_used_at", sqlite3_column_type(st, 4) == SQLITE_NULL
									? json_null() : sw_reply_iso_time(st, 4),
						      "user", (const char *)sqlite3_column_text(st, 5)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return sw_store_error(db, "read keys");
	}
	*out = json_pack("{s:o}", "keys", list);
	return 0;
}

int sw_ssh_keys_owner_of(sqlite3 *db, const char *fp, struct sw_buf *user)
{
	sqlite3_stmt *st = NULL;
	int rc;

	sw_buf_reset(user);
	if (sw_store_prepare(db, &st, "SELECT user FROM ssh_keys WHERE fingerprint = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sw_buf_adds(user, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sw_store_error(db, "read keys");
	return rc == SQLITE_ROW;
}

int sw_ssh_keys_owner(sqlite3 *db, const char *type, const char *blob64, struct sw_buf *user,
		      char fp[SW_SSH_FINGERPRINT_MAX + 1])
{
	char mine[SW_SSH_FINGERPRINT_MAX + 1];
	sqlite3_stmt *st = NULL;
	int r;

	if (!type_known(type) || sw_ssh_key_fingerprint(type, blob64, mine) < 0)
		return 0;
	r = sw_ssh_keys_owner_of(db, mine, user);
	if (r == 1 && sw_store_prepare(db, &st, "UPDATE ssh_keys SET last_used_at = ? WHERE fingerprint = ?") == 0) {
		sqlite3_bind_double(st, 1, sw_time_now());
		sqlite3_bind_text(st, 2, mine, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (fp)
		memcpy(fp, mine, sizeof(mine));
	return r;
}
