#ifndef SW_AWS_CREDS_H
#define SW_AWS_CREDS_H

#include <time.h>

/*
 * One set of AWS credentials, as every provider of the chain (credentials.h) hands it
 * over. Caller-owned: sw_aws_creds_init() / _release() (which wipes the secret and the
 * token before freeing them).
 */
struct sw_aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;   /* NULL when none */
	time_t expiration;     /* 0: does not expire */
	const char *source;    /* static: "environment", "shared-credentials-file", "shared-config-file",
				  "assume-role", "assume-role-with-web-identity", "custom-process",
				  "container-endpoint", "instance-metadata", "static" */
};

void sw_aws_creds_init(struct sw_aws_creds *c);
void sw_aws_creds_release(struct sw_aws_creds *c);
/* Deep copy src into dst (dst is released first). */
void sw_aws_creds_copy(struct sw_aws_creds *dst, const struct sw_aws_creds *src);
/* Release c, then copy the strings in (token NULL or "": none); source must be static. */
void sw_aws_creds_set(struct sw_aws_creds *c, const char *akid, const char *secret, const char *token,
		      time_t expiration, const char *source);

#endif
