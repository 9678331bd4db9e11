#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ecr/ecr_api.h"
#include "engine/ecr/distribution.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

static double pushed_at(struct sw_engine *e, const char *repo, struct sw_engine_ecr_manifest *m)
{
	const char *cfg = sw_json_str(json_object_get(m->doc, "config"), "digest");
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT;
	double t = 0, created;

	if (cfg) {
		sw_buf_addf(&path, "/v2/%s/blobs/%s", repo, cfg);
		if (sw_engine_ecr_distribution_call(e, "GET", path.ptr, NULL, NULL, NULL, 0, &res) == 0 && res.status == 200) {
			json_t *doc = json_loadb(res.body.ptr, res.body.len, 0, NULL);
			if (sw_time_parse_iso(sw_json_str(doc, "created"), &created) == 0)
				t = floor(created);
			json_decref(doc);
		}
	}
	sw_http_response_release(&res);
	sw_buf_release(&path);
	return t;
}

static long long manifest_size(struct sw_engine_ecr_manifest *m)
{
	json_t *layers = json_object_get(m->doc, "layers");
	long long n = sw_json_int(json_object_get(m->doc, "config"), "size", 0);
	size_t i;
	for (i = 0; i < json_array_size(layers); i++)
		n += sw_json_int(json_array_get(layers, i), "size", 0);
	return n ? n : (long long)(m->body ? strlen(m->body) : 0);
}

static json_t *image_id(const char *digest, const char *tag)
{
	json_t *o = json_object();
	if (digest)
		json_object_set_new(o, "imageDigest", json_string(digest));
	if (tag)
		json_object_set_new(o, "imageTag", json_string(tag));
	return o;
}

/* The digest of every tag of repo: an object tag -> digest. */
static int tag_digests(struct sw_engine_call *call, const char *repo, json_t **out)
{
	json_t *tags = NULL, *map = json_object();
	size_t i;

	*out = NULL;
	if (sw_engine_ecr_distribution_tags(call->e, repo, &tags) < 0) {
		json_decref(map);
		return sw_engine_ecr_api_registry_error(call);
	}
	for (i = 0; i < json_array_size(tags); i++) {
		const char *tag = json_string_value(json_array_get(tags, i));
		struct sw_engine_ecr_manifest m;
		if (sw_engine_ecr_distribution_manifest(call->e, repo, tag, NULL, &m) < 0) {
			json_decref(tags);
			json_decref(map);
			return sw_engine_ecr_api_registry_error(call);
		}
		if (m.status == 200)
			json_object_set_new(map, tag, json_string(m.digest));
		sw_engine_ecr_manifest_release(&m);
	}
	json_decref(tags);
	*out = map;
	return 0;
}

int sw_engine_ecr_op_list_images(struct sw_engine_call *call)
{
	const char *repo, *status;
	json_t *map = NULL, *ids, *v;
	long long offset, page, n = 0;
	const char *tag;

	if (sw_engine_ecr_api_page(call, 100, 1000, &offset, &page) < 0 || sw_engine_ecr_api_repo_need(call, &repo) < 0)
		return -1;
	status = sw_json_str(sw_engine_api_call_get(call, "filter"), "tagStatus");
	if (tag_digests(call, repo, &map) < 0)
		return -1;
	ids = json_array();
	if (!status || strcmp(status, "UNTAGGED")) {
		json_object_foreach(map, tag, v) {
			if (sw_engine_api_page_count(&n, offset, page))
				json_array_append_new(ids, image_id(json_string_value(v), tag));
		}
	}
	json_object_set_new(call->out, "imageIds", ids);
	sw_engine_api_token_set(call->out, offset, page, n);
	json_decref(map);
	return 0;
}

static json_t *image_detail(struct sw_engine_call *call, const char *repo, const char *digest, json_t *tags)
{
	struct sw_engine_ecr_manifest m;
	json_t *o;

	if (sw_engine_ecr_distribution_manifest(call->e, repo, digest, NULL, &m) < 0 || m.status != 200) {
		sw_engine_ecr_manifest_release(&m);
		return NULL;
	}
	o = json_pack("{s:s, s:s, s:s, s:O, s:I, s:o, s:s}", "registryId", sw_engine_ecr_api_registry_id(call),
		      "repositoryName", repo,
		      "imageDigest", digest, "imageTags", tags, "imageSizeInBytes", (json_int_t)manifest_size(&m),
		      "imagePushedAt", sw_engine_api_json_time(pushed_at(call->e, repo, &m)), "imageManifestMediaType",
		      m.media_type);
	if (sw_json_str(json_object_get(m.doc, "config"), "mediaType"))
		json_object_set(o, "artifactMediaType", json_object_get(json_object_get(m.doc, "config"), "mediaType"));
	json_object_set_new(o, "imageStatus", json_string("ACTIVE"));
	sw_engine_ecr_manifest_release(&m);
	return o;
}

static void image_not_found(struct sw_engine_call *call, const char *repo, json_t *id)
{
	const char *d = sw_json_str(id, "imageDigest");
	const char *t = sw_json_str(id, "imageTag");
	sw_engine_api_call_fail(call, 400, "ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} "
				"does not exist within the repository with name '%s' in the registry with id '%s'",
				d ? d : "null", t ? t : "null", repo, sw_engine_ecr_api_registry_id(call));
}

int sw_engine_ecr_op_describe_images(struct sw_engine_call *call)
{
	const char *repo, *tag;
	json_t *ids = sw_engine_api_call_get(call, "imageIds");
	json_t *map = NULL, *by_digest = NULL, *details = NULL, *v;
	long long offset, page, n = 0;
	int ret = -1;
	size_t i;

	if (sw_engine_ecr_api_page(call, 100, 1000, &offset, &page) < 0 || sw_engine_ecr_api_repo_need(call, &repo) < 0)
		return -1;
	if (tag_digests(call, repo, &map) < 0)
		return -1;
	by_digest = json_object();   /* digest -> [tags] */
	json_object_foreach(map, tag, v) {
		json_t *list = json_object_get(by_digest, json_string_value(v));
		if (!list)
			json_object_set_new(by_digest, json_string_value(v), list = json_array());
		json_array_append_new(list, json_string(tag));
	}
	details = json_array();
	if (json_array_size(ids)) {
		for (i = 0; i < json_array_size(ids); i++) {
			json_t *id = json_array_get(ids, i);
			const char *d = sw_json_str(id, "imageDigest");
			const char *t = sw_json_str(id, "imageTag");
			json_t *detail;
			if (t) {
				const char *td = sw_json_str(map, t);
				if (!td || (d && strcmp(d, td))) {
					image_not_found(call, repo, id);
					goto cleanup;
				}
				d = td;
			}
			if (!d) {
				SW_FAIL_PARAM(call, "Invalid parameter: imageIds need an imageDigest or an imageTag");
				goto cleanup;
			}
			detail = image_detail(call, repo, d, json_object_get(by_digest, d) ?
					      json_object_get(by_digest, d) : json_array());
			if (!detail) {
				image_not_found(call, repo, id);
				goto cleanup;
			}
			json_array_append_new(details, detail);
		}
	} else {
		const char *status = sw_json_str(sw_engine_api_call_get(call, "filter"), "tagStatus");
		const char *digest;
		if (!status || strcmp(status, "UNTAGGED")) {
			json_object_foreach(by_digest, digest, v) {
				json_t *detail;
				if (!sw_engine_api_page_count(&n, offset, page))
					continue;
				detail = image_detail(call, repo, digest, v);
				if (detail)
					json_array_append_new(details, detail);
			}
		}
		sw_engine_api_token_set(call->out, offset, page, n);
	}
	json_object_set(call->out, "imageDetails", details);
	ret = 0;
cleanup:
	json_decref(details);
	json_decref(by_digest);
	json_decref(map);
	return ret;
}

static json_t *failure(json_t *id, const char *code, const char *reason)
{
	return json_pack("{s:O, s:s, s:s}", "imageId", id, "failureCode", code, "failureReason", reason);
}

int sw_engine_ecr_op_batch_get_image(struct sw_engine_call *call)
{
	const char *repo;
	json_t *ids = sw_engine_api_call_get(call, "imageIds");
	json_t *types = sw_engine_api_call_get(call, "acceptedMediaTypes");
	json_t *images, *failures;
	struct sw_buf accept = SW_BUF_INIT;
	size_t i;

	if (sw_engine_ecr_api_repo_need(call, &repo) < 0)
		return -1;
	if (json_array_size(ids) > 100)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'imageIds': at most 100");
	for (i = 0; i < json_array_size(types); i++)
		sw_buf_addf(&accept, "%s%s", i ? ", " : "", json_string_value(json_array_get(types, i)));
	images = json_array();
	failures = json_array();
	for (i = 0; i < json_array_size(ids); i++) {
		json_t *id = json_array_get(ids, i);
		const char *d = sw_json_str(id, "imageDigest");
		const char *t = sw_json_str(id, "imageTag");
		struct sw_engine_ecr_manifest m;
		if (!d && !t) {
			json_array_append_new(failures, failure(id, "MissingDigestAndTag", "Invalid request parameters: "
								"both tag and digest cannot be null"));
			continue;
		}
		if (sw_engine_ecr_distribution_manifest(call->e, repo, t ? t : d, accept.len ? accept.ptr : NULL, &m) < 0) {
			json_decref(images);
			json_decref(failures);
			sw_buf_release(&accept);
			return sw_engine_ecr_api_registry_error(call);
		}
		if (m.status != 200) {
			json_array_append_new(failures, failure(id, "ImageNotFound", "Requested image not found"));
		} else if (d && t && strcmp(d, m.digest)) {
			json_array_append_new(failures, failure(id, "ImageTagDoesNotMatchDigest", "Invalid request "
								"parameters: image tag digest did not match image digest"));
		} else {
			json_array_append_new(images, json_pack("{s:s, s:s, s:o, s:s, s:s}", "registryId",
								 sw_engine_ecr_api_registry_id(call), "repositoryName",
								 repo, "imageId", image_id(m.digest, t), "imageManifest",
								 m.body, "imageManifestMediaType", m.media_type));
		}
		sw_engine_ecr_manifest_release(&m);
	}
	json_object_set_new(call->out, "images", images);
	json_object_set_new(call->out, "failures", failures);
	sw_buf_release(&accept);
	return 0;
}

int sw_engine_ecr_op_batch_delete_image(struct sw_engine_call *call)
{
	const char *repo;
	json_t *ids = sw_engine_api_call_get(call, "imageIds");
	json_t *deleted, *failures;
	size_t i;

	if (sw_engine_ecr_api_repo_need(call, &repo) < 0)
		return -1;
	if (json_array_size(ids) > 100)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'imageIds': at most 100");
	deleted = json_array();
	failures = json_array();
	for (i = 0; i < json_array_size(ids); i++) {
		json_t *id = json_array_get(ids, i);
		const char *d = sw_json_str(id, "imageDigest");
		const char *t = sw_json_str(id, "imageTag");
		struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
		struct sw_buf path = SW_BUF_INIT;
		struct sw_engine_ecr_manifest m;

		if (!d && !t) {
			json_array_append_new(failures, failure(id, "MissingDigestAndTag", "Invalid request parameters: "
								"both tag and digest cannot be null"));
			continue;
		}
		if (sw_engine_ecr_distribution_manifest(call->e, repo, t ? t : d, NULL, &m) < 0 || m.status != 200) {
			json_array_append_new(failures, failure(id, "ImageNotFound", "Requested image not found"));
			sw_engine_ecr_manifest_release(&m);
			continue;
		}
		/* Distribution deletes by digest only: every tag of that manifest goes with it */
		sw_buf_addf(&path, "/v2/%s/manifests/%s", repo, m.digest);
		if (sw_engine_ecr_distribution_call(call->e, "DELETE", path.ptr, NULL, NULL, NULL, 0, &res) < 0 ||
		    (res.status != 202 && res.status != 200)) {
			json_array_append_new(failures, failure(id, "ImageNotFound", res.status == 405 ?
								"The registry does not allow deletes" :
								"Requested image not found"));
		} else {
			json_array_append_new(deleted, image_id(m.digest, t));
		}
		sw_http_response_release(&res);
		sw_buf_release(&path);
		sw_engine_ecr_manifest_release(&m);
	}
	json_object_set_new(call->out, "imageIds", deleted);
	json_object_set_new(call->out, "failures", failures);
	return 0;
}
