#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "engine/run/runtime.h"
#include "engine/engine_db.h"
#include "engine/ecs/task.h"
#include "engine/ecs/ecs_taskdef.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/lines.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define PULL_LINE_MAX (64 * 1024)
#define PASSWORD_MAX 4096

/* ---- small helpers ----------------------------------------------------------------- */

void sw_engine_base64(struct sw_buf *out, const void *data, size_t len, int url)
{
	size_t n = 4 * ((len + 2) / 3);
	size_t i, start = out->len;
	sw_buf_grow(out, n + 1);
	EVP_EncodeBlock((unsigned char *)out->ptr + out->len, data, (int)len);
	sw_buf_setlen(out, out->len + n);
	if (url)
		for (i = start; i < out->len; i++) {
			if (out->ptr[i] == '+')
				out->ptr[i] = '-';
			else if (out->ptr[i] == '/')
				out->ptr[i] = '_';
		}
}

int sw_engine_registry_password(struct sw_engine *e, struct sw_buf *out)
{
	char chunk[512];
	ssize_t n;
	int fd = open(e->cfg.registry_password_file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sw_error_errno("%s", e->cfg.registry_password_file);
	sw_buf_reset(out);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > PASSWORD_MAX) {
			close(fd);
			return sw_error("%s: too large", e->cfg.registry_password_file);
		}
		sw_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	sw_buf_rtrim(out);
	return 0;
}

/* Copy of a task (and its containers), independent of the state. */
static struct sw_engine_task *task_copy(const struct sw_engine_task *t)
{
	json_t *doc = sw_engine_db_task_doc(t);
	struct sw_engine_task *c = sw_engine_db_task_from_doc(doc);
	json_decref(doc);
	return c;
}

void sw_engine_runtime_name(struct sw_buf *out, const struct sw_engine_task *t, json_t *taskdef, const char *name)
{
	sw_buf_addf(out, "ecs-%s-%lld-%s-%s", t->family, (long long)json_integer_value(json_object_get(taskdef, "revision")),
		    name, t->id);
}

/* ---- the container spec ---------------------------------------------------------------- */

static void add_env(json_t *env, json_t *pairs)
{
	size_t i, j;
	for (i = 0; i < json_array_size(pairs); i++) {
		json_t *kv = json_array_get(pairs, i);
		const char *k = json_string_value(json_object_get(kv, "name"));
		const char *v = json_string_value(json_object_get(kv, "value"));
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

json_t *sw_engine_runtime_spec(struct sw_engine *e, const struct sw_engine_task *t, json_t *taskdef, json_t *cd)
{
	const char *name = json_string_value(json_object_get(cd, "name"));
	json_t *ov = sw_ecs_taskdef_named(json_object_get(t->overrides, "containerOverrides"), name);
	json_t *spec = json_object(), *host = json_object(), *labels = json_object(), *env = json_array();
	json_t *exposed = json_object(), *bindings = json_object();
	json_t *pms = json_object_get(cd, "portMappings");
	json_t *hc = json_object_get(cd, "healthCheck");
	json_t *cmd = ov && json_object_get(ov, "command") ? json_object_get(ov, "command") : json_object_get(cd, "command");
	json_t *mem = ov && json_object_get(ov, "memory") ? json_object_get(ov, "memory") : json_object_get(cd, "memory");
	json_t *res = ov && json_object_get(ov, "memoryReservation") ? json_object_get(ov, "memoryReservation") :
		      json_object_get(cd, "memoryReservation");
	json_t *cpu = ov && json_object_get(ov, "cpu") ? json_object_get(ov, "cpu") : json_object_get(cd, "cpu");
	const char *mode = t->network_mode ? t->network_mode : "bridge";
	struct sw_buf b = SW_BUF_INIT;
	const char *k;
	json_t *v;
	size_t i;

	json_object_set_new(spec, "Image", json_string(json_string_value(json_object_get(cd, "image"))));
	if (json_array_size(cmd))
		json_object_set(spec, "Cmd", cmd);
	if (json_array_size(json_object_get(cd, "entryPoint")))
		json_object_set(spec, "Entrypoint", json_object_get(cd, "entryPoint"));
	add_env(env, json_object_get(cd, "environment"));
	add_env(env, json_object_get(ov, "environment"));
	json_object_set_new(spec, "Env", env);
	if (json_string_value(json_object_get(cd, "workingDirectory")))
		json_object_set(spec, "WorkingDir", json_object_get(cd, "workingDirectory"));
	if (json_string_value(json_object_get(cd, "user")))
		json_object_set(spec, "User", json_object_get(cd, "user"));
	if (json_string_value(json_object_get(cd, "hostname")) && !strcmp(mode, "bridge"))
		json_object_set(spec, "Hostname", json_object_get(cd, "hostname"));
	if (json_is_true(json_object_get(cd, "disableNetworking")))
		json_object_set_new(spec, "NetworkDisabled", json_true());
	if (json_is_true(json_object_get(cd, "interactive")))
		json_object_set_new(spec, "OpenStdin", json_true());
	if (json_is_true(json_object_get(cd, "pseudoTerminal")))
		json_object_set_new(spec, "Tty", json_true());

	json_object_foreach(json_object_get(cd, "dockerLabels"), k, v)
		json_object_set(labels, k, v);
	json_object_set_new(labels, "slipway.engine", json_string(e->instance));
	json_object_set_new(labels, "slipway.task", json_string(t->id));
	json_object_set_new(labels, "slipway.container", json_string(name));
	sw_engine_arn(e, &b, "ecs", "cluster/%s", t->cluster);
	json_object_set_new(labels, "com.amazonaws.ecs.cluster", json_string(b.ptr));
	sw_buf_reset(&b);
	json_object_set_new(labels, "com.amazonaws.ecs.task-arn", json_string(t->arn));
	json_object_set_new(labels, "com.amazonaws.ecs.container-name", json_string(name));
	json_object_set_new(labels, "com.amazonaws.ecs.task-definition-family", json_string(t->family));
	sw_buf_addf(&b, "%lld", (long long)json_integer_value(json_object_get(taskdef, "revision")));
	json_object_set_new(labels, "com.amazonaws.ecs.task-definition-version", json_string(b.ptr));
	sw_buf_reset(&b);
	json_object_set_new(spec, "Labels", labels);

	for (i = 0; i < json_array_size(pms); i++) {
		json_t *pm = json_array_get(pms, i);
		const char *proto = json_string_value(json_object_get(pm, "protocol"));
		long long cport = json_integer_value(json_object_get(pm, "containerPort"));
		long long hport = json_integer_value(json_object_get(pm, "hostPort"));
		sw_buf_reset(&b);
		sw_buf_addf(&b, "%lld/%s", cport, proto ? proto : "tcp");
		json_object_set_new(exposed, b.ptr, json_object());
		if (!strcmp(mode, "bridge")) {
			struct sw_buf hp = SW_BUF_INIT;
			if (hport > 0)
				sw_buf_addf(&hp, "%lld", hport);
			json_object_set_new(bindings, b.ptr, json_pack("[{s:s, s:s}]", "HostIp", e->cfg.bind_ip,
								      "HostPort", hp.ptr));
			sw_buf_release(&hp);
		}
	}
	sw_buf_reset(&b);
	json_object_set_new(spec, "ExposedPorts", exposed);
	json_object_set_new(host, "PortBindings", bindings);

	if (hc) {
		json_t *h = json_object();
		json_object_set(h, "Test", json_object_get(hc, "command"));
		json_object_set_new(h, "Interval", nanos(json_object_get(hc, "interval")));
		json_object_set_new(h, "Timeout", nanos(json_object_get(hc, "timeout")));
		json_object_set(h, "Retries", json_object_get(hc, "retries"));
		if (json_integer_value(json_object_get(hc, "startPeriod")) > 0)
			json_object_set_new(h, "StartPeriod", nanos(json_object_get(hc, "startPeriod")));
		json_object_set_new(spec, "Healthcheck", h);
	}
	json_object_set_new(spec, "StopTimeout", json_integer(json_is_integer(json_object_get(cd, "stopTimeout")) ?
							     json_integer_value(json_object_get(cd, "stopTimeout")) :
							     t->stop_timeout));

	if (json_integer_value(mem) > 0)
		json_object_set_new(host, "Memory", json_integer(json_integer_value(mem) * 1048576LL));
	else if (t->task_memory && sw_ecs_taskdef_size(t->task_memory, 0) > 0)
		json_object_set_new(host, "Memory", json_integer(sw_ecs_taskdef_size(t->task_memory, 0) * 1048576LL));
	if (json_integer_value(res) > 0)
		json_object_set_new(host, "MemoryReservation", json_integer(json_integer_value(res) * 1048576LL));
	json_object_set_new(host, "CpuShares", json_integer(json_integer_value(cpu) < 2 ? 2 : json_integer_value(cpu)));
	json_object_set_new(host, "NetworkMode", json_string(!strcmp(mode, "host") ? "host" :
							      !strcmp(mode, "none") ? "none" : "bridge"));
	json_object_set_new(host, "RestartPolicy", json_pack("{s:s}", "Name", "no"));
	json_object_set_new(host, "LogConfig", json_pack("{s:s, s:{s:s, s:s}}", "Type", "json-file", "Config",
							 "max-size", "10m", "max-file", "3"));
	/* an init (Docker's docker-init, tini) as PID 1: it forwards SIGTERM to the app and reaps */
	if (json_is_true(json_object_get(json_object_get(cd, "linuxParameters"), "initProcessEnabled")))
		json_object_set_new(host, "Init", json_true());
	if (json_is_true(json_object_get(cd, "privileged")))
		json_object_set_new(host, "Privileged", json_true());
	if (json_is_true(json_object_get(cd, "readonlyRootFilesystem")))
		json_object_set_new(host, "ReadonlyRootfs", json_true());
	if (json_array_size(json_object_get(cd, "dnsServers")))
		json_object_set(host, "Dns", json_object_get(cd, "dnsServers"));
	if (json_array_size(json_object_get(cd, "dnsSearchDomains")))
		json_object_set(host, "DnsSearch", json_object_get(cd, "dnsSearchDomains"));
	if (json_array_size(json_object_get(cd, "extraHosts"))) {
		json_t *eh = json_array();
		for (i = 0; i < json_array_size(json_object_get(cd, "extraHosts")); i++) {
			json_t *h = json_array_get(json_object_get(cd, "extraHosts"), i);
			sw_buf_reset(&b);
			sw_buf_addf(&b, "%s:%s", json_string_value(json_object_get(h, "hostname")),
				    json_string_value(json_object_get(h, "ipAddress")));
			json_array_append_new(eh, json_string(b.ptr));
		}
		json_object_set_new(host, "ExtraHosts", eh);
	}
	if (json_array_size(json_object_get(cd, "ulimits"))) {
		json_t *ul = json_array();
		for (i = 0; i < json_array_size(json_object_get(cd, "ulimits")); i++) {
			json_t *u = json_array_get(json_object_get(cd, "ulimits"), i);
			json_array_append_new(ul, json_pack("{s:O, s:O, s:O}", "Name", json_object_get(u, "name"),
							    "Soft", json_object_get(u, "softLimit"),
							    "Hard", json_object_get(u, "hardLimit")));
		}
		json_object_set_new(host, "Ulimits", ul);
	}
	if (json_array_size(json_object_get(cd, "links")) && !strcmp(mode, "bridge")) {
		json_t *links = json_array();
		for (i = 0; i < json_array_size(json_object_get(cd, "links")); i++) {
			const char *l = json_string_value(json_array_get(json_object_get(cd, "links"), i));
			const char *colon = l ? strchr(l, ':') : NULL;
			struct sw_buf other = SW_BUF_INIT, lname = SW_BUF_INIT;
			if (!l)
				continue;
			sw_buf_add(&lname, l, colon ? (size_t)(colon - l) : strlen(l));
			sw_engine_runtime_name(&other, t, taskdef, lname.ptr);
			sw_buf_reset(&b);
			sw_buf_addf(&b, "%s:%s", other.ptr, colon ? colon + 1 : lname.ptr);
			json_array_append_new(links, json_string(b.ptr));
			sw_buf_release(&other);
			sw_buf_release(&lname);
		}
		json_object_set_new(host, "Links", links);
	}
	json_object_set_new(spec, "HostConfig", host);
	sw_buf_release(&b);
	return spec;
}

/* ---- images ------------------------------------------------------------------------ */

struct pull {
	struct sw_buf error;
};

static int on_pull_line(void *ctx, const char *line, size_t len)
{
	struct pull *p = ctx;
	json_t *doc = json_loadb(line, len, 0, NULL);
	const char *err = json_string_value(json_object_get(doc, "error"));
	if (!err)   /* a refusal before the stream starts: {"message": "..."} */
		err = json_string_value(json_object_get(doc, "message"));
	if (err && !p->error.len)
		sw_buf_adds(&p->error, err);
	json_decref(doc);
	return 0;
}

static int on_pull_data(void *ctx, const char *data, size_t n)
{
	return sw_lines_feed(ctx, data, n);
}

/* "host:port/repo:tag" -> registry host ("" for Docker Hub names) */
static void registry_of(const char *image, struct sw_buf *out)
{
	const char *slash = strchr(image, '/');
	sw_buf_reset(out);
	if (!slash)
		return;
	if (memchr(image, '.', (size_t)(slash - image)) || memchr(image, ':', (size_t)(slash - image)) ||
	    ((size_t)(slash - image) == 9 && !strncmp(image, "localhost", 9)))
		sw_buf_add(out, image, (size_t)(slash - image));
}

/* Split image into repository and tag or digest (tag "latest" when neither). */
static void split_ref(const char *image, struct sw_buf *repo, struct sw_buf *tag)
{
	const char *at = strchr(image, '@');
	const char *slash = strrchr(image, '/');
	const char *colon;

	sw_buf_reset(repo);
	sw_buf_reset(tag);
	if (at) {
		sw_buf_add(repo, image, (size_t)(at - image));
		sw_buf_adds(tag, at + 1);
		return;
	}
	colon = strrchr(slash ? slash : image, ':');
	if (colon) {
		sw_buf_add(repo, image, (size_t)(colon - image));
		sw_buf_adds(tag, colon + 1);
	} else {
		sw_buf_adds(repo, image);
		sw_buf_adds(tag, "latest");
	}
}

static int is_local_registry(struct sw_engine *e, const char *host)
{
	struct sw_buf alt = SW_BUF_INIT;
	int yes;
	sw_buf_addf(&alt, "localhost:%d", e->cfg.registry_port);
	yes = !strcmp(host, e->cfg.registry_host) || !strcmp(host, alt.ptr);
	sw_buf_release(&alt);
	return yes;
}

static void digest_of(json_t *inspect, const char *repo, struct sw_buf *out)
{
	json_t *rd = json_object_get(inspect, "RepoDigests");
	size_t i, n = strlen(repo);
	sw_buf_reset(out);
	for (i = 0; i < json_array_size(rd); i++) {
		const char *d = json_string_value(json_array_get(rd, i));
		const char *at = d ? strchr(d, '@') : NULL;
		if (!at)
			continue;
		if ((size_t)(at - d) == n && !strncmp(d, repo, n)) {
			sw_buf_adds(out, at + 1);
			return;
		}
		if (!out->len)
			sw_buf_adds(out, at + 1);
	}
}

/* Make image present in Docker. 0 and digest filled, or negative with Docker's message. */
static int ensure_image(struct sw_engine *e, const char *image, struct sw_buf *digest)
{
	struct sw_buf path = SW_BUF_INIT, url = SW_BUF_INIT, repo = SW_BUF_INIT, tag = SW_BUF_INIT;
	struct sw_buf host = SW_BUF_INIT, pw = SW_BUF_INIT, auth = SW_BUF_INIT, hdr = SW_BUF_INIT;
	struct sw_http_request req = { 0 };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct pull p = { SW_BUF_INIT };
	struct sw_lines lines = SW_LINES_INIT(on_pull_line, &p, PULL_LINE_MAX);
	json_t *doc = NULL;
	int ret;

	split_ref(image, &repo, &tag);
	sw_buf_addf(&path, "/images/%s/json", image);
	ret = sw_docker_json("GET", path.ptr, NULL, &doc);
	if (ret >= 0) {
		digest_of(doc, repo.ptr, digest);
		ret = 0;
		goto cleanup;
	}
	if (ret != SW_ENOTFOUND)
		goto cleanup;

	/* not here: pull it */
	sw_buf_reset(&path);
	sw_buf_adds(&path, "/images/create?fromImage=");
	sw_http_urlencode(&path, repo.ptr, repo.len);
	sw_buf_adds(&path, "&tag=");
	sw_http_urlencode(&path, tag.ptr, tag.len);
	if ((ret = sw_docker_prepare(&req, &url, path.ptr)) < 0)
		goto cleanup;
	registry_of(image, &host);
	if (host.len && is_local_registry(e, host.ptr) && sw_engine_registry_password(e, &pw) == 0) {
		json_t *a = json_pack("{s:s, s:s, s:s}", "username", "AWS", "password", pw.ptr, "serveraddress", host.ptr);
		char *text = json_dumps(a, JSON_COMPACT);
		sw_buf_adds(&hdr, "X-Registry-Auth: ");
		sw_engine_base64(&hdr, text, strlen(text), 1);
		sw_strvec_push(&headers, hdr.ptr);
		free(text);
		json_decref(a);
	}
	req.method = "POST";
	req.body = "";
	req.body_len = 0;
	req.headers = &headers;
	req.write = on_pull_data;
	req.write_ctx = &lines;
	req.timeout_ms = 30 * 60 * 1000;
	req.low_speed_secs = 120;
	sw_log_info("pulling %s", image);
	ret = sw_http_do(&req, &res);
	sw_lines_finish(&lines);
	if (ret < 0) {
		sw_error_prefix("docker pull");
		goto cleanup;
	}
	if (res.status >= 400 || p.error.len) {
		ret = sw_error("%s", p.error.len ? p.error.ptr : "pull failed");
		goto cleanup;
	}
	sw_buf_reset(&path);
	sw_buf_addf(&path, "/images/%s/json", image);
	json_decref(doc);
	doc = NULL;
	if ((ret = sw_docker_json("GET", path.ptr, NULL, &doc)) < 0) {
		ret = sw_error("pull of %s finished but the image is not there", image);
		goto cleanup;
	}
	digest_of(doc, repo.ptr, digest);
	ret = 0;
cleanup:
	json_decref(doc);
	sw_lines_release(&lines);
	sw_buf_release(&p.error);
	sw_buf_release(&path);
	sw_buf_release(&url);
	sw_buf_release(&repo);
	sw_buf_release(&tag);
	sw_buf_release(&host);
	if (pw.len)
		memset(pw.ptr, 0, pw.len);
	sw_buf_release(&pw);
	sw_buf_release(&auth);
	if (hdr.len)
		memset(hdr.ptr, 0, hdr.len);
	sw_buf_release(&hdr);
	sw_strvec_clear(&headers);
	sw_http_response_release(&res);
	return ret;
}

/* ---- containers --------------------------------------------------------------------- */

/* Fields read back from an inspect. */
struct observed {
	int found;
	char *status;     /* ECS container status */
	int has_exit;
	int exit_code;
	char *reason;
	enum sw_engine_health health;
	json_t *bindings;
	char *ip;
};

static void observed_release(struct observed *o)
{
	free(o->status);
	free(o->reason);
	free(o->ip);
	json_decref(o->bindings);
	memset(o, 0, sizeof(*o));
}

static void parse_inspect(json_t *doc, struct observed *o)
{
	json_t *state = json_object_get(doc, "State");
	const char *st = json_string_value(json_object_get(state, "Status"));
	const char *health = json_string_value(json_object_get(json_object_get(state, "Health"), "Status"));
	const char *err = json_string_value(json_object_get(state, "Error"));
	json_t *ns = json_object_get(doc, "NetworkSettings");
	json_t *ports = json_object_get(ns, "Ports");
	const char *ip = json_string_value(json_object_get(ns, "IPAddress"));
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
		o->exit_code = (int)json_integer_value(json_object_get(state, "ExitCode"));
		if (json_is_true(json_object_get(state, "OOMKilled")))
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
			const char *hip = json_string_value(json_object_get(b, "HostIp"));
			const char *hport = json_string_value(json_object_get(b, "HostPort"));
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
			const char *a = json_string_value(json_object_get(v, "IPAddress"));
			if (a && *a) {
				ip = a;
				break;
			}
		}
	}
	if (ip && *ip)
		o->ip = xstrdup(ip);
}

static int inspect(const char *id, struct observed *o)
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
static void apply_observed(struct sw_engine_container *c, struct observed *o)
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
static int docker_container(const char *method, const char *id, const char *suffix)
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

/* ---- jobs ------------------------------------------------------------------------------ */

/* Look the task up again after the lock was dropped. */
static struct sw_engine_task *relock(struct sw_engine *e, const char *id)
{
	pthread_mutex_lock(&e->lock);
	return sw_engine_state_task(&e->st, id);
}

static void done(struct sw_engine *e, struct sw_engine_task *t)
{
	if (t) {
		t->busy = 0;
		sw_ecs_task_save(e, t);
	}
	sw_engine_wake_locked(e);
	pthread_mutex_unlock(&e->lock);
}

static void fail_start(struct sw_engine *e, const char *id, size_t idx, const char *reason)
{
	struct sw_engine_task *t = relock(e, id);
	size_t i;

	if (t) {
		sw_log_warn("task %s: %s", t->id, reason);
		if (idx < t->nr_containers)
			sw_engine_set_str(&t->containers[idx].reason, reason);
		for (i = 0; i < t->nr_containers; i++)
			if (strcmp(t->containers[i].last_status, "RUNNING"))
				sw_engine_set_str(&t->containers[i].last_status, "STOPPED");
		sw_ecs_task_stop(e, t, "TaskFailedToStart", reason);
		sw_ecs_task_failed(e, t);
		t->last = SW_TASK_STOPPING;
		t->kill_at = sw_engine_now();
		t->term_sent = 0;
		for (i = 0; i < t->nr_containers; i++)
			if (t->containers[i].docker_id)
				t->containers[i].dirty = 1;
	}
	done(e, t);
}

static void job_start(struct sw_engine *e, const char *id)
{
	struct sw_engine_task *t, *snap = NULL;
	struct sw_buf name = SW_BUF_INIT, msg = SW_BUF_INIT, path = SW_BUF_INIT;
	struct sw_buf *digests = NULL;
	struct observed *obs = NULL;
	json_t *taskdef = NULL;
	size_t i, n = 0;

	t = relock(e, id);
	if (!t || !t->desired_running || sw_ecs_taskdef_get(e, t->taskdef, &taskdef) < 0) {
		if (t && t->desired_running)
			sw_ecs_task_stop(e, t, "TaskFailedToStart", "CannotStartContainerError: task definition not found");
		done(e, t);
		return;
	}
	if (!t->pull_started_at) {
		t->pull_started_at = sw_engine_now();
		sw_ecs_task_save(e, t);
	}
	snap = task_copy(t);
	pthread_mutex_unlock(&e->lock);
	n = snap->nr_containers;
	digests = xcalloc(n ? n : 1, sizeof(*digests));
	obs = xcalloc(n ? n : 1, sizeof(*obs));

	for (i = 0; i < n; i++) {
		sw_buf_init(&digests[i], 0);
		if (ensure_image(e, snap->containers[i].image, &digests[i]) < 0) {
			sw_buf_addf(&msg, "CannotPullContainerError: %s", sw_error_last());
			fail_start(e, id, i, msg.ptr);
			goto cleanup;
		}
	}
	t = relock(e, id);
	if (t) {
		t->pull_stopped_at = sw_engine_now();
		for (i = 0; i < n && i < t->nr_containers; i++)
			if (digests[i].len)
				sw_engine_set_str(&t->containers[i].image_digest, digests[i].ptr);
		sw_ecs_task_save(e, t);
	}
	pthread_mutex_unlock(&e->lock);

	for (i = 0; i < n; i++) {
		json_t *cd = sw_ecs_taskdef_named(json_object_get(taskdef, "containerDefinitions"),
						     snap->containers[i].name);
		json_t *spec, *out = NULL;
		const char *cid;
		int ret;

		if (!cd) {
			fail_start(e, id, i, "CannotCreateContainerError: container not in the task definition");
			goto cleanup;
		}
		sw_buf_reset(&name);
		sw_engine_runtime_name(&name, snap, taskdef, snap->containers[i].name);
		sw_buf_reset(&path);
		sw_buf_adds(&path, "/containers/create?name=");
		sw_http_urlencode(&path, name.ptr, name.len);
		spec = sw_engine_runtime_spec(e, snap, taskdef, cd);
		ret = sw_docker_json("POST", path.ptr, spec, &out);
		json_decref(spec);
		if (ret == SW_EEXISTS) {
			/* made before a crash: adopt it (same task, same name) */
			json_decref(out);
			out = NULL;
			sw_buf_reset(&path);
			sw_buf_addf(&path, "/containers/%s/json", name.ptr);
			ret = sw_docker_json("GET", path.ptr, NULL, &out);
		}
		cid = json_string_value(json_object_get(out, "Id"));
		if (ret < 0 || !cid) {
			sw_buf_reset(&msg);
			sw_buf_addf(&msg, "CannotCreateContainerError: %s", ret < 0 ? sw_error_last() : "no container id");
			json_decref(out);
			fail_start(e, id, i, msg.ptr);
			goto cleanup;
		}
		sw_engine_set_str(&snap->containers[i].docker_id, cid);
		json_decref(out);
		t = relock(e, id);
		if (t && i < t->nr_containers) {
			sw_engine_set_str(&t->containers[i].docker_id, snap->containers[i].docker_id);
			sw_ecs_task_save(e, t);
		}
		pthread_mutex_unlock(&e->lock);
	}
	for (i = 0; i < n; i++) {
		if (docker_container("POST", snap->containers[i].docker_id, "/start") < 0) {
			sw_buf_reset(&msg);
			sw_buf_addf(&msg, "CannotStartContainerError: %s", sw_error_last());
			fail_start(e, id, i, msg.ptr);
			goto cleanup;
		}
	}
	for (i = 0; i < n; i++)
		inspect(snap->containers[i].docker_id, &obs[i]);

	t = relock(e, id);
	if (t) {
		double now = sw_engine_now();
		for (i = 0; i < n && i < t->nr_containers; i++)
			apply_observed(&t->containers[i], &obs[i]);
		t->last = SW_TASK_RUNNING;
		t->started_at = now;
		t->connectivity_at = now;
		sw_log_info("task %s (%s) RUNNING", t->id, t->family);
	}
	done(e, t);

cleanup:
	for (i = 0; i < n; i++) {
		sw_buf_release(&digests[i]);
		observed_release(&obs[i]);
	}
	free(digests);
	free(obs);
	json_decref(taskdef);
	sw_engine_task_free(snap);
	sw_buf_release(&name);
	sw_buf_release(&msg);
	sw_buf_release(&path);
}

static void job_signal(struct sw_engine *e, const char *id, const char *signal)
{
	struct sw_engine_task *t = relock(e, id), *snap = t ? task_copy(t) : NULL;
	struct sw_buf path = SW_BUF_INIT;
	size_t i;

	pthread_mutex_unlock(&e->lock);
	for (i = 0; snap && i < snap->nr_containers; i++) {
		struct sw_engine_container *c = &snap->containers[i];
		if (!c->docker_id || !strcmp(c->last_status, "STOPPED"))
			continue;
		sw_buf_reset(&path);
		sw_buf_addf(&path, "/kill?signal=%s", signal);
		docker_container("POST", c->docker_id, path.ptr);  /* 409: not running; 404: gone */
	}
	t = relock(e, id);
	if (t) {
		/* look again: the die events may have come and gone already */
		for (i = 0; i < t->nr_containers; i++)
			if (t->containers[i].docker_id && strcmp(t->containers[i].last_status, "STOPPED"))
				t->containers[i].dirty = 1;
		if (!strcmp(signal, "SIGKILL"))
			t->kill_at = sw_engine_now() + 10;
	}
	done(e, t);
	sw_buf_release(&path);
	sw_engine_task_free(snap);
}

static void job_inspect(struct sw_engine *e, const char *id)
{
	struct sw_engine_task *t = relock(e, id), *snap = t ? task_copy(t) : NULL;
	struct observed *obs = NULL;
	int *ok = NULL;
	size_t i, n = snap ? snap->nr_containers : 0;

	if (t)
		for (i = 0; i < t->nr_containers; i++)
			t->containers[i].dirty = 0;
	pthread_mutex_unlock(&e->lock);
	obs = xcalloc(n ? n : 1, sizeof(*obs));
	ok = xcalloc(n ? n : 1, sizeof(*ok));
	for (i = 0; i < n; i++)
		if (snap->containers[i].docker_id)
			ok[i] = inspect(snap->containers[i].docker_id, &obs[i]) == 0;
	t = relock(e, id);
	for (i = 0; t && i < n && i < t->nr_containers; i++)
		if (ok[i])
			apply_observed(&t->containers[i], &obs[i]);
	done(e, t);
	for (i = 0; i < n; i++)
		observed_release(&obs[i]);
	free(obs);
	free(ok);
	sw_engine_task_free(snap);
}

static void job_remove(struct sw_engine *e, const char *id)
{
	struct sw_engine_task *t = relock(e, id), *snap = t ? task_copy(t) : NULL;
	size_t i;
	int failed = 0;

	pthread_mutex_unlock(&e->lock);
	for (i = 0; snap && i < snap->nr_containers; i++) {
		int ret;
		if (!snap->containers[i].docker_id)
			continue;
		ret = docker_container("DELETE", snap->containers[i].docker_id, "?force=1&v=1");
		if (ret < 0 && ret != SW_ENOTFOUND) {
			sw_log_warn("task %s: remove container: %s", snap->id, sw_error_last());
			failed = 1;
		}
	}
	t = relock(e, id);
	if (t && !failed) {
		double now = sw_engine_now();
		for (i = 0; i < t->nr_containers; i++)
			sw_engine_set_str(&t->containers[i].last_status, "STOPPED");
		t->last = SW_TASK_STOPPED;
		t->stopped_at = now;
		if (!t->execution_stopped_at)
			t->execution_stopped_at = now;
		sw_log_info("task %s (%s) STOPPED: %s", t->id, t->family, t->stopped_reason ? t->stopped_reason : "");
	}
	done(e, t);
	sw_engine_task_free(snap);
}

void sw_engine_runtime_task_job(struct sw_engine *e, enum sw_engine_job_kind kind, const char *task_id)
{
	switch (kind) {
	case SW_JOB_START: job_start(e, task_id); break;
	case SW_JOB_TERM: job_signal(e, task_id, "SIGTERM"); break;
	case SW_JOB_KILL: job_signal(e, task_id, "SIGKILL"); break;
	case SW_JOB_INSPECT: job_inspect(e, task_id); break;
	case SW_JOB_REMOVE: job_remove(e, task_id); break;
	case SW_JOB_RESYNC: sw_engine_runtime_resync(e); break;
	}
}

/* ---- resync ----------------------------------------------------------------------------- */

static const char *label(json_t *c, const char *name)
{
	return json_string_value(json_object_get(json_object_get(c, "Labels"), name));
}

void sw_engine_runtime_resync(struct sw_engine *e)
{
	struct sw_buf path = SW_BUF_INIT, filt = SW_BUF_INIT;
	struct sw_strvec orphans = SW_STRVEC_INIT;
	json_t *list = NULL;
	size_t i, j, k;

	sw_buf_addf(&filt, "{\"label\":[\"slipway.engine=%s\"]}", e->instance);
	sw_buf_adds(&path, "/containers/json?all=1&filters=");
	sw_http_urlencode(&path, filt.ptr, filt.len);
	if (sw_docker_json("GET", path.ptr, NULL, &list) < 0 || !json_is_array(list)) {
		sw_log_warn("resync: %s", sw_error_last());
		goto cleanup;
	}
	pthread_mutex_lock(&e->lock);
	for (i = 0; i < json_array_size(list); i++) {
		json_t *c = json_array_get(list, i);
		const char *cid = json_string_value(json_object_get(c, "Id"));
		const char *tid = label(c, "slipway.task");
		const char *cname = label(c, "slipway.container");
		const char *state = json_string_value(json_object_get(c, "State"));
		const char *status = json_string_value(json_object_get(c, "Status"));
		struct sw_engine_task *t = tid ? sw_engine_state_task(&e->st, tid) : NULL;
		struct sw_engine_container *tc = t && cname ? sw_engine_task_container(t, cname) : NULL;
		int running, healthy, unhealthy;

		if (!cid)
			continue;
		if (t && t->busy)
			continue;
		if (!t || !tc || t->last == SW_TASK_STOPPED || (tc->docker_id && strcmp(tc->docker_id, cid))) {
			sw_strvec_push(&orphans, cid);
			continue;
		}
		if (!tc->docker_id) {
			/* created just before a crash; START will adopt it */
			continue;
		}
		running = state && (!strcmp(state, "running") || !strcmp(state, "restarting") || !strcmp(state, "paused"));
		healthy = status && strstr(status, "(healthy)") != NULL;
		unhealthy = status && strstr(status, "(unhealthy)") != NULL;
		if (running != !strcmp(tc->last_status, "RUNNING") ||
		    (healthy && tc->health != SW_HEALTH_HEALTHY) || (unhealthy && tc->health != SW_HEALTH_UNHEALTHY)) {
			tc->dirty = 1;
			sw_engine_wake_locked(e);
		}
	}
	/* containers the state thinks exist but Docker does not list */
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->last == SW_TASK_STOPPED || t->busy)
			continue;
		for (j = 0; j < t->nr_containers; j++) {
			struct sw_engine_container *tc = &t->containers[j];
			int seen = 0;
			if (!tc->docker_id || !strcmp(tc->last_status, "STOPPED"))
				continue;
			for (k = 0; k < json_array_size(list) && !seen; k++)
				seen = !strcmp(tc->docker_id, json_string_value(json_object_get(json_array_get(list, k), "Id")));
			if (!seen) {
				tc->dirty = 1;
				sw_engine_wake_locked(e);
			}
		}
	}
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < orphans.nr; i++) {
		sw_log_info("removing container %.12s (no live task of this engine owns it)", orphans.v[i]);
		docker_container("DELETE", orphans.v[i], "?force=1&v=1");
	}
cleanup:
	json_decref(list);
	sw_strvec_clear(&orphans);
	sw_buf_release(&path);
	sw_buf_release(&filt);
}
