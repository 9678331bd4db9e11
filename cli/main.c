/*
 * slipway: the command-line client. `slipway <command> [args]`; `slipway --help` lists
 * the commands. Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/aws/client.h"
#include "common/error.h"
#include "common/banned.h"

static const struct sw_cli_command commands[] = {
	{ "aws", "call an AWS operation with the configured credentials, region and endpoint",
	  "usage: slipway aws [--region R] [--profile P] [--endpoint-url URL] <service> <Operation> [JSON|-]\n"
	  "  service: ecs, ecr, elbv2, logs. JSON: the operation's parameters as an object\n"
	  "  (botocore's shapes; for elbv2 they become Query parameters); '-' reads it from stdin.\n"
	  "  Prints the response as JSON, or the error code and message (exit 1).\n"
	  "  e.g. slipway aws ecs DescribeClusters '{\"clusters\":[\"default\"]}'\n",
	  sw_cli_cmd_aws },
	{ NULL, NULL, NULL, NULL },
};

static void vreport(const struct sw_cli_command *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "slipway %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int sw_cli_usage_error(const struct sw_cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	fputs(cmd->usage, stderr);
	return 2;
}

int sw_cli_fail(const struct sw_cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return 1;
}

static void help(FILE *f)
{
	const struct sw_cli_command *c;
	fputs("usage: slipway <command> [args]   (slipway <command> --help for its usage)\n\ncommands:\n", f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
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
