#include <stddef.h>

#include "releaser/fargate.h"
#include "common/error.h"
#include "common/banned.h"

/* For each CPU value, memory from min to max in steps of step MiB (256: 512, 1024, 2048). */
static const struct {
	int cpu, min, max, step;
} sizes[] = {
	{ 256, 512, 2048, 512 },
	{ 512, 1024, 4096, 1024 },
	{ 1024, 2048, 8192, 1024 },
	{ 2048, 4096, 16384, 1024 },
	{ 4096, 8192, 30720, 1024 },
	{ 8192, 16384, 61440, 4096 },
	{ 16384, 32768, 122880, 8192 },
};

#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static int in_row(size_t i, int memory_mb)
{
	if (sizes[i].cpu == 256)
		return memory_mb == 512 || memory_mb == 1024 || memory_mb == 2048;
	return memory_mb >= sizes[i].min && memory_mb <= sizes[i].max && (memory_mb - sizes[i].min) % sizes[i].step == 0;
}

int sw_fargate_size_valid(int cpu, int memory_mb)
{
	size_t i;
	for (i = 0; i < NSIZES; i++)
		if (sizes[i].cpu == cpu)
			return in_row(i, memory_mb);
	return 0;
}

int sw_fargate_cpu_for(int memory_mb)
{
	size_t i;
	for (i = 0; i < NSIZES; i++)
		if (in_row(i, memory_mb))
			return sizes[i].cpu;
	return 0;
}

int sw_fargate_memory_at_least(int memory_mb)
{
	int m;
	/* every size is a multiple of 512: walk those up to the largest */
	for (m = memory_mb <= 512 ? 512 : (memory_mb + 511) / 512 * 512; m <= sizes[NSIZES - 1].max; m += 512)
		if (sw_fargate_cpu_for(m))
			return m;
	return 0;
}

int sw_fargate_size(const char *process, int memory_mb, int cpu, int *cpu_out)
{
	size_t i;

	if (cpu > 0) {
		for (i = 0; i < NSIZES && sizes[i].cpu != cpu; i++)
			;
		if (i == NSIZES)
			return sw_error_code(SW_EINVAL, "%s: Fargate's CPU units are 256, 512, 1024, 2048, 4096, 8192 or "
					     "16384, not %d", process, cpu);
		if (!in_row(i, memory_mb)) {
			if (cpu == 256)
				return sw_error_code(SW_EINVAL, "%s: 256 CPU units take 512, 1024 or 2048 MiB, not %d",
						     process, memory_mb);
			return sw_error_code(SW_EINVAL, "%s: %d CPU units take %d-%d MiB in %d steps, not %d", process,
					     cpu, sizes[i].min, sizes[i].max, sizes[i].step, memory_mb);
		}
		*cpu_out = cpu;
		return 0;
	}
	if (!(*cpu_out = sw_fargate_cpu_for(memory_mb)))
		return sw_error_code(SW_EINVAL, "%s: %d MiB is not a Fargate memory size (512, then multiples of 1024 "
				     "up to 30720, of 4096 up to 61440 and of 8192 up to 122880)", process, memory_mb);
	return 0;
}
