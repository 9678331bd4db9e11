#ifndef SW_REGISTRY_H
#define SW_REGISTRY_H

#include "common/buf.h"
#include "common/cancel.h"

/*
 * A Docker registry, spoken to directly with the Distribution HTTP API v2 (the
 * builder asks it whether an image already exists; Docker itself does the push).
 *
 * spec is "host:port" (the name images are tagged with), optionally prefixed with
 * "http://" or "https://". Without a prefix, loopback hosts (127.0.0.0/8, localhost,
 * [::1]) are plain HTTP, as Docker treats them, and every other host is HTTPS.
 * With user set, requests carry HTTP basic auth (Distribution's htpasswd auth, ECR).
 */
struct sw_registry {
	const char *spec;
	const char *user;       /* NULL: anonymous */
	const char *password;
	const struct sw_cancel *cancel;   /* may be NULL */
};

/* Is spec well-formed (host[:port], with an optional scheme)? 0, or SW_EINVAL with one line. */
int sw_registry_check(const char *spec);

/* The host[:port] part of spec, which image names start with (points into spec). */
const char *sw_registry_host(const char *spec);

/*
 * Does repo:ref (ref a tag or "sha256:..." digest) exist? 1 with *digest (the
 * manifest's digest, caller frees) and *size (sum of the layer sizes in bytes, -1
 * when the manifest does not say) filled; either may be NULL. 0 when the registry
 * answers that it does not have it. Negative with one line otherwise:
 * SW_EUNAVAIL "cannot reach the registry at 127.0.0.1:5001: ...",
 * SW_EAUTH "registry 127.0.0.1:5000 refused the credentials (401)", SW_ERROR.
 */
int sw_registry_lookup(const struct sw_registry *r, const char *repo, const char *ref,
		       char **digest, long long *size);

/*
 * The value of Docker's X-Registry-Auth header for r: base64url of
 * {"username","password","serveraddress"} ("{}" when anonymous), appended to out.
 */
void sw_registry_docker_auth(const struct sw_registry *r, struct sw_buf *out);

#endif
