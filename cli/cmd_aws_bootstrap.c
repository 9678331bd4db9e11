/*
 * slipway aws:bootstrap: create or update the bootstrap stack (scripts/aws/slipway.yml,
 * embedded in the binary) with the operator's own AWS credentials, region and endpoint
 * (common/aws: CloudFormation's Query API), stream its events until it is done, and
 * record the stack for slipwayd ($SLIPWAY_HOME/aws/stack.env, common/aws/stack.h).
 *
 * Pacing: DescribeStackEvents every 5 s, stretched up to 15 s while nothing happens
 * (CloudFormation's own tools poll every 5-30 s), for at most an hour (the SDK waiter's
 * limit). SLIPWAY_AWS_POLL_INTERVAL (seconds, fractions allowed) sets the 5 s: a knob
 * for tests against a local CloudFormation, not for use against AWS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/args.h"
#include "cli/bootstrap.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "common/aws/client.h"
#include "common/aws/stack.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define WAIT_LIMIT_MS (60LL * 60 * 1000)
#define MAX_EVENT_PAGES 20

struct run {
	const struct sw_cli_command *cmd;
	struct sw_aws_client *aws;
	struct sw_cli_bootstrap b;
	const char *region;
	int json;
	FILE *progress;          /* stdout, or stderr when stdout is for --json */
	char *stack_id;          /* what CreateStack / UpdateStack answered */
	struct sw_strvec seen;   /* EventIds already shown (or older than this operation) */
	json_t *events;          /* this operation's events, oldest first */
	long long poll_ms;
};

/* The stack as DescribeStacks has it (*stack a new reference), or NULL when there is none. */
static int describe(struct run *r, const char *name, json_t **stack)
{
	struct sw_aws_result res;
	json_t *params = json_pack("{s:s}", "StackName", name);
	int ret;

	*stack = NULL;
	sw_aws_result_init(&res);
	ret = sw_aws_call(r->aws, "cloudformation", "DescribeStacks", params, &res);
	if (ret < 0 && !strcmp(res.error_code.ptr, "ValidationError") && strstr(res.error_message.ptr, "does not exist"))
		ret = 0;
	else if (ret == 0)
		*stack = json_incref(json_array_get(json_object_get(res.response, "Stacks"), 0));
	json_decref(params);
	sw_aws_result_release(&res);
	return ret;
}

/* Whether the stack may be updated; else the one line why not. */
static int check_updatable(const struct run *r, const json_t *stack)
{
	const char *status = sw_json_str_or(stack, "StackStatus", "?");
	const char *name = r->b.stack;

	if (!strcmp(status, "ROLLBACK_COMPLETE"))
		return sw_error("stack %s is ROLLBACK_COMPLETE: its creation failed and CloudFormation rolled it back; "
				"delete it with `aws cloudformation delete-stack --stack-name %s` and run aws:bootstrap "
				"again", name, name);
	if (strstr(status, "IN_PROGRESS"))
		return sw_error("stack %s is busy (%s): wait until it is done (aws cloudformation describe-stack-events "
				"--stack-name %s)", name, status, name);
	if (strstr(status, "FAILED")) {
		const char *why = sw_json_str(stack, "StackStatusReason");
		return sw_error("stack %s is %s%s%s: fix it with the AWS CLI or console first", name, status,
				why ? ": " : "", why ? why : "");
	}
	return 0;
}

/* Remember the events the stack already has: the operation's are the ones after them. */
static int mark_old_events(struct run *r)
{
	struct sw_aws_result res;
	json_t *params = json_pack("{s:s}", "StackName", r->b.stack), *e;
	size_t i;
	int ret;

	sw_aws_result_init(&res);
	if ((ret = sw_aws_call(r->aws, "cloudformation", "DescribeStackEvents", params, &res)) == 0)
		json_array_foreach(json_object_get(res.response, "StackEvents"), i, e)
			if (sw_json_str(e, "EventId"))
				sw_strvec_push(&r->seen, sw_json_str(e, "EventId"));
	json_decref(params);
	sw_aws_result_release(&res);
	return ret;
}

/* CreateStack (stack NULL) or UpdateStack. 0 started, 1 nothing to update, < 0 failed. */
static int start(struct run *r, const json_t *stack)
{
	struct sw_aws_result res;
	struct sw_buf token = SW_BUF_INIT;
	json_t *params;
	const char *op = stack ? "UpdateStack" : "CreateStack";
	int ret;

	sw_aws_result_init(&res);
	/* one token per operation: a retried request is not a second one */
	sw_buf_addf(&token, "slipway-bootstrap-%lld-%ld", sw_time_now_ms(), (long)getpid());
	params = json_pack("{s:s,s:s%,s:o,s:[s],s:s}", "StackName", r->b.stack, "TemplateBody",
			   sw_cli_bootstrap_template, sw_cli_bootstrap_template_len, "Parameters",
			   sw_cli_bootstrap_parameters(&r->b, stack), "Capabilities", "CAPABILITY_IAM",
			   "ClientRequestToken", token.ptr);
	ret = sw_aws_call(r->aws, "cloudformation", op, params, &res);
	if (ret < 0 && stack && !strcmp(res.error_code.ptr, "ValidationError") &&
	    strstr(res.error_message.ptr, "No updates are to be performed"))
		ret = 1;
	else if (ret == 0)
		r->stack_id = xstrdup(sw_json_str_or(res.response, "StackId", r->b.stack));
	json_decref(params);
	sw_aws_result_release(&res);
	sw_buf_release(&token);
	return ret;
}

static int seen(const struct run *r, const char *id)
{
	size_t i;
	for (i = 0; i < r->seen.nr; i++)
		if (!strcmp(r->seen.v[i], id))
			return 1;
	return 0;
}

/* The stack's own event that ends the operation. */
static int final_event(const struct run *r, const json_t *e)
{
	return !strcmp(sw_json_str_or(e, "ResourceType", ""), "AWS::CloudFormation::Stack") &&
	       !strcmp(sw_json_str_or(e, "LogicalResourceId", ""), r->b.stack) &&
	       sw_cli_bootstrap_done(sw_json_str(e, "ResourceStatus"));
}

/* New events (newest first, as CloudFormation lists them) up to the first one already seen. */
static int fetch_new(struct run *r, json_t *fresh)
{
	struct sw_aws_result res;
	char *next = NULL;
	int page, done = 0, ret = 0;

	sw_aws_result_init(&res);
	for (page = 0; page < MAX_EVENT_PAGES && !done; page++) {
		json_t *params = json_pack("{s:s}", "StackName", r->stack_id), *e;
		size_t i;
		if (next)
			json_object_set_new(params, "NextToken", json_string(next));
		free(next);
		next = NULL;
		ret = sw_aws_call(r->aws, "cloudformation", "DescribeStackEvents", params, &res);
		json_decref(params);
		if (ret < 0)
			break;
		json_array_foreach(json_object_get(res.response, "StackEvents"), i, e) {
			const char *id = sw_json_str(e, "EventId");
			if (!id || seen(r, id)) {
				done = 1;
				break;
			}
			json_array_append(fresh, e);
		}
		if (!done && sw_json_str(res.response, "NextToken"))
			next = xstrdup(sw_json_str(res.response, "NextToken"));
		else
			done = 1;
	}
	free(next);
	sw_aws_result_release(&res);
	return ret;
}

/* One poll: print what happened since the last one. 1 when the stack's final event came. */
static int poll_events(struct run *r, int *news)
{
	json_t *fresh = json_array();
	struct sw_buf line = SW_BUF_INIT;
	size_t i;
	int final = 0, ret;

	*news = 0;
	if ((ret = fetch_new(r, fresh)) < 0)
		goto cleanup;
	for (i = json_array_size(fresh); i-- > 0;) {
		json_t *e = json_array_get(fresh, i);
		sw_strvec_push(&r->seen, sw_json_str(e, "EventId"));
		json_array_append(r->events, e);
		sw_buf_reset(&line);
		sw_cli_bootstrap_event_line(e, &line);
		fprintf(r->progress, "%s\n", line.ptr);
		final |= final_event(r, e);
		*news = 1;
	}
	fflush(r->progress);
	ret = final;
cleanup:
	json_decref(fresh);
	sw_buf_release(&line);
	return ret;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Follow the events until the stack is done; *stack: how DescribeStacks then has it. */
static int follow(struct run *r, json_t **stack)
{
	long long start = sw_time_mono_ms(), interval = r->poll_ms;
	int polls = 0, ret;

	*stack = NULL;
	for (;;) {
		int news = 0;
		if ((ret = poll_events(r, &news)) < 0)
			return sw_error_prefix("lost track of stack %s (it goes on in CloudFormation: aws cloudformation "
					       "describe-stack-events --stack-name %s)", r->b.stack, r->b.stack);
		/* the final event, or now and then CloudFormation's own word, ends the wait */
		if (ret == 1 || ++polls % 6 == 0) {
			json_decref(*stack);
			if ((ret = describe(r, r->stack_id, stack)) < 0)
				return sw_error_prefix("lost track of stack %s", r->b.stack);
			if (!*stack)
				return sw_error("stack %s is gone: something deleted it", r->b.stack);
			if (*stack && sw_cli_bootstrap_done(sw_json_str(*stack, "StackStatus"))) {
				poll_events(r, &news);
				return 0;
			}
		}
		if (sw_time_mono_ms() - start > WAIT_LIMIT_MS)
			return sw_error_code(SW_ETIMEOUT, "stack %s is still %s after an hour: follow it with `aws "
					     "cloudformation describe-stack-events --stack-name %s`", r->b.stack,
					     sw_json_str_or(*stack, "StackStatus", "in progress"), r->b.stack);
		interval = news ? r->poll_ms : (interval * 3 / 2 < r->poll_ms * 3 ? interval * 3 / 2 : r->poll_ms * 3);
		sleep_ms(interval);
	}
}

/* Where the record goes: $SLIPWAY_HOME, else ~/.slipway. Into out; 0 or -1 when neither is known. */
static int home_dir(struct sw_buf *out)
{
	const char *home = sw_env_str("SLIPWAY_HOME"), *h = sw_env_str("HOME");
	if (home)
		return sw_buf_adds(out, home);
	if (h)
		return sw_buf_addf(out, "%s/.slipway", h);
	return -1;
}

/* The stack is there: its outputs, recorded, printed (as JSON with --json). */
static int report_ready(struct run *r, const char *status)
{
	struct sw_buf home = SW_BUF_INIT, path = SW_BUF_INIT;
	json_t *outputs = NULL;
	const char *k;
	json_t *v;
	int recorded = 0, ret;

	if ((ret = sw_aws_stack_outputs(r->aws, r->b.stack, &outputs)) < 0)
		goto cleanup;
	if (home_dir(&home) == 0) {
		sw_aws_stack_record_path(home.ptr, &path);
		if (sw_aws_stack_record_write(home.ptr, r->b.stack, r->region) == 0)
			recorded = 1;
		else
			fprintf(stderr, "slipway %s: could not record the stack: %s\n", r->cmd->name, sw_error_last());
	}
	if (r->json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:O,s:s?}", "stack", r->b.stack, "region", r->region, "status", status,
				      "outputs", outputs, "record", recorded ? path.ptr : NULL);
		ret = sw_cli_print_json(o) ? SW_ERROR : 0;
		json_decref(o);
		goto cleanup;
	}
	printf("stack %s is ready (%s) in %s; its outputs:\n", r->b.stack, status, r->region);
	json_object_foreach(outputs, k, v)
		printf("  %-20s %s\n", k, json_string_value(v));
	if (recorded)
		printf("recorded in %s\n", path.ptr);
	printf("give slipwayd: SLIPWAY_STACK=%s\n", r->b.stack);
	ret = fflush(stdout) == 0 ? 0 : SW_ERROR;
cleanup:
	json_decref(outputs);
	sw_buf_release(&home);
	sw_buf_release(&path);
	return ret;
}

/* Create or update, follow, report: the exit status. */
static int bootstrap(struct run *r)
{
	json_t *stack = NULL, *after = NULL;
	struct sw_buf why = SW_BUF_INIT;
	const char *status;
	int ret;

	if (describe(r, r->b.stack, &stack) < 0 || (stack && check_updatable(r, stack) < 0) ||
	    (stack && mark_old_events(r) < 0)) {
		ret = sw_cli_fail(r->cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (!stack && r->b.certificate && *r->b.certificate && !(r->b.domain && *r->b.domain)) {
		ret = sw_cli_usage_error(r->cmd, "--certificate needs --domain (the certificate is for *.<domain>)");
		goto cleanup;
	}
	fprintf(r->progress, "%s stack %s in %s\n", stack ? "updating" : "creating", r->b.stack, r->region);
	fflush(r->progress);
	if ((ret = start(r, stack)) < 0) {
		ret = sw_cli_fail(r->cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (ret == 1) {
		fprintf(r->progress, "stack %s is up to date (no changes)\n", r->b.stack);
		ret = report_ready(r, sw_json_str_or(stack, "StackStatus", "?")) < 0 ? sw_cli_fail(r->cmd, "%s", sw_error_last()) : 0;
		goto cleanup;
	}
	if (follow(r, &after) < 0) {
		ret = sw_cli_fail(r->cmd, "%s", sw_error_last());
		goto cleanup;
	}
	status = sw_json_str_or(after, "StackStatus", "?");
	if (!sw_cli_bootstrap_succeeded(status)) {
		sw_cli_bootstrap_failure(r->b.stack, status, sw_json_str(after, "StackStatusReason"), r->events, &why);
		ret = sw_cli_fail(r->cmd, "%s", why.ptr);
		goto cleanup;
	}
	ret = report_ready(r, status) < 0 ? sw_cli_fail(r->cmd, "%s", sw_error_last()) : 0;
cleanup:
	json_decref(stack);
	json_decref(after);
	sw_buf_release(&why);
	return ret;
}

int sw_cli_cmd_aws_bootstrap(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_aws_client_options opt;
	struct run r;
	const char *ec2 = NULL, *stack = NULL;
	int private_flag = 0, public_flag = 0, ret;
	double poll_s = 5;
	struct sw_cli_opt opts[] = {
		{ "--stack", 0, &stack, NULL, NULL },
		{ "--domain", 0, &r.b.domain, NULL, NULL },
		{ "--certificate", 0, &r.b.certificate, NULL, NULL },
		{ "--ec2", 0, &ec2, NULL, NULL },
		{ "--private", 0, NULL, &private_flag, NULL },
		{ "--public", 0, NULL, &public_flag, NULL },
		{ "--region", 0, &opt.region, NULL, NULL },
		{ "--profile", 0, &opt.profile, NULL, NULL },
		SW_CLI_OPT_JSON(&r.json),
		{ NULL, 0, NULL, NULL, NULL },
	};
	struct sw_cli_args a;
	struct sw_cli_bootstrap init = SW_CLI_BOOTSTRAP_INIT;

	memset(&r, 0, sizeof(r));
	memset(&opt, 0, sizeof(opt));
	r.cmd = cmd;
	r.b = init;
	sw_strvec_init(&r.seen);
	r.events = json_array();
	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0) {
		ret = a.exit;
		goto cleanup;
	}
	if (stack)
		r.b.stack = stack;
	r.progress = r.json ? stderr : stdout;
	if (private_flag && public_flag) {
		ret = sw_cli_usage_error(cmd, "--private and --public: choose one");
		goto cleanup;
	}
	r.b.private_subnets = private_flag ? 1 : public_flag ? 0 : -1;
	if (sw_cli_bootstrap_check(&r.b, ec2, NULL) < 0 ||
	    sw_env_number("SLIPWAY_AWS_POLL_INTERVAL", 5, 0.01, 60, &poll_s) < 0) {
		ret = sw_cli_usage_error(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	r.poll_ms = (long long)(poll_s * 1000 + 0.5);
	if (sw_aws_client_new(&r.aws, &opt) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	r.region = sw_aws_client_region(r.aws);
	if (sw_cli_bootstrap_check(&r.b, NULL, r.region) < 0) {
		ret = sw_cli_usage_error(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	ret = bootstrap(&r);
cleanup:
	sw_cli_bootstrap_release(&r.b);
	sw_aws_client_free(r.aws);
	sw_strvec_clear(&r.seen);
	json_decref(r.events);
	free(r.stack_id);
	return ret;
}
