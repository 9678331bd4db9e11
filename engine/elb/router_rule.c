#include <string.h>

#include "engine/elb/router.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

/*
 * One ALB pattern as a regex piece. Characters that mean something to a regex are
 * put in brackets rather than escaped with '\': HAProxy's CLI would eat backslashes.
 */
static int add_pattern(struct sw_buf *re, const char *pat, int host)
{
	const char *p;
	size_t n = strlen(pat);

	if (!n || n > (host ? 128u : 128u))
		return sw_error_code(SW_EINVAL, "%s pattern '%s' must have 1 to 128 characters",
				     host ? "host-header" : "path-pattern", pat);
	for (p = pat; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (c == '*') {
			sw_buf_adds(re, host ? "[^/]*" : ".*");
		} else if (c == '?') {
			sw_buf_adds(re, host ? "[^/]" : ".");
		} else if (alnum || c == '-' || c == '_') {
			sw_buf_addch(re, host && c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else if (c == '.') {
			sw_buf_adds(re, "[.]");
		} else if (!host && (c == '/' || c == '~' || c == '@' || c == ':' || c == '&' ||
				     c == '\'' || c == '"' || c == '=' || c == '%' || c == ',' || c == '!')) {
			sw_buf_addch(re, c);
		} else if (!host && (c == '$' || c == '+')) {
			sw_buf_addch(re, '[');
			sw_buf_addch(re, c);
			sw_buf_addch(re, ']');
		} else {
			return sw_error_code(SW_EINVAL, "%s pattern '%s': character '%c' is not allowed",
					     host ? "host-header" : "path-pattern", pat, c >= ' ' && c < 0x7f ? c : '?');
		}
	}
	return 0;
}

int sw_elb_router_rule_regex(const struct sw_elb_router_rule *rule, char **out)
{
	struct sw_buf re = SW_BUF_INIT;
	size_t i;
	int ret = 0;

	*out = NULL;
	sw_buf_adds(&re, "^");
	if (rule->nhosts) {
		sw_buf_adds(&re, "(?:");
		for (i = 0; i < rule->nhosts; i++) {
			if (i)
				sw_buf_addch(&re, '|');
			if ((ret = add_pattern(&re, rule->hosts[i], 1)) < 0)
				goto cleanup;
		}
		sw_buf_addch(&re, ')');
	} else {
		sw_buf_adds(&re, "[^/]*");
	}
	if (rule->npaths) {
		sw_buf_adds(&re, "(?:");
		for (i = 0; i < rule->npaths; i++) {
			if (i)
				sw_buf_addch(&re, '|');
			if ((ret = add_pattern(&re, rule->paths[i], 0)) < 0)
				goto cleanup;
		}
		sw_buf_addch(&re, ')');
	} else {
		sw_buf_adds(&re, "/.*");
	}
	sw_buf_addch(&re, '$');
	*out = sw_buf_detach(&re, NULL);

cleanup:
	sw_buf_release(&re);
	return ret;
}
