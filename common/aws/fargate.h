#ifndef SW_AWS_FARGATE_H
#define SW_AWS_FARGATE_H

#include <stddef.h>

/*
 * Fargate's task sizes (Linux), as ECS takes them in RegisterTaskDefinition's task-level
 * cpu and memory ("Task CPU and memory" in the ECS developer guide): the one table the
 * releaser (which picks a size, releaser/fargate.h) and the engine (which refuses what
 * ECS refuses, engine/ecs/launch.h) both read.
 *
 *   CPU units   memory (MiB)
 *   256         512, 1024, 2048
 *   512         1024 to 4096 in steps of 1024
 *   1024        2048 to 8192 in steps of 1024
 *   2048        4096 to 16384 in steps of 1024
 *   4096        8192 to 30720 in steps of 1024
 *   8192        16384 to 61440 in steps of 4096
 *   16384       32768 to 122880 in steps of 8192
 *
 * Pure; the rows are static (nothing to free).
 */

/* One CPU value and its memory sizes: min_mb to max_mb in steps of step_mb. */
struct sw_aws_fargate_size {
	int cpu, min_mb, max_mb, step_mb;
};

/* The rows above, smallest CPU first, and how many there are. */
extern const struct sw_aws_fargate_size sw_aws_fargate_sizes[];
extern const size_t sw_aws_fargate_nsizes;

/* The row of cpu units, or NULL when Fargate has no such CPU value. */
const struct sw_aws_fargate_size *sw_aws_fargate_row(long long cpu);

/* 1 when memory_mb is one of row's memory sizes (256 CPU units: 512, 1024 or 2048 only). */
int sw_aws_fargate_row_has(const struct sw_aws_fargate_size *row, long long memory_mb);

/* 1 when cpu units and memory MiB make one of Fargate's task sizes, else 0. */
int sw_aws_fargate_valid(long long cpu, long long memory_mb);

#endif
