#ifndef SW_AWS_STACK_H
#define SW_AWS_STACK_H

#include <jansson.h>

#include "common/aws/client.h"
#include "common/buf.h"

/*
 * The bootstrap stack (scripts/aws/slipway.yml, made by `slipway aws:bootstrap`) as
 * slipwayd reads it: SLIPWAY_STACK names it, its outputs say which cluster, listener,
 * VPC, subnets, security group, execution role and apps domain to use.
 *
 *	json_t *out = NULL;
 *	if (sw_aws_stack_outputs(aws, "slipway", &out) < 0)
 *		return fail("%s", sw_error_last());   // one line: not found, rolled back, failed...
 *	cluster = sw_json_str(out, "Cluster");   // {"Cluster": "slipway", "ListenerArn": ...}
 *	json_decref(out);
 *
 * `slipway aws:bootstrap` also records the stack it made in $SLIPWAY_HOME/aws/stack.env
 * (SLIPWAY_STACK=NAME and AWS_REGION=REGION lines, a file systemd's EnvironmentFile= and
 * `set -a; . FILE` both read), for a slipwayd on the same machine.
 */

/* A stack name CloudFormation takes: a letter, then letters, digits and '-'; 128 at most. */
int sw_aws_stack_name_valid(const char *name);

/*
 * 1 when a stack in status has its resources and outputs in place: CREATE_COMPLETE,
 * UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE (an update failed and the stack is as it
 * was), IMPORT_*_COMPLETE, and the UPDATE_*_IN_PROGRESS states between them.
 */
int sw_aws_stack_status_usable(const char *status);

/*
 * The outputs of stack name as a new JSON object {OutputKey: OutputValue} (*out, the
 * caller json_decref()s), through DescribeStacks. Refused with one line, nothing in *out:
 *   SW_ENOTFOUND  "CloudFormation stack 'x' not found in eu-west-1: create it with
 *                 `slipway aws:bootstrap --stack x`"
 *   SW_EINVAL     a name CloudFormation would refuse
 *   SW_ERROR      a stack that is not usable: ROLLBACK_COMPLETE ("... its creation failed
 *                 and CloudFormation rolled it back: delete it with `aws cloudformation
 *                 delete-stack --stack-name x` and run slipway aws:bootstrap again"),
 *                 *_FAILED (with CloudFormation's reason), still being created, deleted;
 *   or the call's own failure (no credentials, unreachable endpoint: client.h's codes).
 */
int sw_aws_stack_outputs(struct sw_aws_client *aws, const char *name, json_t **out);

/*
 * The same from a DescribeStacks answer already at hand (botocore's shape: {"Stacks":
 * [{"StackName", "StackStatus", "StackStatusReason", "Outputs": [{"OutputKey",
 * "OutputValue"}]}]}); region only words the messages.
 */
int sw_aws_stack_outputs_from(const json_t *answer, const char *name, const char *region, json_t **out);

/* "<home>/aws/stack.env" into out. */
void sw_aws_stack_record_path(const char *home, struct sw_buf *out);

/*
 * Write the record (mode 0644, through a temporary file renamed over it; <home>/aws is
 * made when missing). 0, or negative with one line.
 */
int sw_aws_stack_record_write(const char *home, const char *name, const char *region);

/*
 * Read it: *name and *region (either may come back NULL when its line is missing; the
 * caller frees both). SW_ENOTFOUND when there is no record, SW_EINVAL with one line when
 * it holds a bad stack name.
 */
int sw_aws_stack_record_read(const char *home, char **name, char **region);

#endif
