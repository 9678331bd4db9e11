#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "releaser/doctor.h"
#include "releaser/ecr.h"
#include "releaser/launch.h"
#include "releaser/releaser.h"
#include "releaser/route.h"
#include "common/aws/credentials.h"
#include "common/aws/stack.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/store.h"
#include "common/banned.h"

#define MAX_REPOSITORIES 100   /* app repositories whose lifecycle policy is looked at */

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

static const char *str(const json_t *o, const char *k)
{
	return sw_json_str(o, k);
}

/* " (stack slipway)" / " (SLIPWAY_CLUSTER)" / "" for a default, appended. */
static void from(const struct sw_settings *s, const char *setting, struct sw_buf *d)
{
	const char *f = sw_settings_from(s, setting);
	if (strcmp(f, "default"))
		sw_buf_addf(d, " (%s)", f);
}

static void check_credentials(const struct sw_runenv *e, json_t *list)
{
	struct sw_aws_creds creds;
	struct sw_buf d = SW_BUF_INIT;
	int ok;

	sw_aws_creds_init(&creds);
	ok = sw_aws_credentials_get(sw_aws_client_credentials(e->aws), &creds) == 0;
	if (ok)
		sw_buf_addf(&d, "key %.4s... from %s", creds.access_key_id, creds.source);
	check(list, "credentials", ok, ok ? d.ptr : sw_error_last(),
	      "give slipwayd AWS credentials: AWS_PROFILE with the shared files, the environment, or an "
	      "instance role");
	sw_aws_creds_release(&creds);
	sw_buf_release(&d);
	check(list, "region", 1, sw_aws_client_region(e->aws), NULL);
}

static void check_stack(const struct sw_runenv *e, json_t *list)
{
	struct sw_buf d = SW_BUF_INIT, fix = SW_BUF_INIT;
	json_t *out = NULL;
	int code;

	if (!e->settings->stack)
		return;
	code = sw_aws_stack_outputs(e->aws, e->settings->stack, &out);
	if (code == 0)
		sw_buf_addf(&d, "%s: its outputs give what the environment does not say", e->settings->stack);
	sw_buf_addf(&fix, "run `slipway aws:bootstrap --stack %s` (docs/aws.md), then restart slipwayd", e->settings->stack);
	check(list, "stack", code == 0, code == 0 ? d.ptr : sw_error_last(), fix_for(code, fix.ptr));
	json_decref(out);
	sw_buf_release(&d);
	sw_buf_release(&fix);
}

/* The cluster as DescribeClusters shows it (a new reference), with the cluster check; NULL when not ACTIVE. */
static json_t *check_cluster(const struct sw_runenv *e, json_t *list)
{
	const struct sw_settings *s = e->settings;
	struct sw_buf d = SW_BUF_INIT;
	json_t *req = json_pack("{s:[s]}", "clusters", s->cluster), *resp = NULL, *c = NULL;
	int ok, code;

	ok = (code = sw_runenv_call(e, "ecs", "DescribeClusters", req, &resp, NULL, NULL)) == 0;
	if (ok) {
		c = json_incref(json_array_get(json_object_get(resp, "clusters"), 0));
		ok = c && str(c, "status") && !strcmp(str(c, "status"), "ACTIVE");
		sw_buf_addf(&d, "%s %s", s->cluster, c ? (ok ? "is ACTIVE" : str(c, "status")) : "not found");
		from(s, "cluster", &d);
	} else {
		sw_buf_adds(&d, sw_error_last());
	}
	check(list, "cluster", ok, d.ptr, fix_for(code, "create the cluster (slipway aws:bootstrap), or name it with "
						   "SLIPWAY_CLUSTER or SLIPWAY_STACK"));
	if (!ok) {
		json_decref(c);
		c = NULL;
	}
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&d);
	return c;
}

static void providers(const json_t *c, struct sw_buf *out)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(c, "capacityProviders"), i, p)
		sw_buf_addf(out, "%s%s", i ? ", " : "", json_string_value(p));
}

/* Launch, capacity and (Fargate) network, from the cluster c. */
static void check_launch(const struct sw_runenv *e, const json_t *c, json_t *list)
{
	const struct sw_settings *s = e->settings;
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_buf d = SW_BUF_INIT, names = SW_BUF_INIT;
	long long instances = sw_json_int(c, "registeredContainerInstancesCount", 0);
	int ok;

	sw_launch_choose(s->launch, c, &l);
	sw_buf_addf(&d, "%s (%s): %s", l.fargate ? "fargate" : "ec2", l.why,
		    l.strategy ? "capacity provider strategy" : l.launch_type);
	check(list, "launch", 1, d.ptr, NULL);
	sw_buf_reset(&d);
	providers(c, &names);
	if (l.fargate) {
		ok = 1;
		if (strstr(names.ptr, "FARGATE"))
			sw_buf_addf(&d, "the cluster's capacity providers: %s", names.ptr);
		else
			sw_buf_adds(&d, "launchType FARGATE (the cluster has no Fargate capacity provider; AWS needs none)");
	} else {
		ok = instances > 0 || (l.strategy && json_array_size(l.strategy));
		sw_buf_addf(&d, "%lld container instance(s) registered", instances);
		if (l.strategy)
			sw_buf_addf(&d, "; capacity providers %s start more as tasks need them", names.ptr);
	}
	check(list, "capacity", ok, d.ptr, "start EC2 instances with the ECS agent in the cluster (slipway aws:bootstrap "
					   "--ec2 t3.small:2), or run on Fargate (SLIPWAY_LAUNCH=fargate)");
	sw_buf_reset(&d);
	if (l.fargate) {
		ok = sw_launch_network(&l, s->subnets, s->security_groups, s->assign_public_ip) == 0;
		if (ok) {
			sw_buf_addf(&d, "subnets %s", s->subnets);
			from(s, "subnets", &d);
			sw_buf_addf(&d, ", security groups %s, public address %s",
				    s->security_groups ? s->security_groups : "(the VPC's default)",
				    s->assign_public_ip ? s->assign_public_ip : "DISABLED");
		} else if (!sw_route_on_aws(e)) {
			ok = 1;   /* the engine: its load balancer's subnet (launch.h) */
			sw_buf_adds(&d, "slipway-engine's load balancer's subnet and security group");
		}
		check(list, "network", ok, ok ? d.ptr : sw_error_last(),
		      "set SLIPWAY_SUBNETS (and SLIPWAY_SECURITY_GROUPS, SLIPWAY_ASSIGN_PUBLIC_IP=ENABLED in public "
		      "subnets without NAT), or SLIPWAY_STACK");
	}
	sw_launch_release(&l);
	sw_buf_release(&d);
	sw_buf_release(&names);
}

static void check_listener(const struct sw_runenv *e, json_t *list, struct sw_route_place *place)
{
	struct sw_buf d = SW_BUF_INIT;
	int ok, code;

	if (!e->settings->load_balancer)
		return;
	ok = (code = sw_route_place(e, place)) == 0;
	if (ok) {
		ok = place->protocol && (!strcmp(place->protocol, "HTTP") || !strcmp(place->protocol, "HTTPS")) &&
		     place->load_balancer_type && !strcmp(place->load_balancer_type, "application");
		sw_buf_addf(&d, "%s listener of %s load balancer %s in %s", place->protocol ? place->protocol : "?",
			    place->load_balancer_type ? place->load_balancer_type : "?", place->load_balancer_arn,
			    place->vpc_id);
		if (place->engine)
			sw_buf_adds(&d, " (slipway-engine's, by its name)");
		else
			from(e->settings, "listener_arn", &d);
	} else {
		sw_buf_adds(&d, sw_error_last());
	}
	check(list, "listener", ok, d.ptr, fix_for(code, "name an HTTP or HTTPS listener of an application load "
						   "balancer: SLIPWAY_STACK (slipway aws:bootstrap) or "
						   "SLIPWAY_LISTENER_ARN, and no SLIPWAY_VPC_ID but its VPC "
						   "(or SLIPWAY_LOAD_BALANCER=none)"));
	sw_buf_release(&d);
}

/* The account of an ARN ("arn:aws:ecs:eu-west-1:123456789012:cluster/x" → "123456789012"), appended. */
static void account_of(const char *arn, struct sw_buf *out)
{
	const char *p = arn;
	int i;
	for (i = 0; p && i < 4; i++)
		p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
	if (p)
		sw_buf_add(out, p, strcspn(p, ":"));
}

/*
 * With a stack: its ExecutionRole resource's status, when its physical id is role's name.
 * All the stack's resources are asked for (fewer than 100: one answer) and the role found
 * among them by its logical id.
 */
static int stack_role(const struct sw_runenv *e, const char *role, struct sw_buf *d)
{
	json_t *req = json_pack("{s:s}", "StackName", e->settings->stack), *resp = NULL, *r;
	const json_t *found = NULL;
	const char *name = strrchr(role, '/') + 1, *status;
	size_t i;
	int ret = sw_runenv_call(e, "cloudformation", "DescribeStackResources", req, &resp, NULL, NULL);

	json_decref(req);
	json_array_foreach(json_object_get(resp, "StackResources"), i, r)
		if (str(r, "LogicalResourceId") && !strcmp(str(r, "LogicalResourceId"), "ExecutionRole"))
			found = r;
	status = str(found, "ResourceStatus");
	if (ret == 0 && (!status || !strstr(status, "_COMPLETE") || strstr(status, "DELETE") ||
			 !str(found, "PhysicalResourceId") || strcmp(str(found, "PhysicalResourceId"), name)))
		ret = sw_error("the stack's ExecutionRole is %s%s%s, not %s", str(found, "PhysicalResourceId") ?
			       str(found, "PhysicalResourceId") : "missing", status ? " " : "", status ? status : "", name);
	if (ret == 0)
		sw_buf_addf(d, "; the stack's ExecutionRole (%s), which its policy lets slipwayd pass", status);
	json_decref(resp);
	return ret;
}

static void check_role(const struct sw_runenv *e, const json_t *cluster, json_t *list)
{
	const struct sw_settings *s = e->settings;
	const char *role = s->execution_role_arn;
	struct sw_buf d = SW_BUF_INIT, acct = SW_BUF_INIT, racct = SW_BUF_INIT;
	struct sw_launch l = SW_LAUNCH_INIT;
	int ok = 1;

	sw_launch_choose(s->launch, cluster, &l);
	if (!role) {
		ok = !l.fargate;
		sw_buf_adds(&d, ok ? "none (EC2 instances pull images and write logs with their own role)"
				   : "none: Fargate tasks need one for ECR pulls and awslogs");
	} else if (sw_settings_check_role_arn(role) < 0) {
		ok = 0;
		sw_buf_adds(&d, sw_error_last());
	} else {
		account_of(str(cluster, "clusterArn"), &acct);
		account_of(role, &racct);
		sw_buf_adds(&d, role);
		from(s, "execution_role_arn", &d);
		if (acct.len && strcmp(acct.ptr, racct.ptr)) {
			ok = 0;
			sw_buf_addf(&d, " is of account %s, the cluster of %s", racct.ptr, acct.ptr);
		} else if (s->stack && !strncmp(sw_settings_from(s, "execution_role_arn"), "stack ", 6) &&
			   stack_role(e, role, &d) < 0) {
			ok = 0;
			sw_buf_addf(&d, ": %s", sw_error_last());
		}
		if (ok)
			sw_buf_adds(&d, "; IAM not asked (slipwayd's policy has no iam:GetRole): a role slipwayd may not "
					"pass fails the first task definition naming iam:PassRole");
	}
	check(list, "execution role", ok, d.ptr, "set SLIPWAY_EXECUTION_ROLE_ARN to a role of the cluster's account "
						  "that ecs-tasks.amazonaws.com may assume, with "
						  "AmazonECSTaskExecutionRolePolicy (or use SLIPWAY_STACK)");
	sw_launch_release(&l);
	sw_buf_release(&d);
	sw_buf_release(&acct);
	sw_buf_release(&racct);
}

/*
 * The role ECS shifts traffic with (blue/green, linear, canary): of the cluster's account.
 * None set is fine on the engine's own load balancer (its default) and otherwise said:
 * only apps with a shifting strategy need it, and their releases are refused (golive.c).
 */
static void check_lb_role(const struct sw_runenv *e, const json_t *cluster, json_t *list)
{
	const struct sw_settings *s = e->settings;
	struct sw_buf d = SW_BUF_INIT, acct = SW_BUF_INIT, racct = SW_BUF_INIT;
	int ok = 1;

	if (!s->load_balancer)
		return;
	if (!strcmp(sw_settings_from(s, "lb_role_arn"), "default") && (s->listener_arn || sw_route_on_aws(e))) {
		sw_buf_adds(&d, "none: releases of apps with a blue-green, linear or canary strategy are refused "
				"(set SLIPWAY_LB_ROLE_ARN, or use SLIPWAY_STACK)");
	} else {
		account_of(str(cluster, "clusterArn"), &acct);
		account_of(s->lb_role_arn, &racct);
		sw_buf_adds(&d, s->lb_role_arn);
		from(s, "lb_role_arn", &d);
		if (acct.len && strcmp(acct.ptr, racct.ptr)) {
			ok = 0;
			sw_buf_addf(&d, " is of account %s, the cluster of %s", racct.ptr, acct.ptr);
		}
	}
	check(list, "load balancer role", ok, d.ptr, "set SLIPWAY_LB_ROLE_ARN to a role of the cluster's account that "
						      "ecs.amazonaws.com may assume, with "
						      "AmazonECSInfrastructureRolePolicyForLoadBalancers (or use "
						      "SLIPWAY_STACK)");
	sw_buf_release(&d);
	sw_buf_release(&acct);
	sw_buf_release(&racct);
}

static void check_domain(const struct sw_runenv *e, const struct sw_route_place *place, json_t *list)
{
	const char *domain = e->settings->apps_domain;
	struct sw_buf name = SW_BUF_INIT, d = SW_BUF_INIT, fix = SW_BUF_INIT;
	struct addrinfo hints, *res = NULL;
	int ok, rc;

	if (!strcmp(domain, "localhost")) {
		check(list, "apps domain", 1, "localhost: every name under it is the loopback (RFC 6761)", NULL);
		return;
	}
	/* a name nobody made: only a wildcard record answers it */
	sw_buf_addf(&name, "sw-doctor-%08x.%s", sw_runenv_random(e), domain);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name.ptr, "80", &hints, &res);
	ok = rc == 0;
	if (ok)
		sw_buf_addf(&d, "%s resolves (*.%s)", name.ptr, domain);
	else
		sw_buf_addf(&d, "%s does not resolve: %s", name.ptr, gai_strerror(rc));
	sw_buf_addf(&fix, "make *.%s a CNAME of the load balancer%s%s (docs/aws.md, step 4)", domain,
		    place->dns_name ? ", " : "", place->dns_name ? place->dns_name : "");
	check(list, "apps domain", ok, d.ptr, fix.ptr);
	if (res)
		freeaddrinfo(res);
	sw_buf_release(&name);
	sw_buf_release(&d);
	sw_buf_release(&fix);
}

static void check_repository(const struct sw_runenv *e, json_t *list)
{
	struct sw_buf d = SW_BUF_INIT;
	json_t *req = json_pack("{s:i}", "maxResults", 1), *resp = NULL;
	int ok, code;

	ok = (code = sw_runenv_call(e, "ecr", "DescribeRepositories", req, &resp, NULL, NULL)) == 0;
	json_decref(resp);
	resp = NULL;
	if (ok)
		ok = (code = sw_runenv_call(e, "ecr", "GetAuthorizationToken", NULL, &resp, NULL, NULL)) == 0;
	if (ok)
		sw_buf_addf(&d, "registry %s", sw_json_str_or(json_array_get(json_object_get(resp, "authorizationData"), 0),
							      "proxyEndpoint", "?"));
	else
		sw_buf_adds(&d, sw_error_last());
	check(list, "repository", ok, d.ptr, fix_for(code, "allow ecr:DescribeRepositories, ecr:CreateRepository, "
						     "ecr:GetAuthorizationToken and the push actions"));
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&d);
}

/* 1 when the repository's policy is slipway's, 0 when it has another or none, -1 when it has no repository. */
static int lifecycle_of(const struct sw_runenv *e, const char *repo, int *code)
{
	struct sw_buf err = SW_BUF_INIT;
	json_t *req = json_pack("{s:s}", "repositoryName", repo), *resp = NULL, *have, *want;
	int ret = sw_runenv_call(e, "ecr", "GetLifecyclePolicy", req, &resp, &err, NULL);

	*code = ret;
	if (ret < 0) {
		ret = !strcmp(err.ptr, "RepositoryNotFoundException") ? -1 :
		      !strcmp(err.ptr, "LifecyclePolicyNotFoundException") ? (*code = 0) : -2;
	} else {
		have = json_loads(sw_json_str_or(resp, "lifecyclePolicyText", ""), 0, NULL);
		want = json_loads(sw_ecr_lifecycle_policy(), 0, NULL);
		ret = have && json_equal(have, want);
		json_decref(have);
		json_decref(want);
	}
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&err);
	return ret;
}

static void check_lifecycle(const struct sw_runenv *e, json_t *list)
{
	struct sw_buf d = SW_BUF_INIT, missing = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int repos = 0, good = 0, code = 0, failed = 0;

	if (!e->db || sw_store_prepare(e->db, &st, "SELECT DISTINCT app FROM releases ORDER BY app LIMIT ?") < 0) {
		check(list, "lifecycle policy", 0, sw_error_last(), "slipwayd's database cannot be read");
		return;
	}
	sqlite3_bind_int(st, 1, MAX_REPOSITORIES);
	while (!failed && sqlite3_step(st) == SQLITE_ROW) {
		const char *app = (const char *)sqlite3_column_text(st, 0);
		int r = lifecycle_of(e, app, &code);
		if (r == -2)
			failed = 1;
		if (r < 0)
			continue;
		repos++;
		good += r;
		if (!r)
			sw_buf_addf(&missing, "%s%s", missing.len ? ", " : "", app);
	}
	sqlite3_finalize(st);
	if (failed)
		sw_buf_adds(&d, sw_error_last());
	else if (!repos)
		sw_buf_adds(&d, "no app repository yet; each push puts slipway's policy on its app's");
	else
		sw_buf_addf(&d, "slipway's on %d of %d app repositories (keeps the last %d releases' images and the live "
			    "one)%s%s", good, repos, SW_ECR_KEEP_RELEASES, missing.len ? "; not on " : "", missing.ptr);
	check(list, "lifecycle policy", !failed && good == repos, d.ptr,
	      fix_for(code, failed ? "allow ecr:GetLifecyclePolicy and ecr:PutLifecyclePolicy on the app repositories"
				  : "push those apps again (each push puts the policy), and allow ecr:PutLifecyclePolicy"));
	sw_buf_release(&d);
	sw_buf_release(&missing);
}

static void check_logs(const struct sw_runenv *e, json_t *list)
{
	const struct sw_settings *s = e->settings;
	json_t *req = json_pack("{s:s, s:i}", "logGroupNamePrefix", s->log_group_prefix, "limit", 1), *resp = NULL;
	int ok, code;

	ok = (code = sw_runenv_call(e, "logs", "DescribeLogGroups", req, &resp, NULL, NULL)) == 0;
	check(list, "logs", ok, ok ? s->log_group_prefix : sw_error_last(),
	      fix_for(code, "allow logs:CreateLogGroup, logs:DescribeLogGroups and logs:GetLogEvents"));
	json_decref(req);
	json_decref(resp);
}

static void check_docker(json_t *list)
{
	struct sw_buf d = SW_BUF_INIT;
	json_t *resp = NULL;
	int ok = sw_docker_json("GET", "/version", NULL, &resp) >= 0;

	if (ok) {
		const char *host = getenv("DOCKER_HOST");
		sw_buf_addf(&d, "Docker %s at %s", str(resp, "Version") ? str(resp, "Version") : "?",
			    host && *host ? host : "unix:///var/run/docker.sock");
	}
	check(list, "docker", ok, ok ? d.ptr : sw_error_last(), "start Docker, or point DOCKER_HOST at it");
	json_decref(resp);
	sw_buf_release(&d);
}

json_t *sw_doctor_run(const struct sw_runenv *e)
{
	struct sw_route_place place = SW_ROUTE_PLACE_INIT;
	json_t *list = json_array(), *cluster;

	check_credentials(e, list);
	check_stack(e, list);
	if ((cluster = check_cluster(e, list)) != NULL)
		check_launch(e, cluster, list);
	check_listener(e, list, &place);
	check_role(e, cluster, list);
	check_lb_role(e, cluster, list);
	check_domain(e, &place, list);
	check_repository(e, list);
	check_lifecycle(e, list);
	check_logs(e, list);
	check_docker(list);
	json_decref(cluster);
	sw_route_place_release(&place);
	return json_pack("{s:o}", "checks", list);
}
