#include <stdlib.h>
#include <string.h>

#include "engine/state.h"
#include "common/xalloc.h"
#include "common/banned.h"

static const char *const task_status_names[] = {
	"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING",
	"DEPROVISIONING", "STOPPED",
};
static const char *const service_status_names[] = { "ACTIVE", "DRAINING", "INACTIVE" };
static const char *const deployment_status_names[] = { "PRIMARY", "ACTIVE", "INACTIVE" };
static const char *const rollout_names[] = { "IN_PROGRESS", "COMPLETED", "FAILED" };

#define NR(a) (int)(sizeof(a) / sizeof((a)[0]))

/* The index of s in names, or dflt. */
static int parse_name(const char *const *names, int n, const char *s, int dflt)
{
	int i;
	for (i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return dflt;
}

const char *sw_engine_task_status_name(enum sw_engine_task_status s)
{
	return (unsigned)s <= SW_TASK_STOPPED ? task_status_names[s] : "STOPPED";
}

int sw_engine_task_status_parse(const char *s)
{
	return parse_name(task_status_names, NR(task_status_names), s, -1);
}

const char *sw_engine_health_name(enum sw_engine_health h)
{
	return h == SW_HEALTH_HEALTHY ? "HEALTHY" : h == SW_HEALTH_UNHEALTHY ? "UNHEALTHY" : "UNKNOWN";
}

const char *sw_engine_service_status_name(enum sw_engine_service_status s)
{
	return (unsigned)s < NR(service_status_names) ? service_status_names[s] : "INACTIVE";
}

enum sw_engine_service_status sw_engine_service_status_parse(const char *s)
{
	return (enum sw_engine_service_status)parse_name(service_status_names, NR(service_status_names), s,
							 SW_SERVICE_INACTIVE);
}

const char *sw_engine_deployment_status_name(enum sw_engine_deployment_status s)
{
	return (unsigned)s < NR(deployment_status_names) ? deployment_status_names[s] : "INACTIVE";
}

enum sw_engine_deployment_status sw_engine_deployment_status_parse(const char *s)
{
	return (enum sw_engine_deployment_status)parse_name(deployment_status_names, NR(deployment_status_names), s,
							    SW_DEPLOYMENT_INACTIVE);
}

const char *sw_engine_rollout_name(enum sw_engine_rollout r)
{
	return (unsigned)r < NR(rollout_names) ? rollout_names[r] : "IN_PROGRESS";
}

enum sw_engine_rollout sw_engine_rollout_parse(const char *s)
{
	return (enum sw_engine_rollout)parse_name(rollout_names, NR(rollout_names), s, SW_ENGINE_ROLLOUT_IN_PROGRESS);
}

void sw_engine_set_str(char **slot, const char *s)
{
	char *old = *slot;
	*slot = s ? xstrdup(s) : NULL;
	free(old);
}

void sw_engine_container_release(struct sw_engine_container *c)
{
	free(c->name);
	free(c->arn);
	free(c->image);
	free(c->docker_id);
	free(c->last_status);
	free(c->reason);
	free(c->image_digest);
	free(c->ip);
	json_decref(c->bindings);
	memset(c, 0, sizeof(*c));
}

void sw_engine_task_free(struct sw_engine_task *t)
{
	size_t i;
	if (!t)
		return;
	free(t->arn);
	free(t->id);
	free(t->cluster);
	free(t->taskdef);
	free(t->family);
	free(t->group);
	free(t->started_by);
	free(t->launch_type);
	free(t->deployment);
	free(t->stop_code);
	free(t->stopped_reason);
	free(t->task_cpu);
	free(t->task_memory);
	free(t->network_mode);
	free(t->capacity_provider);
	free(t->platform_version);
	json_decref(t->eni);
	json_decref(t->overrides);
	for (i = 0; i < t->nr_containers; i++)
		sw_engine_container_release(&t->containers[i]);
	free(t->containers);
	free(t);
}

void sw_engine_deployment_free(struct sw_engine_deployment *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->taskdef);
	free(d->rollout_reason);
	free(d->launch_type);
	json_decref(d->strategy);
	free(d->platform_version);
	json_decref(d->network);
	json_decref(d->shifting);
	free(d->stage);
	free(d);
}

void sw_engine_service_free(struct sw_engine_service *s)
{
	size_t i;
	if (!s)
		return;
	free(s->arn);
	free(s->name);
	free(s->cluster);
	free(s->taskdef);
	free(s->launch_type);
	json_decref(s->strategy);
	free(s->platform_version);
	free(s->client_token);
	free(s->stable_deployment);
	free(s->stable_taskdef);
	json_decref(s->load_balancers);
	json_decref(s->shifting);
	json_decref(s->doc);
	for (i = 0; i < s->nr_deps; i++)
		sw_engine_deployment_free(s->deps[i]);
	free(s->deps);
	free(s);
}

void sw_engine_cluster_free(struct sw_engine_cluster *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->arn);
	free(c->status);
	json_decref(c->capacity_providers);
	json_decref(c->default_strategy);
	json_decref(c->settings);
	json_decref(c->configuration);
	free(c);
}

void sw_engine_state_release(struct sw_engine_state *st)
{
	size_t i;
	for (i = 0; i < st->nr_clusters; i++)
		sw_engine_cluster_free(st->clusters[i]);
	for (i = 0; i < st->nr_services; i++)
		sw_engine_service_free(st->services[i]);
	for (i = 0; i < st->nr_tasks; i++)
		sw_engine_task_free(st->tasks[i]);
	free(st->clusters);
	free(st->services);
	free(st->tasks);
	memset(st, 0, sizeof(*st));
}

struct sw_engine_cluster *sw_engine_state_cluster(struct sw_engine_state *st, const char *name)
{
	size_t i;
	for (i = 0; i < st->nr_clusters; i++)
		if (!strcmp(st->clusters[i]->name, name))
			return st->clusters[i];
	return NULL;
}

struct sw_engine_service *sw_engine_state_service(struct sw_engine_state *st, const char *cluster,
						  const char *name)
{
	struct sw_engine_service *inactive = NULL;
	size_t i;
	for (i = 0; i < st->nr_services; i++) {
		struct sw_engine_service *s = st->services[i];
		if (strcmp(s->cluster, cluster) || strcmp(s->name, name))
			continue;
		if (s->status != SW_SERVICE_INACTIVE)
			return s;
		if (!inactive || s->id > inactive->id)
			inactive = s;
	}
	return inactive;
}

struct sw_engine_service *sw_engine_state_service_id(struct sw_engine_state *st, long long id)
{
	size_t i;
	for (i = 0; i < st->nr_services; i++)
		if (st->services[i]->id == id)
			return st->services[i];
	return NULL;
}

struct sw_engine_task *sw_engine_state_task(struct sw_engine_state *st, const char *id)
{
	size_t i;
	for (i = 0; i < st->nr_tasks; i++)
		if (!strcmp(st->tasks[i]->id, id))
			return st->tasks[i];
	return NULL;
}

struct sw_engine_container *sw_engine_task_container(struct sw_engine_task *t, const char *name)
{
	size_t i;
	for (i = 0; i < t->nr_containers; i++)
		if (!strcmp(t->containers[i].name, name))
			return &t->containers[i];
	return NULL;
}

const char *sw_engine_task_ip(const struct sw_engine_task *t)
{
	if (!t->network_mode || strcmp(t->network_mode, "awsvpc") || !t->nr_containers)
		return NULL;
	return t->containers[0].ip;
}

void sw_engine_state_add_cluster(struct sw_engine_state *st, struct sw_engine_cluster *c)
{
	SW_ALLOC_GROW(st->clusters, st->nr_clusters + 1, st->alloc_clusters);
	st->clusters[st->nr_clusters++] = c;
}

void sw_engine_state_add_service(struct sw_engine_state *st, struct sw_engine_service *s)
{
	SW_ALLOC_GROW(st->services, st->nr_services + 1, st->alloc_services);
	st->services[st->nr_services++] = s;
}

void sw_engine_state_add_task(struct sw_engine_state *st, struct sw_engine_task *t)
{
	SW_ALLOC_GROW(st->tasks, st->nr_tasks + 1, st->alloc_tasks);
	st->tasks[st->nr_tasks++] = t;
}

void sw_engine_state_drop_task(struct sw_engine_state *st, struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; i < st->nr_tasks; i++) {
		if (st->tasks[i] != t)
			continue;
		memmove(&st->tasks[i], &st->tasks[i + 1], (st->nr_tasks - i - 1) * sizeof(*st->tasks));
		st->nr_tasks--;
		sw_engine_task_free(t);
		return;
	}
}

void sw_engine_state_drop_service(struct sw_engine_state *st, struct sw_engine_service *s)
{
	size_t i;
	for (i = 0; i < st->nr_services; i++) {
		if (st->services[i] != s)
			continue;
		memmove(&st->services[i], &st->services[i + 1],
			(st->nr_services - i - 1) * sizeof(*st->services));
		st->nr_services--;
		sw_engine_service_free(s);
		return;
	}
}

void sw_engine_service_push_deployment(struct sw_engine_service *s, struct sw_engine_deployment *d)
{
	size_t i;
	SW_ALLOC_GROW(s->deps, s->nr_deps + 1, s->alloc_deps);
	memmove(&s->deps[1], &s->deps[0], s->nr_deps * sizeof(*s->deps));
	s->deps[0] = d;
	s->nr_deps++;
	d->status = SW_DEPLOYMENT_PRIMARY;
	for (i = 1; i < s->nr_deps; i++)
		s->deps[i]->status = SW_DEPLOYMENT_ACTIVE;
}

struct sw_engine_deployment *sw_engine_service_deployment(struct sw_engine_service *s, const char *id)
{
	size_t i;
	for (i = 0; id && i < s->nr_deps; i++)
		if (!strcmp(s->deps[i]->id, id))
			return s->deps[i];
	return NULL;
}

void sw_engine_service_drop_deployment(struct sw_engine_service *s, size_t i)
{
	if (i >= s->nr_deps)
		return;
	sw_engine_deployment_free(s->deps[i]);
	memmove(&s->deps[i], &s->deps[i + 1], (s->nr_deps - i - 1) * sizeof(*s->deps));
	s->nr_deps--;
}
