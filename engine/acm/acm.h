#ifndef SW_ENGINE_ACM_ACM_H
#define SW_ENGINE_ACM_ACM_H

#include "common/buf.h"
#include "engine/api/httpd.h"
#include "engine/engine.h"

/*
 * AWS Certificate Manager on one machine, for imported certificates only: the ACM API
 * (JSON 1.1, botocore's acm model) with ImportCertificate, DescribeCertificate,
 * ListCertificates and DeleteCertificate. ELBv2's HTTPS listeners take these ARNs
 * (arn:aws:acm:<region>:<account>:certificate/<id>) and the router serves them through
 * HAProxy's SNI (crt-list). A certificate is checked on import (PEM, its key matching,
 * valid now: common/tlscert.h) and kept as two files in $SLIPWAY_HOME/engine/acm/:
 * <id>.pem (certificate, chain, key: what HAProxy reads; mode 0600) and <id>.json (what
 * DescribeCertificate answers). Files, not engine.db: HAProxy reads them, and a
 * certificate is written once (a re-import replaces both atomically). No engine lock is
 * taken: the operations run unlocked.
 *
 * Deleting a certificate a listener still uses is refused (ResourceInUseException) by
 * ELBv2's own check, which the acm room cannot see: the listener's router simply skips a
 * certificate file that is gone.
 */

extern struct sw_engine_api sw_acm_api;

/* The PEM file of certificate arn appended to out (reset first): 1 when it exists, 0 when not (or not one of ours). */
int sw_acm_pem_path(const struct sw_engine *e, const char *arn, struct sw_buf *out);

/*
 * The PEM file of a certificate for host issued from the local CA (SLIPWAY_ROUTER_TLS_CA),
 * made the first time (acm/issued/<host>.pem), appended to out (reset first): 1, or 0
 * when there is no CA or host is not a plain host name. Called with the engine lock
 * held (a P-256 key: a few milliseconds, once per host).
 */
int sw_acm_issued_path(const struct sw_engine *e, const char *host, struct sw_buf *out);

/* 1 when the PEM file path holds a certificate valid for host, else 0. */
int sw_acm_file_names(const char *path, const char *host);

/*
 * Import the PEM file path (certificate, chain, key) as the certificate with the fixed
 * id (the router's built-in HTTPS certificate, SLIPWAY_ROUTER_TLS_CERT), replacing what
 * that id held. Its ARN appended to arn. 0, or negative with one line.
 */
int sw_acm_import_file(struct sw_engine *e, const char *path, const char *id, struct sw_buf *arn);

#endif
