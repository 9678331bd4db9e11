#ifndef SW_CLI_H
#define SW_CLI_H

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

#endif
