#include <stdlib.h>
#include <string.h>

#include "releaser/doctor.h"
#include "releaser/releaser.h"
#include "releaser/route.h"
#include "common/aws/credentials.h"
#include "common/docker.h"
#include "common/env.h"
#include "common/error.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/banned.h"

static void check(json_t *list, const char *name, int ok, const char *detail, const char *fix)
{
	json_t *o = json_pack("{s:s, s:b, s:s}", "check", name, "ok", ok, "detail", detail ? detail : "");
	if (!ok && fix)
		json_object_set_new(o, "fix", json_string(fix));
	json_array_append_new(list, o);
}

/* What to fix for a failed call: an endpoint that did not answer is not a missing permission. */
static const char *fix_for(int code, const char *fix)
{
	if (code == SW_EUNAVAIL || code == SW_ETIMEOUT)
		return "make the AWS endpoint reachable: start it, or correct AWS_ENDPOINT_URL / the region and "
		       "the network";
	return fix;
}

json_t *sw_doctor_run(const struct sw_runenv *e)
{
	json_t *list = json_array(), *req, *resp = NULL;
	struct sw_buf d = SW_BUF_INIT, errcode = SW_BUF_INIT;
	const struct sw_settings *s = e->settings;
	struct sw_aws_creds creds;
	int ok, code;

	/* credentials and region */
	sw_aws_creds_init(&creds);
	ok = sw_aws_credentials_get(sw_aws_client_credentials(e->aws), &creds) == 0;
	if (ok)
		sw_buf_addf(&d, "key %.4s... from %s", creds.access_key_id, creds.source);
	check(list, "credentials", ok, ok ? d.ptr : sw_error_last(),
	      "give slipwayd AWS credentials: AWS_PROFILE with the shared files, the environment, or an "
	      "instance role");
	sw_aws_creds_release(&creds);
	sw_buf_reset(&d);
	check(list, "region", 1, sw_aws_client_region(e->aws), NULL);

	/* the cluster */
	req = json_pack("{s:[s]}", "clusters", s->cluster);
	ok = (code = sw_runenv_call(e, "ecs", "DescribeClusters", req, &resp, NULL, NULL)) == 0;
	json_decref(req);
	if (ok) {
		const json_t *c = json_array_get(json_object_get(resp, "clusters"), 0);
		ok = c && sw_json_str(c, "status") && !strcmp(sw_json_str(c, "status"), "ACTIVE");
		if (ok)
			sw_buf_addf(&d, "%s is ACTIVE with %lld container instance(s)", s->cluster,
				    sw_json_int(c, "registeredContainerInstancesCount", 0));
		else
			sw_buf_addf(&d, "cluster %s %s", s->cluster, c ? sw_json_str(c, "status") : "not found");
	} else {
		sw_buf_adds(&d, sw_error_last());
	}
	check(list, "cluster", ok, d.ptr, fix_for(code, "create the cluster, or name it with SLIPWAY_CLUSTER"));
	json_decref(resp);
	resp = NULL;
	sw_buf_reset(&d);

	/* the load balancer's listener */
	if (s->load_balancer) {
		if (s->listener_arn) {
			req = json_pack("{s:[s]}", "ListenerArns", s->listener_arn);
			ok = (code = sw_runenv_call(e, "elbv2", "DescribeListeners", req, &resp, NULL, NULL)) == 0 &&
			     json_array_size(json_object_get(resp, "Listeners")) == 1;
			json_decref(req);
			sw_buf_adds(&d, ok ? s->listener_arn : sw_error_last());
		} else {
			ok = (code = sw_runenv_call(e, "elbv2", "DescribeLoadBalancers", NULL, &resp, NULL, NULL)) == 0 &&
			     json_array_size(json_object_get(resp, "LoadBalancers")) > 0;
			sw_buf_adds(&d, ok ? "found by discovery (first load balancer)" :
				    *sw_error_last() ? sw_error_last() : "no load balancer");
		}
		check(list, "listener", ok, d.ptr, fix_for(code, "set SLIPWAY_LISTENER_ARN to the listener apps are "
							       "routed through (or SLIPWAY_LOAD_BALANCER=none)"));
		json_decref(resp);
		resp = NULL;
		sw_buf_reset(&d);
	}

	/* ECR */
	req = json_pack("{s:i}", "maxResults", 1);
	ok = (code = sw_runenv_call(e, "ecr", "DescribeRepositories", req, &resp, NULL, NULL)) == 0;
	json_decref(req);
	json_decref(resp);
	resp = NULL;
	if (ok)
		ok = (code = sw_runenv_call(e, "ecr", "GetAuthorizationToken", NULL, &resp, NULL, NULL)) == 0;
	if (ok) {
		const char *ep = sw_json_str(json_array_get(json_object_get(resp, "authorizationData"), 0), "proxyEndpoint");
		sw_buf_addf(&d, "registry %s", ep ? ep : "?");
	} else {
		sw_buf_adds(&d, sw_error_last());
	}
	check(list, "repository", ok, d.ptr, fix_for(code, "allow ecr:DescribeRepositories, ecr:CreateRepository, "
						     "ecr:GetAuthorizationToken and the push actions"));
	json_decref(resp);
	resp = NULL;
	sw_buf_reset(&d);

	/* CloudWatch Logs */
	req = json_pack("{s:s, s:i}", "logGroupNamePrefix", s->log_group_prefix, "limit", 1);
	ok = (code = sw_runenv_call(e, "logs", "DescribeLogGroups", req, &resp, &errcode, NULL)) == 0;
	json_decref(req);
	json_decref(resp);
	resp = NULL;
	check(list, "logs", ok, ok ? s->log_group_prefix : sw_error_last(),
	      fix_for(code, "allow logs:CreateLogGroup, logs:DescribeLogGroups and logs:GetLogEvents"));

	/* Docker, where builds run */
	ok = sw_docker_json("GET", "/version", NULL, &resp) >= 0;
	if (ok) {
		const char *host = sw_env_str("DOCKER_HOST");
		sw_buf_addf(&d, "Docker %s at %s", sw_json_str_or(resp, "Version", "?"),
			    host ? host : "unix:///var/run/docker.sock");
	}
	check(list, "docker", ok, ok ? d.ptr : sw_error_last(), "start Docker, or point DOCKER_HOST at it");
	json_decref(resp);
	sw_buf_release(&d);
	sw_buf_release(&errcode);
	return json_pack("{s:o}", "checks", list);
}
