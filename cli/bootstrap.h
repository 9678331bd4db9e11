#ifndef SW_CLI_BOOTSTRAP_H
#define SW_CLI_BOOTSTRAP_H

#include <stddef.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * The parts of `slipway aws:bootstrap` (cmd_aws_bootstrap.c) that do no I/O, unit-tested
 * in test/unit/cli: its flags and the template parameters they become, the progress line
 * of a stack event, and the one line that says why a stack failed.
 */

/* scripts/aws/slipway.yml, embedded at build time (cli/embed.cmake): len bytes, then a NUL. */
extern const char sw_cli_bootstrap_template[];
extern const size_t sw_cli_bootstrap_template_len;

/* What the flags ask for. Caller-owned: SW_CLI_BOOTSTRAP_INIT, sw_cli_bootstrap_release(). */
struct sw_cli_bootstrap {
	const char *stack;        /* --stack (default "slipway") */
	const char *domain;       /* --domain; NULL: not given ("" clears it on an update) */
	const char *certificate;  /* --certificate; NULL: not given ("" clears it) */
	char *ec2_type;           /* --ec2 TYPE:N; NULL: not given */
	char *ec2_count;          /* "0".."99" */
	int private_subnets;      /* --private 1, --public 0, neither -1 */
};
#define SW_CLI_BOOTSTRAP_INIT { "slipway", NULL, NULL, NULL, NULL, -1 }

/*
 * Check the flags as the template's parameters would (AllowedPattern, MaxLength), before
 * anything is sent; ec2 is --ec2's value (NULL: not given), region the stack's (an ACM
 * certificate must be in the load balancer's region). 0, or SW_EINVAL with one line:
 *   "--ec2 't3.small': want TYPE:N, an instance type and a count from 0 to 99 (e.g. t3.small:2)"
 */
int sw_cli_bootstrap_check(struct sw_cli_bootstrap *b, const char *ec2, const char *region);
void sw_cli_bootstrap_release(struct sw_cli_bootstrap *b);

/*
 * The Parameters of CreateStack (stack NULL: every parameter of the template, a flag's
 * value or the template's default) or UpdateStack (stack: the DescribeStacks entry; every
 * parameter the stack has and the template still takes keeps its value, UsePreviousValue,
 * unless a flag sets it). A new JSON array (caller decrefs).
 */
json_t *sw_cli_bootstrap_parameters(const struct sw_cli_bootstrap *b, const json_t *stack);

/*
 * One stack event (DescribeStackEvents' shape) as a progress line, without a newline:
 *   "  CREATE_COMPLETE       AWS::EC2::VPC                                 Vpc"
 * with the reason after the name for a failure or a rollback. Control characters in the
 * reason become spaces.
 */
void sw_cli_bootstrap_event_line(const json_t *event, struct sw_buf *out);

/* 1 when a stack in status is done with its operation (COMPLETE or FAILED, not IN_PROGRESS). */
int sw_cli_bootstrap_done(const char *status);

/* 1 when status is the success of a create or update (CREATE_COMPLETE, UPDATE_COMPLETE). */
int sw_cli_bootstrap_succeeded(const char *status);

/*
 * Why stack ended in status (not a success), in one line: the first resource that failed
 * (events: this operation's, oldest first; "Resource creation cancelled" ones skipped),
 * its type and reason, else the stack's own reason, then what CloudFormation did and
 * what to do:
 *   "stack slipway failed: Listener (AWS::ElasticLoadBalancingV2::Listener): <reason>;
 *    CloudFormation rolled it back (ROLLBACK_COMPLETE): delete it with `aws cloudformation
 *    delete-stack --stack-name slipway` and run aws:bootstrap again"
 */
void sw_cli_bootstrap_failure(const char *stack, const char *status, const char *stack_reason, const json_t *events,
			      struct sw_buf *out);

#endif
