#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/ecs.h"
#include "engine/ecs/launch.h"
#include "engine/ecs/tag.h"
#include "common/error.h"
#include "common/json.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

#define MAX_CONTAINERS 10

static int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;
	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

long long sw_ecs_taskdef_size(const char *s, int is_cpu)
{
	char *end = NULL;
	double x;

	if (!s)
		return -1;
	x = strtod(s, &end);
	if (end == s || !(x > 0) || x > 1e9)
		return -1;
	while (*end == ' ')
		end++;
	if (!*end)
		return (long long)llround(x);
	if (is_cpu && (!strcasecmp(end, "vcpu") || !strcasecmp(end, "vcpus")))
		return (long long)llround(x * 1024);
	if (!is_cpu && !strcasecmp(end, "gb"))
		return (long long)llround(x * 1024);
	if (!is_cpu && !strcasecmp(end, "mb"))
		return (long long)llround(x);
	return -1;
}

json_t *sw_ecs_taskdef_named(json_t *list, const char *name)
{
	size_t i;
	for (i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		const char *n = sw_json_str(o, "name");
		if (n && !strcmp(n, name))
			return o;
	}
	return NULL;
}

void sw_ecs_taskdef_needs(json_t *doc, json_t *overrides, long long *cpu, long long *memory_mb)
{
	json_t *cds = json_object_get(doc, "containerDefinitions");
	const char *tcpu = sw_json_str(overrides, "cpu");
	const char *tmem = sw_json_str(overrides, "memory");
	long long c = 0, m = 0;
	size_t i;

	if (!tcpu)
		tcpu = sw_json_str(doc, "cpu");
	if (!tmem)
		tmem = sw_json_str(doc, "memory");
	for (i = 0; i < json_array_size(cds); i++) {
		json_t *cd = json_array_get(cds, i);
		json_t *o = sw_ecs_taskdef_named(json_object_get(overrides, "containerOverrides"),
						 sw_json_str(cd, "name"));
		json_t *mem = json_object_get(o, "memory");
		json_t *res = json_object_get(o, "memoryReservation");
		json_t *ccpu = json_object_get(o, "cpu");
		if (!mem)
			mem = json_object_get(cd, "memory");
		if (!res)
			res = json_object_get(cd, "memoryReservation");
		if (!ccpu)
			ccpu = json_object_get(cd, "cpu");
		m += json_is_integer(mem) ? json_integer_value(mem) : json_integer_value(res);
		c += json_integer_value(ccpu);
	}
	if (tmem && sw_ecs_taskdef_size(tmem, 0) > 0)
		m = sw_ecs_taskdef_size(tmem, 0);
	if (tcpu && sw_ecs_taskdef_size(tcpu, 1) > 0)
		c = sw_ecs_taskdef_size(tcpu, 1);
	*cpu = c;
	*memory_mb = m;
}

/* family[:revision] or ARN -> family and revision (0 when absent). -1 when malformed. */
static int parse_ref(const char *ref, struct sw_buf *family, long long *revision)
{
	struct sw_buf tmp = SW_BUF_INIT;
	const char *name = sw_engine_arn_name(ref, "task-definition", &tmp, NULL);
	const char *colon;
	int ret = 0;

	sw_buf_reset(family);
	*revision = 0;
	if (!name || !*name) {
		ret = -1;
		goto cleanup;
	}
	colon = strrchr(name, ':');
	if (colon) {
		char *end = NULL;
		*revision = strtoll(colon + 1, &end, 10);
		if (end == colon + 1 || *end || *revision <= 0) {
			ret = -1;
			goto cleanup;
		}
		sw_buf_add(family, name, (size_t)(colon - name));
	} else {
		sw_buf_adds(family, name);
	}
	if (!valid_name(family->ptr, 255))
		ret = -1;
cleanup:
	sw_buf_release(&tmp);
	return ret;
}

int sw_ecs_taskdef_get(struct sw_engine *e, const char *ref, json_t **doc)
{
	struct sw_buf family = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	long long rev;
	json_error_t jerr;
	int ret;

	*doc = NULL;
	if (parse_ref(ref, &family, &rev) < 0) {
		ret = sw_error_code(SW_ENOTFOUND, "%s: not a task definition", ref);
		goto cleanup;
	}
	if (rev) {
		ret = sw_store_prepare(e->db, &st, "SELECT doc FROM taskdefs WHERE family = ? AND revision = ?");
		if (ret < 0)
			goto cleanup;
		sqlite3_bind_int64(st, 2, rev);
	} else {
		ret = sw_store_prepare(e->db, &st, "SELECT doc FROM taskdefs WHERE family = ? AND status = 'ACTIVE' "
				       "ORDER BY revision DESC LIMIT 1");
		if (ret < 0)
			goto cleanup;
	}
	sqlite3_bind_text(st, 1, family.ptr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		ret = sw_error_code(SW_ENOTFOUND, "%s: no such task definition", ref);
		goto cleanup;
	}
	*doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, &jerr);
	ret = *doc ? 0 : sw_error("task definition %s: %s", ref, jerr.text);
cleanup:
	sqlite3_finalize(st);
	sw_buf_release(&family);
	return ret;
}

/* Fill one container definition's defaults; a message and -1 when it is unusable. */
static int normalize_container(struct sw_engine_call *call, json_t *cd, const char *network_mode,
			       int has_task_memory)
{
	const char *name = sw_json_str(cd, "name");
	const char *image = sw_json_str(cd, "image");
	json_t *mem = json_object_get(cd, "memory");
	json_t *res = json_object_get(cd, "memoryReservation");
	json_t *hc = json_object_get(cd, "healthCheck");
	json_t *pms = json_object_get(cd, "portMappings");
	size_t i;

	if (!name || !*name)
		return SW_FAIL_CLIENT(call, "Container.name should not be null or empty.");
	if (!valid_name(name, 255))
		return SW_FAIL_CLIENT(call, "Container name '%s' is invalid: up to 255 letters (uppercase and "
				      "lowercase), numbers, hyphens, and underscores are allowed.", name);
	if (!image || !*image)
		return SW_FAIL_CLIENT(call, "Container.image should not be null or empty.");
	if (!mem && !res && !has_task_memory)
		return SW_FAIL_CLIENT(call, "Invalid setting for container '%s'. At least one of 'memory' or "
				      "'memoryReservation' must be specified.", name);
	if (mem && json_integer_value(mem) < 6)
		return SW_FAIL_CLIENT(call, "Invalid 'memory' setting for container '%s'. The memory setting "
				      "must be at least 6 MiB.", name);
	if (mem && res && json_integer_value(res) > json_integer_value(mem))
		return SW_FAIL_CLIENT(call, "Invalid setting for container '%s'. 'memory' must be greater than "
				      "or equal to 'memoryReservation'.", name);
	if (json_object_get(cd, "hostname") && !strcmp(network_mode, "awsvpc"))
		return SW_FAIL_CLIENT(call, "hostname is not supported on container when networkMode=awsvpc.");
	if (!json_object_get(cd, "essential"))
		json_object_set_new(cd, "essential", json_true());
	if (!json_object_get(cd, "cpu"))
		json_object_set_new(cd, "cpu", json_integer(0));
	if (!json_object_get(cd, "environment"))
		json_object_set_new(cd, "environment", json_array());
	if (!json_object_get(cd, "mountPoints"))
		json_object_set_new(cd, "mountPoints", json_array());
	if (!json_object_get(cd, "volumesFrom"))
		json_object_set_new(cd, "volumesFrom", json_array());
	if (!pms)
		json_object_set_new(cd, "portMappings", pms = json_array());
	for (i = 0; i < json_array_size(pms); i++) {
		json_t *pm = json_array_get(pms, i);
		json_t *cp = json_object_get(pm, "containerPort");
		json_t *hp = json_object_get(pm, "hostPort");
		if (!cp || json_integer_value(cp) < 1 || json_integer_value(cp) > 65535)
			return SW_FAIL_CLIENT(call, "Invalid port mapping for container '%s': containerPort must be "
					      "from 1 to 65535.", name);
		if (hp && (json_integer_value(hp) < 0 || json_integer_value(hp) > 65535))
			return SW_FAIL_CLIENT(call, "Invalid port mapping for container '%s': hostPort must be "
					      "from 0 to 65535.", name);
		if (strcmp(network_mode, "bridge")) {
			if (hp && json_integer_value(hp) != json_integer_value(cp))
				return SW_FAIL_CLIENT(call, "When networkMode=%s, the host ports and container ports "
						      "in port mappings must match.", network_mode);
			json_object_set(pm, "hostPort", cp);
		} else if (!hp) {
			json_object_set_new(pm, "hostPort", json_integer(0));
		}
		if (!json_object_get(pm, "protocol"))
			json_object_set_new(pm, "protocol", json_string("tcp"));
	}
	if (hc) {
		json_t *cmd = json_object_get(hc, "command");
		const char *first = json_string_value(json_array_get(cmd, 0));
		if (!first || (strcmp(first, "CMD") && strcmp(first, "CMD-SHELL") && strcmp(first, "NONE")) ||
		    json_array_size(cmd) < (strcmp(first, "NONE") ? 2u : 1u))
			return SW_FAIL_CLIENT(call, "Invalid healthCheck for container '%s': the command must be "
					      "[\"CMD\", ...] or [\"CMD-SHELL\", \"...\"].", name);
		if (!json_object_get(hc, "interval"))
			json_object_set_new(hc, "interval", json_integer(30));
		if (!json_object_get(hc, "timeout"))
			json_object_set_new(hc, "timeout", json_integer(5));
		if (!json_object_get(hc, "retries"))
			json_object_set_new(hc, "retries", json_integer(3));
		if (sw_json_int(hc, "interval", 0) < 1 ||
		    sw_json_int(hc, "interval", 0) > 300 ||
		    sw_json_int(hc, "timeout", 0) < 1 ||
		    sw_json_int(hc, "timeout", 0) > 120 ||
		    sw_json_int(hc, "retries", 0) < 1 ||
		    sw_json_int(hc, "retries", 0) > 10 ||
		    sw_json_int(hc, "startPeriod", 0) < 0 ||
		    sw_json_int(hc, "startPeriod", 0) > 300)
			return SW_FAIL_CLIENT(call, "Invalid healthCheck for container '%s': interval 1-300, "
					      "timeout 1-120, retries 1-10, startPeriod 0-300 seconds.", name);
	}
	return 0;
}

/* 1 when image is in ECR: this engine's registry, or an Amazon ECR registry host. */
static int ecr_image(struct sw_engine *e, const char *image)
{
	const char *slash = image ? strchr(image, '/') : NULL;
	size_t host = slash ? (size_t)(slash - image) : 0;
	const char *dkr;

	if (!slash)
		return 0;
	if (e->cfg.registry_host && strlen(e->cfg.registry_host) == host && !strncmp(image, e->cfg.registry_host, host))
		return 1;
	dkr = strstr(image, ".dkr.ecr.");
	return dkr && dkr < slash && host > 14 && !strncmp(slash - 14, ".amazonaws.com", 14);
}

/*
 * Why a task of the request could not run on Fargate, in ECS's words (into why), or
 * NULL when it could: awsvpc, a task-level size Fargate has, and an execution role
 * when its images are in ECR or its logs go to CloudWatch (awslogs).
 */
static const char *fargate_problem(struct sw_engine_call *call, const char *network_mode, const char *tcpu,
				   const char *tmem, struct sw_buf *why)
{
	json_t *cds = sw_engine_api_call_get(call, "containerDefinitions");
	int has_role = sw_engine_api_call_str(call, "executionRoleArn") != NULL;
	size_t i;

	if (strcmp(network_mode, "awsvpc"))
		/* ECS quotes awsvpc with typographic quotes here: U+2018, U+2019 */
		return "Fargate only supports network mode \xe2\x80\x98" "awsvpc" "\xe2\x80\x99" ".";
	if (!tcpu)
		return "Fargate requires that 'cpu' be defined at the task level.";
	if (!tmem)
		return "Fargate requires that 'memory' be defined at the task level.";
	if (!sw_ecs_launch_fargate_size(sw_ecs_taskdef_size(tcpu, 1), sw_ecs_taskdef_size(tmem, 0))) {
		sw_buf_reset(why);
		sw_buf_addf(why, "No Fargate configuration exists for given values: %lld CPU, %lld memory. See the "
			    "Amazon ECS documentation for the valid values.", sw_ecs_taskdef_size(tcpu, 1),
			    sw_ecs_taskdef_size(tmem, 0));
		return why->ptr;
	}
	for (i = 0; i < json_array_size(cds) && !has_role; i++)
		if (ecr_image(call->e, sw_json_str(json_array_get(cds, i), "image")))
			return "Fargate requires task definition to have execution role ARN to support ECR images.";
	for (i = 0; i < json_array_size(cds) && !has_role; i++) {
		const char *driver = json_string_value(json_object_get(json_object_get(json_array_get(cds, i),
										     "logConfiguration"), "logDriver"));
		if (driver && !strcmp(driver, "awslogs"))
			return "Fargate requires task definition to have execution role ARN to support log driver awslogs.";
	}
	return NULL;
}

/* The request's task-level settings, before any container is looked at. 0, or -1 with the call failed. */
static int check_task_settings(struct sw_engine_call *call, const char *family, const char *network_mode,
			       const char *tcpu, const char *tmem)
{
	json_t *cds = sw_engine_api_call_get(call, "containerDefinitions");
	json_t *req = sw_engine_api_call_get(call, "requiresCompatibilities");
	struct sw_buf why = SW_BUF_INIT;
	const char *problem;
	int fargate = 0, ret = 0;
	size_t i;

	if (!valid_name(family, 255))
		return SW_FAIL_CLIENT(call, "Family '%s' is invalid: up to 255 letters (uppercase and lowercase), "
				      "numbers, hyphens, and underscores are allowed.", family);
	if (json_array_size(cds) == 0 || json_array_size(cds) > MAX_CONTAINERS)
		return SW_FAIL_CLIENT(call, "Task definitions need from 1 to %d container definitions.", MAX_CONTAINERS);
	if (tcpu && sw_ecs_taskdef_size(tcpu, 1) < 0)
		return SW_FAIL_CLIENT(call, "Invalid 'cpu' setting for task: '%s'.", tcpu);
	if (tmem && sw_ecs_taskdef_size(tmem, 0) < 0)
		return SW_FAIL_CLIENT(call, "Invalid 'memory' setting for task: '%s'.", tmem);
	for (i = 0; i < json_array_size(req); i++)
		if (!strcmp(json_string_value(json_array_get(req, i)), "FARGATE"))
			fargate = 1;
	if (fargate && (problem = fargate_problem(call, network_mode, tcpu, tmem, &why)))
		ret = SW_FAIL_CLIENT(call, "%s", problem);
	sw_buf_release(&why);
	return ret;
}

/* Every container definition of doc checked and given its defaults; unique names, one essential. */
static int normalize_containers(struct sw_engine_call *call, json_t *doc, const char *network_mode,
				int has_task_memory)
{
	json_t *cds = json_object_get(doc, "containerDefinitions");
	int essential = 0;
	size_t i, j;

	for (i = 0; i < json_array_size(cds); i++) {
		json_t *cd = json_array_get(cds, i);
		const char *name = sw_json_str(cd, "name");
		if (normalize_container(call, cd, network_mode, has_task_memory) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(name, sw_json_str(json_array_get(cds, j), "name")))
				return SW_FAIL_CLIENT(call, "Duplicate container name '%s'.", name);
		if (sw_json_bool(cd, "essential", 0))
			essential = 1;
	}
	if (!essential)
		return SW_FAIL_CLIENT(call, "At least one container of a task definition must be essential.");
	return 0;
}

/* The revision family's next registration gets: one past the highest so far. */
static int next_revision(struct sw_engine *e, const char *family, long long *revision)
{
	sqlite3_stmt *st = NULL;

	*revision = 1;
	if (sw_store_prepare(e->db, &st, "SELECT MAX(revision) FROM taskdefs WHERE family = ?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*revision = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	return 0;
}

/* The members ECS adds to a registered definition (DescribeTaskDefinition shows them). */
static void registered_members(struct sw_engine *e, json_t *doc, const char *arn, long long revision,
			       const char *network_mode, int fargate_ready, double now)
{
	struct sw_buf registered_by = SW_BUF_INIT;
	json_t *compat = json_array();

	sw_buf_addf(&registered_by, "arn:aws:iam::%s:root", e->cfg.account);
	json_object_set_new(doc, "taskDefinitionArn", json_string(arn));
	json_object_set_new(doc, "revision", json_integer(revision));
	json_object_set_new(doc, "status", json_string("ACTIVE"));
	json_object_set_new(doc, "networkMode", json_string(network_mode));
	if (!json_object_get(doc, "volumes"))
		json_object_set_new(doc, "volumes", json_array());
	if (!json_object_get(doc, "placementConstraints"))
		json_object_set_new(doc, "placementConstraints", json_array());
	json_object_set_new(doc, "requiresAttributes", json_array());
	json_array_append_new(compat, json_string("EC2"));
	if (fargate_ready)
		json_array_append_new(compat, json_string("FARGATE"));
	json_object_set_new(doc, "compatibilities", compat);
	json_object_set_new(doc, "registeredAt", sw_engine_api_json_time(now));
	json_object_set_new(doc, "registeredBy", json_string(registered_by.ptr));
	sw_buf_release(&registered_by);
}

/* The new revision's row. */
static int store_revision(struct sw_engine *e, json_t *doc, const char *family, long long revision,
			  const char *arn, double now)
{
	sqlite3_stmt *st = NULL;
	char *text = json_dumps(doc, JSON_COMPACT);
	int ret = 0;

	if (sw_store_prepare(e->db, &st, "INSERT INTO taskdefs (family, revision, arn, status, registered_at, doc) "
			     "VALUES (?, ?, ?, 'ACTIVE', ?, ?)") < 0) {
		free(text);
		return -1;
	}
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, revision);
	sqlite3_bind_text(st, 3, arn, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, now);
	sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(e->db, "register task definition");
	sqlite3_finalize(st);
	free(text);
	return ret;
}

int sw_ecs_op_register_task_definition(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *family = sw_engine_api_call_str(call, "family");
	const char *network_mode = sw_engine_api_call_str(call, "networkMode");
	const char *tcpu = sw_engine_api_call_str(call, "cpu");
	const char *tmem = sw_engine_api_call_str(call, "memory");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	json_t *doc = NULL;
	struct sw_buf arn = SW_BUF_INIT, why = SW_BUF_INIT;
	long long revision;
	double now = sw_time_now();
	int ret = -1;

	if (!network_mode)
		network_mode = "bridge";
	if (check_task_settings(call, family, network_mode, tcpu, tmem) < 0)
		goto cleanup;
	/* the document as DescribeTaskDefinition returns it: the request's members plus defaults */
	doc = json_deep_copy(call->in);
	json_object_del(doc, "tags");
	/* ECS keeps task-level sizes as numbers: "1 vCPU" -> "1024", "2 GB" -> "2048" */
	if (tcpu)
		json_object_set_new(doc, "cpu", json_sprintf("%lld", sw_ecs_taskdef_size(tcpu, 1)));
	if (tmem)
		json_object_set_new(doc, "memory", json_sprintf("%lld", sw_ecs_taskdef_size(tmem, 0)));
	if (normalize_containers(call, doc, network_mode, tmem != NULL) < 0 || next_revision(e, family, &revision) < 0)
		goto cleanup;
	sw_engine_arn(e, &arn, "ecs", "task-definition/%s:%lld", family, revision);
	registered_members(e, doc, arn.ptr, revision, network_mode,
			   fargate_problem(call, network_mode, tcpu, tmem, &why) == NULL, now);
	if (store_revision(e, doc, family, revision, arn.ptr, now) < 0)
		goto cleanup;
	if (tags && sw_ecs_tag_put(e, arn.ptr, tags) < 0)
		goto cleanup;
	json_object_set(call->out, "taskDefinition", doc);
	json_object_set_new(call->out, "tags", sw_ecs_tag_get(e, arn.ptr));
	ret = 0;

cleanup:
	json_decref(doc);
	sw_buf_release(&arn);
	sw_buf_release(&why);
	return ret;
}

int sw_ecs_op_describe_task_definition(struct sw_engine_call *call)
{
	json_t *doc = NULL;
	const char *ref = sw_engine_api_call_str(call, "taskDefinition");

	if (sw_ecs_taskdef_get(call->e, ref, &doc) < 0)
		return SW_FAIL_CLIENT(call, "Unable to describe task definition.");
	json_object_set_new(call->out, "taskDefinition", doc);
	if (sw_engine_api_call_has(call, "include", "TAGS"))
		json_object_set_new(call->out, "tags",
				    sw_ecs_tag_get(call->e, sw_json_str(doc, "taskDefinitionArn")));
	return 0;
}

int sw_ecs_op_deregister_task_definition(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *ref = sw_engine_api_call_str(call, "taskDefinition");
	struct sw_buf family = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *doc = NULL;
	char *text = NULL;
	long long rev = 0;
	double now = sw_time_now();
	int ret = -1;

	if (parse_ref(ref, &family, &rev) < 0 || !rev) {
		SW_FAIL_CLIENT(call, "Invalid revision number. Number: %s", ref);
		goto cleanup;
	}
	if (sw_ecs_taskdef_get(e, ref, &doc) < 0) {
		SW_FAIL_CLIENT(call, "The specified task definition does not exist.");
		goto cleanup;
	}
	if (strcmp(sw_json_str(doc, "status"), "INACTIVE")) {
		json_object_set_new(doc, "status", json_string("INACTIVE"));
		json_object_set_new(doc, "deregisteredAt", sw_engine_api_json_time(now));
		text = json_dumps(doc, JSON_COMPACT);
		if (sw_store_prepare(e->db, &st, "UPDATE taskdefs SET status = 'INACTIVE', doc = ? "
				     "WHERE family = ? AND revision = ?") < 0)
			goto cleanup;
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, family.ptr, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, rev);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sw_store_error(e->db, "deregister task definition");
			goto cleanup;
		}
	}
	json_object_set(call->out, "taskDefinition", doc);
	ret = 0;
cleanup:
	sqlite3_finalize(st);
	free(text);
	json_decref(doc);
	sw_buf_release(&family);
	return ret;
}

/*
 * One page of a listing from st's rows (their first column; those starting with
 * prefix, when given) as out[key], with nextToken. st is finalized.
 */
static int list_rows(struct sw_engine_call *call, sqlite3_stmt *st, const char *prefix, const char *key)
{
	json_t *list = json_array();
	long long offset, page, n = 0;
	int ret = sw_engine_api_call_page(call, 100, &offset, &page);

	while (ret == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (prefix && strncmp(v, prefix, strlen(prefix)))
			continue;
		if (sw_engine_api_page_count(&n, offset, page))
			json_array_append_new(list, json_string(v));
	}
	sqlite3_finalize(st);
	if (ret == 0) {
		json_object_set(call->out, key, list);
		sw_engine_api_token_set(call->out, offset, page, n);
	}
	json_decref(list);
	return ret;
}

int sw_ecs_op_list_task_definitions(struct sw_engine_call *call)
{
	const char *family = sw_engine_api_call_str(call, "familyPrefix");
	const char *status = sw_engine_api_call_str(call, "status");
	const char *sort = sw_engine_api_call_str(call, "sort");
	sqlite3_stmt *st = NULL;
	int desc = sort && !strcmp(sort, "DESC");

	if (sw_store_prepare(call->e->db, &st, desc ?
			     "SELECT arn FROM taskdefs WHERE status = ?1 AND (?2 IS NULL OR family = ?2) "
			     "ORDER BY family DESC, revision DESC" :
			     "SELECT arn FROM taskdefs WHERE status = ?1 AND (?2 IS NULL OR family = ?2) "
			     "ORDER BY family ASC, revision ASC") < 0)
		return -1;
	sqlite3_bind_text(st, 1, status ? status : "ACTIVE", -1, SQLITE_STATIC);
	if (family)
		sqlite3_bind_text(st, 2, family, -1, SQLITE_STATIC);
	return list_rows(call, st, NULL, "taskDefinitionArns");
}

int sw_ecs_op_list_task_definition_families(struct sw_engine_call *call)
{
	const char *prefix = sw_engine_api_call_str(call, "familyPrefix");
	const char *status = sw_engine_api_call_str(call, "status");
	sqlite3_stmt *st = NULL;
	const char *sql;

	if (!status)
		status = "ACTIVE";
	if (!strcmp(status, "ALL"))
		sql = "SELECT DISTINCT family FROM taskdefs ORDER BY family";
	else if (!strcmp(status, "ACTIVE"))
		sql = "SELECT DISTINCT family FROM taskdefs WHERE status = 'ACTIVE' ORDER BY family";
	else
		sql = "SELECT family FROM taskdefs GROUP BY family HAVING SUM(status = 'ACTIVE') = 0 ORDER BY family";
	if (sw_store_prepare(call->e->db, &st, sql) < 0)
		return -1;
	return list_rows(call, st, prefix, "families");
}
