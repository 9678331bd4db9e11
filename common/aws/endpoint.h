#ifndef SW_AWS_ENDPOINT_H
#define SW_AWS_ENDPOINT_H

#include "common/buf.h"
#include "common/aws/model.h"
#include "common/aws/profile.h"

/*
 * The services slipway calls, their wire protocol, and where to reach them.
 * Every field comes from botocore's model metadata (data/<svc>/<ver>/service-2.json).
 */
enum sw_aws_protocol {
	SW_AWS_JSON,   /* JSON 1.1: POST /, X-Amz-Target: <target_prefix>.<Operation> */
	SW_AWS_QUERY,  /* Query: POST / form-encoded Action=..&Version=.., XML answers */
};

struct sw_aws_service {
	const char *name;            /* slipway's name for it: "ecs", "ecr", "elbv2", "logs",
					"cloudformation", "sts", "acm" */
	const char *service_id;      /* botocore serviceId: "ECS", "Elastic Load Balancing v2" */
	const char *env_suffix;      /* AWS_ENDPOINT_URL_<env_suffix>: "ECS", "ELASTIC_LOAD_BALANCING_V2" */
	const char *config_key;      /* key in a [services x] section: "ecs", "elastic_load_balancing_v2" */
	const char *endpoint_prefix; /* "ecs", "api.ecr", "elasticloadbalancing", "logs" */
	const char *signing_name;    /* SigV4 service name: "ecs", "ecr", "elasticloadbalancing", "logs" */
	enum sw_aws_protocol protocol;
	const char *target_prefix;   /* JSON: "AmazonEC2ContainerServiceV20141113"; Query: NULL */
	const char *api_version;     /* "2014-11-13"; Query services send it as Version= */
	const struct sw_aws_model *model; /* Query: the model its parameters and answers follow */
};

/* How many services the table holds. */
#define SW_AWS_NR_SERVICES 7

/* The table (static storage): SW_AWS_NR_SERVICES entries, then one with name NULL. */
extern const struct sw_aws_service sw_aws_services[SW_AWS_NR_SERVICES + 1];

/* Look a service up by slipway name ("ecs", "elbv2", "cloudformation", ...); NULL if unknown. */
const struct sw_aws_service *sw_aws_service_find(const char *name);

/*
 * The region: $AWS_REGION, else $AWS_DEFAULT_REGION, else the profile's "region"
 * (p may be NULL). Appended to out. SW_ENOTFOUND when none is set ("no AWS region:
 * set AWS_REGION or region in the profile"), SW_EINVAL when it is not a DNS label
 * run ([a-z0-9-]).
 */
int sw_aws_region_resolve(struct sw_buf *out, const struct sw_aws_profile *p);

/* Caller-owned; sw_aws_endpoint_release() frees. */
struct sw_aws_endpoint {
	char *url;          /* "https://ecs.us-east-1.amazonaws.com" (no trailing '/') */
	char *host;         /* Host header: "ecs.us-east-1.amazonaws.com", "127.0.0.1:5482" */
	char *path;         /* request path: "/" or the URL's own path ("/prefix/") */
	const char *source; /* static: "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL",
			       "services section", "profile endpoint_url", "default", "explicit" */
};

/*
 * The endpoint for svc, in the SDKs' order (botocore ConfiguredEndpointProvider and the
 * SDK reference guide, "Service-specific endpoints"):
 *   1. $AWS_ENDPOINT_URL_<SERVICE>   2. $AWS_ENDPOINT_URL
 *   3. the profile's [services x] section: <config_key> = / endpoint_url = ...
 *   4. the profile's endpoint_url
 *   5. https://<endpoint_prefix>.<region>.amazonaws.com (.amazonaws.com.cn in cn-*)
 * $AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or ignore_configured_endpoint_urls = true in the
 * profile) skips 1-4. explicit_url, when not NULL, beats all of them. p may be NULL.
 * Returns 0, or SW_EINVAL for a URL that is not http(s)://host[:port][/path] (the
 * message names where it came from), or when the profile names a missing services section.
 */
int sw_aws_endpoint_resolve(struct sw_aws_endpoint *out, const struct sw_aws_service *svc,
			    const char *region, const struct sw_aws_profile *p, const char *explicit_url);
void sw_aws_endpoint_release(struct sw_aws_endpoint *e);

/*
 * Split an http(s) URL into its Host header value (default port dropped, as botocore
 * does) and its path ("/" when none). Returns 0 or SW_EINVAL. Caller frees both.
 */
int sw_aws_url_split(const char *url, char **host, char **path, int *https);

#endif
