#ifndef SW_FORMATION_H
#define SW_FORMATION_H

#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "releaser/manifest.h"

/*
 * The formation of a release: how many tasks of each process type run, with how much
 * memory (MiB: the container's hard limit in an EC2 task definition, the task's size on
 * Fargate) and how many CPU units (1024 a vCPU: the container's reservation on EC2, the
 * task's size on Fargate; 0 = not given: none on EC2, the smallest Fargate takes with
 * the memory, releaser/fargate.h).
 *
 * Where the numbers come from, per process type:
 *  - a value set with `slipway scale` sticks (scaled_count / scaled_memory / scaled_cpu)
 *    across pushes until the next scale of that process type;
 *  - otherwise the manifest's (compose deploy.replicas, memory limits);
 *  - otherwise 1 task and the server's default memory.
 * The `release` process type is not part of a formation: it is run once, not scaled.
 */

#define SW_FORMATION_MAX_COUNT 100
#define SW_FORMATION_MAX_CPU 16384   /* Fargate's largest task: 16 vCPU */

struct sw_formation_entry {
	char *process;
	int count;
	int memory_mb;
	int cpu;            /* CPU units, 0 = not given */
	int scaled_count;   /* count came from `slipway scale` */
	int scaled_memory;  /* memory came from `slipway scale` */
	int scaled_cpu;     /* cpu came from `slipway scale` */
};

struct sw_formation {
	struct sw_formation_entry *v;
	size_t nr, alloc;
};

#define SW_FORMATION_INIT { NULL, 0, 0 }

void sw_formation_init(struct sw_formation *f);
void sw_formation_release(struct sw_formation *f);

struct sw_formation_entry *sw_formation_find(const struct sw_formation *f, const char *process);

/*
 * The formation of a new release of manifest m, given the previous release's formation
 * (prev may be NULL) and the server's default memory. out must be initialised.
 */
void sw_formation_plan(struct sw_formation *out, const struct sw_manifest *m,
		       const struct sw_formation *prev, int default_memory_mb);

/*
 * Parse `slipway scale` arguments: "web=4", "worker=2:512", "worker=:1g" (memory only),
 * "web=3:1.5g", "web=2:1024:512" (count, memory and CPU units), "web=::512" (CPU only).
 * Memory without a unit is MiB. changes must be initialised; an entry with count -1
 * keeps the count, memory 0 keeps the memory, cpu 0 keeps the CPU. 0, or SW_EINVAL with
 * one line.
 */
int sw_formation_parse(struct sw_formation *changes, const char *const *args, size_t nargs);

/*
 * Apply changes to f (a copy of the live formation): every process must exist in f,
 * else SW_EINVAL naming the process types the app has. Returns the number of entries
 * whose values changed.
 */
int sw_formation_apply(struct sw_formation *f, const struct sw_formation *changes);

/* "web=2, worker=1" (counts), or with memory "web=2:512, worker=1:256" (and CPU units
 * when set: "web=2:1024:512"). */
void sw_formation_describe(const struct sw_formation *f, int with_memory, struct sw_buf *out);

/*
 * {"web": {"count": 2, "memory": 512, "cpu": 256, "scaled_count": false, "scaled_memory":
 * false, "scaled_cpu": false}, ...}; "cpu" and "scaled_cpu" only when set (formations
 * stored before CPU units were read as 0).
 */
json_t *sw_formation_to_json(const struct sw_formation *f);
int sw_formation_from_json(struct sw_formation *f, const json_t *j);

/*
 * Fit f to Fargate's sizes (releaser/fargate.h): every entry's memory and cpu must make
 * one, a missing cpu becoming the smallest that takes the memory. The entries named in
 * strict (the changes of a `slipway scale`; may be NULL) must be Fargate sizes as given:
 * SW_EINVAL with fargate.h's line. The others (from the manifest, the default, an earlier
 * scale on EC2) are moved up to the next Fargate size, each move described in notes
 * ("web: 300 MiB is not a Fargate size: 512 MiB with 256 CPU units"; notes may be NULL).
 * 0 or SW_EINVAL.
 */
int sw_formation_fit_fargate(struct sw_formation *f, const struct sw_formation *strict, struct sw_strvec *notes);

#endif
