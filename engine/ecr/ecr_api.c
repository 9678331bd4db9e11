#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/ecr/ecr_api.h"
#include "engine/ecr/distribution.h"
#include "engine/run/runtime.h"
#include "common/aws/sigv4.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define TOKEN_HOURS 12
#define MANIFEST_TYPES "application/vnd.docker.distribution.manifest.v2+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"

/* ---- helpers ------------------------------------------------------------------------------ */

static int registry_failed(struct sw_engine_call *call)
{
	return SW_FAIL_SERVER(call, "%s", sw_error_last());
}

static const char *registry_id(struct sw_engine_call *call)
{
	return call->e->cfg.account;
}

/* ECR's repository name rule: lowercase path components joined by '/', separators . _ - */
static int valid_repo_name(const char *s)
{
	size_t i, n = strlen(s);
	int prev_sep = 1;
	if (n < 2 || n > 256)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (islower((unsigned char)c) || isdigit((unsigned char)c)) {
			prev_sep = 0;
		} else if (c == '.' || c == '_' || c == '-' || c == '/') {
			if (prev_sep)
				return 0;
			prev_sep = 1;
		} else {
			return 0;
		}
	}
	return !prev_sep;
}

static int repo_exists(struct sw_engine_call *call, const char *name, int *exists)
{
	json_t *names = NULL;
	size_t i;
	*exists = 0;
	if (sw_engine_registry_catalog(call->e, &names) < 0)
		return registry_failed(call);
	for (i = 0; i < json_array_size(names); i++)
		if (!strcmp(json_string_value(json_array_get(names, i)), name))
			*exists = 1;
	json_decref(names);
	return 0;
}

static int not_found(struct sw_engine_call *call, const char *name)
{
	return sw_engine_api_call_fail(call, 400, "RepositoryNotFoundException",
			      "The repository with name '%s' does not exist in the registry with id '%s'", name,
			      registry_id(call));
}

/* The repository's record (created when first seen). With the lock held. */
static void repo_record(struct sw_engine *e, const char *name, double *created_at, json_t **doc)
{
	sqlite3_stmt *st = NULL;
	*created_at = 0;
	*doc = NULL;
	if (sw_store_prepare(e->db, &st, "SELECT created_at, doc FROM repositories WHERE name = ?") < 0)
		return;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*created_at = sqlite3_column_double(st, 0);
		*doc = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	}
	sqlite3_finalize(st);
	if (*created_at)
		return;
	*created_at = sw_engine_now();
	if (sw_store_prepare(e->db, &st, "INSERT OR IGNORE INTO repositories (name, created_at, doc) VALUES (?, ?, '{}')") == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, *created_at);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
}

static json_t *repository_json(struct sw_engine_call *call, const char *name)
{
	struct sw_engine *e = call->e;
	struct sw_buf arn = SW_BUF_INIT, uri = SW_BUF_INIT;
	double created_at;
	json_t *doc, *o;

	pthread_mutex_lock(&e->lock);
	repo_record(e, name, &created_at, &doc);
	pthread_mutex_unlock(&e->lock);
	sw_engine_arn(e, &arn, "ecr", "repository/%s", name);
	sw_buf_addf(&uri, "%s/%s", e->cfg.registry_host, name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:{s:b}, s:{s:s}}", "repositoryArn", arn.ptr, "registryId",
		      registry_id(call), "repositoryName", name, "repositoryUri", uri.ptr, "createdAt",
		      sw_engine_api_json_time(created_at), "imageTagMutability",
		      json_string_value(json_object_get(doc, "imageTagMutability")) ?
		      json_string_value(json_object_get(doc, "imageTagMutability")) : "MUTABLE",
		      "imageScanningConfiguration", "scanOnPush", 0, "encryptionConfiguration", "encryptionType", "AES256");
	json_decref(doc);
	sw_buf_release(&arn);
	sw_buf_release(&uri);
	return o;
}

/* ---- operations -------------------------------------------------------------------------------- */

static int op_create_repository(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *name = sw_engine_api_call_str(call, "repositoryName");
	const char *mut = sw_engine_api_call_str(call, "imageTagMutability");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	struct sw_buf arn = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *doc;
	char *text;
	int exists;

	if (!valid_repo_name(name))
		return SW_FAIL_PARAM(call, "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must "
				     "satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
	if (repo_exists(call, name, &exists) < 0)
		return -1;
	if (exists)
		return sw_engine_api_call_fail(call, 400, "RepositoryAlreadyExistsException",
				      "The repository with name '%s' already exists in the registry with id '%s'", name,
				      registry_id(call));
	if (sw_engine_registry_create(e, name) < 0)
		return registry_failed(call);
	doc = json_pack("{s:s}", "imageTagMutability", mut ? mut : "MUTABLE");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	pthread_mutex_lock(&e->lock);
	if (sw_store_prepare(e->db, &st, "INSERT OR REPLACE INTO repositories (name, created_at, doc) VALUES (?, ?, ?)") == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, sw_engine_now());
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	sw_engine_arn(e, &arn, "ecr", "repository/%s", name);
	if (tags) {
		size_t i;
		if (sw_store_prepare(e->db, &st, "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)") == 0) {
			for (i = 0; i < json_array_size(tags); i++) {
				json_t *t = json_array_get(tags, i);
				sqlite3_reset(st);
				sqlite3_bind_text(st, 1, arn.ptr, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, json_string_value(json_object_get(t, "Key")), -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 3, json_string_value(json_object_get(t, "Value")) ?
						  json_string_value(json_object_get(t, "Value")) : "", -1, SQLITE_STATIC);
				sqlite3_step(st);
			}
			sqlite3_finalize(st);
		}
	}
	pthread_mutex_unlock(&e->lock);
	free(text);
	sw_buf_release(&arn);
	sw_log_info("ecr: created repository %s", name);
	json_object_set_new(call->out, "repository", repository_json(call, name));
	return 0;
}

static int page_of(struct sw_engine_call *call, long long dflt, long long max, long long *offset, long long *page)
{
	*offset = sw_engine_api_token_parse(sw_engine_api_call_str(call, "nextToken"));
	*page = sw_engine_api_call_int(call, "maxResults", dflt);
	if (*offset < 0)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'nextToken'");
	if (*page < 1 || *page > max)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member "
				     "must have value less than or equal to %lld'", max);
	return 0;
}

static int op_describe_repositories(struct sw_engine_call *call)
{
	json_t *want = sw_engine_api_call_get(call, "repositoryNames");
	json_t *names = NULL, *list;
	long long offset, page, n = 0;
	size_t i, j;

	if (page_of(call, 100, 1000, &offset, &page) < 0)
		return -1;
	if (sw_engine_registry_catalog(call->e, &names) < 0)
		return registry_failed(call);
	for (j = 0; j < json_array_size(want); j++) {
		const char *w = json_string_value(json_array_get(want, j));
		int found = 0;
		for (i = 0; i < json_array_size(names); i++)
			if (!strcmp(json_string_value(json_array_get(names, i)), w))
				found = 1;
		if (!found) {
			json_decref(names);
			return not_found(call, w);
		}
	}
	list = json_array();
	for (i = 0; i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));
		int wanted = !json_array_size(want);
		for (j = 0; j < json_array_size(want); j++)
			if (!strcmp(json_string_value(json_array_get(want, j)), name))
				wanted = 1;
		if (!wanted)
			continue;
		if (n >= offset && n < offset + page)
			json_array_append_new(list, repository_json(call, name));
		n++;
	}
	json_object_set_new(call->out, "repositories", list);
	sw_engine_api_token_set(call->out, offset, page, n);
	json_decref(names);
	return 0;
}

struct manifest {
	long status;
	char *digest;
	char *media_type;
	char *body;
	json_t *doc;
};

static void manifest_release(struct manifest *m)
{
	free(m->digest);
	free(m->media_type);
	free(m->body);
	json_decref(m->doc);
	memset(m, 0, sizeof(*m));
}

/* GET the manifest of repo at reference (tag or digest). 0 (m->status says found), or negative. */
static int get_manifest(struct sw_engine *e, const char *repo, const char *reference, const char *accept,
			struct manifest *m)
{
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT;
	const char *d, *ct;
	int ret;

	memset(m, 0, sizeof(*m));
	sw_buf_addf(&path, "/v2/%s/manifests/%s", repo, reference);
	ret = sw_engine_registry_call(e, "GET", path.ptr, accept ? accept : MANIFEST_TYPES, NULL, NULL, 0, &res);
	if (ret == 0) {
		m->status = res.status;
		if (res.status == 200) {
			char hex[65];
			d = sw_http_header(&res, "docker-content-digest");
			ct = sw_http_header(&res, "content-type");
			if (d) {
				m->digest = xstrdup(d);
			} else {
				struct sw_buf b = SW_BUF_INIT;
				sw_sigv4_sha256_hex(res.body.ptr, res.body.len, hex);
				sw_buf_addf(&b, "sha256:%s", hex);
				m->digest = sw_buf_detach(&b, NULL);
			}
			m->media_type = xstrdup(ct ? ct : "application/vnd.docker.distribution.manifest.v2+json");
			m->body = sw_buf_detach(&res.body, NULL);
			m->doc = json_loads(m->body, 0, NULL);
		}
	}
	sw_http_response_release(&res);
	sw_buf_release(&path);
	return ret;
}

static double parse_rfc3339(const char *s)
{
	struct tm tm;
	const char *rest;
	memset(&tm, 0, sizeof(tm));
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	return (double)timegm(&tm);
}

static double pushed_at(struct sw_engine *e, const char *repo, struct manifest *m)
{
	const char *cfg = json_string_value(json_object_get(json_object_get(m->doc, "config"), "digest"));
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT;
	double t = 0;

	if (cfg) {
		sw_buf_addf(&path, "/v2/%s/blobs/%s", repo, cfg);
		if (sw_engine_registry_call(e, "GET", path.ptr, NULL, NULL, NULL, 0, &res) == 0 && res.status == 200) {
			json_t *doc = json_loadb(res.body.ptr, res.body.len, 0, NULL);
			t = parse_rfc3339(json_string_value(json_object_get(doc, "created")));
			json_decref(doc);
		}
	}
	sw_http_response_release(&res);
	sw_buf_release(&path);
	return t;
}

static long long manifest_size(struct manifest *m)
{
	json_t *layers = json_object_get(m->doc, "layers");
	long long n = json_integer_value(json_object_get(json_object_get(m->doc, "config"), "size"));
	size_t i;
	for (i = 0; i < json_array_size(layers); i++)
		n += json_integer_value(json_object_get(json_array_get(layers, i), "size"));
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
	if (sw_engine_registry_tags(call->e, repo, &tags) < 0) {
		json_decref(map);
		return registry_failed(call);
	}
	for (i = 0; i < json_array_size(tags); i++) {
		const char *tag = json_string_value(json_array_get(tags, i));
		struct manifest m;
		if (get_manifest(call->e, repo, tag, NULL, &m) < 0) {
			json_decref(tags);
			json_decref(map);
			return registry_failed(call);
		}
		if (m.status == 200)
			json_object_set_new(map, tag, json_string(m.digest));
		manifest_release(&m);
	}
	json_decref(tags);
	*out = map;
	return 0;
}

static int need_repo(struct sw_engine_call *call, const char **name)
{
	int exists;
	*name = sw_engine_api_call_str(call, "repositoryName");
	if (repo_exists(call, *name, &exists) < 0)
		return -1;
	if (!exists)
		return not_found(call, *name);
	return 0;
}

static int op_list_images(struct sw_engine_call *call)
{
	const char *repo, *status;
	json_t *map = NULL, *ids, *v;
	long long offset, page, n = 0;
	const char *tag;

	if (page_of(call, 100, 1000, &offset, &page) < 0 || need_repo(call, &repo) < 0)
		return -1;
	status = json_string_value(json_object_get(sw_engine_api_call_get(call, "filter"), "tagStatus"));
	if (tag_digests(call, repo, &map) < 0)
		return -1;
	ids = json_array();
	if (!status || strcmp(status, "UNTAGGED")) {
		json_object_foreach(map, tag, v) {
			if (n >= offset && n < offset + page)
				json_array_append_new(ids, image_id(json_string_value(v), tag));
			n++;
		}
	}
	json_object_set_new(call->out, "imageIds", ids);
	sw_engine_api_token_set(call->out, offset, page, n);
	json_decref(map);
	return 0;
}

static json_t *image_detail(struct sw_engine_call *call, const char *repo, const char *digest, json_t *tags)
{
	struct manifest m;
	json_t *o;

	if (get_manifest(call->e, repo, digest, NULL, &m) < 0 || m.status != 200) {
		manifest_release(&m);
		return NULL;
	}
	o = json_pack("{s:s, s:s, s:s, s:O, s:I, s:o, s:s}", "registryId", registry_id(call), "repositoryName", repo,
		      "imageDigest", digest, "imageTags", tags, "imageSizeInBytes", (json_int_t)manifest_size(&m),
		      "imagePushedAt", sw_engine_api_json_time(pushed_at(call->e, repo, &m)), "imageManifestMediaType",
		      m.media_type);
	if (json_string_value(json_object_get(json_object_get(m.doc, "config"), "mediaType")))
		json_object_set(o, "artifactMediaType", json_object_get(json_object_get(m.doc, "config"), "mediaType"));
	json_object_set_new(o, "imageStatus", json_string("ACTIVE"));
	manifest_release(&m);
	return o;
}

static void image_not_found(struct sw_engine_call *call, const char *repo, json_t *id)
{
	const char *d = json_string_value(json_object_get(id, "imageDigest"));
	const char *t = json_string_value(json_object_get(id, "imageTag"));
	sw_engine_api_call_fail(call, 400, "ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} "
		       "does not exist within the repository with name '%s' in the registry with id '%s'",
		       d ? d : "null", t ? t : "null", repo, registry_id(call));
}

static int op_describe_images(struct sw_engine_call *call)
{
	const char *repo, *tag;
	json_t *ids = sw_engine_api_call_get(call, "imageIds");
	json_t *map = NULL, *by_digest = NULL, *details = NULL, *v;
	long long offset, page, n = 0;
	int ret = -1;
	size_t i;

	if (page_of(call, 100, 1000, &offset, &page) < 0 || need_repo(call, &repo) < 0)
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
			const char *d = json_string_value(json_object_get(id, "imageDigest"));
			const char *t = json_string_value(json_object_get(id, "imageTag"));
			json_t *detail;
			if (t) {
				const char *td = json_string_value(json_object_get(map, t));
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
		const char *status = json_string_value(json_object_get(sw_engine_api_call_get(call, "filter"), "tagStatus"));
		const char *digest;
		if (!status || strcmp(status, "UNTAGGED")) {
			json_object_foreach(by_digest, digest, v) {
				if (n >= offset && n < offset + page) {
					json_t *detail = image_detail(call, repo, digest, v);
					if (detail)
						json_array_append_new(details, detail);
				}
				n++;
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

static int op_batch_get_image(struct sw_engine_call *call)
{
	const char *repo;
	json_t *ids = sw_engine_api_call_get(call, "imageIds");
	json_t *types = sw_engine_api_call_get(call, "acceptedMediaTypes");
	json_t *images, *failures;
	struct sw_buf accept = SW_BUF_INIT;
	size_t i;

	if (need_repo(call, &repo) < 0)
		return -1;
	if (json_array_size(ids) > 100)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'imageIds': at most 100");
	for (i = 0; i < json_array_size(types); i++)
		sw_buf_addf(&accept, "%s%s", i ? ", " : "", json_string_value(json_array_get(types, i)));
	images = json_array();
	failures = json_array();
	for (i = 0; i < json_array_size(ids); i++) {
		json_t *id = json_array_get(ids, i);
		const char *d = json_string_value(json_object_get(id, "imageDigest"));
		const char *t = json_string_value(json_object_get(id, "imageTag"));
		struct manifest m;
		if (!d && !t) {
			json_array_append_new(failures, failure(id, "MissingDigestAndTag",
								"Invalid request parameters: both tag and digest cannot be null"));
			continue;
		}
		if (get_manifest(call->e, repo, t ? t : d, accept.len ? accept.ptr : NULL, &m) < 0) {
			json_decref(images);
			json_decref(failures);
			sw_buf_release(&accept);
			return registry_failed(call);
		}
		if (m.status != 200) {
			json_array_append_new(failures, failure(id, "ImageNotFound", "Requested image not found"));
		} else if (d && t && strcmp(d, m.digest)) {
			json_array_append_new(failures, failure(id, "ImageTagDoesNotMatchDigest",
								"Invalid request parameters: image tag digest did not match image digest"));
		} else {
			json_array_append_new(images, json_pack("{s:s, s:s, s:o, s:s, s:s}", "registryId",
								 registry_id(call), "repositoryName", repo, "imageId",
								 image_id(m.digest, t), "imageManifest", m.body,
								 "imageManifestMediaType", m.media_type));
		}
		manifest_release(&m);
	}
	json_object_set_new(call->out, "images", images);
	json_object_set_new(call->out, "failures", failures);
	sw_buf_release(&accept);
	return 0;
}

static int op_batch_delete_image(struct sw_engine_call *call)
{
	const char *repo;
	json_t *ids = sw_engine_api_call_get(call, "imageIds");
	json_t *deleted, *failures;
	size_t i;

	if (need_repo(call, &repo) < 0)
		return -1;
	if (json_array_size(ids) > 100)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'imageIds': at most 100");
	deleted = json_array();
	failures = json_array();
	for (i = 0; i < json_array_size(ids); i++) {
		json_t *id = json_array_get(ids, i);
		const char *d = json_string_value(json_object_get(id, "imageDigest"));
		const char *t = json_string_value(json_object_get(id, "imageTag"));
		struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
		struct sw_buf path = SW_BUF_INIT;
		struct manifest m;

		if (!d && !t) {
			json_array_append_new(failures, failure(id, "MissingDigestAndTag",
								"Invalid request parameters: both tag and digest cannot be null"));
			continue;
		}
		if (get_manifest(call->e, repo, t ? t : d, NULL, &m) < 0 || m.status != 200) {
			json_array_append_new(failures, failure(id, "ImageNotFound", "Requested image not found"));
			manifest_release(&m);
			continue;
		}
		/* Distribution deletes by digest only: every tag of that manifest goes with it */
		sw_buf_addf(&path, "/v2/%s/manifests/%s", repo, m.digest);
		if (sw_engine_registry_call(call->e, "DELETE", path.ptr, NULL, NULL, NULL, 0, &res) < 0 ||
		    (res.status != 202 && res.status != 200)) {
			json_array_append_new(failures, failure(id, "ImageNotFound", res.status == 405 ?
								"The registry does not allow deletes" :
								"Requested image not found"));
		} else {
			json_array_append_new(deleted, image_id(m.digest, t));
		}
		sw_http_response_release(&res);
		sw_buf_release(&path);
		manifest_release(&m);
	}
	json_object_set_new(call->out, "imageIds", deleted);
	json_object_set_new(call->out, "failures", failures);
	return 0;
}

static int op_get_authorization_token(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_buf token = SW_BUF_INIT, endpoint = SW_BUF_INIT;

	sw_engine_registry_credential(e, &token);   /* absent: a registry without auth, any password */
	sw_buf_addf(&endpoint, "http://%s", e->cfg.registry_host);
	json_object_set_new(call->out, "authorizationData",
			    json_pack("[{s:s, s:o, s:s}]", "authorizationToken", token.ptr, "expiresAt",
				      sw_engine_api_json_time(sw_engine_now() + TOKEN_HOURS * 3600.0), "proxyEndpoint",
				      endpoint.ptr));
	sw_buf_release(&token);
	sw_buf_release(&endpoint);
	return 0;
}

static const struct sw_engine_api_op ecr_ops[] = {
	{ "CreateRepository", op_create_repository, 1 },
	{ "DescribeRepositories", op_describe_repositories, 1 },
	{ "DescribeImages", op_describe_images, 1 },
	{ "ListImages", op_list_images, 1 },
	{ "BatchGetImage", op_batch_get_image, 1 },
	{ "BatchDeleteImage", op_batch_delete_image, 1 },
	{ "GetAuthorizationToken", op_get_authorization_token, 1 },
	{ NULL, NULL, 0 },
};

const struct sw_engine_api sw_engine_ecr_api = {
	"ecr", &sw_aws_ecr_model, SW_SIGV4_JSON, ecr_ops, "InvalidParameterException", NULL, sw_engine_api_json_serve,
	sw_engine_api_json_error,
};
