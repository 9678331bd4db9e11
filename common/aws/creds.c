#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/aws/creds.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_aws_creds_init(struct sw_aws_creds *c)
{
	memset(c, 0, sizeof(*c));
}

void sw_aws_creds_release(struct sw_aws_creds *c)
{
	if (c->secret_access_key)
		OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token)
		OPENSSL_cleanse(c->session_token, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

void sw_aws_creds_copy(struct sw_aws_creds *dst, const struct sw_aws_creds *src)
{
	sw_aws_creds_release(dst);
	dst->access_key_id = src->access_key_id ? xstrdup(src->access_key_id) : NULL;
	dst->secret_access_key = src->secret_access_key ? xstrdup(src->secret_access_key) : NULL;
	dst->session_token = src->session_token ? xstrdup(src->session_token) : NULL;
	dst->expiration = src->expiration;
	dst->source = src->source;
}

void sw_aws_creds_set(struct sw_aws_creds *c, const char *akid, const char *secret, const char *token,
		      time_t expiration, const char *source)
{
	sw_aws_creds_release(c);
	c->access_key_id = xstrdup(akid);
	c->secret_access_key = xstrdup(secret);
	c->session_token = token && *token ? xstrdup(token) : NULL;
	c->expiration = expiration;
	c->source = source;
}
