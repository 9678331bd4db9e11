#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ecr/ecr_api.h"
#include "engine/ecr/distribution.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

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
	*created_at = sw_time_now();
	if (sw_store_prepare(e->db, &st, "INSERT OR IGNORE INTO repositories (name, created_at, doc) "
			     "VALUES (?, ?, '{}')") == 0) {
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
		      sw_engine_ecr_api_registry_id(call), "repositoryName", name, "repositoryUri", uri.ptr, "createdAt",
		      sw_engine_api_json_time(created_at), "imageTagMutability",
		      sw_json_str_or(doc, "imageTagMutability", "MUTABLE"),
		      "imageScanningConfiguration", "scanOnPush", 0, "encryptionConfiguration", "encryptionType", "AES256");
	json_decref(doc);
	sw_buf_release(&arn);
	sw_buf_release(&uri);
	return o;
}

int sw_engine_ecr_op_create_repository(struct sw_engine_call *call)
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
				     "satisfy regular expression "
				     "'(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
	if (sw_engine_ecr_api_repo_exists(call, name, &exists) < 0)
		return -1;
	if (exists)
		return sw_engine_api_call_fail(call, 400, "RepositoryAlreadyExistsException",
				      "The repository with name '%s' already exists in the registry with id '%s'", name,
					       sw_engine_ecr_api_registry_id(call));
	if (sw_engine_ecr_distribution_create(e, name) < 0)
		return sw_engine_ecr_api_registry_error(call);
	doc = json_pack("{s:s}", "imageTagMutability", mut ? mut : "MUTABLE");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	pthread_mutex_lock(&e->lock);
	if (sw_store_prepare(e->db, &st, "INSERT OR REPLACE INTO repositories (name, created_at, doc) VALUES (?, ?, ?)") == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, sw_time_now());
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
				sqlite3_bind_text(st, 2, sw_json_str(t, "Key"), -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 3, sw_json_str_or(t, "Value", ""), -1, SQLITE_STATIC);
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

int sw_engine_ecr_op_describe_repositories(struct sw_engine_call *call)
{
	json_t *want = sw_engine_api_call_get(call, "repositoryNames");
	json_t *names = NULL, *list;
	long long offset, page, n = 0;
	size_t i, j;

	if (sw_engine_ecr_api_page(call, 100, 1000, &offset, &page) < 0)
		return -1;
	if (sw_engine_ecr_distribution_catalog(call->e, &names) < 0)
		return sw_engine_ecr_api_registry_error(call);
	for (j = 0; j < json_array_size(want); j++) {
		const char *w = json_string_value(json_array_get(want, j));
		int found = 0;
		for (i = 0; i < json_array_size(names); i++)
			if (!strcmp(json_string_value(json_array_get(names, i)), w))
				found = 1;
		if (!found) {
			json_decref(names);
			return sw_engine_ecr_api_repo_missing(call, w);
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
		if (sw_engine_api_page_count(&n, offset, page))
			json_array_append_new(list, repository_json(call, name));
	}
	json_object_set_new(call->out, "repositories", list);
	sw_engine_api_token_set(call->out, offset, page, n);
	json_decref(names);
	return 0;
}
