/*
 * How tasks launch (engine/ecs/launch.h): Fargate's task sizes, capacity provider
 * strategies (checks and which provider the next task goes to), launch type and
 * platform version resolution, the awsvpc network configuration, and the network
 * interface a task shows. Messages are ECS's, compared whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/ecs/launch.h"
#include "common/xalloc.h"
#include "common/json.h"
#include "common/banned.h"

/* Every valid size of the documented table, and the values next to them. */
static void fargate_sizes(void **state)
{
	static const struct {
		long long cpu, min, max, step;
	} table[] = {
		{ 512, 1024, 4096, 1024 }, { 1024, 2048, 8192, 1024 }, { 2048, 4096, 16384, 1024 },
		{ 4096, 8192, 30720, 1024 }, { 8192, 16384, 61440, 4096 }, { 16384, 32768, 122880, 8192 },
	};
	size_t i;
	long long m;

	assert_true(sw_ecs_launch_fargate_size(256, 512));
	assert_true(sw_ecs_launch_fargate_size(256, 1024));
	assert_true(sw_ecs_launch_fargate_size(256, 2048));
	assert_false(sw_ecs_launch_fargate_size(256, 1536));
	assert_false(sw_ecs_launch_fargate_size(256, 256));
	assert_false(sw_ecs_launch_fargate_size(256, 3072));
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		for (m = table[i].min; m <= table[i].max; m += table[i].step)
			assert_true(sw_ecs_launch_fargate_size(table[i].cpu, m));
		assert_false(sw_ecs_launch_fargate_size(table[i].cpu, table[i].min - table[i].step));
		assert_false(sw_ecs_launch_fargate_size(table[i].cpu, table[i].max + table[i].step));
		assert_false(sw_ecs_launch_fargate_size(table[i].cpu, table[i].min + table[i].step / 2));
	}
	assert_false(sw_ecs_launch_fargate_size(8192, 18432));     /* 1 GB steps are 2 and 4 vCPU only */
	assert_false(sw_ecs_launch_fargate_size(16384, 36864));
	assert_false(sw_ecs_launch_fargate_size(128, 512));
	assert_false(sw_ecs_launch_fargate_size(3072, 8192));
	assert_false(sw_ecs_launch_fargate_size(0, 0));
}

/* Base first, then the weights' shares; a strategy of one zero-weight provider still places. */
static void pick(void **state)
{
	json_t *strategy = json_loads("[{\"capacityProvider\":\"FARGATE\",\"weight\":1,\"base\":1},"
				      "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":4}]", 0, NULL);
	json_t *one = json_loads("[{\"capacityProvider\":\"FARGATE_SPOT\"}]", 0, NULL);
	long long placed[2] = { 0, 0 };
	int spot = 0, i;
	const char *p;

	p = sw_ecs_launch_pick(strategy, placed);
	assert_string_equal(p, "FARGATE");
	sw_ecs_launch_count(strategy, p, placed);
	for (i = 0; i < 10; i++) {
		p = sw_ecs_launch_pick(strategy, placed);
		spot += !strcmp(p, "FARGATE_SPOT");
		sw_ecs_launch_count(strategy, p, placed);
	}
	assert_int_equal(spot, 8);                     /* 4:1 beyond the base */
	assert_int_equal(placed[0], 3);
	assert_int_equal(placed[1], 8);
	placed[0] = 0;
	assert_string_equal(sw_ecs_launch_pick(one, placed), "FARGATE_SPOT");
	assert_null(sw_ecs_launch_pick(NULL, placed));
	json_decref(strategy);
	json_decref(one);
}

/* A call of no operation, to check messages. */
static int check(struct sw_buf *msg, int (*fn)(struct sw_engine_call *c, void *arg), void *arg, const char **type)
{
	struct sw_engine_call c;
	int ret;

	memset(&c, 0, sizeof(c));
	ret = fn(&c, arg);
	sw_buf_reset(msg);
	sw_buf_adds(msg, c.error_message.len ? c.error_message.ptr : "");
	if (type)
		*type = c.error_type;
	sw_buf_release(&c.error_message);
	return ret;
}

static int check_strategy(struct sw_engine_call *c, void *arg)
{
	json_t *providers = json_pack("[s, s]", "FARGATE", "FARGATE_SPOT");
	json_t *strategy = json_loads(arg, 0, NULL);
	int ret = sw_ecs_launch_check_strategy(c, providers, strategy);
	json_decref(providers);
	json_decref(strategy);
	return ret;
}

static void strategies(void **state)
{
	struct sw_buf msg = SW_BUF_INIT;
	json_t *shown, *given;

	assert_int_equal(check(&msg, check_strategy, "[{\"capacityProvider\":\"FARGATE\",\"weight\":1,\"base\":2},"
			       "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":3}]", NULL), 0);
	assert_int_equal(check(&msg, check_strategy, "[{\"capacityProvider\":\"my-asg\",\"weight\":1}]", NULL), -1);
	assert_string_equal(msg.ptr, "The specified capacity provider strategy cannot contain a capacity provider that is "
			    "not associated with the cluster. Associate the capacity provider with the cluster or "
			    "specify a valid capacity provider and try again.");
	assert_int_equal(check(&msg, check_strategy, "[{\"capacityProvider\":\"FARGATE\"},{\"capacityProvider\":"
			       "\"FARGATE\",\"weight\":1}]", NULL), -1);
	assert_string_equal(msg.ptr, "The specified capacity provider strategy cannot contain duplicate capacity providers.");
	assert_int_equal(check(&msg, check_strategy, "[{\"capacityProvider\":\"FARGATE\",\"base\":1,\"weight\":1},"
			       "{\"capacityProvider\":\"FARGATE_SPOT\",\"base\":1}]", NULL), -1);
	assert_int_equal(check(&msg, check_strategy, "[{\"capacityProvider\":\"FARGATE\"},"
			       "{\"capacityProvider\":\"FARGATE_SPOT\"}]", NULL), -1);
	assert_string_equal(msg.ptr, "The specified capacity provider strategy must contain at least one capacity "
			    "provider with a weight greater than zero.");

	/* as ECS shows it: weight and base always there */
	given = json_loads("[{\"capacityProvider\":\"FARGATE\",\"weight\":2}]", 0, NULL);
	shown = sw_ecs_launch_strategy_json(given);
	assert_int_equal(sw_json_int(json_array_get(shown, 0), "base", 0), 0);
	assert_int_equal(sw_json_int(json_array_get(shown, 0), "weight", 0), 2);
	json_decref(given);
	json_decref(shown);
	sw_buf_release(&msg);
}

/* Resolution of one request on a cluster whose default strategy is FARGATE_SPOT. */
struct resolve_case {
	const char *taskdef, *launch_type, *strategy, *platform;
	struct sw_ecs_launch out;
};

static int resolve(struct sw_engine_call *c, void *arg)
{
	struct resolve_case *r = arg;
	struct sw_engine_cluster cl;
	json_t *td = json_loads(r->taskdef, 0, NULL), *strategy = r->strategy ? json_loads(r->strategy, 0, NULL) : NULL;
	int ret;

	memset(&cl, 0, sizeof(cl));
	cl.capacity_providers = json_pack("[s, s]", "FARGATE", "FARGATE_SPOT");
	cl.default_strategy = json_loads("[{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]", 0, NULL);
	ret = sw_ecs_launch_resolve(c, &cl, td, r->launch_type, strategy, r->platform, &r->out);
	json_decref(cl.capacity_providers);
	json_decref(cl.default_strategy);
	json_decref(td);
	json_decref(strategy);
	return ret;
}

static void resolution(void **state)
{
	const char *fargate = "{\"cpu\":\"256\",\"compatibilities\":[\"EC2\",\"FARGATE\"]}";
	const char *ec2 = "{\"compatibilities\":[\"EC2\"]}";
	struct resolve_case r = { fargate, NULL, NULL, NULL, { 0 } };
	struct sw_buf msg = SW_BUF_INIT;
	const char *type = NULL;

	/* neither: the cluster's default strategy, Fargate's LATEST */
	assert_int_equal(check(&msg, resolve, &r, NULL), 0);
	assert_string_equal(r.out.launch_type, "FARGATE");
	assert_string_equal(sw_json_str(json_array_get(r.out.strategy, 0), "capacityProvider"),
			    "FARGATE_SPOT");
	assert_string_equal(r.out.platform_version, "LATEST");
	assert_string_equal(r.out.platform_resolved, SW_ECS_FARGATE_LATEST);
	sw_ecs_launch_release(&r.out);

	/* a launch type wins over the default; EC2 has no platform version */
	r.launch_type = "EC2";
	assert_int_equal(check(&msg, resolve, &r, NULL), 0);
	assert_string_equal(r.out.launch_type, "EC2");
	assert_null(r.out.strategy);
	assert_null(r.out.platform_version);
	sw_ecs_launch_release(&r.out);
	r.platform = "1.4.0";
	assert_int_equal(check(&msg, resolve, &r, NULL), -1);
	assert_string_equal(msg.ptr, "The platform version must be null when specifying an EC2 launch type.");

	/* both: refused */
	r.platform = NULL;
	r.strategy = "[{\"capacityProvider\":\"FARGATE\",\"weight\":1}]";
	assert_int_equal(check(&msg, resolve, &r, &type), -1);
	assert_string_equal(type, "InvalidParameterException");
	assert_string_equal(msg.ptr, "Specifying both a launch type and capacity provider strategy is not supported. "
			    "Remove one and try again.");

	/* Fargate needs a definition Fargate can run, and a platform version it has */
	r.launch_type = "FARGATE";
	r.strategy = NULL;
	r.taskdef = ec2;
	assert_int_equal(check(&msg, resolve, &r, NULL), -1);
	assert_string_equal(msg.ptr, "Task definition does not support launch_type FARGATE.");
	r.taskdef = fargate;
	r.platform = "9.9.9";
	assert_int_equal(check(&msg, resolve, &r, &type), -1);
	assert_string_equal(type, "PlatformUnknownException");
	assert_string_equal(msg.ptr, "The specified platform version does not exist.");
	r.platform = "1.4.0";
	assert_int_equal(check(&msg, resolve, &r, NULL), 0);
	assert_string_equal(r.out.platform_resolved, "1.4.0");
	assert_null(r.out.strategy);
	sw_ecs_launch_release(&r.out);
	sw_buf_release(&msg);
}

/* networkConfiguration against the definition's network mode. */
struct network_case {
	const char *mode, *netconf, *launch_type;
	json_t *out;
};

static int network(struct sw_engine_call *c, void *arg)
{
	struct network_case *n = arg;
	json_t *td = json_pack("{s:s}", "networkMode", n->mode);
	json_t *netconf = n->netconf ? json_loads(n->netconf, 0, NULL) : NULL;
	int ret;

	json_decref(n->out);
	n->out = NULL;
	ret = sw_ecs_launch_network(c, td, netconf, n->launch_type, &n->out);
	json_decref(td);
	json_decref(netconf);
	return ret;
}

static void networks(void **state)
{
	struct network_case n = { "awsvpc", NULL, "FARGATE", NULL };
	struct sw_buf msg = SW_BUF_INIT;
	json_t *awsvpc;

	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
	n.netconf = "{}";
	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
	n.netconf = "{\"awsvpcConfiguration\":{\"subnets\":[]}}";
	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "subnets can not be empty.");
	n.netconf = "{\"awsvpcConfiguration\":{\"subnets\":[\"net-1\"]}}";
	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "Error retrieving subnet information for [net-1]: The subnet ID 'net-1' is malformed "
			    "(ErrorCode: InvalidSubnetID.Malformed)");
	n.netconf = "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"],\"securityGroups\":[\"sg 1\"]}}";
	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "Error retrieving security group information for [sg 1]: The security group 'sg 1' "
			    "is malformed (ErrorCode: InvalidGroupId.Malformed)");

	/* any well-formed id; ECS's defaults filled in */
	n.netconf = "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-0abc123\",\"subnet-1\"]}}";
	assert_int_equal(check(&msg, network, &n, NULL), 0);
	awsvpc = json_object_get(n.out, "awsvpcConfiguration");
	assert_string_equal(sw_json_str(awsvpc, "assignPublicIp"), "DISABLED");
	assert_string_equal(json_string_value(json_array_get(json_object_get(awsvpc, "securityGroups"), 0)),
			    SW_ENGINE_SECURITY_GROUP_ID);
	assert_int_equal(json_array_size(json_object_get(awsvpc, "subnets")), 2);

	/* a public address is Fargate's */
	n.netconf = "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"],\"assignPublicIp\":\"ENABLED\"}}";
	assert_int_equal(check(&msg, network, &n, NULL), 0);
	n.launch_type = "EC2";
	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "Assign public IP is not supported for this launch type.");

	/* other network modes take none */
	n.mode = "bridge";
	assert_int_equal(check(&msg, network, &n, NULL), -1);
	assert_string_equal(msg.ptr, "Network Configuration is not valid for the given networkMode of this task definition.");
	n.netconf = NULL;
	assert_int_equal(check(&msg, network, &n, NULL), 0);
	assert_null(n.out);
	sw_buf_release(&msg);
}

/* The network interface: made-up ids of EC2's shapes, the first subnet; attachments through a task's life. */
static void interface(void **state)
{
	json_t *netconf = json_loads("{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-b\",\"subnet-c\"]}}", 0, NULL);
	json_t *eni = sw_ecs_launch_eni(netconf), *deflt = sw_ecs_launch_eni(NULL), *att, *details;
	const char *id = sw_json_str(eni, "networkInterfaceId");
	const char *mac = sw_json_str(eni, "macAddress");
	struct sw_engine e;
	struct sw_engine_task t;
	struct sw_engine_container c;
	size_t i;

	assert_string_equal(sw_json_str(eni, "subnetId"), "subnet-b");
	assert_string_equal(sw_json_str(deflt, "subnetId"), SW_ENGINE_SUBNET_ID);
	assert_int_equal(strlen(id), 21);
	assert_int_equal(strncmp(id, "eni-", 4), 0);
	for (i = 4; id[i]; i++)
		assert_non_null(strchr("0123456789abcdef", id[i]));
	assert_int_equal(strlen(mac), 17);
	assert_int_equal(strncmp(mac, "02:", 3), 0);
	assert_int_equal(strlen(sw_json_str(eni, "id")), 36);

	memset(&e, 0, sizeof(e));
	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	e.cfg.region = "us-east-1";
	t.network_mode = "awsvpc";
	t.eni = eni;
	t.containers = &c;
	t.nr_containers = 1;
	c.name = "web";
	t.last = SW_TASK_PROVISIONING;
	att = sw_ecs_launch_attachments(&e, &t);
	assert_string_equal(sw_json_str(json_array_get(att, 0), "status"), "PRECREATED");
	assert_int_equal(json_array_size(json_object_get(json_array_get(att, 0), "details")), 1);
	json_decref(att);

	c.ip = "10.213.7.3";
	t.last = SW_TASK_RUNNING;
	att = sw_ecs_launch_attachments(&e, &t);
	assert_string_equal(sw_json_str(json_array_get(att, 0), "type"), "ElasticNetworkInterface");
	assert_string_equal(sw_json_str(json_array_get(att, 0), "status"), "ATTACHED");
	details = json_object_get(json_array_get(att, 0), "details");
	assert_int_equal(json_array_size(details), 5);
	assert_string_equal(sw_json_str(json_array_get(details, 1), "name"), "networkInterfaceId");
	assert_string_equal(sw_json_str(json_array_get(details, 1), "value"), id);
	assert_string_equal(sw_json_str(json_array_get(details, 3), "value"),
			    "ip-10-213-7-3.ec2.internal");
	assert_string_equal(sw_json_str(json_array_get(details, 4), "name"), "privateIPv4Address");
	assert_string_equal(sw_json_str(json_array_get(details, 4), "value"), "10.213.7.3");
	json_decref(att);

	e.cfg.region = "eu-west-1";
	t.last = SW_TASK_STOPPED;
	att = sw_ecs_launch_attachments(&e, &t);
	details = json_object_get(json_array_get(att, 0), "details");
	assert_string_equal(sw_json_str(json_array_get(att, 0), "status"), "DELETED");
	assert_string_equal(sw_json_str(json_array_get(details, 3), "value"),
			    "ip-10-213-7-3.eu-west-1.compute.internal");
	json_decref(att);

	t.eni = NULL;
	att = sw_ecs_launch_attachments(&e, &t);
	assert_int_equal(json_array_size(att), 0);
	json_decref(att);
	json_decref(eni);
	json_decref(deflt);
	json_decref(netconf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fargate_sizes),
		cmocka_unit_test(pick),
		cmocka_unit_test(strategies),
		cmocka_unit_test(resolution),
		cmocka_unit_test(networks),
		cmocka_unit_test(interface),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
