#ifndef SW_AWS_CLIENT_H
#define SW_AWS_CLIENT_H

#include <time.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/aws/credentials.h"
#include "common/aws/endpoint.h"
#include "common/aws/retry.h"

/*
 * The AWS client: one call = one operation of ECS, ECR, CloudWatch Logs (JSON 1.1) or
 * ELBv2 (Query), signed with SigV4, retried as the SDKs' standard mode, answered as JSON.
 *
 *	struct sw_aws_client *aws;
 *	struct sw_aws_result res;
 *	if (sw_aws_client_new(&aws, NULL) < 0)          // region, endpoints, credential chain
 *		die("%s", sw_error_last());
 *	sw_aws_result_init(&res);
 *	if (sw_aws_call(aws, "ecs", "DescribeServices", params, &res) < 0)
 *		// sw_error_last(): "ecs DescribeServices: ClusterNotFoundException: Cluster not found."
 *		// res.error_code / res.error_message / res.attempts / res.status
 *	else
 *		use(res.response);                          // botocore-shaped JSON
 *	sw_aws_result_release(&res);
 *	sw_aws_client_free(aws);
 *
 * Call sw_aws_global_init() once from main() before threads start. A client is
 * thread-safe: its settings do not change after sw_aws_client_new(), and the credential
 * cache and the retry quota have their own locks.
 */

/* curl and libxml2 global setup; once, from main(). */
int sw_aws_global_init(void);

struct sw_aws_client_options {
	const char *profile;        /* NULL: $AWS_PROFILE, else "default"; set: it wins over the
				       environment's keys, as the AWS CLI's --profile */
	const char *region;         /* NULL: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region,
				       then the instance's (IMDSv2 placement/region) */
	const char *endpoint_url;   /* NULL: per service (endpoint.h order); set: for every service */
	/* Borrowed credential chain (the caller frees it after the client); NULL: the client
	 * makes its own from credentials_options (or the defaults). */
	struct sw_aws_credentials *credentials;
	const struct sw_aws_credentials_options *credentials_options;
	long connect_timeout_ms;    /* 0: 5000 */
	long attempt_timeout_ms;    /* one HTTP exchange; 0: 30000 */
	long call_timeout_ms;       /* the whole call, retries and backoff included; 0: 120000 */
	size_t max_response;        /* bytes of one answer; 0: 8 MiB */
	struct sw_aws_retry_options retry;
	time_t (*now)(void *ctx);   /* the signing clock; NULL: time() */
	void *now_ctx;
};

struct sw_aws_client;

/*
 * Resolve the region and every service's endpoint, set up the credentials (nothing is
 * fetched until the first call). opt may be NULL. Returns 0, or SW_ENOTFOUND (no region),
 * SW_EINVAL (bad endpoint URL, malformed profile file) with the error slot set.
 * Free with sw_aws_client_free().
 */
int sw_aws_client_new(struct sw_aws_client **out, const struct sw_aws_client_options *opt);
void sw_aws_client_free(struct sw_aws_client *c);

const char *sw_aws_client_region(const struct sw_aws_client *c);
/* The endpoint a service is called at (NULL for an unknown service). Points into c. */
const struct sw_aws_endpoint *sw_aws_client_endpoint(const struct sw_aws_client *c, const char *service);
/* The client's credential chain (e.g. for a registry login with ECR's token). Points into c. */
struct sw_aws_credentials *sw_aws_client_credentials(struct sw_aws_client *c);

/* The outcome of one call. Caller-owned: sw_aws_result_init() / _release(). */
struct sw_aws_result {
	json_t *response;           /* the answer (a JSON object) on success; owned, freed by _release */
	long status;                /* HTTP status of the last attempt; 0 when none answered */
	int attempts;               /* HTTP attempts made (1..max_attempts) */
	long backoff_ms;            /* total time slept between attempts */
	struct sw_buf request_id;   /* x-amzn-RequestId / <RequestId> of the last answer */
	struct sw_buf error_code;   /* the service's error code ("ClusterNotFoundException"); empty
				       when the call succeeded or no answer came */
	struct sw_buf error_message;
};

void sw_aws_result_init(struct sw_aws_result *res);
void sw_aws_result_release(struct sw_aws_result *res);

/*
 * Call service ("ecs", "ecr", "elbv2", "logs") operation ("DescribeServices") with params
 * (a JSON object in the botocore shape, or NULL for {}); for elbv2 the members become Query
 * parameters by the model (lists as X.member.N). res is released first, then filled.
 * Returns 0 (res->response set), or:
 *   SW_ERROR     the service answered an error (res->error_code/_message);
 *   SW_EAUTH     ... an authentication error (UnrecognizedClientException, AccessDenied...,
 *                InvalidSignatureException, SignatureDoesNotMatch, ExpiredToken...) or the
 *                credential chain failed;
 *   SW_EUNAVAIL  no answer (cannot connect, reset) after the retries;
 *   SW_ETIMEOUT  the attempt or call timeout passed;
 *   SW_EINVAL    bad service, operation or params (nothing was sent).
 * The error slot always holds one line: "<service> <Operation>: <Code>: <message>" (plus
 * " (3 attempts)" when it was retried).
 */
int sw_aws_call(struct sw_aws_client *c, const char *service, const char *operation, const json_t *params,
		struct sw_aws_result *res);

#endif
