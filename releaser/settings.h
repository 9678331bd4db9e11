#ifndef SW_SETTINGS_H
#define SW_SETTINGS_H

#include <jansson.h>

/*
 * Where and how the releaser deploys: read once by slipwayd at start, from the
 * environment and, on AWS, the bootstrap stack's outputs (scripts/aws/slipway.yml,
 * `slipway aws:bootstrap`). A setting given in the environment wins over the stack's
 * output, which wins over the default.
 *
 *   SLIPWAY_STACK              the bootstrap stack (default: the one `slipway aws:bootstrap`
 *                              recorded in $SLIPWAY_HOME/aws/stack.env; "none": no stack).
 *                              Its outputs give what the settings marked [stack] do not
 *   SLIPWAY_CLUSTER            ECS cluster (default "default", the engine's; on AWS
 *                              without a stack it must be given: releaser.c)   [Cluster]
 *   SLIPWAY_LAUNCH             ec2 | fargate (default: the cluster's default capacity provider
 *                              strategy: FARGATE or FARGATE_SPOT in it is fargate, else ec2;
 *                              releaser/launch.h)
 *   SLIPWAY_LOAD_BALANCER      "elbv2" (default): web processes are routed through an ELBv2
 *                              listener; "none": no load balancer (the apps' own
 *                              networking; health from container checks only)
 *   SLIPWAY_LISTENER_ARN       ELBv2 listener that gets one host rule per app  [ListenerArn]
 *                              (none on AWS: refused; against another endpoint (the engine)
 *                              the listener of the load balancer named "slipway", the
 *                              engine's own)
 *   SLIPWAY_VPC_ID             the apps' VPC: must be the listener's load balancer's, which
 *                              is where target groups are made               [VpcId]
 *   SLIPWAY_SUBNETS            the tasks' subnets, comma-separated (awsvpc)   [Subnets]
 *   SLIPWAY_SECURITY_GROUPS    the tasks' security groups, comma-separated    [TaskSecurityGroup]
 *   SLIPWAY_ASSIGN_PUBLIC_IP   ENABLED | DISABLED (Fargate tasks; default DISABLED) [AssignPublicIp]
 *   SLIPWAY_APPS_DOMAIN        an app answers at APP.<domain> (default "localhost") [AppsDomain]
 *   SLIPWAY_APPS_URL           the URL printed when an app is live; "{app}" is replaced
 *                              (default "http://{app}.localhost:$SLIPWAY_ROUTER_PORT", port
 *                              5481; with a stack "https://{app}.<AppsDomain>" when it has an
 *                              HTTPS listener, else "http://{app}.<AppsDomain>")
 *   SLIPWAY_EXECUTION_ROLE_ARN the tasks' execution role (ECR pulls, awslogs); required on
 *                              Fargate                                       [ExecutionRoleArn]
 *   SLIPWAY_TASK_ROLE_ARN      the tasks' own role for apps without one of their own
 *                              (`slipway apps:settings task_role=ARN`); optional
 *   SLIPWAY_LB_ROLE_ARN        the role ECS shifts traffic with (blue/green, linear, canary:
 *                              advancedConfiguration.roleArn)                [LoadBalancerRoleArn]
 *                              default (the engine's account; on AWS a shifting strategy
 *                              without it is refused, golive.c):
 *                              arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers
 *   SLIPWAY_LOG_GROUP_PREFIX   CloudWatch Logs group of an app: <prefix><app>
 *                              (default "/slipway/")
 *   SLIPWAY_DEFAULT_MEMORY     MiB per task when neither manifest nor scale says (256 on EC2;
 *                              512 on Fargate, its smallest size, 0.25 vCPU)
 *   SLIPWAY_DEPLOY_DEADLINE    seconds a rollout may take before it fails (600); an app's
 *                              manifest may set its own
 *   SLIPWAY_STALL_SECONDS      "unable to place" with no progress this long: never
 *                              converging (60)
 *   SLIPWAY_CRASH_LIMIT        new tasks that may stop before the release fails (3)
 *   SLIPWAY_HEALTH_INTERVAL    target group health check interval, seconds (5..300; 5)
 *   SLIPWAY_HEALTH_GRACE       ECS healthCheckGracePeriodSeconds of web services (30)
 *   SLIPWAY_DEREGISTRATION_DELAY  target group deregistration delay, seconds (10)
 *   SLIPWAY_RELEASE_TIMEOUT    seconds the release process may run (900)
 */

enum sw_launch_mode {
	SW_LAUNCH_AUTO = 0,   /* from the cluster's default capacity provider strategy */
	SW_LAUNCH_EC2,
	SW_LAUNCH_FARGATE,
};

struct sw_settings {
	char *stack;               /* the stack whose outputs were read, NULL: none */
	char *cluster;
	enum sw_launch_mode launch;
	int load_balancer;         /* 1: ELBv2, 0: none */
	char *listener_arn;        /* NULL: the engine's load balancer (route.h) */
	char *load_balancer_arn;   /* the stack's LoadBalancerArn, NULL: from the listener */
	char *vpc_id;              /* NULL: the listener's load balancer's */
	char *subnets;             /* "subnet-a,subnet-b", NULL: none given */
	char *security_groups;     /* "sg-a,sg-b", NULL: none given */
	char *assign_public_ip;    /* "ENABLED" / "DISABLED", NULL: not given (DISABLED) */
	char *apps_domain;
	char *apps_url;            /* with "{app}" */
	char *execution_role_arn;  /* NULL: none */
	char *task_role_arn;       /* NULL: none */
	char *lb_role_arn;         /* the role ECS shifts traffic with */
	char *log_group_prefix;
	int default_memory_mb;     /* SLIPWAY_DEFAULT_MEMORY, 0 when not given */
	int deadline_s;
	int stall_s;
	int crash_limit;
	int health_interval_s;
	int health_grace_s;
	int deregistration_delay_s;
	int release_timeout_s;
	json_t *from;              /* setting ("cluster", "subnets", ...) → where it came from
				      ("SLIPWAY_CLUSTER", "stack slipway"); defaults are absent */
};

#define SW_SETTINGS_INIT { .launch = SW_LAUNCH_AUTO }

/*
 * Fill s from the environment (s is released first). 0, or SW_EINVAL naming the variable
 * ("SLIPWAY_CRASH_LIMIT: ...", "SLIPWAY_SUBNETS: 'x' is not a subnet id (subnet-...)").
 */
int sw_settings_load(struct sw_settings *s);

/*
 * Then what the environment did not say from the outputs of stack name ({OutputKey:
 * OutputValue}, common/aws/stack.h), and the defaults that depend on them (the apps' URL).
 * 0, or SW_EINVAL naming the output that is malformed.
 */
int sw_settings_use_stack(struct sw_settings *s, const char *name, const json_t *outputs);

/*
 * What must hold before the releaser starts, once the stack was read: SLIPWAY_LAUNCH=fargate
 * needs an execution role (SW_EINVAL: "SLIPWAY_LAUNCH=fargate needs the tasks' execution
 * role: set SLIPWAY_EXECUTION_ROLE_ARN or SLIPWAY_STACK"), and its default memory must be
 * a Fargate size.
 */
int sw_settings_check(const struct sw_settings *s);

/* The memory of a process nothing else sizes: SLIPWAY_DEFAULT_MEMORY, else 256 (EC2) / 512 (Fargate). */
int sw_settings_default_memory(const struct sw_settings *s, int fargate);

/* Where setting came from, for `slipway doctor`: "SLIPWAY_CLUSTER", "stack slipway", or "default". */
const char *sw_settings_from(const struct sw_settings *s, const char *setting);

/*
 * An IAM role ARN as ECS takes one: arn:<partition>:iam::<12 digits>:role/[path/]name.
 * 0, or SW_EINVAL with what is wrong ("'x' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)").
 */
int sw_settings_check_role_arn(const char *arn);

void sw_settings_release(struct sw_settings *s);

#endif
