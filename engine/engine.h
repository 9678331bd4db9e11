#ifndef SW_ENGINE_ENGINE_H
#define SW_ENGINE_ENGINE_H

#include <pthread.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "engine/engine_config.h"
#include "engine/state.h"

/*
 * slipway-engine, the embedded single-machine ECS, ECR, ELBv2, CloudWatch Logs and ACM, in
 * rooms:
 *  api/   the HTTP front end (api/httpd.h), SigV4 (api/access.h), the throttle, the
 *         operation call (api/call.h), the JSON and Query protocols (api/awsjson.h,
 *         api/awsquery.h) and input validation against botocore's model (api/shape.h);
 *  ecs/   the ECS API: clusters, services, tasks, task definitions, container
 *         instances, tags (ecs/ecs.h);
 *  run/   tasks on Docker: the scheduler (run/scheduler.h), the workers, the runtime,
 *         the Docker events watcher, placement, the rolling-update arithmetic, and the
 *         load balancer as the scheduler drives it (run/balancer.h);
 *  elb/   the ELBv2 API and its model, and the router (HAProxy) it drives (elb/elb.h);
 *  logs/  CloudWatch Logs and the awslogs driver (logs/logs.h);
 *  ecr/   the ECR API over the local registry (ecr/ecr_api.h);
 *  acm/   ACM for imported certificates, the HTTPS listeners' (acm/acm.h);
 * and at the top: this shared struct, its settings (engine_config.h), its live state
 * (state.h) and its database (engine_db.h). Rooms reach each other only through
 * these headers; no AWS API is called from outside the engine but over the wire.
 *
 * One process, these threads:
 *  - the HTTP server (api/httpd.h, libmicrohttpd's pool) answering the AWS APIs;
 *  - the scheduler (run/scheduler.h), which reconciles services -> deployments ->
 *    tasks and sleeps until something changes or a deadline is due;
 *  - the workers (run/worker.h), which do the slow Docker calls (pull, create, start,
 *    stop, inspect) so the scheduler never blocks on Docker;
 *  - the watcher (run/watcher.h), which follows Docker's /events stream for this
 *    instance's containers and marks what changed;
 *  - the elb thread (elb/sync.h), which keeps HAProxy to the load balancers' model;
 *  - CloudWatch Logs' threads (logs/logs.h): Docker events, a keeper, one follower per
 *    awslogs container.
 * All share struct sw_engine; its live state (state.h) and database are guarded by
 * one mutex, engine->lock. Docker, registry and HAProxy calls are made without it.
 */

/*
 * The engine's one "VPC": what its load balancers and target groups say they are in,
 * and the subnet and security group awsvpc tasks get when a request names none
 * (engine/ecs/launch.h; any well-formed subnet and security group id is taken).
 */
#define SW_ENGINE_VPC_ID "vpc-00000000000slipway"
#define SW_ENGINE_SUBNET_ID "subnet-00000000slipway"
#define SW_ENGINE_SECURITY_GROUP_ID "sg-0000000000slipway"

struct sw_run_balancer_ops;
struct sw_run_workers;

struct sw_engine {
	struct sw_engine_config cfg;
	sqlite3 *db;
	char *instance;          /* this engine's id: Docker label slipway.engine=<instance> */
	char *instance_id;       /* container instance id (32 hex) */
	pthread_mutex_t lock;
	pthread_cond_t wake;     /* the scheduler sleeps on it */
	int wake_pending;
	int stopping;
	struct sw_engine_state st;
	struct sw_run_workers *workers;
	const struct sw_run_balancer_ops *lb;  /* the load balancer (run/balancer.h); never NULL */
	void *lb_ctx;
	double started_at;
	double resync_at;        /* next full comparison with Docker */
	int watch_connected;     /* the events stream is up */
	/*
	 * Docker does not answer (run/runtime.h: sw_run_runtime_docker_lost): no Docker job
	 * is queued, tasks wait where they are (a PENDING task stays PENDING), the container
	 * instance says agentConnected false; the scheduler's resync asks Docker every
	 * second, and the one that answers clears it (after comparing every container).
	 */
	int docker_down;
	double docker_down_at;   /* when it was noticed */
	char docker_version[64]; /* the Docker engine's, read once at start; "" until then */
};

/* Wake the scheduler for a pass. Call with or without the lock. */
void sw_engine_wake(struct sw_engine *e);
void sw_engine_wake_locked(struct sw_engine *e);

/* n random bytes as 2n lowercase hex digits appended to out. */
void sw_engine_random_hex(struct sw_buf *out, size_t n);
/* A random UUID (version 4) appended to out. */
void sw_engine_uuid(struct sw_buf *out);
/* A random decimal string of n digits (first one not 0). */
void sw_engine_random_digits(struct sw_buf *out, size_t n);

/* Wipe b (a password, a credential) and release it. */
void sw_engine_secret_release(struct sw_buf *b);

/* Standard base64 of data appended to out (url: the URL-safe alphabet, as X-Registry-Auth wants). */
void sw_engine_base64(struct sw_buf *out, const void *data, size_t len, int url);

/* ARNs: "arn:aws:ecs:<region>:<account>:<resource>". out is the caller's. */
void sw_engine_arn(const struct sw_engine *e, struct sw_buf *out, const char *service, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The name a request gave for a resource, from a short name or a full ARN:
 * "web" or "arn:aws:ecs:us-east-1:000000000000:service/default/web" -> "web".
 * kind is the ARN resource type ("cluster", "service", "task", ...). For services and
 * tasks the ARN's cluster part, when present, is stored in *cluster_out (or NULL).
 * Returns a pointer into the caller's copy (out), or NULL when the ARN is of another
 * kind or malformed.
 */
const char *sw_engine_arn_name(const char *s, const char *kind, struct sw_buf *out,
			       struct sw_buf *cluster_out);

#endif
