/*
 * slipway: the command-line client. `slipway <command> [args]`; `slipway --help` lists
 * the commands. Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/aws/client.h"
#include "common/error.h"
#include "common/banned.h"

static const struct sw_cli_command commands[] = {
	{ "aws", "call an AWS operation with the configured credentials, region and endpoint",
	  "usage: slipway aws [--region R] [--profile P] [--endpoint-url URL] <service> <Operation> [JSON|-]\n"
	  "  service: ecs, ecr, elbv2, logs, cloudformation, sts, acm. JSON: the operation's parameters as an\n"
	  "  object (botocore's shapes; for elbv2, cloudformation and sts they become Query parameters);\n"
	  "  '-' reads it from stdin.\n"
	  "  Prints the response as JSON, or the error code and message (exit 1).\n"
	  "  e.g. slipway aws ecs DescribeClusters '{\"clusters\":[\"default\"]}'\n",
	  sw_cli_cmd_aws },
	{ "aws:bootstrap", "create or update the AWS side (the CloudFormation stack slipwayd deploys into)",
	  "usage: slipway aws:bootstrap [--stack NAME] [--domain apps.example.com] [--certificate ARN]\n"
	  "                             [--ec2 TYPE:N] [--private | --public] [--region R] [--profile P] [--json]\n"
	  "  Creates the stack (scripts/aws/slipway.yml, built into slipway) with your AWS credentials,\n"
	  "  region and endpoint (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...), or updates it when it\n"
	  "  exists (options not given keep their values), prints its events until it is done, and\n"
	  "  records it in $SLIPWAY_HOME/aws/stack.env. Give slipwayd the SLIPWAY_STACK=NAME it prints.\n"
	  "  --stack: default slipway. --domain: apps answer at APP.<domain> (default: the load\n"
	  "  balancer's name). --certificate: an ACM certificate for *.<domain> in the stack's region\n"
	  "  (HTTPS). --ec2 t3.small:2: EC2 container instances too (TYPE:0 removes them). --private:\n"
	  "  tasks in private subnets behind a NAT gateway (--public: back). --json: the outputs as JSON.\n",
	  sw_cli_cmd_aws_bootstrap },
	/* releases (cmd_release.c); APP: -a APP, else the git remote pointing at the server */
	{ "releases", "list an app's releases: number, status, what made them, when, how long",
	  "usage: slipway releases [-a APP] [--json]\n", sw_cli_cmd_releases },
	{ "releases:info", "one release in detail: commit, image digest, formation, config var names, reason",
	  "usage: slipway releases:info vN [-a APP] [--json]\n", sw_cli_cmd_releases_info },
	{ "rollback", "release an earlier release's image and config again (no build), watched like a push",
	  "usage: slipway rollback [vN] [--force] [--no-wait] [-a APP]\n"
	  "  vN: the release to go back to (default: the one live before the live one).\n"
	  "  --force: also a release that never went live. Exit 0 when live, 1 with the reason.\n"
	  "  Without vN while a push is going live (a blue/green or canary release baking): stops\n"
	  "  it, and traffic goes back to the live release at once.\n",
	  sw_cli_cmd_rollback },
	{ "deploy:settings", "how the web process goes live: rolling, blue-green, linear or canary",
	  "usage: slipway deploy:settings [KEY=VALUE ...] [-a APP] [--json]\n"
	  "  Without KEY=VALUE: shows them. KEY= removes one (the manifest's x-slipway or\n"
	  "  '# slipway:' value applies again; these settings win over the manifest's).\n"
	  "  strategy=rolling|blue-green|linear|canary  bake=2m (whole minutes, blue kept)\n"
	  "  canary_percent=10 canary_bake=10m  step_percent=10 step_bake=6m (linear)\n",
	  sw_cli_cmd_deploy_settings },
	{ "config", "show an app's config vars (names and values)",
	  "usage: slipway config [--shell] [-a APP] [--json]\n", sw_cli_cmd_config },
	{ "config:set", "set config vars: a new release with the same image, watched like a push",
	  "usage: slipway config:set NAME=value ... [--no-wait] [-a APP]\n", sw_cli_cmd_config_set },
	{ "config:unset", "unset config vars: a new release with the same image, watched like a push",
	  "usage: slipway config:unset NAME ... [--no-wait] [-a APP]\n", sw_cli_cmd_config_unset },
	{ "scale", "change how many tasks (and how much memory and CPU) each process type runs",
	  "usage: slipway scale process=count[:memory[:cpu]] ... [--no-wait] [-a APP]\n"
	  "  e.g. slipway scale web=4 worker=2:512, slipway scale web=2:1024:512   (memory in MB, or 1g, 1.5g,\n"
	  "  ...; CPU in units, 1024 a vCPU). On Fargate a size is one of Fargate's (256 CPU units with 512,\n"
	  "  1024 or 2048 MB, 512 with 1-4 GB, ...); without a CPU the smallest for the memory.\n",
	  sw_cli_cmd_scale },
	/* pipelines and promotion: cmd_pipeline.c */
	{ "pipeline", "list the pipelines: their apps by stage (staging, then production)",
	  "usage: slipway pipeline [--json]\n", sw_cli_cmd_pipeline },
	{ "pipeline:add", "put an app in a pipeline at a stage, so promote knows where its image goes next",
	  "usage: slipway pipeline:add APP --stage staging|production [--pipeline NAME]\n"
	  "  NAME: the pipeline (default main); an app is in one pipeline at most.\n", sw_cli_cmd_pipeline_add },
	{ "pipeline:remove", "take an app out of its pipeline",
	  "usage: slipway pipeline:remove APP\n", sw_cli_cmd_pipeline_remove },
	{ "promote", "release the image live on an app (same digest) on the next stage's app, watched like a push",
	  "usage: slipway promote [vN] [--to APP] [--no-wait] [-a APP]\n"
	  "  The next stage's app keeps its own config and formation; the release reads\n"
	  "  \"promote vN of APP\". vN: must be the live release (default: it). --to: which app of a\n"
	  "  later stage (needed when the next stage has several). Exit 0 when live, 1 with the reason.\n",
	  sw_cli_cmd_promote },
	/* custom domains and certificates: cmd_domains.c */
	{ "domains", "an app's host names: its own (APP.<apps domain>) and its custom domains",
	  "usage: slipway domains [-a APP] [--json]\n", sw_cli_cmd_domains },
	{ "domains:add", "route a custom domain to an app (a host-header rule on the load balancer)",
	  "usage: slipway domains:add HOST [-a APP]\n"
	  "  HOST: a host name (www.example.com, *.example.com), not an IP address, not another app's;\n"
	  "  point its DNS at the load balancer. Refused in one line, nothing changed, otherwise.\n",
	  sw_cli_cmd_domains_add },
	{ "domains:remove", "stop routing a custom domain to an app",
	  "usage: slipway domains:remove HOST [-a APP]\n", sw_cli_cmd_domains_remove },
	{ "certs", "an app's TLS certificates (served by SNI on the HTTPS listener) and its HTTPS redirect",
	  "usage: slipway certs [-a APP] [--json]\n", sw_cli_cmd_certs },
	{ "certs:add", "serve a TLS certificate for one of an app's hosts (imported into ACM)",
	  "usage: slipway certs:add HOST --cert FILE --key FILE [-a APP]\n"
	  "  FILE: PEM; the certificate file may hold its chain after it. HOST: the app's own host or\n"
	  "  one of its domains. Refused in one line, nothing changed, when the key does not match,\n"
	  "  the certificate is not valid for HOST, or it has expired. Adding again replaces it.\n",
	  sw_cli_cmd_certs_add },
	{ "certs:remove", "stop serving a host's certificate",
	  "usage: slipway certs:remove HOST [-a APP]\n", sw_cli_cmd_certs_remove },
	{ "certs:redirect", "redirect an app's HTTP requests to HTTPS (301), or stop",
	  "usage: slipway certs:redirect on|off [-a APP]\n", sw_cli_cmd_certs_redirect },
	{ "doctor", "check what slipwayd releases with: credentials, stack, cluster, launch, capacity, listener, "
	  "roles, domain, ECR, Logs, Docker",
	  "usage: slipway doctor [--json]\n  One line per check; exit 1 when one fails.\n", sw_cli_cmd_doctor },
	/* operating apps: cmd_apps.c, cmd_builds.c, cmd_events.c, cmd_webhooks.c, cmd_tokens.c.
	 * APP: -a APP, else the git remote of the current directory that points at this server. */
	{ "apps", "list the apps: state (live, deploying, failed), live release, last push (who, when, commit)",
	  "usage: slipway apps [--json]\n", sw_cli_cmd_apps },
	{ "apps:create", "create an app (an empty repository to push to)",
	  "usage: slipway apps:create NAME [--json]\n"
	  "  NAME: 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-'. Pushing to a new app creates it too.\n",
	  sw_cli_cmd_apps_create },
	{ "apps:info", "an app at a glance: git URL, last build, live release, webhooks",
	  "usage: slipway apps:info [-a APP] [--json]\n", sw_cli_cmd_apps_info },
	{ "apps:settings", "an app's own settings (the IAM role its tasks run as); with task_role=ARN, set it",
	  "usage: slipway apps:settings [task_role=ARN | task_role=] [-a APP] [--json]\n"
	  "  task_role: the IAM role the app's tasks run as (taskRoleArn), e.g.\n"
	  "  arn:aws:iam::123456789012:role/hello-app; task_role= removes it. Not a config var and not\n"
	  "  a release: the app's next release (push, config:set, rollback) runs with it. A review\n"
	  "  app without its own runs as its app's.\n", sw_cli_cmd_apps_settings },
	{ "apps:destroy", "remove an app and everything of it (services, images, repository, records)",
	  "usage: slipway apps:destroy [APP] --confirm APP [-a APP] [--json]\n"
	  "  Refused while a build of the app is queued or running (cancel it first).\n",
	  sw_cli_cmd_apps_destroy },
	{ "builds", "list an app's builds: number, status (what failed: build or release), commit, who, how long",
	  "usage: slipway builds [-a APP] [-n N] [--all] [--json]\n"
	  "  Builds are numbered per app (#1 is its first). --all: the release commands' jobs too\n"
	  "  (rollback, config, scale: marked \"release job\"; they share the app's numbers).\n", sw_cli_cmd_builds },
	{ "builds:log", "show a build's log; --follow re-attaches to one still running until it ends",
	  "usage: slipway builds:log N [-f|--follow] [-a APP]\n"
	  "  N: the app's build (or release job) number. Without an app (no -a, no git remote)\n"
	  "  N is the server-wide id (the API's \"id\").\n"
	  "  With --follow the exit status is the build's: 0 succeeded, 1 failed or cancelled.\n",
	  sw_cli_cmd_builds_log },
	{ "builds:cancel", "stop a queued or running build; a rollout returns to the last live release",
	  "usage: slipway builds:cancel N [-a APP] [--json]\n"
	  "  N: the app's build (or release job) number (without an app: the server-wide id).\n",
	  sw_cli_cmd_builds_cancel },
	{ "events", "what happened to an app: builds, releases, scale, config, webhooks; --tail follows",
	  "usage: slipway events [-a APP] [-t|--tail] [-n N] [--types build.*,release.live] [--json]\n"
	  "  --json with --tail prints one JSON object a line.\n", sw_cli_cmd_events },
	{ "webhooks", "list an app's webhooks and how their last delivery went",
	  "usage: slipway webhooks [-a APP] [--json]\n", sw_cli_cmd_webhooks },
	{ "webhooks:add", "POST an app's events to a URL (JSON, signed with HMAC-SHA256)",
	  "usage: slipway webhooks:add URL [--events build.*,release.live] [-a APP] [--json]\n"
	  "  Prints the signing secret once. Each delivery has X-Slipway-Signature: sha256=<hex HMAC of the body>,\n"
	  "  X-Slipway-Event and X-Slipway-Delivery; in event order, retried with backoff.\n",
	  sw_cli_cmd_webhooks_add },
	{ "webhooks:remove", "remove a webhook",
	  "usage: slipway webhooks:remove ID [-a APP]\n", sw_cli_cmd_webhooks_remove },
	{ "webhooks:deliveries", "the last deliveries of an app's webhooks: status, tries, response",
	  "usage: slipway webhooks:deliveries [ID] [-a APP] [-n N] [--json]\n", sw_cli_cmd_webhooks_deliveries },
	{ "tokens", "list your API tokens (an admin: everyone's) with their limits and last use",
	  "usage: slipway tokens [--json]\n", sw_cli_cmd_tokens },
	{ "tokens:create", "make a new API token of yours, no stronger than you (printed once)",
	  "usage: slipway tokens:create NAME [--app APP] [--role read|deploy|operate|admin] [--expires 30d] [--json]\n"
	  "  NAME: 1-64 of a-z 0-9 - _ . --app: good for that app (and its review apps) only. --role: at most\n"
	  "  that role. --expires: a duration (30d, 12h; a bare number is days). e.g. for CI:\n"
	  "  slipway tokens:create ci --app hello --role deploy\n", sw_cli_cmd_tokens_create },
	{ "tokens:revoke", "revoke one of your API tokens (not the one you are using; an admin: --user's)",
	  "usage: slipway tokens:revoke NAME [--user USER]\n"
	  "  The last admin token cannot be revoked. A revoked token stays revoked.\n", sw_cli_cmd_tokens_revoke },
	/* users, roles and SSH keys: cmd_users.c, cmd_keys.c */
	{ "users", "list the users: admin or not, how many apps, tokens and SSH keys (admins only)",
	  "usage: slipway users [--json]\n", sw_cli_cmd_users },
	{ "users:create", "create a user and print their first token (shown once)",
	  "usage: slipway users:create NAME [--admin] [--json]\n"
	  "  NAME: 1-32 of a-z 0-9 . _ -, starting with a letter. --admin: an admin (every app, users,\n"
	  "  tokens). --json: {\"user\": NAME, \"token\": ...}. Then: slipway access:add NAME deploy -a APP\n",
	  sw_cli_cmd_users_create },
	{ "users:remove", "remove a user: their tokens revoked, their roles and SSH keys gone",
	  "usage: slipway users:remove NAME\n", sw_cli_cmd_users_remove },
	{ "access", "who has which role on an app (read, deploy, operate), and the admins",
	  "usage: slipway access [-a APP] [--json]\n"
	  "  read: apps:info, releases, ps, logs, events, builds. deploy: + git push, rollback, builds:cancel.\n"
	  "  operate: + config, scale, run, reviews:settings, webhooks, the app's settings. Review apps\n"
	  "  have their app's.\n", sw_cli_cmd_access },
	{ "access:add", "give a user a role on an app (replacing the one they had)",
	  "usage: slipway access:add USER read|deploy|operate [-a APP]\n", sw_cli_cmd_access_add },
	{ "access:remove", "take a user's role on an app away",
	  "usage: slipway access:remove USER [-a APP]\n", sw_cli_cmd_access_remove },
	{ "keys", "list your SSH keys (git push over SSH)",
	  "usage: slipway keys [--json]\n", sw_cli_cmd_keys },
	{ "keys:add", "add an SSH public key of yours, for git push over SSH",
	  "usage: slipway keys:add [FILE] [--json]\n"
	  "  FILE: a public key (default ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub). Then:\n"
	  "  git remote add deploy ssh://git@HOST:5483/APP.git\n", sw_cli_cmd_keys_add },
	{ "keys:remove", "remove one of your SSH keys",
	  "usage: slipway keys:remove FINGERPRINT\n  FINGERPRINT: SHA256:..., as slipway keys lists it\n",
	  sw_cli_cmd_keys_remove },
	{ "login", "store a token for a server in ~/.netrc (mode 0600), where git finds it too",
	  "usage: slipway login [URL] [--token TOKEN]\n"
	  "  URL: the server (default: SLIPWAY_URL, or the last login, or http://127.0.0.1:5480);\n"
	  "  the token is read from the terminal without echo (or from stdin) unless --token is given.\n",
	  sw_cli_cmd_login },
	{ "dashboard", "sign in to the web dashboard: prints (and opens) a one-time link",
	  "usage: slipway dashboard [--no-open] [--json]\n"
	  "  The link (http://HOST:PORT/login?ticket=...) works once, within 60 s, and signs the\n"
	  "  browser in as this token's user for 30 minutes of use (12 hours at most); it is\n"
	  "  opened with xdg-open or sensible-browser when DISPLAY or WAYLAND_DISPLAY is set.\n",
	  sw_cli_cmd_dashboard },
	/* cmd_tasks.c */
	{ "ps", "an app's tasks: process, release, state, health, uptime; stopped ones with why (last hour)",
	  "usage: slipway ps [-a APP] [--json]\n", sw_cli_cmd_ps },
	{ "run", "run a one-off command in a new task of the live release, its output streamed",
	  "usage: slipway run [-p PROCESS] [-e NAME=value]... [-a APP] [--] CMD [ARGS...]\n"
	  "  The task runs PROCESS's task definition (default web) with CMD as its command.\n"
	  "  Exit status: the command's; 1 when the task could not start. Ctrl-C stops the task.\n",
	  sw_cli_cmd_run },
	{ "logs", "an app's output across tasks and releases, with slipway's events, in time order",
	  "usage: slipway logs [-a APP] [-t|--tail] [-p PROCESS] [--since 10m] [--release v7] [-n LINES] [--json]\n"
	  "  Lines: TIME PROCESS.TASK RELEASE | MESSAGE. --release reaches failed and rolled-back releases too.\n",
	  sw_cli_cmd_logs },
	/* review apps: cmd_review.c. Every branch pushed other than main is an app, APP-<slug> */
	{ "reviews", "an app's review apps (one per branch pushed): branch, URL, last push; the limit and idle time",
	  "usage: slipway reviews [-a APP] [--all] [--json]\n"
	  "  --all: also the destroyed ones (their releases and builds stay as history).\n"
	  "  A review app comes with the first push of a branch (git push deploy feature/x) and goes\n"
	  "  when the branch is deleted (git push deploy :feature/x).\n", sw_cli_cmd_reviews },
	{ "reviews:settings", "how many review apps an app may have, and after how long without a push one goes",
	  "usage: slipway reviews:settings [--limit N] [--idle 7|7d|12h|30m|45s|off] [-a APP] [--json]\n"
	  "  Without options: shows them. Defaults: limit 10 (SLIPWAY_REVIEW_LIMIT), idle off\n"
	  "  (SLIPWAY_REVIEW_IDLE). An idle time without a unit is days.\n", sw_cli_cmd_reviews_settings },
	{ "review:sync-config", "copy the parent app's config vars into a review app now (a release, watched)",
	  "usage: slipway review:sync-config [--no-wait] -a APP-BRANCH\n"
	  "  A review app's config is copied from its app when it is created, and is its own after\n"
	  "  that. This sets every config var of the app on the review app again (vars only the\n"
	  "  review app has stay).\n", sw_cli_cmd_review_sync_config },
	{ NULL, NULL, NULL, NULL },
};

static void help(FILE *f)
{
	const struct sw_cli_command *c;
	fputs("usage: slipway <command> [args]   (slipway <command> --help for its usage)\n\ncommands:\n", f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-20s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
	const struct sw_cli_command *c;

	if (argc < 2) {
		help(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (c = commands; c->name; c++)
				if (!strcmp(c->name, argv[2])) {
					fputs(c->usage, stdout);
					return 0;
				}
		}
		help(stdout);
		return 0;
	}
	for (c = commands; c->name; c++) {
		if (strcmp(c->name, argv[1]))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			fputs(c->usage, stdout);
			return 0;
		}
		if (sw_aws_global_init() < 0) {
			fprintf(stderr, "slipway: %s\n", sw_error_last());
			return 1;
		}
		return c->run(c, argc - 1, argv + 1);
	}
	fprintf(stderr, "slipway: unknown command '%s'\n", argv[1]);
	help(stderr);
	return 2;
}
