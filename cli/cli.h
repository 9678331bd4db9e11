#ifndef SW_CLI_H
#define SW_CLI_H

#include <jansson.h>

#include "common/buf.h"

/*
 * The slipway CLI: main.c holds the table of commands; each command lives in its own
 * cmd_<name>.c and is declared here. A command gets argv from its own name on
 * (argv[0] = "aws") and returns the process exit status:
 *   0 success, 1 failure (one line on stderr), 2 usage error (one line + the usage).
 */

struct sw_cli_command {
	const char *name;
	const char *summary;  /* one line for `slipway --help` */
	const char *usage;    /* printed by `slipway <name> --help` and on usage errors */
	int (*run)(const struct sw_cli_command *cmd, int argc, char **argv);
};

/* Print "slipway <name>: <message>" and the usage to stderr; returns 2. */
int sw_cli_usage_error(const struct sw_cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "slipway <name>: <message>" to stderr; returns 1. */
int sw_cli_fail(const struct sw_cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int sw_cli_cmd_aws(const struct sw_cli_command *cmd, int argc, char **argv);
/* cmd_aws_bootstrap.c: the AWS side as one CloudFormation stack */
int sw_cli_cmd_aws_bootstrap(const struct sw_cli_command *cmd, int argc, char **argv);

/*
 * Operating apps. Shared by every command, use them (headers say how):
 *   cli/client.h  the API client: server URL, token, errors in one place, JSON and
 *                 streamed calls, the app from -a or the git remote
 *   cli/args.h    options (-a APP, --json, --help, "--" for run)
 *   cli/output.h  aligned tables, relative times, colour on a terminal, spinner
 */
int sw_cli_cmd_apps(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_apps_create(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_apps_info(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_apps_destroy(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_apps_settings(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_builds(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_builds_log(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_builds_cancel(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_events(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_webhooks(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_webhooks_add(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_webhooks_remove(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_webhooks_deliveries(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_tokens(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_tokens_create(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_tokens_revoke(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_login(const struct sw_cli_command *cmd, int argc, char **argv);
/* cmd_users.c, cmd_keys.c: users, their roles on apps, their SSH keys */
int sw_cli_cmd_users(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_users_create(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_users_remove(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_access(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_access_add(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_access_remove(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_keys(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_keys_add(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_keys_remove(const struct sw_cli_command *cmd, int argc, char **argv);
/* cmd_dashboard.c: a one-time sign-in link for the web dashboard */
int sw_cli_cmd_dashboard(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_ps(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_run(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_logs(const struct sw_cli_command *cmd, int argc, char **argv);

/* One event (common/event.h's JSON) as a line: "2026-...Z  build.started  v7  message (actor)". */
void sw_cli_event_line(const json_t *e, int color, struct sw_buf *out);

/* cmd_release.c: releases and the commands that make them */
int sw_cli_cmd_releases(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_releases_info(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_rollback(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_deploy_settings(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_config(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_config_set(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_config_unset(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_scale(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_doctor(const struct sw_cli_command *cmd, int argc, char **argv);

/* cmd_pipeline.c: pipelines and promotion */
int sw_cli_cmd_pipeline(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_pipeline_add(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_pipeline_remove(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_promote(const struct sw_cli_command *cmd, int argc, char **argv);

/* cmd_domains.c: custom domains and their certificates */
int sw_cli_cmd_domains(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_domains_add(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_domains_remove(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_certs(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_certs_add(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_certs_remove(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_certs_redirect(const struct sw_cli_command *cmd, int argc, char **argv);

/*
 * cmd_release.c: POST body (stolen) to /apps/<app>/<what> and follow the release it makes
 * to its verdict, as config:set does: the exit status.
 */
struct sw_cli_client;
int sw_cli_release_follow(const struct sw_cli_command *cmd, const struct sw_cli_client *c, const char *app,
			  const char *what, json_t *body, int no_wait);

/* cmd_review.c: review apps */
int sw_cli_cmd_reviews(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_reviews_settings(const struct sw_cli_command *cmd, int argc, char **argv);
int sw_cli_cmd_review_sync_config(const struct sw_cli_command *cmd, int argc, char **argv);

#endif
