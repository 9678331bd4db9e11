#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "common/number.h"
#include "common/banned.h"

static const struct sw_cli_opt *find_long(const struct sw_cli_opt *opts, const char *a, size_t n)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == n && !strncmp(opts->name, a, n))
			return opts;
	return NULL;
}

static const struct sw_cli_opt *find_short(const struct sw_cli_opt *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static int parse(const struct sw_cli_command *cmd, int argc, char **argv, const struct sw_cli_opt *opts,
		 int min_pos, int max_pos, int stop_at_first, struct sw_cli_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];
		const struct sw_cli_opt *o = NULL;
		const char *inline_value = NULL;

		if (!strcmp(s, "--")) {
			a->rest = argv + i + 1;
			a->nrest = argc - i - 1;
			break;
		}
		if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			fputs(cmd->usage, stdout);
			a->exit = 0;
			return -1;
		}
		if (s[0] == '-' && s[1] == '-' && s[2]) {
			const char *eq = strchr(s, '=');
			o = find_long(opts, s, eq ? (size_t)(eq - s) : strlen(s));
			if (!o) {
				a->exit = sw_cli_usage_error(cmd, "unknown option %.*s", eq ? (int)(eq - s) : (int)strlen(s), s);
				return -1;
			}
			if (eq) {
				if (!o->value && !o->list) {
					a->exit = sw_cli_usage_error(cmd, "%s takes no value", o->name);
					return -1;
				}
				inline_value = eq + 1;
			}
		} else if (s[0] == '-' && s[1] && s[1] != '-' && !(s[1] >= '0' && s[1] <= '9')) {
			o = find_short(opts, s[1]);
			if (!o) {
				a->exit = sw_cli_usage_error(cmd, "unknown option -%c", s[1]);
				return -1;
			}
			if (s[2]) {
				if (!o->value && !o->list) {
					a->exit = sw_cli_usage_error(cmd, "-%c takes no value", s[1]);
					return -1;
				}
				inline_value = s + 2;
			}
		}
		if (!o && stop_at_first) {
			a->rest = argv + i;
			a->nrest = argc - i;
			break;
		}
		if (!o) {
			if (a->npos >= max_pos || a->npos >= SW_CLI_MAX_POS) {
				a->exit = sw_cli_usage_error(cmd, "unexpected argument '%.80s'", s);
				return -1;
			}
			a->pos[a->npos++] = s;
			continue;
		}
		if (o->flag) {
			*o->flag = 1;
			continue;
		}
		if (!inline_value && i + 1 < argc)
			inline_value = argv[++i];
		if (inline_value && o->list) {
			sw_strvec_push(o->list, inline_value);
		} else if (inline_value) {
			*o->value = inline_value;
		} else {
			a->exit = sw_cli_usage_error(cmd, "%s needs a value", o->name);
			return -1;
		}
	}
	if (a->npos < min_pos) {
		a->exit = sw_cli_usage_error(cmd, "missing argument%s", min_pos - a->npos > 1 ? "s" : "");
		return -1;
	}
	return 0;
}

int sw_cli_args_parse(const struct sw_cli_command *cmd, int argc, char **argv, const struct sw_cli_opt *opts,
		      int min_pos, int max_pos, struct sw_cli_args *a)
{
	return parse(cmd, argc, argv, opts, min_pos, max_pos, 0, a);
}

int sw_cli_args_parse_command(const struct sw_cli_command *cmd, int argc, char **argv, const struct sw_cli_opt *opts,
			      struct sw_cli_args *a)
{
	return parse(cmd, argc, argv, opts, 0, 0, 1, a);
}

int sw_cli_parse_id(const char *s, long long *out)
{
	return sw_number_parse(s && *s == '#' ? s + 1 : s, 1, SW_NUMBER_ID_MAX, out);
}
