#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/taskdef.h"
#include "releaser/fargate.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_taskdef_family(const char *app, const char *process, struct sw_buf *out)
{
	sw_buf_addf(out, "%s-%s", app, process);
}

int sw_taskdef_pin(const char *image, const char *digest, struct sw_buf *out)
{
	const char *slash, *colon, *at;
	size_t i, n;

	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != 7 + 64)
		goto bad;
	for (i = 7; i < 7 + 64; i++)
		if (!isxdigit((unsigned char)digest[i]) || isupper((unsigned char)digest[i]))
			goto bad;
	if (!image || !*image)
		return sw_error_code(SW_EINVAL, "no image to pin");
	at = strchr(image, '@');
	n = at ? (size_t)(at - image) : strlen(image);
	slash = memrchr(image, '/', n);
	colon = memrchr(image, ':', n);
	if (colon && (!slash || colon > slash))
		n = (size_t)(colon - image);
	sw_buf_add(out, image, n);
	sw_buf_addf(out, "@%s", digest);
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "'%.80s' is not an image digest (sha256:<64 hex digits>)",
			     digest ? digest : "(none)");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *environment(const struct sw_taskdef_opts *o)
{
	json_t *env = json_object(), *list = json_array(), *v;
	const char *k, **keys = NULL;
	size_t i, n = 0;
	struct sw_buf b = SW_BUF_INIT;

	for (i = 0; i < o->proc->env.nr; i++) {
		const char *kv = o->proc->env.v[i], *eq = strchr(kv, '=');
		char *name;
		if (!eq)
			continue;
		name = xstrndup(kv, (size_t)(eq - kv));
		json_object_set_new(env, name, json_string(eq + 1));
		free(name);
	}
	if (o->config)
		json_object_foreach((json_t *)o->config, k, v)
			if (json_is_string(v))
				json_object_set(env, k, v);
	if (o->proc->web && o->proc->port) {
		sw_buf_addf(&b, "%d", o->proc->port);
		json_object_set_new(env, "PORT", json_string(b.ptr));
	}
	json_object_set_new(env, "SLIPWAY_APP", json_string(o->app));
	sw_buf_reset(&b);
	sw_buf_addf(&b, "v%d", o->version);
	json_object_set_new(env, "SLIPWAY_RELEASE", json_string(b.ptr));
	json_object_set_new(env, "SLIPWAY_PROCESS", json_string(o->proc->name));

	keys = xcalloc(json_object_size(env) + 1, sizeof(*keys));
	json_object_foreach(env, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:O}", "name", keys[i], "value",
						      json_object_get(env, keys[i])));
	free(keys);
	json_decref(env);
	sw_buf_release(&b);
	return list;
}

json_t *sw_taskdef_build(const struct sw_taskdef_opts *o)
{
	struct sw_buf family = SW_BUF_INIT, image = SW_BUF_INIT, rel = SW_BUF_INIT, size = SW_BUF_INIT;
	json_t *req = NULL, *c = NULL;
	const struct sw_process *p = o->proc;
	int cpu = 0;

	if (!o->app || !p || !o->log_group || !o->region || o->version <= 0 || o->memory_mb <= 0) {
		sw_error_code(SW_EINVAL, "task definition: app, process, version, memory, log group and "
			      "region are required");
		goto cleanup;
	}
	if (o->fargate && !o->execution_role_arn) {
		sw_error_code(SW_EINVAL, "%s: a Fargate task definition needs an execution role (ECR pulls, awslogs)",
			      p->name);
		goto cleanup;
	}
	if (o->fargate && sw_fargate_size(p->name, o->memory_mb, o->cpu, &cpu) < 0)
		goto cleanup;
	if (sw_taskdef_pin(o->image, o->digest, &image) < 0)
		goto cleanup;
	sw_taskdef_family(o->app, p->name, &family);
	sw_buf_addf(&rel, "v%d", o->version);

	c = json_pack("{s:s, s:s, s:b, s:o, s:{s:s, s:{s:s, s:s, s:s}}, s:{s:s, s:s, s:s}}",
		      "name", p->name,
		      "image", image.ptr,
		      "essential", 1,
		      "environment", environment(o),
		      "logConfiguration", "logDriver", "awslogs", "options",
		      "awslogs-group", o->log_group,
		      "awslogs-region", o->region,
		      "awslogs-stream-prefix", rel.ptr,
		      "dockerLabels", "slipway.app", o->app, "slipway.release", rel.ptr,
		      "slipway.process", p->name);
	/* an init as PID 1 (Docker's tini): SIGTERM reaches an app that is PID 1-unaware
	 * (busybox httpd ignores it as PID 1), so a stop does not wait for stopTimeout */
	json_object_set_new(c, "linuxParameters", json_pack("{s:b}", "initProcessEnabled", 1));
	if (!o->fargate) {
		/* EC2: the container's hard limit and reservation; on Fargate the task's size is */
		json_object_set_new(c, "memory", json_integer(o->memory_mb));
		if (o->cpu > 0)
			json_object_set_new(c, "cpu", json_integer(o->cpu));
	}
	if (p->command.nr)
		json_object_set_new(c, "command", sw_json_from_strvec(&p->command));
	if (p->entrypoint.nr)
		json_object_set_new(c, "entryPoint", sw_json_from_strvec(&p->entrypoint));
	if (p->workdir)
		json_object_set_new(c, "workingDirectory", json_string(p->workdir));
	if (p->user)
		json_object_set_new(c, "user", json_string(p->user));
	if (p->web && p->port && o->fargate)
		json_object_set_new(c, "portMappings", json_pack("[{s:i, s:s}]", "containerPort", p->port, "protocol", "tcp"));
	else if (p->web && p->port)
		json_object_set_new(c, "portMappings",
				    json_pack("[{s:i, s:i, s:s}]", "containerPort", p->port, "hostPort", 0,
					      "protocol", "tcp"));
	if (p->health.command.nr) {
		json_t *h = json_pack("{s:o}", "command", sw_json_from_strvec(&p->health.command));
		if (p->health.interval)
			json_object_set_new(h, "interval", json_integer(p->health.interval));
		if (p->health.timeout)
			json_object_set_new(h, "timeout", json_integer(p->health.timeout));
		if (p->health.retries)
			json_object_set_new(h, "retries", json_integer(p->health.retries));
		if (p->health.start_period)
			json_object_set_new(h, "startPeriod", json_integer(p->health.start_period));
		json_object_set_new(c, "healthCheck", h);
	}

	req = json_pack("{s:s, s:s, s:[s], s:[O], s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
			"family", family.ptr,
			"networkMode", o->fargate ? "awsvpc" : "bridge",
			"requiresCompatibilities", o->fargate ? "FARGATE" : "EC2",
			"containerDefinitions", c,
			"tags",
			"key", "slipway:app", "value", o->app,
			"key", "slipway:release", "value", rel.ptr,
			"key", "slipway:process", "value", p->name);
	if (req && o->fargate) {
		sw_buf_addf(&size, "%d", cpu);
		json_object_set_new(req, "cpu", json_string(size.ptr));
		sw_buf_reset(&size);
		sw_buf_addf(&size, "%d", o->memory_mb);
		json_object_set_new(req, "memory", json_string(size.ptr));
	}
	if (req && o->execution_role_arn)
		json_object_set_new(req, "executionRoleArn", json_string(o->execution_role_arn));
	if (req && o->task_role_arn)
		json_object_set_new(req, "taskRoleArn", json_string(o->task_role_arn));
	if (!req)
		sw_error("task definition: cannot build the request");
cleanup:
	json_decref(c);
	sw_buf_release(&family);
	sw_buf_release(&image);
	sw_buf_release(&rel);
	sw_buf_release(&size);
	return req;
}
