#ifndef SW_TLSCERT_H
#define SW_TLSCERT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/strvec.h"

/*
 * TLS certificates in PEM (OpenSSL): what certs:add checks before a certificate is
 * imported, and what the engine's ACM store checks on import. Caller-owned info:
 * _init / _release.
 */

struct sw_tlscert_info {
	char *subject;            /* the subject's common name, or "" */
	char *issuer;             /* the issuer's common name, or "" */
	char *serial;             /* hex, "aa:bb:..." as ACM prints it */
	char *key_algorithm;      /* ACM's names: "RSA_2048", "EC_prime256v1", ... */
	struct sw_strvec names;   /* subject alternative DNS names (else the common name) */
	double not_before, not_after; /* seconds since the epoch */
};

void sw_tlscert_info_init(struct sw_tlscert_info *i);
void sw_tlscert_info_release(struct sw_tlscert_info *i);

/*
 * Check the leaf certificate cert (the first PEM block; more blocks are its chain) with
 * its private key (PEM) at time now: parsed, key matching, valid at now (not expired,
 * not before its start). 0 with *info filled (may be NULL), or SW_EINVAL with one line
 * ("the certificate has expired (on 2026-01-01T00:00:00Z)", "the key does not match the
 * certificate", ...). key may be NULL: no key check.
 */
int sw_tlscert_check(const char *cert, size_t cert_len, const char *key, size_t key_len, double now,
		     struct sw_tlscert_info *info);

/* 1 when the leaf certificate of cert is valid for host (its names, wildcards as TLS takes them), else 0. */
int sw_tlscert_matches_host(const char *cert, size_t cert_len, const char *host);

/* The PEM blocks after the first of cert (its chain), appended to out. */
void sw_tlscert_chain(const char *cert, size_t cert_len, struct sw_buf *out);

/*
 * Issue a certificate for host from the CA in ca_pem (its certificate and key, PEM): a
 * new P-256 key, host as common name and only DNS name, valid from an hour before now
 * for days. Certificate then key, PEM, appended to out. 0, or negative with one line.
 */
int sw_tlscert_issue(const char *ca_pem, size_t ca_len, const char *host, double now, int days, struct sw_buf *out);

#endif
