#ifndef SW_SETTINGS_H
#define SW_SETTINGS_H

/*
 * Where and how the releaser deploys: read once from the environment by slipwayd.
 * The same names work against Amazon ECS and against slipway-engine; on AWS the
 * listener, VPC and execution role are set, on the engine they are discovered.
 *
 *   SLIPWAY_CLUSTER            ECS cluster (default "default")
 *   SLIPWAY_LOAD_BALANCER      "elbv2" (default): web processes are routed through an ELBv2
 *                              listener; "none": no load balancer (the apps' own
 *                              networking; health from container checks only)
 *   SLIPWAY_LISTENER_ARN       ELBv2 listener that gets one host rule per app (default:
 *                              the first listener of the first load balancer)
 *   SLIPWAY_VPC_ID             VPC of the apps' target groups (default: the listener's
 *                              load balancer's)
 *   SLIPWAY_APPS_DOMAIN        an app answers at APP.<domain> (default "localhost")
 *   SLIPWAY_APPS_URL           the URL printed when an app is live; "{app}" is replaced
 *                              (default "http://{app}.localhost:$SLIPWAY_ROUTER_PORT",
 *                              port 5481)
 *   SLIPWAY_EXECUTION_ROLE_ARN the tasks' execution role (ECR pulls, awslogs); optional
 *   SLIPWAY_TASK_ROLE_ARN      the tasks' own role; optional
 *   SLIPWAY_LB_ROLE_ARN        the role ECS shifts traffic with (blue/green, linear, canary:
 *                              advancedConfiguration.roleArn); default
 *                              arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers
 *                              (the engine's account; set it on AWS)
 *   SLIPWAY_LOG_GROUP_PREFIX   CloudWatch Logs group of an app: <prefix><app>
 *                              (default "/slipway/")
 *   SLIPWAY_DEFAULT_MEMORY     MiB per task when neither manifest nor scale says (256)
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
struct sw_settings {
	char *cluster;
	int load_balancer;         /* 1: ELBv2, 0: none */
	char *listener_arn;        /* NULL: discover */
	char *vpc_id;              /* NULL: discover */
	char *apps_domain;
	char *apps_url;            /* with "{app}" */
	char *execution_role_arn;  /* NULL: none */
	char *task_role_arn;       /* NULL: none */
	char *lb_role_arn;
	char *log_group_prefix;
	int default_memory_mb;
	int deadline_s;
	int stall_s;
	int crash_limit;
	int health_interval_s;
	int health_grace_s;
	int deregistration_delay_s;
	int release_timeout_s;
};

#define SW_SETTINGS_INIT { NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Fill s from the environment. 0, or SW_EINVAL naming the variable ("SLIPWAY_CRASH_LIMIT: ..."). */
int sw_settings_load(struct sw_settings *s);
void sw_settings_release(struct sw_settings *s);

#endif
