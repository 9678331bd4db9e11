#include <stddef.h>

#include "engine/run/placement.h"
#include "common/banned.h"

void sw_run_placement_used(const struct sw_engine_state *st, struct sw_run_capacity *used,
			   int *running, int *pending)
{
	size_t i;
	used->cpu = 0;
	used->memory = 0;
	if (running)
		*running = 0;
	if (pending)
		*pending = 0;
	for (i = 0; i < st->nr_tasks; i++) {
		const struct sw_engine_task *t = st->tasks[i];
		if (t->last == SW_TASK_STOPPED)
			continue;
		used->cpu += t->cpu;
		used->memory += t->memory;
		if (t->last == SW_TASK_RUNNING && running)
			(*running)++;
		else if (t->last < SW_TASK_RUNNING && pending)
			(*pending)++;
	}
}

void sw_run_placement_remaining(const struct sw_engine_state *st, const struct sw_run_capacity *registered,
				struct sw_run_capacity *remaining)
{
	struct sw_run_capacity used;
	sw_run_placement_used(st, &used, NULL, NULL);
	remaining->cpu = registered->cpu - used.cpu;
	remaining->memory = registered->memory - used.memory;
	if (remaining->cpu < 0)
		remaining->cpu = 0;
	if (remaining->memory < 0)
		remaining->memory = 0;
}

int sw_run_placement_fit(const struct sw_run_capacity *remaining, long long cpu, long long memory,
			 int want, const char **short_of)
{
	long long by_mem = want, by_cpu = want;
	long long n;

	if (want <= 0)
		return 0;
	if (memory > 0)
		by_mem = remaining->memory / memory;
	if (cpu > 0)
		by_cpu = remaining->cpu / cpu;
	n = by_mem < by_cpu ? by_mem : by_cpu;
	if (n > want)
		n = want;
	if (n < 0)
		n = 0;
	if (n < want && short_of)
		*short_of = by_mem <= by_cpu ? "memory" : "CPU units";
	return (int)n;
}
