#ifndef SW_ENGINE_RUN_ROLLING_H
#define SW_ENGINE_RUN_ROLLING_H

/*
 * The rolling-update arithmetic of a service, as ECS documents it; pure functions,
 * unit-tested (test/unit/engine/run/test_rolling.c). The scheduler counts, this decides.
 *
 * With desired count D: at least ceil(D × minimumHealthyPercent / 100) tasks stay
 * healthy, at most floor(D × maximumPercent / 100) run (pending included). New
 * (PRIMARY) tasks are started up to D within that ceiling; old deployments' tasks
 * that are not healthy are stopped at once, healthy ones only while the floor holds
 * ("make one, break one" at the defaults 100/200 means: start D new, then stop the
 * old as the new become healthy).
 */

struct sw_run_rolling_counts {
	int desired;
	int min_pct;
	int max_pct;
	int primary;          /* PRIMARY tasks with desiredStatus RUNNING */
	int primary_healthy;  /* ... of which healthy */
	int old;              /* older deployments' tasks with desiredStatus RUNNING */
	int old_healthy;
	int frozen;           /* the PRIMARY deployment FAILED (no rollback): launch nothing */
};

struct sw_run_rolling_step {
	int start;              /* PRIMARY tasks to launch now */
	int stop_primary;       /* PRIMARY tasks beyond D (the unhealthy first) */
	int stop_old_unhealthy; /* old tasks that are not healthy: all of them */
	int stop_old_healthy;   /* old healthy tasks that may go now */
};

/* ceil(D * pct / 100) and floor(D * pct / 100). */
int sw_run_rolling_lower(int desired, int min_pct);
int sw_run_rolling_upper(int desired, int max_pct);

void sw_run_rolling_step(const struct sw_run_rolling_counts *in, struct sw_run_rolling_step *out);

/*
 * The deployment circuit breaker's failure threshold for a desired count:
 * 0.5 × D rounded up, at least 3, at most 200.
 */
int sw_run_rolling_threshold(int desired);

/*
 * Whether the PRIMARY deployment is done: D tasks, all healthy, none left of the old
 * deployments (old_remaining counts their tasks that are not yet STOPPED).
 */
int sw_run_rolling_completed(const struct sw_run_rolling_counts *in, int primary_running, int old_remaining);

/* Launch backoff after n consecutive failed tasks: 0 for n < 3, then 1 s doubling, capped. (ms) */
long long sw_run_rolling_backoff_ms(int failures, long long cap_ms);

#endif
