#ifndef SW_CLI_ARGS_H
#define SW_CLI_ARGS_H

#include "cli/cli.h"
#include "common/strvec.h"

/*
 * Command-line options for every slipway command (shared by all cli/cmd_*.c):
 *
 *	const char *app = NULL; int json = 0, follow = 0;
 *	struct sw_cli_opt opts[] = {
 *		SW_CLI_OPT_APP(&app), SW_CLI_OPT_JSON(&json),
 *		{ "--follow", 'f', NULL, &follow, NULL },
 *		{ NULL, 0, NULL, NULL, NULL },
 *	};
 *	struct sw_cli_args a;
 *	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
 *		return a.exit;                  // --help printed (0) or a usage error (2)
 *	a.pos[0] ...
 *
 * Options may come anywhere before "--" (with stop_at_first set: only before the first
 * positional, which starts rest, for `run CMD -x`), as "--name value", "--name=value", "-x value",
 * or "-xvalue"; flags as "--name" / "-x". "--help"/"-h" print the command's usage to
 * stdout (exit 0). Everything after "--" is left in rest (for `run -- CMD ARGS`).
 * Unknown options, missing values and a wrong number of positionals are usage errors
 * (one line plus the usage on stderr, exit 2).
 */

struct sw_cli_opt {
	const char *name;     /* "--follow" */
	char short_name;      /* 'f', or 0 */
	const char **value;   /* takes a value, stored here (the last one given wins) ... */
	int *flag;            /* ... or is a flag, set to 1 ... */
	struct sw_strvec *list; /* ... or takes a value each time, all pushed here (-e K=V -e ...) */
};

#define SW_CLI_OPT_APP(p) { "--app", 'a', (p), NULL, NULL }
#define SW_CLI_OPT_JSON(p) { "--json", 0, NULL, (p), NULL }

#define SW_CLI_MAX_POS 16

struct sw_cli_args {
	const char *pos[SW_CLI_MAX_POS];
	int npos;
	char **rest;          /* after "--" (NULL when there was no "--") */
	int nrest;
	int exit;             /* when parse returned < 0: the status to exit with */
};

/*
 * argv[0] is the command's name. min_pos..max_pos positionals are wanted. 0 when
 * parsed; -1 when the command must end now with a->exit.
 */
int sw_cli_args_parse(const struct sw_cli_command *cmd, int argc, char **argv, const struct sw_cli_opt *opts,
		      int min_pos, int max_pos, struct sw_cli_args *a);
/* The same; a positional ends the options: it and what follows go to rest. */
int sw_cli_args_parse_command(const struct sw_cli_command *cmd, int argc, char **argv, const struct sw_cli_opt *opts,
			      struct sw_cli_args *a);

/* Parse a positive integer id ("12", also "#12"); -1 when it is not one. */
int sw_cli_parse_id(const char *s, long long *out);

#endif
