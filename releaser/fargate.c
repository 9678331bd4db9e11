#include <stddef.h>

#include "releaser/fargate.h"
#include "common/aws/fargate.h"
#include "common/error.h"
#include "common/banned.h"

int sw_fargate_size_valid(int cpu, int memory_mb)
{
	return sw_aws_fargate_valid(cpu, memory_mb);
}

int sw_fargate_cpu_for(int memory_mb)
{
	size_t i;
	for (i = 0; i < sw_aws_fargate_nsizes; i++)
		if (sw_aws_fargate_row_has(&sw_aws_fargate_sizes[i], memory_mb))
			return sw_aws_fargate_sizes[i].cpu;
	return 0;
}

int sw_fargate_memory_at_least(int memory_mb)
{
	int largest = sw_aws_fargate_sizes[sw_aws_fargate_nsizes - 1].max_mb, m;
	/* every size is a multiple of 512: walk those up to the largest */
	for (m = memory_mb <= 512 ? 512 : (memory_mb + 511) / 512 * 512; m <= largest; m += 512)
		if (sw_fargate_cpu_for(m))
			return m;
	return 0;
}

int sw_fargate_size(const char *process, int memory_mb, int cpu, int *cpu_out)
{
	const struct sw_aws_fargate_size *row;

	if (cpu > 0) {
		if (!(row = sw_aws_fargate_row(cpu)))
			return sw_error_code(SW_EINVAL, "%s: Fargate's CPU units are 256, 512, 1024, 2048, 4096, 8192 or "
					     "16384, not %d", process, cpu);
		if (!sw_aws_fargate_row_has(row, memory_mb)) {
			if (cpu == 256)
				return sw_error_code(SW_EINVAL, "%s: 256 CPU units take 512, 1024 or 2048 MiB, not %d",
						     process, memory_mb);
			return sw_error_code(SW_EINVAL, "%s: %d CPU units take %d-%d MiB in %d steps, not %d", process,
					     cpu, row->min_mb, row->max_mb, row->step_mb, memory_mb);
		}
		*cpu_out = cpu;
		return 0;
	}
	if (!(*cpu_out = sw_fargate_cpu_for(memory_mb)))
		return sw_error_code(SW_EINVAL, "%s: %d MiB is not a Fargate memory size (512, then multiples of 1024 "
				     "up to 30720, of 4096 up to 61440 and of 8192 up to 122880)", process, memory_mb);
	return 0;
}
