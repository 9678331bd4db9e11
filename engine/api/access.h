#ifndef SW_ENGINE_API_ACCESS_H
#define SW_ENGINE_API_ACCESS_H

#include "common/aws/sigv4.h"
#include "engine/api/httpd.h"
#include "engine/engine_config.h"

/*
 * Who may call the engine: exactly one access key. It comes from
 * SLIPWAY_ENGINE_ACCESS_KEY_ID / _SECRET_ACCESS_KEY, else from profile "slipway" of
 * $SLIPWAY_HOME/aws/credentials. When neither exists, sw_engine_api_access_setup() makes a
 * random key and writes the AWS shared files (credentials 0600, and config with
 * region and endpoint_url under [profile slipway]) so that
 *   AWS_SHARED_CREDENTIALS_FILE=$SLIPWAY_HOME/aws/credentials
 *   AWS_CONFIG_FILE=$SLIPWAY_HOME/aws/config AWS_PROFILE=slipway aws ecs list-clusters
 * reaches this engine. Existing files are never rewritten.
 *
 * Requests are verified with common/aws/sigv4.h (sw_sigv4_verify): any other key, an
 * unsigned request, a bad signature or a scope for another region is refused with
 * AWS's error (UnrecognizedClientException, MissingAuthenticationTokenException,
 * InvalidSignatureException, ...).
 */
struct sw_engine_api_access {
	char *access_key_id;
	char *secret_access_key;
	char *region;
};

/* Fill a from c (creating the shared files when needed). a is the caller's. */
int sw_engine_api_access_setup(struct sw_engine_api_access *a, const struct sw_engine_config *c);
void sw_engine_api_access_release(struct sw_engine_api_access *a);

/*
 * Verify req for api. Returns 0 when accepted; else fills res through api->error()
 * and returns SW_EAUTH.
 */
int sw_engine_api_access_check(const struct sw_engine_api_access *a, const struct sw_engine_api *api,
			       const struct sw_engine_request *req, struct sw_engine_response *res);

/* Read key = value of [section] from an INI-style AWS shared file; SW_ENOTFOUND when absent. */
int sw_engine_api_access_ini_get(const char *path, const char *section, const char *key, struct sw_buf *out);

#endif
