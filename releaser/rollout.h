#ifndef SW_ROLLOUT_H
#define SW_ROLLOUT_H

#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/strvec.h"

/*
 * The rollout watcher's decisions, as pure functions over what ECS (and ELBv2) report.
 * No I/O here: the caller polls DescribeServices (batches of 10 names), ListTasks +
 * DescribeTasks for each of our deployments, DescribeContainerInstances and, for the
 * web process, DescribeTargetHealth; feeds each response in; then asks for the verdict
 * and for the delay before the next poll. Time is passed in (ms since the epoch) and
 * randomness too, so a test replays recorded snapshots exactly.
 *
 * A rollout watches one or more processes, each an ECS service that should end up
 * running `taskdef` with `desired` tasks:
 *
 *  LIVE      when, for every process, the PRIMARY deployment is ours (our task
 *            definition; its id learnt from the Create/UpdateService response or the
 *            first snapshot), it is not FAILED, the service runs desired tasks of it,
 *            and either its rolloutState is COMPLETED or it is the only deployment
 *            with every task healthy by a signal the watcher sees (container health
 *            check, load balancer target; without either, RUNNING is not taken for
 *            healthy and ECS's COMPLETED decides). A circuit-breaker rollback is never
 *            live.
 *  FAILED    as soon as it is certain, for any process:
 *            - our deployment's rolloutState is FAILED (the circuit breaker), or a
 *              deployment that is not ours became PRIMARY after ours (rolled back or
 *              superseded); `rolled_back` tells the caller ECS is already restoring
 *              the previous deployment (`restore_deployment`), which it should watch;
 *            - crash_limit tasks of our deployment stopped (after RUNNING, failed
 *              health checks, or failed to start) since the rollout began;
 *            - ECS could not place tasks ("was unable to place a task") and nothing
 *              progressed for stall_ms: never converging, with the shortfall named
 *              ("web needs 4 × 512 MB; the cluster has room for 2");
 *            - the deadline passed — not counting the time ECS did not answer
 *              (sw_rollout_pause) nor the time every container instance's agent was
 *              disconnected (Docker stopped on the engine's machine);
 *            - ECS did not answer for the stall window (sw_rollout_unreachable), or
 *              the agents stayed disconnected for as long as the deadline;
 *            - the service is gone (MISSING, DRAINING, INACTIVE).
 *  WAITING   otherwise.
 *
 * What the pusher sees comes out as lines (without "remote:" or indentation): each of
 * ECS's service events once (those created since the rollout began, oldest first), and
 * "web: 1 of 2 new tasks healthy, 2 old running" whenever one of those numbers changes.
 */

enum sw_rollout_verdict {
	SW_ROLLOUT_WAITING = 0,
	SW_ROLLOUT_LIVE,
	SW_ROLLOUT_FAILED,
};

enum sw_rollout_why {
	SW_ROLLOUT_OK = 0,
	SW_ROLLOUT_ECS_FAILED,   /* rolloutState FAILED / circuit breaker / replaced */
	SW_ROLLOUT_CRASHED,      /* crash_limit tasks stopped */
	SW_ROLLOUT_NO_CAPACITY,  /* never converging: unable to place */
	SW_ROLLOUT_DEADLINE,
	SW_ROLLOUT_GONE,         /* service missing or not ACTIVE */
	SW_ROLLOUT_UNREACHABLE,  /* ECS did not answer, or Docker stopped (agents disconnected) */
};

#define SW_ROLLOUT_DEFAULT_DEADLINE_MS (10LL * 60 * 1000)
#define SW_ROLLOUT_DEFAULT_STALL_MS (60LL * 1000)
#define SW_ROLLOUT_DEFAULT_CRASH_LIMIT 3
#define SW_ROLLOUT_MAX_EVENT_LEN 400    /* longer ECS event messages are cut */

/* A running task of our deployment, as the health count needs it. */
struct sw_rollout_task {
	char *arn;
	char *instance_arn;        /* its container instance, or NULL */
	char *instance;            /* EC2 instance id of its container instance, or NULL (not known yet) */
	int host_port;             /* first network binding's host port, 0 none */
	char *ip;                  /* awsvpc: its network interface's address (its ip target), or NULL */
	int container_healthy;     /* healthStatus HEALTHY */
};

struct sw_rollout_proc {
	char *process;             /* "web" */
	char *service;             /* ECS service name, "APP-web" */
	char *taskdef;             /* the task definition ARN this rollout deploys */
	int desired;
	int memory_mb;
	int container_health;      /* the task definition has a container health check */
	int load_balanced;         /* target health is fed with sw_rollout_targets() */

	/* learnt from the snapshots */
	char *deployment;          /* our deployment id ("ecs-svc/...") */
	int seen_ours;             /* our deployment has been seen as PRIMARY */
	int rolled_back;           /* ECS itself went back: watch restore_deployment */
	char *restore_deployment;
	char *restore_taskdef;
	enum sw_rollout_why why;   /* this process failed: why, with failure's line */
	char *failure;
	int observed;              /* a snapshot of the service was seen */
	int primary_ours, ours_present, deployments_nr, completed, fresh, has_rollout_state;
	int ours_desired;
	int new_running, new_pending, new_healthy, old_running;
	int shown_running, shown_healthy, shown_old;  /* at the last progress, -1 none */
	char *last_line;           /* the last progress line printed */
	int crashes;
	char *last_crash;          /* why the last counted task stopped */
	int last_exit_code;        /* its container's exit code, -1 none (not kept across a restart) */
	int replaced;              /* crashed tasks whose replacement was reported (watch.c) */
	struct sw_strvec stopped;  /* task ARNs counted as crashed */
	struct sw_rollout_task *tasks;   /* our running tasks (last DescribeTasks) */
	size_t tasks_nr, tasks_alloc;
	int tasks_fed, targets_fed;
	struct sw_strvec healthy_targets; /* "id:port" of healthy targets (last feed) */
	long long progress_at;     /* last change of the numbers above (ms) */
	long long unplaced_at;     /* an "unable to place" event was seen (ms, our clock), 0 none */
	long long first_seen_at;   /* first snapshot (ms), for stale reads */
	int live;
	/* what the watcher needs to read again (watch.c) */
	char *seen_state;          /* the service as last fed: deployments' counts and states, events */
	int changed;               /* ... and it read differently since the tasks were (cleared by watch.c) */
	long long tasks_at;        /* the tasks were last fed (ms), 0 never */
	long long targets_at;      /* the targets were last fed (ms), 0 never */
};

struct sw_rollout {
	struct sw_rollout_proc *v;
	size_t nr, alloc;
	long long started_at;      /* ms: UpdateService time; events before it are not shown */
	long long deadline_ms;
	long long stall_ms;
	int crash_limit;
	struct sw_strvec events_seen;  /* ECS event ids already shown */
	/* the cluster, from DescribeContainerInstances */
	struct sw_rollout_instance {
		char *arn;
		char *ec2_id;
		long long remaining_mb;
		int active;
	} *instances;
	size_t instances_nr, instances_alloc;
	int have_capacity;
	int agents_down;               /* every ACTIVE instance's agent is disconnected (last feed) */
	long long agents_down_since;   /* ms, 0: up */
	/* the deadline's clock stops while ECS does not answer or the agents are disconnected */
	long long paused_ms;
	long long last_decide_ms;
	/* outcome */
	enum sw_rollout_verdict verdict;
	enum sw_rollout_why why;
	struct sw_buf reason;          /* one line when FAILED */
	/* polling */
	long long delay_ms;            /* the last delay returned */
	int quiet_polls;               /* polls without any change */
	long long instances_at;        /* the container instances were last fed (ms), 0 never */
	int requests;                  /* AWS requests the watcher made (kept across a restart) */
	long long first_healthy_at;    /* ms when a new task was first seen healthy, 0 not yet */
};

void sw_rollout_init(struct sw_rollout *r, long long started_at, long long deadline_ms);
void sw_rollout_release(struct sw_rollout *r);

/* Watch one more process. Strings are copied. Returns it. */
struct sw_rollout_proc *sw_rollout_add(struct sw_rollout *r, const char *process, const char *service,
				       const char *taskdef, int desired, int memory_mb);

struct sw_rollout_proc *sw_rollout_find(struct sw_rollout *r, const char *service);

/*
 * Feed a DescribeServices response (also a Create/UpdateService response: {"service":
 * {...}}). Services that are not watched are skipped. New lines for the pusher are
 * appended to lines (may be NULL). now: ms. A process whose service reads differently
 * from the last feed (a deployment's state or counts, a new event) gets `changed` set:
 * its tasks are worth reading again.
 */
void sw_rollout_services(struct sw_rollout *r, const json_t *resp, long long now, struct sw_strvec *lines);

/*
 * Feed the tasks of one process's deployment: a DescribeTasks response ({"tasks": [...]}),
 * the tasks the caller listed with ListTasks startedBy=<deployment> (running and
 * stopped). Replaces what was known about that process's running tasks.
 */
void sw_rollout_tasks(struct sw_rollout *r, struct sw_rollout_proc *p, const json_t *resp, long long now);

/*
 * Feed a DescribeContainerInstances response (capacity and instance ids); the tasks
 * already fed learn their instance's id.
 */
void sw_rollout_instances(struct sw_rollout *r, const json_t *resp);

/* 1 when a task fed runs on a container instance the last instances feed did not have. */
int sw_rollout_instances_unknown(const struct sw_rollout *r);

/*
 * Feed target health for a load-balanced process: n targets of its target group,
 * each "instance-id:port" (instance targets) or "address:port" (ip targets, awsvpc
 * tasks) with its state ("healthy", "initial", "unhealthy", "draining", "unused",
 * "unavailable").
 */
struct sw_rollout_target {
	const char *id;     /* EC2 instance id (the engine's instance id), or the task's address */
	int port;
	const char *state;
};
void sw_rollout_targets(struct sw_rollout *r, struct sw_rollout_proc *p,
			const struct sw_rollout_target *t, size_t n, long long now);

/* ms the deadline does not count: a poll waited that long for ECS to answer. */
void sw_rollout_pause(struct sw_rollout *r, long long ms);

/* ECS did not answer for the stall window: FAILED (why UNREACHABLE) with why as the reason. */
void sw_rollout_unreachable(struct sw_rollout *r, const char *why);

/*
 * The private address of an awsvpc task (a DescribeTasks "tasks" element): its
 * ElasticNetworkInterface attachment's privateIPv4Address, else its first container's
 * networkInterfaces[0].privateIpv4Address; NULL in bridge mode. Borrowed from task.
 */
const char *sw_rollout_task_ip(const json_t *task);

/*
 * Decide. Updates r->verdict / r->why / r->reason and returns the verdict; once FAILED
 * or LIVE it stays so. Lines for the pusher (progress) are appended to lines.
 */
enum sw_rollout_verdict sw_rollout_decide(struct sw_rollout *r, long long now, struct sw_strvec *lines);

/*
 * Delay before the next poll (ms): 100 ms after a change and for the next two quiet
 * polls (what ECS does next often follows within a fraction of a second on the engine),
 * then growing by half up to 2 s while nothing changes (ECS's pace on AWS: a poll every
 * 2 s after 6 quiet seconds), doubling up to 20 s when the last call was throttled; then
 * "equal jitter" (half fixed, half random) from rnd (any value; tests pass fixed ones).
 * r->quiet_polls counts the polls since the last change (watch.c).
 */
long long sw_rollout_next_delay(struct sw_rollout *r, int progressed, int throttled, unsigned rnd);

/*
 * The DescribeServices requests of a poll: services in batches of at most 10 names.
 * *batch counts from 0; returns a new request object, or NULL when there is none left.
 */
json_t *sw_rollout_describe_request(const struct sw_rollout *r, const char *cluster, size_t batch);

/*
 * "web needs 4 × 512 MB; the cluster has room for 2" into out, from the capacity fed
 * with sw_rollout_instances() (without it: "... only 2 could be placed").
 */
void sw_rollout_shortfall(const struct sw_rollout *r, const struct sw_rollout_proc *p, struct sw_buf *out);

/*
 * How many tasks of memory_mb fit beside what runs now, from the capacity fed with
 * sw_rollout_instances(): for `slipway scale` to refuse what the cluster cannot hold.
 * -1 when unknown.
 */
int sw_rollout_room(const struct sw_rollout *r, int memory_mb);

/*
 * What one poll saw, as one record for readers that draw the rollout (the dashboard): a
 * new reference.
 *   {"t": ms, "version": N, "phase": "rollout"|"rollback", "verdict":
 *    "waiting"|"live"|"failed", "reason": "..."|null, "events": [ECS service events new
 *    at this poll], "processes": [{"process", "service", "desired", "running", "pending",
 *    "healthy", "old_running", "crashes", "crash_limit", "last_crash", "health": what
 *    counts as healthy ("load balancer", "container health check", "running"),
 *    "deployment", "rolled_back", "failure", "tasks": [{"id", "healthy", "port"}] (the new
 *    deployment's running tasks, at most 50), "stopped": [task ids counted as crashes]}]}
 * events: the poll's ECS event lines (may be NULL); phase and version as the watch says.
 */
json_t *sw_rollout_record(const struct sw_rollout *r, long long now, const char *phase, int version,
			  const struct sw_strvec *events, size_t events_nr);

/*
 * The watcher's memory as JSON for the release record, and back: a restarted slipwayd
 * resumes a rollout with what it had learnt (deployment ids, crashes counted, events
 * shown). from_json fills an initialised r.
 */
json_t *sw_rollout_to_json(const struct sw_rollout *r);
int sw_rollout_from_json(struct sw_rollout *r, const json_t *j);

#endif
