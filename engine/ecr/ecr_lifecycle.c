#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ecr/ecr_api.h"
#include "engine/ecr/distribution.h"
#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

/*
 * ECR's lifecycle policies, stored with the repository (its "lifecyclePolicyText" in the
 * repositories table's doc) and answered back, validated as ECR validates them; the
 * engine does not expire images by them (its registry keeps what it is given). And
 * PutImage: a manifest put under a tag (or its digest) in the registry, as ECR does to
 * tag an image that is already there.
 */

#define POLICY_MIN 100      /* LifecyclePolicyText's min and max in botocore's model */
#define POLICY_MAX 30720

static int policy_invalid(struct sw_engine_call *call, const char *why)
{
	return SW_FAIL_PARAM(call, "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
			     "'Lifecycle policy validation failure: %s'", why);
}

static int count_ok(const json_t *sel, const char **why)
{
	const char *type = json_string_value(json_object_get(sel, "countType"));
	const json_t *unit = json_object_get(sel, "countUnit"), *n = json_object_get(sel, "countNumber");

	if (!json_is_integer(n) || json_integer_value(n) < 1)
		return *why = "countNumber must be a whole number of at least 1", 0;
	if (type && !strcmp(type, "imageCountMoreThan"))
		return unit ? (*why = "countUnit is not allowed with imageCountMoreThan", 0) : 1;
	if (type && !strcmp(type, "sinceImagePushed"))
		return json_is_string(unit) && !strcmp(json_string_value(unit), "days") ? 1 :
		       (*why = "sinceImagePushed needs countUnit \"days\"", 0);
	return *why = "countType must be imageCountMoreThan or sinceImagePushed", 0;
}

/* ECR's rules for the text: {"rules": [{rulePriority, selection, action}...]}. */
static int check_policy(struct sw_engine_call *call, const char *text)
{
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL, *rules = json_object_get(doc, "rules"), *rule;
	long long last_any = -1, highest = -1, seen[100];
	const char *why = NULL;
	size_t i, j;

	if (!text || strlen(text) < POLICY_MIN || strlen(text) > POLICY_MAX) {
		json_decref(doc);
		return SW_FAIL_PARAM(call, "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
				     "'Member must have length between %d and %d'", POLICY_MIN, POLICY_MAX);
	}
	if (!json_is_array(rules) || !json_array_size(rules) || json_array_size(rules) > 100)
		why = "the policy must be a JSON object with 1 to 100 rules";
	json_array_foreach(rules, i, rule) {
		const json_t *sel = json_object_get(rule, "selection"), *prio = json_object_get(rule, "rulePriority");
		const char *status = json_string_value(json_object_get(sel, "tagStatus"));
		const char *action = json_string_value(json_object_get(json_object_get(rule, "action"), "type"));
		int tagged = json_array_size(json_object_get(sel, "tagPrefixList")) ||
			     json_array_size(json_object_get(sel, "tagPatternList"));
		if (why)
			break;
		if (!json_is_integer(prio) || json_integer_value(prio) < 1)
			why = "rulePriority must be a whole number of at least 1";
		for (j = 0; !why && j < i; j++)
			if (seen[j] == json_integer_value(prio))
				why = "rulePriority must be unique";
		seen[i] = json_integer_value(prio);
		if (!why && (!status || (strcmp(status, "tagged") && strcmp(status, "untagged") && strcmp(status, "any"))))
			why = "tagStatus must be tagged, untagged or any";
		else if (!why && !strcmp(status, "tagged") && !tagged)
			why = "a tagged rule needs a tagPrefixList or a tagPatternList";
		else if (!why && strcmp(status, "tagged") && tagged)
			why = "tagPrefixList and tagPatternList are for tagged rules only";
		if (!why && !count_ok(sel, &why))
			break;
		if (!why && (!action || strcmp(action, "expire")))
			why = "action type must be expire";
		if (!why && !strcmp(status, "any"))
			last_any = json_integer_value(prio);
		if (!why && json_integer_value(prio) > highest)
			highest = json_integer_value(prio);
	}
	if (!why && last_any >= 0 && last_any != highest)
		why = "a rule with tagStatus any must have the highest rulePriority";
	json_decref(doc);
	return why ? policy_invalid(call, why) : 0;
}

/* The repository's stored doc (a new reference; {} when it has none yet). With the engine lock. */
static json_t *repo_doc(struct sw_engine *e, const char *name)
{
	sqlite3_stmt *st = NULL;
	json_t *doc = NULL;
	if (sw_store_prepare(e->db, &st, "SELECT doc FROM repositories WHERE name = ?") == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		sqlite3_finalize(st);
	}
	return json_is_object(doc) ? doc : (json_decref(doc), json_object());
}

static int repo_doc_save(struct sw_engine *e, const char *name, const json_t *doc)
{
	sqlite3_stmt *st = NULL;
	char *text = json_dumps(doc, JSON_COMPACT);
	int ret = sw_store_prepare(e->db, &st, "INSERT INTO repositories (name, created_at, doc) VALUES (?1, ?2, ?3) "
				   "ON CONFLICT(name) DO UPDATE SET doc = ?3");
	if (ret == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, sw_time_now());
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		ret = sqlite3_step(st) == SQLITE_DONE ? 0 : sw_store_error(e->db, "repositories");
		sqlite3_finalize(st);
	}
	free(text);
	return ret;
}

int sw_engine_ecr_op_put_lifecycle_policy(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *repo, *text = sw_engine_api_call_str(call, "lifecyclePolicyText");
	json_t *doc;
	int ret;

	if (sw_engine_ecr_api_repo_need(call, &repo) < 0 || check_policy(call, text) < 0)
		return -1;
	pthread_mutex_lock(&e->lock);
	doc = repo_doc(e, repo);
	json_object_set_new(doc, "lifecyclePolicyText", json_string(text));
	json_object_set_new(doc, "lifecyclePolicyAt", json_real(sw_time_now()));
	ret = repo_doc_save(e, repo, doc);
	pthread_mutex_unlock(&e->lock);
	json_decref(doc);
	if (ret < 0)
		return SW_FAIL_SERVER(call, "%s", sw_error_last());
	json_object_set_new(call->out, "registryId", json_string(sw_engine_ecr_api_registry_id(call)));
	json_object_set_new(call->out, "repositoryName", json_string(repo));
	json_object_set_new(call->out, "lifecyclePolicyText", json_string(text));
	return 0;
}

int sw_engine_ecr_op_get_lifecycle_policy(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *repo;
	json_t *doc;
	int ret = 0;

	if (sw_engine_ecr_api_repo_need(call, &repo) < 0)
		return -1;
	pthread_mutex_lock(&e->lock);
	doc = repo_doc(e, repo);
	pthread_mutex_unlock(&e->lock);
	if (!json_string_value(json_object_get(doc, "lifecyclePolicyText"))) {
		ret = sw_engine_api_call_fail(call, 400, "LifecyclePolicyNotFoundException", "Lifecycle policy does not "
					      "exist for the repository with name '%s' in the registry with id '%s'", repo,
					      sw_engine_ecr_api_registry_id(call));
	} else {
		json_object_set_new(call->out, "registryId", json_string(sw_engine_ecr_api_registry_id(call)));
		json_object_set_new(call->out, "repositoryName", json_string(repo));
		json_object_set(call->out, "lifecyclePolicyText", json_object_get(doc, "lifecyclePolicyText"));
		json_object_set_new(call->out, "lastEvaluatedAt",
				    sw_engine_api_json_time(json_real_value(json_object_get(doc, "lifecyclePolicyAt"))));
	}
	json_decref(doc);
	return ret;
}

/* The manifest's media type: the request's, else its own mediaType member. */
static const char *media_type(struct sw_engine_call *call, const json_t *manifest)
{
	const char *t = sw_engine_api_call_str(call, "imageManifestMediaType");
	return t ? t : json_string_value(json_object_get(manifest, "mediaType"));
}

int sw_engine_ecr_op_put_image(struct sw_engine_call *call)
{
	const char *repo, *body = sw_engine_api_call_str(call, "imageManifest");
	const char *tag = sw_engine_api_call_str(call, "imageTag"), *want = sw_engine_api_call_str(call, "imageDigest");
	struct sw_engine_ecr_manifest now;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf digest = SW_BUF_INIT, path = SW_BUF_INIT;
	json_t *manifest = NULL;
	char hex[65];
	int ret = -1;

	memset(&now, 0, sizeof(now));
	if (sw_engine_ecr_api_repo_need(call, &repo) < 0)
		return -1;
	if (!body || !(manifest = json_loads(body, 0, NULL)) || !media_type(call, manifest)) {
		ret = SW_FAIL_PARAM(call, "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'a JSON "
				    "manifest with a mediaType (or imageManifestMediaType)'");
		goto cleanup;
	}
	sw_sigv4_sha256_hex(body, strlen(body), hex);
	sw_buf_addf(&digest, "sha256:%s", hex);
	if (want && strcmp(want, digest.ptr)) {
		ret = sw_engine_api_call_fail(call, 400, "ImageDigestDoesNotMatchException", "Invalid parameter at "
					      "'imageDigest' failed to satisfy constraint: 'The provided image digest does "
					      "not match the manifest'");
		goto cleanup;
	}
	if (tag && sw_engine_ecr_distribution_manifest(call->e, repo, tag, NULL, &now) == 0 && now.status == 200 &&
	    !strcmp(now.digest, digest.ptr)) {
		ret = sw_engine_api_call_fail(call, 400, "ImageAlreadyExistsException", "Image with digest '%s' and tag "
					      "'%s' already exists in the repository with name '%s' in registry with id "
					      "'%s'", digest.ptr, tag, repo, sw_engine_ecr_api_registry_id(call));
		goto cleanup;
	}
	sw_buf_addf(&path, "/v2/%s/manifests/%s", repo, tag ? tag : digest.ptr);
	if (sw_engine_ecr_distribution_call(call->e, "PUT", path.ptr, NULL, media_type(call, manifest), body, strlen(body),
					    &res) < 0) {
		ret = sw_engine_ecr_api_registry_error(call);
		goto cleanup;
	}
	if (res.status != 201) {
		/* the registry refuses a manifest whose layers it does not have */
		ret = sw_engine_api_call_fail(call, 400, "LayersNotFoundException", "The image manifest references "
					      "layers that are not in the repository with name '%s' (registry: HTTP %ld)",
					      repo, res.status);
		goto cleanup;
	}
	json_object_set_new(call->out, "image", json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "registryId",
							  sw_engine_ecr_api_registry_id(call), "repositoryName", repo,
							  "imageId", "imageDigest", digest.ptr, "imageManifest", body,
							  "imageManifestMediaType", media_type(call, manifest)));
	if (tag)
		json_object_set_new(json_object_get(json_object_get(call->out, "image"), "imageId"), "imageTag",
				    json_string(tag));
	ret = 0;
cleanup:
	json_decref(manifest);
	sw_engine_ecr_manifest_release(&now);
	sw_http_response_release(&res);
	sw_buf_release(&digest);
	sw_buf_release(&path);
	return ret;
}
