#include <stddef.h>

#include "common/aws/fargate.h"
#include "common/banned.h"

const struct sw_aws_fargate_size sw_aws_fargate_sizes[] = {
	{ 256, 512, 2048, 512 },      /* 512, 1024 and 2048 only: see sw_aws_fargate_row_has() */
	{ 512, 1024, 4096, 1024 },
	{ 1024, 2048, 8192, 1024 },
	{ 2048, 4096, 16384, 1024 },
	{ 4096, 8192, 30720, 1024 },
	{ 8192, 16384, 61440, 4096 },
	{ 16384, 32768, 122880, 8192 },
};

const size_t sw_aws_fargate_nsizes = sizeof(sw_aws_fargate_sizes) / sizeof(sw_aws_fargate_sizes[0]);

const struct sw_aws_fargate_size *sw_aws_fargate_row(long long cpu)
{
	size_t i;
	for (i = 0; i < sw_aws_fargate_nsizes; i++)
		if (sw_aws_fargate_sizes[i].cpu == cpu)
			return &sw_aws_fargate_sizes[i];
	return NULL;
}

int sw_aws_fargate_row_has(const struct sw_aws_fargate_size *row, long long memory_mb)
{
	if (row->cpu == 256)
		return memory_mb == 512 || memory_mb == 1024 || memory_mb == 2048;
	return memory_mb >= row->min_mb && memory_mb <= row->max_mb && (memory_mb - row->min_mb) % row->step_mb == 0;
}

int sw_aws_fargate_valid(long long cpu, long long memory_mb)
{
	const struct sw_aws_fargate_size *row = sw_aws_fargate_row(cpu);
	return row && sw_aws_fargate_row_has(row, memory_mb);
}
