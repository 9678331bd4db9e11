#include <string.h>

#include "engine/run/container_spec.h"
#include "engine/ecs/ecs_taskdef.h"
#include "common/json.h"
#include "common/banned.h"

void sw_run_container_name(struct sw_buf *out, const struct sw_engine_task *t, json_t *taskdef, const char *name)
{
	sw_buf_addf(out, "ecs-%s-%lld-%s-%s", t->family, sw_json_int(taskdef, "revision", 0),
		    name, t->id);
}

static void add_env(json_t *env, json_t *pairs)
{
	size_t i, j;
	for (i = 0; i < json_array_size(pairs); i++) {
		json_t *kv = json_array_get(pairs, i);
		const char *k = sw_json_str(kv, "name");
		const char *v = sw_json_str(kv, "value");
		struct sw_buf line = SW_BUF_INIT;
		size_t klen;
		if (!k)
			continue;
		klen = strlen(k);
		sw_buf_addf(&line, "%s=%s", k, v ? v : "");
		for (j = 0; j < json_array_size(env); j++) {
			const char *have = json_string_value(json_array_get(env, j));
			if (!strncmp(have, k, klen) && have[klen] == '=') {
				json_array_remove(env, j);
				break;
			}
		}
		json_array_append_new(env, json_string(line.ptr));
		sw_buf_release(&line);
	}
}

static json_t *nanos(json_t *seconds)
{
	return json_integer(json_integer_value(seconds) * 1000000000LL);
}

/* A member of the container's override when the task has one, else of its definition. */
static json_t *overridden(json_t *ov, json_t *cd, const char *key)
{
	return ov && json_object_get(ov, key) ? json_object_get(ov, key) : json_object_get(cd, key);
}

/* What runs and how: image, command, environment, user, terminal. */
static void set_process(json_t *spec, json_t *cd, json_t *ov, const char *mode)
{
	json_t *cmd = overridden(ov, cd, "command");
	json_t *env = json_array();

	json_object_set_new(spec, "Image", json_string(sw_json_str(cd, "image")));
	if (json_array_size(cmd))
		json_object_set(spec, "Cmd", cmd);
	if (json_array_size(json_object_get(cd, "entryPoint")))
		json_object_set(spec, "Entrypoint", json_object_get(cd, "entryPoint"));
	add_env(env, json_object_get(cd, "environment"));
	add_env(env, json_object_get(ov, "environment"));
	json_object_set_new(spec, "Env", env);
	if (sw_json_str(cd, "workingDirectory"))
		json_object_set(spec, "WorkingDir", json_object_get(cd, "workingDirectory"));
	if (sw_json_str(cd, "user"))
		json_object_set(spec, "User", json_object_get(cd, "user"));
	if (sw_json_str(cd, "hostname") && !strcmp(mode, "bridge"))
		json_object_set(spec, "Hostname", json_object_get(cd, "hostname"));
	if (sw_json_bool(cd, "disableNetworking", 0))
		json_object_set_new(spec, "NetworkDisabled", json_true());
	if (sw_json_bool(cd, "interactive", 0))
		json_object_set_new(spec, "OpenStdin", json_true());
	if (sw_json_bool(cd, "pseudoTerminal", 0))
		json_object_set_new(spec, "Tty", json_true());
}

/* The definition's dockerLabels and the engine's and ECS's own (see the header). */
static json_t *labels(struct sw_engine *e, const struct sw_engine_task *t, json_t *taskdef, json_t *cd,
		      const char *name)
{
	json_t *l = json_object(), *v;
	struct sw_buf b = SW_BUF_INIT;
	const char *k;

	json_object_foreach(json_object_get(cd, "dockerLabels"), k, v)
		json_object_set(l, k, v);
	json_object_set_new(l, "slipway.engine", json_string(e->instance));
	json_object_set_new(l, "slipway.task", json_string(t->id));
	json_object_set_new(l, "slipway.container", json_string(name));
	sw_engine_arn(e, &b, "ecs", "cluster/%s", t->cluster);
	json_object_set_new(l, "com.amazonaws.ecs.cluster", json_string(b.ptr));
	sw_buf_reset(&b);
	json_object_set_new(l, "com.amazonaws.ecs.task-arn", json_string(t->arn));
	json_object_set_new(l, "com.amazonaws.ecs.container-name", json_string(name));
	json_object_set_new(l, "com.amazonaws.ecs.task-definition-family", json_string(t->family));
	sw_buf_addf(&b, "%lld", sw_json_int(taskdef, "revision", 0));
	json_object_set_new(l, "com.amazonaws.ecs.task-definition-version", json_string(b.ptr));
	sw_buf_release(&b);
	return l;
}

/* portMappings: exposed ports, and in bridge mode their host ports on the bind address (0: any). */
static void set_ports(struct sw_engine *e, json_t *spec, json_t *host, json_t *pms, const char *mode)
{
	json_t *exposed = json_object(), *bindings = json_object();
	struct sw_buf b = SW_BUF_INIT, hp = SW_BUF_INIT;
	size_t i;

	for (i = 0; i < json_array_size(pms); i++) {
		json_t *pm = json_array_get(pms, i);
		const char *proto = sw_json_str(pm, "protocol");
		long long cport = sw_json_int(pm, "containerPort", 0);
		long long hport = sw_json_int(pm, "hostPort", 0);
		sw_buf_reset(&b);
		sw_buf_addf(&b, "%lld/%s", cport, proto ? proto : "tcp");
		json_object_set_new(exposed, b.ptr, json_object());
		if (strcmp(mode, "bridge"))
			continue;
		sw_buf_reset(&hp);
		if (hport > 0)
			sw_buf_addf(&hp, "%lld", hport);
		json_object_set_new(bindings, b.ptr, json_pack("[{s:s, s:s}]", "HostIp", e->cfg.bind_ip, "HostPort",
							      hp.ptr));
	}
	json_object_set_new(spec, "ExposedPorts", exposed);
	json_object_set_new(host, "PortBindings", bindings);
	sw_buf_release(&b);
	sw_buf_release(&hp);
}

/* The definition's healthCheck as Docker's (seconds become nanoseconds), and the stop timeout. */
static void set_health_check(json_t *spec, json_t *cd, long long stop_timeout)
{
	json_t *hc = json_object_get(cd, "healthCheck");
	json_t *st = json_object_get(cd, "stopTimeout");

	if (hc) {
		json_t *h = json_object();
		json_object_set(h, "Test", json_object_get(hc, "command"));
		json_object_set_new(h, "Interval", nanos(json_object_get(hc, "interval")));
		json_object_set_new(h, "Timeout", nanos(json_object_get(hc, "timeout")));
		json_object_set(h, "Retries", json_object_get(hc, "retries"));
		if (sw_json_int(hc, "startPeriod", 0) > 0)
			json_object_set_new(h, "StartPeriod", nanos(json_object_get(hc, "startPeriod")));
		json_object_set_new(spec, "Healthcheck", h);
	}
	json_object_set_new(spec, "StopTimeout", json_integer(json_is_integer(st) ? json_integer_value(st) :
							     stop_timeout));
}

/* Memory (the container's, else the task's), its reservation and CPU shares. */
static void set_limits(json_t *host, const struct sw_engine_task *t, json_t *cd, json_t *ov)
{
	json_t *mem = overridden(ov, cd, "memory");
	json_t *res = overridden(ov, cd, "memoryReservation");
	json_t *cpu = overridden(ov, cd, "cpu");

	if (json_integer_value(mem) > 0)
		json_object_set_new(host, "Memory", json_integer(json_integer_value(mem) * 1048576LL));
	else if (t->task_memory && sw_ecs_taskdef_size(t->task_memory, 0) > 0)
		json_object_set_new(host, "Memory", json_integer(sw_ecs_taskdef_size(t->task_memory, 0) * 1048576LL));
	if (json_integer_value(res) > 0)
		json_object_set_new(host, "MemoryReservation", json_integer(json_integer_value(res) * 1048576LL));
	json_object_set_new(host, "CpuShares", json_integer(json_integer_value(cpu) < 2 ? 2 : json_integer_value(cpu)));
}

/* Network mode, restart policy, logging and the definition's host switches. */
static void set_host(json_t *host, json_t *cd, const char *mode)
{
	json_object_set_new(host, "NetworkMode", json_string(!strcmp(mode, "host") ? "host" :
							      !strcmp(mode, "none") ? "none" : "bridge"));
	json_object_set_new(host, "RestartPolicy", json_pack("{s:s}", "Name", "no"));
	json_object_set_new(host, "LogConfig", json_pack("{s:s, s:{s:s, s:s}}", "Type", "json-file", "Config",
							 "max-size", "10m", "max-file", "3"));
	/* an init (Docker's docker-init, tini) as PID 1: it forwards SIGTERM to the app and reaps */
	if (sw_json_bool(json_object_get(cd, "linuxParameters"), "initProcessEnabled", 0))
		json_object_set_new(host, "Init", json_true());
	if (sw_json_bool(cd, "privileged", 0))
		json_object_set_new(host, "Privileged", json_true());
	if (sw_json_bool(cd, "readonlyRootFilesystem", 0))
		json_object_set_new(host, "ReadonlyRootfs", json_true());
	if (json_array_size(json_object_get(cd, "dnsServers")))
		json_object_set(host, "Dns", json_object_get(cd, "dnsServers"));
	if (json_array_size(json_object_get(cd, "dnsSearchDomains")))
		json_object_set(host, "DnsSearch", json_object_get(cd, "dnsSearchDomains"));
}

/* extraHosts ("name:ip") and ulimits. */
static void set_hosts_and_ulimits(json_t *host, json_t *cd)
{
	json_t *extra = json_object_get(cd, "extraHosts"), *ulimits = json_object_get(cd, "ulimits"), *v;
	struct sw_buf b = SW_BUF_INIT;
	json_t *out;
	size_t i;

	if (json_array_size(extra)) {
		out = json_array();
		json_array_foreach(extra, i, v) {
			sw_buf_reset(&b);
			sw_buf_addf(&b, "%s:%s", sw_json_str(v, "hostname"),
				    sw_json_str(v, "ipAddress"));
			json_array_append_new(out, json_string(b.ptr));
		}
		json_object_set_new(host, "ExtraHosts", out);
	}
	if (json_array_size(ulimits)) {
		out = json_array();
		json_array_foreach(ulimits, i, v)
			json_array_append_new(out, json_pack("{s:O, s:O, s:O}", "Name", json_object_get(v, "name"),
							     "Soft", json_object_get(v, "softLimit"),
							     "Hard", json_object_get(v, "hardLimit")));
		json_object_set_new(host, "Ulimits", out);
	}
	sw_buf_release(&b);
}

/* links ("name[:alias]") to the task's other containers, by their Docker names (bridge mode). */
static void set_links(json_t *host, const struct sw_engine_task *t, json_t *taskdef, json_t *cd, const char *mode)
{
	json_t *list = json_object_get(cd, "links"), *links, *v;
	struct sw_buf b = SW_BUF_INIT, other = SW_BUF_INIT, lname = SW_BUF_INIT;
	size_t i;

	if (!json_array_size(list) || strcmp(mode, "bridge"))
		return;
	links = json_array();
	json_array_foreach(list, i, v) {
		const char *l = json_string_value(v);
		const char *colon = l ? strchr(l, ':') : NULL;
		if (!l)
			continue;
		sw_buf_reset(&lname);
		sw_buf_reset(&other);
		sw_buf_reset(&b);
		sw_buf_add(&lname, l, colon ? (size_t)(colon - l) : strlen(l));
		sw_run_container_name(&other, t, taskdef, lname.ptr);
		sw_buf_addf(&b, "%s:%s", other.ptr, colon ? colon + 1 : lname.ptr);
		json_array_append_new(links, json_string(b.ptr));
	}
	json_object_set_new(host, "Links", links);
	sw_buf_release(&b);
	sw_buf_release(&other);
	sw_buf_release(&lname);
}

/*
 * awsvpc: the container the task's others join (its first, created first), as Docker's
 * "container:<id>" network mode; NULL for that first container and other modes.
 */
static const char *awsvpc_peer(const struct sw_engine_task *t, const char *name)
{
	if (!t->network_mode || strcmp(t->network_mode, "awsvpc") || !t->nr_containers ||
	    !strcmp(t->containers[0].name, name))
		return NULL;
	return t->containers[0].docker_id;
}

/*
 * A container that joins its task's network namespace: the namespace's, so no network
 * settings of its own (Docker refuses ports, DNS, extra hosts and a hostname there).
 */
static void join_namespace(json_t *spec, json_t *host, const char *peer)
{
	struct sw_buf mode = SW_BUF_INIT;

	sw_buf_addf(&mode, "container:%s", peer);
	json_object_set_new(host, "NetworkMode", json_string(mode.ptr));
	json_object_del(spec, "ExposedPorts");
	json_object_del(spec, "Hostname");
	json_object_del(host, "PortBindings");
	json_object_del(host, "Dns");
	json_object_del(host, "DnsSearch");
	json_object_del(host, "ExtraHosts");
	sw_buf_release(&mode);
}

json_t *sw_run_container_spec(struct sw_engine *e, const struct sw_engine_task *t, json_t *taskdef, json_t *cd)
{
	const char *name = sw_json_str(cd, "name");
	json_t *ov = sw_ecs_taskdef_named(json_object_get(t->overrides, "containerOverrides"), name);
	const char *mode = t->network_mode ? t->network_mode : "bridge";
	const char *peer = awsvpc_peer(t, name);
	json_t *spec = json_object(), *host = json_object();

	set_process(spec, cd, ov, mode);
	json_object_set_new(spec, "Labels", labels(e, t, taskdef, cd, name));
	set_ports(e, spec, host, json_object_get(cd, "portMappings"), mode);
	set_health_check(spec, cd, t->stop_timeout);
	set_limits(host, t, cd, ov);
	set_host(host, cd, mode);
	set_hosts_and_ulimits(host, cd);
	set_links(host, t, taskdef, cd, mode);
	if (peer)
		join_namespace(spec, host, peer);
	json_object_set_new(spec, "HostConfig", host);
	return spec;
}
