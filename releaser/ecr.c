#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "releaser/ecr.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
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
	json_decref(req);
	req = json_pack("{s:s, s:s}", "repositoryName", repository, "lifecyclePolicyText", sw_ecr_lifecycle_policy());
	if (sw_aws_call(aws, "ecr", "PutLifecyclePolicy", req, &res) < 0)
		sw_log(SW_LOG_WARN, repository, 0, "ECR lifecycle policy not set: %s", sw_error_last());
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

const char *sw_ecr_lifecycle_policy(void)
{
	/* ecr.h says why: the tags, moved by slipway, say what is kept; the count never bites */
	return "{\"rules\": ["
	       "{\"rulePriority\": 1, \"description\": \"slipway: the images of the last 20 releases (release-keep-NN) "
	       "and the live one (release-live)\", \"selection\": {\"tagStatus\": \"tagged\", \"tagPrefixList\": "
	       "[\"" SW_ECR_KEEP_PREFIX "\"], \"countType\": \"imageCountMoreThan\", \"countNumber\": 21}, "
	       "\"action\": {\"type\": \"expire\"}}, "
	       "{\"rulePriority\": 2, \"description\": \"slipway: any other image, a week after its push\", "
	       "\"selection\": {\"tagStatus\": \"any\", \"countType\": \"sinceImagePushed\", \"countUnit\": "
	       "\"days\", \"countNumber\": 7}, \"action\": {\"type\": \"expire\"}}]}";
}

void sw_ecr_keep_tag(int version, struct sw_buf *out)
{
	sw_buf_addf(out, SW_ECR_KEEP_PREFIX "keep-%02d", version % SW_ECR_KEEP_RELEASES);
}

int sw_ecr_repository_of(const char *image, struct sw_buf *out)
{
	const char *slash = image ? strchr(image, '/') : NULL, *end, *colon;
	if (!slash || !slash[1])
		return sw_error_code(SW_EINVAL, "'%.80s' names no registry", image ? image : "");
	end = strchr(slash, '@') ? strchr(slash, '@') : slash + strlen(slash);
	colon = memrchr(slash, ':', (size_t)(end - slash));
	if (colon && !memchr(colon, '/', (size_t)(end - colon)))
		end = colon;
	sw_buf_add(out, slash + 1, (size_t)(end - slash - 1));
	return 0;
}

/* PutImage of manifest (with its media type) under tag in repository; a tag already there is fine. */
static int put_tag(const struct sw_runenv *e, const char *repository, const json_t *image, const char *digest,
		   const char *tag)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "repositoryName", repository, "imageManifest",
				sw_json_str_or(image, "imageManifest", ""), "imageTag", tag, "imageDigest", digest);
	int ret;

	if (sw_json_str(image, "imageManifestMediaType"))
		json_object_set_new(req, "imageManifestMediaType", json_string(sw_json_str(image, "imageManifestMediaType")));
	ret = sw_runenv_call(e, "ecr", "PutImage", req, NULL, &code, NULL);
	if (ret < 0 && !strcmp(code.ptr, "ImageAlreadyExistsException"))
		ret = 0;
	json_decref(req);
	sw_buf_release(&code);
	return ret;
}

void sw_ecr_keep(const struct sw_runenv *e, const struct sw_release *r, int live)
{
	static const char *const types[] = {
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json",
	};
	struct sw_buf repo = SW_BUF_INIT, tag = SW_BUF_INIT;
	json_t *req = NULL, *resp = NULL, *image;
	size_t i;

	if (!r->image || !r->digest || sw_ecr_repository_of(r->image, &repo) < 0)
		goto cleanup;
	req = json_pack("{s:s, s:[{s:s}], s:[]}", "repositoryName", repo.ptr, "imageIds", "imageDigest", r->digest,
			"acceptedMediaTypes");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		json_array_append_new(json_object_get(req, "acceptedMediaTypes"), json_string(types[i]));
	if (sw_runenv_call(e, "ecr", "BatchGetImage", req, &resp, NULL, NULL) < 0)
		goto failed;
	image = json_array_get(json_object_get(resp, "images"), 0);
	if (!sw_json_str(image, "imageManifest")) {
		sw_error("BatchGetImage found no image %s in %s", r->digest, repo.ptr);
		goto failed;
	}
	if (live)
		sw_buf_adds(&tag, SW_ECR_LIVE_TAG);
	else
		sw_ecr_keep_tag(r->version, &tag);
	if (put_tag(e, repo.ptr, image, r->digest, tag.ptr) < 0)
		goto failed;
	goto cleanup;
failed:
	sw_log(SW_LOG_WARN, r->app, e->job, "v%d: image not tagged %s for the lifecycle policy: %s", r->version,
	       live ? SW_ECR_LIVE_TAG : "release-keep-NN", sw_error_last());
cleanup:
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&repo);
	sw_buf_release(&tag);
}
