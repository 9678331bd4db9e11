#include <stdlib.h>
#include <string.h>

#include "engine/run/container.h"
#include "common/buf.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_run_container_observed_release(struct sw_run_observed *o)
{
	free(o->status);
	free(o->reason);
	free(o->ip);
	json_decref(o->bindings);
	memset(o, 0, sizeof(*o));
}

static void parse_inspect(json_t *doc, struct sw_run_observed *o)
{
	json_t *state = json_object_get(doc, "State");
	const char *st = sw_json_str(state, "Status");
	const char *health = sw_json_str(json_object_get(state, "Health"), "Status");
	const char *err = sw_json_str(state, "Error");
	json_t *ns = json_object_get(doc, "NetworkSettings");
	json_t *ports = json_object_get(ns, "Ports");
	const char *ip = sw_json_str(ns, "IPAddress");
	const char *key;
	json_t *v;

	o->found = 1;
	if (!st)
		st = "dead";
	if (!strcmp(st, "running") || !strcmp(st, "restarting") || !strcmp(st, "paused")) {
		o->status = xstrdup("RUNNING");
	} else if (!strcmp(st, "created")) {
		o->status = xstrdup("PENDING");
	} else {
		o->status = xstrdup("STOPPED");
		o->has_exit = 1;
		o->exit_code = (int)sw_json_int(state, "ExitCode", 0);
		if (sw_json_bool(state, "OOMKilled", 0))
			o->reason = xstrdup("OutOfMemoryError: Container killed due to memory usage");
		else if (err && *err)
			o->reason = xstrdup(err);
	}
	o->health = health && !strcmp(health, "healthy") ? SW_HEALTH_HEALTHY :
		    health && !strcmp(health, "unhealthy") ? SW_HEALTH_UNHEALTHY : SW_HEALTH_UNKNOWN;
	o->bindings = json_array();
	json_object_foreach(ports, key, v) {
		char proto[8] = "tcp";
		long cport = strtol(key, NULL, 10);
		const char *slash = strchr(key, '/');
		size_t i;
		if (slash && strlen(slash + 1) < sizeof(proto))
			memcpy(proto, slash + 1, strlen(slash + 1) + 1);
		for (i = 0; i < json_array_size(v); i++) {
			json_t *b = json_array_get(v, i);
			const char *hip = sw_json_str(b, "HostIp");
			const char *hport = sw_json_str(b, "HostPort");
			if (!hport || !*hport)
				continue;
			if (hip && strchr(hip, ':'))
				continue; /* the IPv6 twin of a 0.0.0.0 binding */
			json_array_append_new(o->bindings, json_pack("{s:s, s:i, s:i, s:s}", "bindIP",
								     hip && *hip ? hip : "0.0.0.0",
								     "containerPort", (int)cport,
								     "hostPort", (int)strtol(hport, NULL, 10),
								     "protocol", proto));
		}
	}
	if (!ip || !*ip) {
		json_t *nets = json_object_get(ns, "Networks");
		json_object_foreach(nets, key, v) {
			const char *a = sw_json_str(v, "IPAddress");
			if (a && *a) {
				ip = a;
				break;
			}
		}
	}
	if (ip && *ip)
		o->ip = xstrdup(ip);
}

int sw_run_container_inspect(const char *id, struct sw_run_observed *o)
{
	struct sw_buf path = SW_BUF_INIT;
	json_t *doc = NULL;
	int ret;

	memset(o, 0, sizeof(*o));
	sw_buf_addf(&path, "/containers/%s/json", id);
	ret = sw_docker_json("GET", path.ptr, NULL, &doc);
	if (ret >= 0) {
		parse_inspect(doc, o);
		ret = 0;
	} else if (ret == SW_ENOTFOUND) {
		o->found = 0;
		o->status = xstrdup("STOPPED");
		o->reason = xstrdup("Container no longer exists in Docker");
		ret = 0;
	}
	json_decref(doc);
	sw_buf_release(&path);
	return ret;
}

/* Record what an inspect saw. With the lock held. */
void sw_run_container_apply(struct sw_engine_container *c, struct sw_run_observed *o)
{
	if (!o->status)
		return;
	sw_engine_set_str(&c->last_status, o->status);
	if (o->has_exit) {
		c->has_exit = 1;
		c->exit_code = o->exit_code;
	}
	if (o->reason && !c->reason)
		sw_engine_set_str(&c->reason, o->reason);
	if (o->found) {
		c->health = o->health;
		if (o->bindings && (json_array_size(o->bindings) || !c->bindings)) {
			json_decref(c->bindings);
			c->bindings = json_incref(o->bindings);
		}
		if (o->ip)
			sw_engine_set_str(&c->ip, o->ip);
	} else if (!c->has_exit) {
		/* gone without a trace: no exit code to report */
		c->health = SW_HEALTH_UNKNOWN;
	}
}

/* method on /containers/<id><suffix>; Docker's answer discarded. */
int sw_run_container_call(const char *method, const char *id, const char *suffix)
{
	struct sw_buf path = SW_BUF_INIT;
	json_t *out = NULL;
	int ret;
	sw_buf_addf(&path, "/containers/%s%s", id, suffix);
	ret = sw_docker_json(method, path.ptr, NULL, &out);
	json_decref(out);
	sw_buf_release(&path);
	return ret;
}
