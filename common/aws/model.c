#include <string.h>

#include "common/aws/model.h"
#include "common/banned.h"

const struct sw_aws_operation *sw_aws_model_operation(const struct sw_aws_model *m, const char *name)
{
	size_t i;
	if (!name)
		return NULL;
	for (i = 0; i < m->nr_operations; i++)
		if (!strcmp(m->operations[i].name, name))
			return &m->operations[i];
	return NULL;
}

const struct sw_aws_error *sw_aws_model_error(const struct sw_aws_model *m, const char *name)
{
	size_t i;
	for (i = 0; i < m->nr_errors; i++)
		if (!strcmp(m->errors[i].shape, name) || !strcmp(m->errors[i].code, name))
			return &m->errors[i];
	return NULL;
}

const struct sw_aws_shape *sw_aws_model_shape(const struct sw_aws_model *m, unsigned i)
{
	return i < m->nr_shapes ? &m->shapes[i] : NULL;
}

const struct sw_aws_shape *sw_aws_model_input(const struct sw_aws_model *m, const char *operation)
{
	const struct sw_aws_operation *op = sw_aws_model_operation(m, operation);
	return op ? sw_aws_model_shape(m, op->input) : NULL;
}
