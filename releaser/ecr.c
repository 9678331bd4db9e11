#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "releaser/ecr.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_ecr_auth_release(struct sw_ecr_auth *a)
{
	free(a->registry);
	free(a->user);
	free(a->password);
	a->registry = a->user = a->password = NULL;
}

int sw_ecr_decode_token(const char *token, char **user, char **password)
{
	size_t n = token ? strlen(token) : 0;
	unsigned char *out;
	char *colon;
	int len;

	*user = *password = NULL;
	if (!n || n > 64 * 1024 || n % 4)
		return sw_error_code(SW_EINVAL, "ECR: malformed authorization token");
	out = xmalloc(n / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (const unsigned char *)token, (int)n);
	if (len < 0) {
		free(out);
		return sw_error_code(SW_EINVAL, "ECR: malformed authorization token");
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (n >= 1 && token[n - 1] == '=')
		len--;
	if (n >= 2 && token[n - 2] == '=')
		len--;
	out[len] = '\0';
	colon = memchr(out, ':', (size_t)len);
	if (!colon || colon == (char *)out || memchr(out, '\0', (size_t)len)) {
		free(out);
		return sw_error_code(SW_EINVAL, "ECR: authorization token is not user:password");
	}
	*user = xstrndup((char *)out, (size_t)(colon - (char *)out));
	*password = xstrdup(colon + 1);
	free(out);
	return 0;
}

int sw_ecr_login(struct sw_aws_client *aws, const char *repository, struct sw_ecr_auth *out)
{
	struct sw_aws_result res;
	json_t *req = NULL;
	const json_t *data;
	const char *token, *endpoint, *host;
	int ret;

	sw_ecr_auth_release(out);
	sw_aws_result_init(&res);
	req = json_pack("{s:s}", "repositoryName", repository);
	ret = sw_aws_call(aws, "ecr", "CreateRepository", req, &res);
	/* the client's line already names the call ("ecr CreateRepository: cannot connect to ...") */
	if (ret < 0 && strcmp(res.error_code.ptr, "RepositoryAlreadyExistsException"))
		goto cleanup;
	if ((ret = sw_aws_call(aws, "ecr", "GetAuthorizationToken", NULL, &res)) < 0)
		goto cleanup;
	data = json_array_get(json_object_get(res.response, "authorizationData"), 0);
	token = sw_json_str(data, "authorizationToken");
	endpoint = sw_json_str(data, "proxyEndpoint");
	if (!token || !endpoint) {
		ret = sw_error("ECR: GetAuthorizationToken answered no token or endpoint");
		goto cleanup;
	}
	if ((ret = sw_ecr_decode_token(token, &out->user, &out->password)) < 0)
		goto cleanup;
	host = strstr(endpoint, "://") ? strstr(endpoint, "://") + 3 : endpoint;
	out->registry = xstrndup(host, strcspn(host, "/"));
	ret = 0;
cleanup:
	if (ret < 0)
		sw_ecr_auth_release(out);
	json_decref(req);
	sw_aws_result_release(&res);
	return ret;
}
