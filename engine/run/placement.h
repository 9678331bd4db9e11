#ifndef SW_ENGINE_RUN_PLACEMENT_H
#define SW_ENGINE_RUN_PLACEMENT_H

#include "engine/state.h"

/*
 * Placement on the one container instance (this machine): CPU units and MiB of
 * memory, registered (cfg.cpu_units, cfg.memory_mb) minus what every task that is
 * not STOPPED reserves. Pure arithmetic, unit-tested (test/unit/engine).
 */

struct sw_run_capacity {
	long long cpu;
	long long memory;
};

/* What tasks that are not STOPPED reserve, and how many are RUNNING / pending. */
void sw_run_placement_used(const struct sw_engine_state *st, struct sw_run_capacity *used,
			   int *running, int *pending);

/* registered - used (never below 0 in the report). */
void sw_run_placement_remaining(const struct sw_engine_state *st, const struct sw_run_capacity *registered,
				struct sw_run_capacity *remaining);

/*
 * How many of `want` tasks each reserving (cpu, memory) fit into remaining. When
 * fewer fit, *short_of (if not NULL) says which resource ran out first: "memory" or
 * "CPU units" (ECS's words in "has insufficient memory available").
 */
int sw_run_placement_fit(const struct sw_run_capacity *remaining, long long cpu, long long memory,
			 int want, const char **short_of);

#endif
