#ifndef SW_ENGINE_LOGS_LOGS_API_H
#define SW_ENGINE_LOGS_LOGS_API_H

#include "common/buf.h"
#include "engine/api/call.h"
#include "engine/logs/logs.h"

/*
 * The CloudWatch Logs API (JSON 1.1, X-Amz-Target Logs_20140328.*): its operation
 * table (logs_api.c) and what the operations share; they live with their noun:
 * log_group.c, log_stream.c, log_event.c. Each runs without the engine lock, on
 * call->ctx (struct sw_logs) under its own lock.
 */

/* The largest page of events an answer carries, in bytes. */
#define SW_LOGS_PAGE_MAX (1024 * 1024)

/* logGroupName, or logGroupIdentifier (a name or an ARN; tmp holds it). NULL after failing the call. */
const char *sw_logs_api_group_param(struct sw_engine_call *c, struct sw_buf *tmp);

/* A group's ARN (star: with the ":*" DescribeLogGroups' arn has). out is reset. */
void sw_logs_api_group_arn(struct sw_engine *e, struct sw_buf *out, const char *name, int star);

/* Fail the call: ResourceNotFoundException for the group / the stream; a database error (500). -1. */
int sw_logs_api_no_group(struct sw_engine_call *c);
int sw_logs_api_no_stream(struct sw_engine_call *c);
int sw_logs_api_db_error(struct sw_engine_call *c);

/* nextToken of the Describe calls: a decimal offset. -1 when not one of ours. */
long long sw_logs_api_offset_token(const char *t);

int sw_logs_op_create_log_group(struct sw_engine_call *c);
int sw_logs_op_describe_log_groups(struct sw_engine_call *c);
int sw_logs_op_delete_log_group(struct sw_engine_call *c);
int sw_logs_op_put_retention_policy(struct sw_engine_call *c);
int sw_logs_op_delete_retention_policy(struct sw_engine_call *c);
int sw_logs_op_create_log_stream(struct sw_engine_call *c);
int sw_logs_op_describe_log_streams(struct sw_engine_call *c);
int sw_logs_op_delete_log_stream(struct sw_engine_call *c);
int sw_logs_op_put_log_events(struct sw_engine_call *c);
int sw_logs_op_get_log_events(struct sw_engine_call *c);
int sw_logs_op_filter_log_events(struct sw_engine_call *c);

/* 1 when days is one of CloudWatch's retention periods (log_group.c). */
int sw_logs_group_retention_valid(long long days);

#endif
