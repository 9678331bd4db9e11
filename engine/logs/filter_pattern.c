#include <string.h>

#include "engine/logs/filter_pattern.h"
#include "common/banned.h"

int sw_logs_pattern_parse(struct sw_logs_pattern *p, const char *s, struct sw_buf *why)
{
	const char *q = s;
	while (*q) {
		struct sw_buf term = SW_BUF_INIT;
		int kind = 0;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!*q)
			break;
		if (*q == '{' || *q == '[') {
			sw_buf_adds(why, "JSON and space-delimited filter patterns are not supported by slipway-engine "
				    "(plain terms are)");
			return -1;
		}
		if (*q == '?') {
			kind = 1;
			q++;
		} else if (*q == '-') {
			kind = 2;
			q++;
		}
		if (*q == '"') {
			const char *e = strchr(q + 1, '"');
			if (!e) {
				sw_buf_adds(why, "Invalid filter pattern: unterminated quoted term");
				sw_buf_release(&term);
				return -1;
			}
			sw_buf_add(&term, q + 1, (size_t)(e - q - 1));
			q = e + 1;
		} else {
			const char *e = q;
			while (*e && *e != ' ' && *e != '\t')
				e++;
			sw_buf_add(&term, q, (size_t)(e - q));
			q = e;
		}
		if (term.len)
			sw_strvec_push(kind == 1 ? &p->any : kind == 2 ? &p->none : &p->all, term.ptr);
		sw_buf_release(&term);
	}
	return 0;
}

int sw_logs_pattern_match(const struct sw_logs_pattern *p, const char *msg)
{
	size_t i;
	int any = p->any.nr == 0;
	for (i = 0; i < p->all.nr; i++)
		if (!strstr(msg, p->all.v[i]))
			return 0;
	for (i = 0; i < p->none.nr; i++)
		if (strstr(msg, p->none.v[i]))
			return 0;
	for (i = 0; i < p->any.nr && !any; i++)
		if (strstr(msg, p->any.v[i]))
			any = 1;
	return any;
}

void sw_logs_pattern_release(struct sw_logs_pattern *p)
{
	sw_strvec_clear(&p->all);
	sw_strvec_clear(&p->any);
	sw_strvec_clear(&p->none);
}
