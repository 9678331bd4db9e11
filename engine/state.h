#ifndef SW_ENGINE_STATE_H
#define SW_ENGINE_STATE_H

#include <stddef.h>
#include <jansson.h>

/*
 * The engine's live state: clusters, services with their deployments, tasks with
 * their containers. It lives in memory under the engine lock (engine.h) and is
 * written through to SQLite (engine_db.h) on every change, so a restart (or kill -9)
 * resumes from it. Task definitions, service events and ECR repositories are not
 * held here: they are read from the database when needed.
 *
 * Every struct here is owned by struct sw_engine_state (sw_engine_state_release frees
 * it all); pointers into it are valid while the engine lock is held.
 */

enum sw_engine_task_status {
	SW_TASK_PROVISIONING,
	SW_TASK_PENDING,
	SW_TASK_ACTIVATING,
	SW_TASK_RUNNING,
	SW_TASK_DEACTIVATING,
	SW_TASK_STOPPING,
	SW_TASK_DEPROVISIONING,
	SW_TASK_STOPPED,
};

enum sw_engine_health {
	SW_HEALTH_UNKNOWN,
	SW_HEALTH_HEALTHY,
	SW_HEALTH_UNHEALTHY,
};

enum sw_engine_service_status { SW_SERVICE_ACTIVE, SW_SERVICE_DRAINING, SW_SERVICE_INACTIVE };
enum sw_engine_deployment_status { SW_DEPLOYMENT_PRIMARY, SW_DEPLOYMENT_ACTIVE, SW_DEPLOYMENT_INACTIVE };
enum sw_engine_rollout { SW_ENGINE_ROLLOUT_IN_PROGRESS, SW_ENGINE_ROLLOUT_COMPLETED, SW_ENGINE_ROLLOUT_FAILED };

/* State of a task's load-balancer targets (see run/balancer.h). */
enum sw_engine_task_lb {
	SW_TASK_LB_NONE,        /* no targets (yet) */
	SW_TASK_LB_REGISTERED,  /* registered with every target group of the service */
	SW_TASK_LB_DRAINING,    /* deregistered, connections draining until drain_until */
	SW_TASK_LB_DONE,        /* drained */
};

/* ECS's names of the states, and back (parse: the last state of each for an unknown name). */
const char *sw_engine_task_status_name(enum sw_engine_task_status s);
int sw_engine_task_status_parse(const char *s);         /* -1 when unknown */
const char *sw_engine_health_name(enum sw_engine_health h);
const char *sw_engine_service_status_name(enum sw_engine_service_status s);
enum sw_engine_service_status sw_engine_service_status_parse(const char *s);
const char *sw_engine_deployment_status_name(enum sw_engine_deployment_status s);
enum sw_engine_deployment_status sw_engine_deployment_status_parse(const char *s);
const char *sw_engine_rollout_name(enum sw_engine_rollout r);
enum sw_engine_rollout sw_engine_rollout_parse(const char *s);

struct sw_engine_container {
	char *name;
	char *arn;
	char *image;
	char *docker_id;      /* NULL until created */
	char *last_status;    /* "PENDING", "RUNNING", "STOPPED" */
	char *reason;         /* why it stopped or failed, or NULL */
	char *image_digest;
	char *ip;             /* address on its Docker network, or NULL */
	enum sw_engine_health health;
	int has_health_check;
	int essential;
	int has_exit;
	int exit_code;
	long long cpu;
	long long memory;             /* hard limit, MiB, 0: none */
	long long memory_reservation; /* MiB, 0: none */
	json_t *bindings;     /* networkBindings (array), owned */
	int dirty;            /* Docker reported a change: inspect it (not persisted) */
};

struct sw_engine_task {
	char *arn;
	char *id;             /* the last part of the ARN */
	char *cluster;        /* cluster name */
	char *taskdef;        /* task definition ARN */
	char *family;
	char *group;
	char *started_by;     /* NULL: none */
	char *launch_type;
	long long service_id; /* 0: a standalone task */
	char *deployment;     /* deployment id, NULL for standalone tasks */
	enum sw_engine_task_status last;
	int desired_running;  /* desiredStatus RUNNING (1) or STOPPED (0) */
	enum sw_engine_health health;
	char *stop_code;
	char *stopped_reason;
	long long cpu;        /* units reserved on the instance */
	long long memory;     /* MiB reserved on the instance */
	char *task_cpu;       /* task-level cpu/memory strings as the definition gave them, or NULL */
	char *task_memory;
	json_t *overrides;    /* TaskOverride as given (owned), or NULL */
	char *network_mode;   /* "bridge", "host", "awsvpc", "none" */
	char *capacity_provider; /* "FARGATE", "FARGATE_SPOT", or NULL (launched by launchType) */
	char *platform_version;  /* Fargate's, e.g. "1.4.0"; NULL on EC2 */
	json_t *eni;          /* awsvpc: the network interface (owned) {id, subnetId, networkInterfaceId,
			       * macAddress}; its address is the task's (sw_engine_task_ip); else NULL */
	double created_at, pull_started_at, pull_stopped_at, started_at, stopping_at,
	       execution_stopped_at, stopped_at, healthy_at, connectivity_at, unhealthy_at;
	long long version;
	enum sw_engine_task_lb lb;
	double drain_until;   /* SW_TASK_LB_DRAINING: when the slowest target group is done */
	double kill_at;       /* STOPPING: when SIGKILL follows SIGTERM */
	int failed;           /* failed to start / essential exit / failed health checks */
	int lb_alt;           /* its targets are in the alternate target groups (advancedConfiguration) */
	long long stop_timeout; /* seconds from SIGTERM to SIGKILL */
	struct sw_engine_container *containers;
	size_t nr_containers;
	/* not persisted */
	int busy;             /* a worker job holds it */
	int counted;          /* its failure was counted for its deployment */
	int term_sent;        /* STOPPING: SIGTERM sent since the engine started */
};

struct sw_engine_deployment {
	char *id;             /* "ecs-svc/1234567890123456789" */
	enum sw_engine_deployment_status status;
	char *taskdef;
	int desired;
	enum sw_engine_rollout rollout;
	char *rollout_reason;
	int failed_tasks;
	double created_at, updated_at;
	char *launch_type;
	json_t *strategy;     /* capacityProviderStrategy (owned), or NULL when launched by launchType */
	char *platform_version; /* Fargate: the version its tasks run ("1.4.0"); NULL on EC2 */
	json_t *network;      /* networkConfiguration its tasks get (owned), or NULL */
	/* traffic shifting (engine/run/shift.h): BLUE_GREEN, LINEAR, CANARY */
	json_t *shifting;     /* the service's strategy settings when it began (owned), or NULL: rolling */
	int alt;              /* its tasks register in the alternate target groups */
	char *stage;          /* ServiceDeploymentLifecycleStage, or NULL */
	double stage_at;      /* when the stage (or the last traffic step) began */
	int permille;         /* production traffic on its target group, in thousandths */
	int aborted;          /* traffic went back to the blue tasks (rollback, a newer deployment) */
	int failed_at_shift;  /* failed_tasks when production traffic first reached it */
};

struct sw_engine_service {
	long long id;         /* database row: an ARN is reused after delete + create */
	char *arn;
	char *name;
	char *cluster;        /* cluster name */
	enum sw_engine_service_status status;
	int desired;
	char *taskdef;        /* the PRIMARY deployment's */
	char *launch_type;    /* launchType, or what the strategy's providers launch (FARGATE) */
	json_t *strategy;     /* capacityProviderStrategy (owned), or NULL when created with a launchType */
	char *platform_version; /* as asked ("LATEST" by default) on Fargate; NULL on EC2 */
	int min_pct, max_pct;
	int cb_enable, cb_rollback;
	int grace_s;
	json_t *load_balancers; /* array (owned) or NULL */
	json_t *shifting;     /* {strategy, bakeTimeInMinutes, canaryConfiguration, linearConfiguration}
			       * of a BLUE_GREEN, LINEAR or CANARY service (owned), or NULL: ROLLING */
	int lb_alt;           /* production traffic is on the alternate target groups */
	json_t *doc;          /* other CreateService members echoed by DescribeServices (owned) */
	char *client_token;
	double created_at, updated_at, deleted_at;
	char *stable_deployment; /* last deployment that reached COMPLETED, and its task definition */
	char *stable_taskdef;
	int fail_streak;      /* tasks that failed in a row (launch backoff) */
	double last_fail_at;
	double place_event_at, steady_event_at, throttle_event_at;
	/* deployments, newest first: deps[0] is PRIMARY; INACTIVE ones are dropped */
	struct sw_engine_deployment **deps;
	size_t nr_deps, alloc_deps;
};

struct sw_engine_cluster {
	char *name;
	char *arn;
	char *status;         /* ACTIVE, INACTIVE */
	double created_at;
	json_t *capacity_providers; /* ["FARGATE", "FARGATE_SPOT"] as associated (owned), or NULL */
	json_t *default_strategy;   /* defaultCapacityProviderStrategy (owned), or NULL */
	json_t *settings;           /* ClusterSettings (owned), or NULL: containerInsights disabled */
	json_t *configuration;      /* ClusterConfiguration as given (owned), or NULL */
};

struct sw_engine_state {
	struct sw_engine_cluster **clusters;
	size_t nr_clusters, alloc_clusters;
	struct sw_engine_service **services;
	size_t nr_services, alloc_services;
	struct sw_engine_task **tasks;
	size_t nr_tasks, alloc_tasks;
};

void sw_engine_state_release(struct sw_engine_state *st);

void sw_engine_container_release(struct sw_engine_container *c);
void sw_engine_task_free(struct sw_engine_task *t);
void sw_engine_deployment_free(struct sw_engine_deployment *d);
void sw_engine_service_free(struct sw_engine_service *s);
void sw_engine_cluster_free(struct sw_engine_cluster *c);

/* Lookups; NULL when absent. */
struct sw_engine_cluster *sw_engine_state_cluster(struct sw_engine_state *st, const char *name);
/* The live (ACTIVE or DRAINING) service of that name, else the newest INACTIVE one. */
struct sw_engine_service *sw_engine_state_service(struct sw_engine_state *st, const char *cluster,
						  const char *name);
struct sw_engine_service *sw_engine_state_service_id(struct sw_engine_state *st, long long id);
struct sw_engine_task *sw_engine_state_task(struct sw_engine_state *st, const char *id);
struct sw_engine_container *sw_engine_task_container(struct sw_engine_task *t, const char *name);
/*
 * The task's own address in awsvpc mode: its first container's on the Docker network
 * (the task's other containers share that container's network namespace). NULL until
 * known, and for other network modes.
 */
const char *sw_engine_task_ip(const struct sw_engine_task *t);

/* Take ownership of x into st. */
void sw_engine_state_add_cluster(struct sw_engine_state *st, struct sw_engine_cluster *c);
void sw_engine_state_add_service(struct sw_engine_state *st, struct sw_engine_service *s);
void sw_engine_state_add_task(struct sw_engine_state *st, struct sw_engine_task *t);
/* Remove (and free) a task / service. */
void sw_engine_state_drop_task(struct sw_engine_state *st, struct sw_engine_task *t);
void sw_engine_state_drop_service(struct sw_engine_state *st, struct sw_engine_service *s);

/* Put d first (the new PRIMARY); the others become ACTIVE. Takes ownership. */
void sw_engine_service_push_deployment(struct sw_engine_service *s, struct sw_engine_deployment *d);
struct sw_engine_deployment *sw_engine_service_deployment(struct sw_engine_service *s, const char *id);
/* Remove deployment i (freeing it). */
void sw_engine_service_drop_deployment(struct sw_engine_service *s, size_t i);

/* Replace *slot with a copy of s (or NULL). */
void sw_engine_set_str(char **slot, const char *s);

#endif
