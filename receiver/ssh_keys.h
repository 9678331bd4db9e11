#ifndef SW_SSH_KEYS_H
#define SW_SSH_KEYS_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * Users' SSH public keys, for git over SSH (receiver/ssh_gate.h): a key belongs to one
 * user, and is named by its SHA-256 fingerprint as OpenSSH prints it
 * ("SHA256:<base64 without padding>", ssh-keygen -lf).
 */

#define SW_SSH_FINGERPRINT_MAX 64   /* "SHA256:" and 43 base64 digits, with room */

/* A public key as an authorized_keys line has it, without options. */
struct sw_ssh_key {
	struct sw_buf type;          /* "ssh-ed25519" */
	struct sw_buf blob64;        /* the key, base64, as given */
	struct sw_buf comment;       /* may be empty */
	char fingerprint[SW_SSH_FINGERPRINT_MAX + 1];
};

void sw_ssh_key_init(struct sw_ssh_key *k);
void sw_ssh_key_release(struct sw_ssh_key *k);

/*
 * Parse "TYPE BASE64 [COMMENT]" (one line, no options): the type is one OpenSSH takes
 * for users (ed25519, ecdsa, rsa, and their security-key forms), the base64 decodes to
 * a key blob of that type. 0, or SW_EINVAL with one line.
 */
int sw_ssh_key_parse(struct sw_ssh_key *k, const char *line);

/* The fingerprint of a key given as type and base64 blob: 0, or SW_EINVAL. */
int sw_ssh_key_fingerprint(const char *type, const char *blob64, char out[SW_SSH_FINGERPRINT_MAX + 1]);

/* Store k for user: 0, SW_EEXISTS (the key is someone's already), SW_ERROR. */
int sw_ssh_keys_add(sqlite3 *db, const char *user, const struct sw_ssh_key *k);

/* Remove user's key with fingerprint fp: 0, SW_ENOTFOUND, SW_ERROR. */
int sw_ssh_keys_remove(sqlite3 *db, const char *user, const char *fp);

/* {"keys": [{"fingerprint", "type", "comment", "created_at", "last_used_at", "user"}]} of user (NULL: all). */
int sw_ssh_keys_list(sqlite3 *db, const char *user, json_t **out);

/*
 * Whose key is the one with this type and base64 blob? 1 with the user's name in user
 * (and the fingerprint in fp, may be NULL), 0 when nobody's, SW_ERROR. Notes its use.
 */
int sw_ssh_keys_owner(sqlite3 *db, const char *type, const char *blob64, struct sw_buf *user,
		      char fp[SW_SSH_FINGERPRINT_MAX + 1]);

/* Whose key has fingerprint fp: 1 with user, 0, SW_ERROR. */
int sw_ssh_keys_owner_of(sqlite3 *db, const char *fp, struct sw_buf *user);

#endif
