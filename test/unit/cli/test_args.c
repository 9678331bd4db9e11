/* The CLI's options: where they may come, their forms, usage errors (exit 2), --help (exit 0), ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/args.h"
#include "common/banned.h"

static const struct sw_cli_command cmd = { "run", "run a one-off task", "usage: slipway run ...\n", NULL };

struct opts {
	const char *app, *process;
	int json, detach;
	struct sw_strvec env;
};

/* Parse argv (NULL-terminated) against run's options: parse's return, a filled in. */
static int parse(struct opts *o, struct sw_cli_args *a, int min, int max, int command, char **argv)
{
	const struct sw_cli_opt opts[] = {
		SW_CLI_OPT_APP(&o->app), SW_CLI_OPT_JSON(&o->json),
		{ "--process", 'p', &o->process, NULL, NULL },
		{ "--detach", 'd', NULL, &o->detach, NULL },
		{ "--env", 'e', NULL, NULL, &o->env },
		{ NULL, 0, NULL, NULL, NULL },
	};
	int argc = 0;

	while (argv[argc])
		argc++;
	return command ? sw_cli_args_parse_command(&cmd, argc, argv, opts, a)
		       : sw_cli_args_parse(&cmd, argc, argv, opts, min, max, a);
}

static void forms_of_options(void **state)
{
	char *argv[] = { "run", "-a", "hello", "--process=worker", "one", "-e", "A=1", "--env", "B=2", "-eC=3",
			 "--json", "-d", "two", NULL };
	struct opts o = { NULL, NULL, 0, 0, SW_STRVEC_INIT };
	struct sw_cli_args a;
	(void)state;

	assert_int_equal(parse(&o, &a, 0, 2, 0, argv), 0);
	assert_string_equal(o.app, "hello");
	assert_string_equal(o.process, "worker");
	assert_int_equal(o.json, 1);
	assert_int_equal(o.detach, 1);
	assert_int_equal(o.env.nr, 3);
	assert_string_equal(o.env.v[2], "C=3");
	assert_int_equal(a.npos, 2);
	assert_string_equal(a.pos[0], "one");
	assert_string_equal(a.pos[1], "two");
	assert_null(a.rest);
	sw_strvec_clear(&o.env);
}

/* "--" leaves the rest as it is; with a command, the first positional does (run CMD -x). */
static void rest_after_dashes_or_the_command(void **state)
{
	char *dashes[] = { "run", "-a", "hello", "--", "ls", "-la", "--json", NULL };
	char *command[] = { "run", "-p", "web", "sh", "-c", "echo -a", NULL };
	char *negative[] = { "run", "-5", NULL };
	struct opts o = { NULL, NULL, 0, 0, SW_STRVEC_INIT };
	struct sw_cli_args a;
	(void)state;

	assert_int_equal(parse(&o, &a, 0, 0, 0, dashes), 0);
	assert_int_equal(a.nrest, 3);
	assert_string_equal(a.rest[0], "ls");
	assert_string_equal(a.rest[2], "--json");
	assert_int_equal(o.json, 0);

	assert_int_equal(parse(&o, &a, 0, 0, 1, command), 0);
	assert_string_equal(o.process, "web");
	assert_int_equal(a.nrest, 3);
	assert_string_equal(a.rest[0], "sh");
	assert_string_equal(a.rest[2], "echo -a");

	assert_int_equal(parse(&o, &a, 1, 1, 0, negative), 0);   /* "-5" is a value, not an option */
	assert_string_equal(a.pos[0], "-5");
}

static void usage_errors_and_help(void **state)
{
	static char *bad[][5] = {
		{ "run", "--nope", NULL },          /* unknown option */
		{ "run", "-z", NULL },              /* unknown short option */
		{ "run", "--json=1", NULL },        /* a flag takes no value */
		{ "run", "-dx", NULL },             /* nor glued to it */
		{ "run", "-a", NULL },              /* a value is missing */
		{ "run", "one", "two", NULL },      /* one positional too many */
		{ "run", NULL },                    /* one missing */
	};
	char *help[] = { "run", "one", "-h", NULL };
	struct opts o = { NULL, NULL, 0, 0, SW_STRVEC_INIT };
	struct sw_cli_args a;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.exit = -1;
		if (parse(&o, &a, 1, 1, 0, bad[i]) != -1)
			fail_msg("case %zu was taken", i);
		assert_int_equal(a.exit, 2);
	}
	assert_int_equal(parse(&o, &a, 1, 1, 0, help), -1);
	assert_int_equal(a.exit, 0);
}

static void ids(void **state)
{
	long long id = 0;
	(void)state;
	assert_int_equal(sw_cli_parse_id("12", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(sw_cli_parse_id("#7", &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(sw_cli_parse_id("#", &id), -1);
	assert_int_equal(sw_cli_parse_id("0", &id), -1);
	assert_int_equal(sw_cli_parse_id("v7", &id), -1);
	assert_int_equal(sw_cli_parse_id("##7", &id), -1);
	assert_int_equal(sw_cli_parse_id(NULL, &id), -1);
	assert_int_equal(id, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forms_of_options),
		cmocka_unit_test(rest_after_dashes_or_the_command),
		cmocka_unit_test(usage_errors_and_help),
		cmocka_unit_test(ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
