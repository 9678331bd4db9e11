#ifndef SW_FARGATE_H
#define SW_FARGATE_H

/*
 * Fargate's task sizes (Linux) for the releaser: the table is common/aws/fargate.h's.
 * Pure functions: the formation (formation.h) and the task definitions (taskdef.h) use
 * them, `slipway scale` refuses what is not one of these in one line.
 */

/* The memory a process gets on Fargate when neither its manifest nor `scale` says: 512 MiB
 * (0.25 vCPU), Heroku's standard dyno and Convox's default; ECS's smallest Fargate size. */
#define SW_FARGATE_DEFAULT_MEMORY_MB 512

/* 1 when cpu units and memory MiB are one of Fargate's sizes. */
int sw_fargate_size_valid(int cpu, int memory_mb);

/* The smallest CPU units Fargate takes with memory_mb, or 0 when no size has that memory. */
int sw_fargate_cpu_for(int memory_mb);

/* The smallest Fargate memory size (MiB) at least memory_mb, or 0 above the largest. */
int sw_fargate_memory_at_least(int memory_mb);

/*
 * The size of process on Fargate from the formation's memory and cpu (0: not given):
 * *cpu_out = cpu, or the smallest that takes memory_mb. 0, or SW_EINVAL with one line
 * naming the valid sizes:
 *   "web: 512 CPU units take 1024-4096 MiB in 1024 steps, not 300"
 *   "web: 256 CPU units take 512, 1024 or 2048 MiB, not 300"
 *   "web: Fargate's CPU units are 256, 512, 1024, 2048, 4096, 8192 or 16384, not 300"
 *   "web: 300 MiB is not a Fargate memory size (512, then multiples of 1024 up to 30720,
 *    of 4096 up to 61440 and of 8192 up to 122880)"
 */
int sw_fargate_size(const char *process, int memory_mb, int cpu, int *cpu_out);

#endif
