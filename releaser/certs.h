#ifndef SW_CERTS_H
#define SW_CERTS_H

#include <jansson.h>
#include <sqlite3.h>

#include "releaser/runenv.h"

/*
 * TLS certificates for an app's hosts (its own APP.<apps domain>, its custom domains):
 * `slipway certs:add HOST --cert FILE --key FILE` imports the certificate into ACM
 * (ImportCertificate: on AWS, AWS's; on the engine, its ACM store) and adds its ARN to
 * the HTTPS listener (AddListenerCertificates), which serves it by SNI; one row per host
 * in the certs table (tables.h). Checked first, in slipwayd (common/tlscert.h): the key
 * matches the certificate, the certificate is valid now and for HOST, HOST is one of the
 * app's. All functions return 0 or a negative enum sw_code with one line; a refusal is
 * SW_EINVAL, with nothing changed.
 */

/* Add (or replace) the certificate (PEM, its chain after it) and key (PEM) of app's host. */
int sw_certs_add(const struct sw_runenv *e, const char *app, const char *host, const char *cert, const char *key);

/* Take host's certificate off the listener and out of ACM. SW_ENOTFOUND when app has none for host. */
int sw_certs_remove(const struct sw_runenv *e, const char *app, const char *host);

/* [{"host", "arn", "not_after"}...] of app (new reference), NULL on a database error. */
json_t *sw_certs_list_json(sqlite3 *db, const char *app);

/* apps:destroy: every certificate of app off the listener and out of ACM, and its rows. */
int sw_certs_forget_app(const struct sw_runenv *e, const char *app);

#endif
