#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/launch.h"
#include "releaser/manifest.h"
#include "releaser/route.h"
#include "releaser/runtask.h"
#include "releaser/service.h"
#include "releaser/settings.h"
#include "releaser/taskdef.h"
#include "common/error.h"
#include "common/banned.h"

/*
 * How slipway launches tasks in each mode: the choice from the cluster, and the exact
 * requests (RegisterTaskDefinition, CreateService, UpdateService, RunTask) compared with
 * data/requests/<Operation>.<case>.json, which test/integration/releaser/
 * test_fixture_shapes.py holds to botocore's input shapes and AWS's documented limits.
 */

#define DATA "test/unit/releaser/data/requests/"
#define DIGEST "sha256:9ab3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091"
#define SUBNETS "subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788"
#define EXEC_ROLE "arn:aws:iam::123456789012:role/slipway-ExecutionRole-1A2B3C"
#define LB_ROLE "arn:aws:iam::123456789012:role/slipway-LoadBalancerRole-4D5E6F"
#define TG "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sw-hello/0123456789abcdef"

static void expect_json(json_t *got, const char *file)
{
	json_error_t err;
	json_t *want = json_load_file(file, 0, &err);
	if (!want)
		fail_msg("%s:%d: %s", file, err.line, err.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_INDENT(2));
		fail_msg("%s differs; got:\n%s", file, g);
	}
	json_decref(want);
}

/* j printed compactly equals want (j is not freed). */
static void assert_compact(const json_t *j, const char *want)
{
	char *got = json_dumps(j, JSON_COMPACT);
	if (!got || strcmp(got, want))
		fail_msg("got %s, want %s", got ? got : "(null)", want);
	free(got);
}

static json_t *cluster(const char *json)
{
	json_error_t err;
	json_t *c = json_loads(json, 0, &err);
	if (!c)
		fail_msg("%s", err.text);
	return c;
}

/* The stack's cluster: FARGATE (base 1) and FARGATE_SPOT as its default strategy. */
static const char *FARGATE_CLUSTER =
	"{\"clusterName\": \"slipway\", \"status\": \"ACTIVE\", \"capacityProviders\": [\"FARGATE\", \"FARGATE_SPOT\"],"
	" \"defaultCapacityProviderStrategy\": [{\"capacityProvider\": \"FARGATE\", \"weight\": 1, \"base\": 1},"
	" {\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 3, \"base\": 0}]}";

static void choose(void **state)
{
	struct sw_launch l = SW_LAUNCH_INIT;
	json_t *c = cluster(FARGATE_CLUSTER), *asg, *none;

	sw_launch_choose(SW_LAUNCH_AUTO, c, &l);
	assert_true(l.fargate);
	assert_string_equal(l.why, "the cluster's default capacity provider strategy (FARGATE, FARGATE_SPOT)");
	assert_int_equal(json_array_size(l.strategy), 2);
	assert_null(l.launch_type);
	/* ec2 forced on that cluster: its strategy is Fargate's, so a launch type */
	sw_launch_choose(SW_LAUNCH_EC2, c, &l);
	assert_false(l.fargate);
	assert_string_equal(l.why, "SLIPWAY_LAUNCH");
	assert_null(l.strategy);
	assert_string_equal(l.launch_type, "EC2");

	/* aws:bootstrap --ec2: an Auto Scaling provider is the default, FARGATE stays associated */
	asg = cluster("{\"status\": \"ACTIVE\", \"capacityProviders\": [\"FARGATE\", \"FARGATE_SPOT\", \"asg-1\"],"
		      " \"defaultCapacityProviderStrategy\": [{\"capacityProvider\": \"asg-1\", \"weight\": 1, \"base\": 0}]}");
	sw_launch_choose(SW_LAUNCH_AUTO, asg, &l);
	assert_false(l.fargate);
	assert_compact(l.strategy, "[{\"capacityProvider\":\"asg-1\",\"weight\":1}]");
	sw_launch_choose(SW_LAUNCH_FARGATE, asg, &l);
	assert_true(l.fargate);
	assert_compact(l.strategy, "[{\"capacityProvider\":\"FARGATE\",\"weight\":1}]");

	/* the engine today: no strategy, no providers */
	none = cluster("{\"status\": \"ACTIVE\", \"capacityProviders\": [], \"defaultCapacityProviderStrategy\": []}");
	sw_launch_choose(SW_LAUNCH_AUTO, none, &l);
	assert_false(l.fargate);
	assert_string_equal(l.launch_type, "EC2");
	assert_string_equal(l.why, "the cluster has no default capacity provider strategy");
	sw_launch_choose(SW_LAUNCH_FARGATE, none, &l);
	assert_true(l.fargate);
	assert_null(l.strategy);
	assert_string_equal(l.launch_type, "FARGATE");

	/* the network: subnets are required on Fargate, nothing on EC2 */
	assert_int_equal(sw_launch_network(&l, NULL, NULL, NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "fargate tasks need subnets: set SLIPWAY_SUBNETS (and "
			    "SLIPWAY_SECURITY_GROUPS), or SLIPWAY_STACK");
	assert_int_equal(sw_launch_network(&l, "subnet-a,subnet-b", NULL, NULL), 0);
	assert_compact(l.network, "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-a\","
			    "\"subnet-b\"],\"assignPublicIp\":\"DISABLED\"}}");
	sw_launch_choose(SW_LAUNCH_EC2, none, &l);
	assert_int_equal(sw_launch_network(&l, NULL, NULL, NULL), 0);
	assert_null(l.network);
	sw_launch_release(&l);
	json_decref(c);
	json_decref(asg);
	json_decref(none);
}

/* The stack's Fargate launch, as a release records it. */
static void fargate_launch(struct sw_launch *l)
{
	json_t *c = cluster(FARGATE_CLUSTER);
	sw_launch_choose(SW_LAUNCH_AUTO, c, l);
	assert_int_equal(sw_launch_network(l, SUBNETS, "sg-0123456789abcdef0", "ENABLED"), 0);
	json_decref(c);
}

static void round_trip(void **state)
{
	struct sw_launch l = SW_LAUNCH_INIT, back = SW_LAUNCH_INIT;
	json_t *j, *j2, *bad;

	fargate_launch(&l);
	j = sw_launch_to_json(&l);
	assert_int_equal(sw_launch_from_json(&back, j), 0);
	j2 = sw_launch_to_json(&back);
	assert_true(json_equal(j, j2));
	/* a release made before launches were recorded ran on EC2 by launchType */
	assert_int_equal(sw_launch_from_json(&back, NULL), 0);
	assert_false(back.fargate);
	assert_string_equal(back.launch_type, "EC2");
	bad = json_pack("{s:s}", "mode", "lambda");
	assert_int_equal(sw_launch_from_json(&back, bad), SW_EINVAL);
	json_decref(bad);
	json_decref(j);
	json_decref(j2);
	sw_launch_release(&l);
	sw_launch_release(&back);
}

static void web_manifest(struct sw_manifest *m)
{
	const char *procfile = "web: httpd -f -p $PORT\n";
	sw_manifest_init(m);
	assert_int_equal(sw_manifest_parse_procfile(m, "Procfile", procfile, strlen(procfile), NULL), 0);
}

static void task_definitions(void **state)
{
	struct sw_manifest m;
	struct sw_taskdef_opts o;
	json_t *req;

	web_manifest(&m);
	memset(&o, 0, sizeof(o));
	o.app = "hello";
	o.version = 7;
	o.proc = sw_manifest_web(&m);
	o.image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello:4f2a1c9";
	o.digest = DIGEST;
	o.memory_mb = 1024;
	o.fargate = 1;
	o.log_group = "/slipway/hello";
	o.region = "eu-west-1";
	o.execution_role_arn = EXEC_ROLE;
	o.task_role_arn = "arn:aws:iam::123456789012:role/hello-app";
	assert_non_null(req = sw_taskdef_build(&o));   /* no CPU given: the smallest for 1 GiB */
	expect_json(req, DATA "RegisterTaskDefinition.web-fargate.json");
	json_decref(req);

	/* refused: a pair Fargate does not have, no execution role */
	o.cpu = 1024;
	assert_null(sw_taskdef_build(&o));
	assert_string_equal(sw_error_last(), "web: 1024 CPU units take 2048-8192 MiB in 1024 steps, not 1024");
	o.cpu = 0;
	o.execution_role_arn = NULL;
	assert_null(sw_taskdef_build(&o));
	assert_string_equal(sw_error_last(), "web: a Fargate task definition needs an execution role (ECR pulls, awslogs)");

	/* EC2: bridge, the container's memory and CPU units */
	o.fargate = 0;
	o.cpu = 512;
	o.task_role_arn = NULL;
	assert_non_null(req = sw_taskdef_build(&o));
	expect_json(req, DATA "RegisterTaskDefinition.web-ec2-cpu.json");
	json_decref(req);
	sw_manifest_release(&m);
}

static void spec(struct sw_service_spec *s, const struct sw_launch *l)
{
	memset(s, 0, sizeof(*s));
	s->cluster = "slipway";
	s->app = "hello";
	s->process = "web";
	s->name = "hello-web";
	s->taskdef = "arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-web:7";
	s->desired = 2;
	s->target_group = TG;
	s->port = 8080;
	s->grace_s = 30;
	s->launch = l;
}

static void services(void **state)
{
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_service_spec s;
	json_t *req, *svc, *asg;

	fargate_launch(&l);
	spec(&s, &l);
	expect_json(req = sw_service_create_request(&s), DATA "CreateService.web-fargate.json");
	json_decref(req);

	/* an EC2 service of the same app moves to Fargate: the strategy (forced), the network, the new group */
	svc = cluster("{\"serviceName\": \"hello-web\", \"launchType\": \"EC2\", \"capacityProviderStrategy\": []}");
	s.taskdef = "arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-web:8";
	s.target_group = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sw-hello-1a2b3c4d-b/"
			 "0123456789abcdef";
	assert_int_equal(sw_service_update_request(&s, svc, &req), 0);
	expect_json(req, DATA "UpdateService.web-to-fargate.json");
	json_decref(req);
	json_decref(svc);
	/* already on that strategy: not sent again (no forced deployment of a scale) */
	svc = cluster("{\"serviceName\": \"hello-web\", \"capacityProviderStrategy\": [{\"capacityProvider\": \"FARGATE\","
		      " \"weight\": 1, \"base\": 1}, {\"capacityProvider\": \"FARGATE_SPOT\", \"weight\": 3, \"base\": 0}]}");
	assert_int_equal(sw_service_update_request(&s, svc, &req), 0);
	assert_null(json_object_get(req, "capacityProviderStrategy"));
	assert_null(json_object_get(req, "forceNewDeployment"));
	assert_non_null(json_object_get(req, "networkConfiguration"));
	json_decref(req);
	json_decref(svc);

	/* launchType to launchType: ECS cannot, said in one line */
	sw_launch_release(&l);
	l.fargate = 1;
	l.launch_type = strdup("FARGATE");
	svc = cluster("{\"serviceName\": \"hello-web\", \"launchType\": \"EC2\"}");
	assert_int_equal(sw_service_update_request(&s, svc, &req), SW_EINVAL);
	assert_null(req);
	assert_string_equal(sw_error_last(), "web: the ECS service hello-web launches with EC2; an update cannot make it "
			    "FARGATE (ECS moves a launch type only to a capacity provider): give the cluster the FARGATE "
			    "capacity provider, or destroy and push the app again");
	json_decref(svc);
	/* a strategy back to a launch type: an empty strategy */
	svc = cluster("{\"serviceName\": \"hello-web\", \"capacityProviderStrategy\": [{\"capacityProvider\": \"asg-1\","
		      " \"weight\": 1}]}");
	assert_int_equal(sw_service_update_request(&s, svc, &req), 0);
	assert_int_equal(json_array_size(json_object_get(req, "capacityProviderStrategy")), 0);
	assert_true(json_is_true(json_object_get(req, "forceNewDeployment")));
	json_decref(req);
	json_decref(svc);

	/* EC2 with the cluster's Auto Scaling provider; a worker by launch type */
	asg = cluster("{\"status\": \"ACTIVE\", \"defaultCapacityProviderStrategy\": [{\"capacityProvider\": "
		      "\"slipway-Ec2CapacityProvider-X1\", \"weight\": 1, \"base\": 0}]}");
	sw_launch_choose(SW_LAUNCH_AUTO, asg, &l);
	spec(&s, &l);
	expect_json(req = sw_service_create_request(&s), DATA "CreateService.web-ec2-strategy.json");
	json_decref(req);
	sw_launch_choose(SW_LAUNCH_EC2, NULL, &l);
	spec(&s, &l);
	s.cluster = "default";
	s.process = "worker";
	s.name = "hello-worker";
	s.taskdef = "arn:aws:ecs:us-east-1:123456789012:task-definition/hello-worker:3";
	s.desired = 1;
	s.target_group = NULL;
	expect_json(req = sw_service_create_request(&s), DATA "CreateService.worker-ec2-launchtype.json");
	json_decref(req);
	json_decref(asg);
	sw_launch_release(&l);
}

static void run_tasks(void **state)
{
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_runtask t = SW_RUNTASK_INIT;
	json_t *req, *cmd = json_pack("[s, s, s]", "sh", "-c", "exit 3"), *env = json_pack("[{s:s, s:s}]", "name",
											    "DEBUG", "value", "1");

	fargate_launch(&l);
	t.cluster = "slipway";
	t.taskdef = "arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-release:7";
	t.started_by = "slipway/v7/release";
	t.launch = &l;
	expect_json(req = sw_runtask_request(&t), DATA "RunTask.release-fargate.json");
	json_decref(req);

	/* a release made before launches were recorded: EC2 by launch type */
	t.launch = NULL;
	t.cluster = "default";
	t.taskdef = "arn:aws:ecs:us-east-1:123456789012:task-definition/hello-web:3";
	t.started_by = "slipway-run";
	t.container = "web";
	t.command = cmd;
	t.env = env;
	expect_json(req = sw_runtask_request(&t), DATA "RunTask.run-ec2.json");
	json_decref(req);
	json_decref(cmd);
	json_decref(env);
	sw_launch_release(&l);
}

static void clear_env(void)
{
	static const char *const vars[] = {
		"SLIPWAY_CLUSTER", "SLIPWAY_LISTENER_ARN", "SLIPWAY_VPC_ID", "SLIPWAY_SUBNETS", "SLIPWAY_SECURITY_GROUPS",
		"SLIPWAY_ASSIGN_PUBLIC_IP", "SLIPWAY_EXECUTION_ROLE_ARN", "SLIPWAY_TASK_ROLE_ARN", "SLIPWAY_APPS_DOMAIN",
		"SLIPWAY_APPS_URL", "SLIPWAY_LAUNCH", "SLIPWAY_DEFAULT_MEMORY", "SLIPWAY_LOAD_BALANCER", "SLIPWAY_LB_ROLE_ARN", NULL,
	};
	size_t i;
	for (i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

static json_t *outputs(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Cluster", "slipway", "ListenerArn",
			 "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/slipway/1/2", "HttpsListenerArn",
			 "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/slipway/1/2", "VpcId",
			 "vpc-0abc", "Subnets", SUBNETS, "TaskSecurityGroup", "sg-0123456789abcdef0", "AssignPublicIp",
			 "ENABLED", "ExecutionRoleArn", EXEC_ROLE, "AppsDomain", "apps.example.com", "LoadBalancerArn",
			 "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/slipway/1",
			 "LoadBalancerRoleArn", LB_ROLE);
}

static void settings_from_the_stack(void **state)
{
	struct sw_settings s = SW_SETTINGS_INIT;
	json_t *out = outputs();

	clear_env();
	setenv("SLIPWAY_CLUSTER", "mine", 1);   /* the environment wins over the stack */
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(sw_settings_use_stack(&s, "slipway", out), 0);
	assert_string_equal(s.cluster, "mine");
	assert_string_equal(sw_settings_from(&s, "cluster"), "SLIPWAY_CLUSTER");
	assert_string_equal(s.subnets, SUBNETS);
	assert_string_equal(sw_settings_from(&s, "subnets"), "stack slipway");
	assert_string_equal(s.security_groups, "sg-0123456789abcdef0");
	assert_string_equal(s.assign_public_ip, "ENABLED");
	assert_string_equal(s.execution_role_arn, EXEC_ROLE);
	assert_string_equal(s.vpc_id, "vpc-0abc");
	assert_string_equal(s.apps_domain, "apps.example.com");
	assert_string_equal(s.lb_role_arn, LB_ROLE);   /* over the engine's default */
	assert_string_equal(sw_settings_from(&s, "lb_role_arn"), "stack slipway");
	assert_string_equal(s.apps_url, "https://{app}.apps.example.com");   /* an HTTPS listener */
	assert_string_equal(sw_settings_from(&s, "log_group_prefix"), "default");
	assert_int_equal(sw_settings_default_memory(&s, 1), 512);
	assert_int_equal(sw_settings_default_memory(&s, 0), 256);
	assert_int_equal(sw_settings_check(&s), 0);
	sw_settings_release(&s);

	/* without the output (a stack made before it had the role): the engine's default, marked so */
	json_object_del(out, "LoadBalancerRoleArn");
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(sw_settings_use_stack(&s, "slipway", out), 0);
	assert_string_equal(sw_settings_from(&s, "lb_role_arn"), "default");
	sw_settings_release(&s);
	json_object_set_new(out, "LoadBalancerRoleArn", json_string("arn:aws:iam::123456789012:policy/x"));
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(sw_settings_use_stack(&s, "slipway", out), SW_EINVAL);
	assert_string_equal(sw_error_last(), "stack slipway output LoadBalancerRoleArn: 'arn:aws:iam::123456789012:policy/x' "
			    "is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)");
	sw_settings_release(&s);
	json_object_set_new(out, "LoadBalancerRoleArn", json_string(LB_ROLE));

	/* a malformed output is named */
	json_object_set_new(out, "Subnets", json_string("subnet-0a1b,vpc-0abc"));
	unsetenv("SLIPWAY_CLUSTER");
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(sw_settings_use_stack(&s, "slipway", out), SW_EINVAL);
	assert_string_equal(sw_error_last(), "stack slipway output Subnets: 'vpc-0abc' is not a subnet id (subnet-...), "
			    "in 'subnet-0a1b,vpc-0abc'");
	sw_settings_release(&s);
	json_decref(out);
}

static void settings_refused(void **state)
{
	struct sw_settings s = SW_SETTINGS_INIT;
	static const struct { const char *var, *value, *msg; } bad[] = {
		{ "SLIPWAY_LAUNCH", "lambda", "SLIPWAY_LAUNCH: want ec2 or fargate, not 'lambda'" },
		{ "SLIPWAY_SUBNETS", "subnet-a,,subnet-b", "SLIPWAY_SUBNETS: '' is not a subnet id (subnet-...), in "
							     "'subnet-a,,subnet-b'" },
		{ "SLIPWAY_SUBNETS", "subnet-a,subnet-a", "SLIPWAY_SUBNETS: subnet-a is given twice" },
		{ "SLIPWAY_SECURITY_GROUPS", "sg-1,sg-2,sg-3,sg-4,sg-5,sg-6", "SLIPWAY_SECURITY_GROUPS: at most 5, not more" },
		{ "SLIPWAY_ASSIGN_PUBLIC_IP", "yes", "SLIPWAY_ASSIGN_PUBLIC_IP: want ENABLED or DISABLED, not 'yes'" },
		{ "SLIPWAY_VPC_ID", "vpc_1", "SLIPWAY_VPC_ID: 'vpc_1' is not a VPC id (vpc-...)" },
		{ "SLIPWAY_EXECUTION_ROLE_ARN", "arn:aws:iam::12345:role/x",
		  "SLIPWAY_EXECUTION_ROLE_ARN: 'arn:aws:iam::12345:role/x' is not an IAM role ARN "
		  "(arn:aws:iam::123456789012:role/NAME)" },
		{ "SLIPWAY_LB_ROLE_ARN", "ecsInfrastructureRoleForLoadBalancers",
		  "SLIPWAY_LB_ROLE_ARN: 'ecsInfrastructureRoleForLoadBalancers' is not an IAM role ARN "
		  "(arn:aws:iam::123456789012:role/NAME)" },
		{ "SLIPWAY_TASK_ROLE_ARN", "arn:aws:iam::123456789012:user/x",
		  "SLIPWAY_TASK_ROLE_ARN: 'arn:aws:iam::123456789012:user/x' is not an IAM role ARN "
		  "(arn:aws:iam::123456789012:role/NAME)" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clear_env();
		setenv(bad[i].var, bad[i].value, 1);
		if (sw_settings_load(&s) != SW_EINVAL)
			fail_msg("%s=%s accepted", bad[i].var, bad[i].value);
		if (strcmp(sw_error_last(), bad[i].msg))
			fail_msg("%s: got '%s'", bad[i].var, sw_error_last());
	}
	/* Fargate needs an execution role, and a default memory Fargate has */
	clear_env();
	setenv("SLIPWAY_LAUNCH", "fargate", 1);
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(sw_settings_check(&s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_LAUNCH=fargate needs the tasks' execution role (ECR pulls, awslogs): "
			    "set SLIPWAY_EXECUTION_ROLE_ARN or SLIPWAY_STACK");
	setenv("SLIPWAY_EXECUTION_ROLE_ARN", "arn:aws-cn:iam::123456789012:role/path/to/x", 1);
	setenv("SLIPWAY_DEFAULT_MEMORY", "256", 1);
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(sw_settings_check(&s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_DEFAULT_MEMORY: 256 MiB is not a Fargate memory size (512, then "
			    "multiples of 1024 up to 30720, of 4096 up to 61440 and of 8192 up to 122880)");
	sw_settings_release(&s);
	clear_env();
}

static void quota_lines(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	assert_int_equal(sw_route_quota_line("TooManyRules", &b), 1);
	assert_string_equal(b.ptr, "the listener has reached its quota of rules (100 per Application Load Balancer "
			    "unless raised; ELBv2 TooManyRules): destroy apps or review apps no longer needed, or raise "
			    "\"Rules per Application Load Balancer\" in Service Quotas");
	assert_int_equal(sw_route_quota_line("TooManyTargetGroupsException", &b), 1);
	assert_non_null(strstr(b.ptr, "quota of target groups (3000 per Region"));
	assert_int_equal(sw_route_quota_line("TooManyRegistrationsForTargetId", &b), 1);
	assert_int_equal(sw_route_quota_line("PriorityInUse", &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(sw_route_quota_line(NULL, &b), 0);
	sw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(choose),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(task_definitions),
		cmocka_unit_test(services),
		cmocka_unit_test(run_tasks),
		cmocka_unit_test(settings_from_the_stack),
		cmocka_unit_test(settings_refused),
		cmocka_unit_test(quota_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
