#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/env.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

const char *sw_env_str(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

char *sw_env_strdup(const char *name, const char *dflt)
{
	const char *v = sw_env_str(name);
	if (!v)
		v = dflt;
	return v ? xstrdup(v) : NULL;
}

int sw_env_int(const char *name, long long dflt, long long min, long long max, long long *out)
{
	const char *v = sw_env_str(name);
	const char *digits = v && *v == '-' ? v + 1 : v;
	char *end = NULL;
	long long n;

	if (!v) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	n = isdigit((unsigned char)*digits) ? strtoll(v, &end, 10) : 0;
	if (!end || *end || errno || n < min || n > max)
		return sw_error_code(SW_EINVAL, "%s: want a whole number from %lld to %lld, not '%.40s'", name, min,
				     max, v);
	*out = n;
	return 0;
}

/* A decimal number (digits and a fraction; no sign, no "inf" or "nan") from min to max. */
static int number_in(const char *v, double min, double max, double *out)
{
	char *end = NULL;
	double x = 0;

	errno = 0;
	if (isdigit((unsigned char)*v) || (*v == '.' && isdigit((unsigned char)v[1])))
		x = strtod(v, &end);
	if (!end || *end || errno || !(x >= min) || x > max)
		return -1;
	*out = x;
	return 0;
}

int sw_env_number(const char *name, double dflt, double min, double max, double *out)
{
	const char *v = sw_env_str(name);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (number_in(v, min, max, out) < 0)
		return sw_error_code(SW_EINVAL, "%s: want a number from %g to %g, not '%.40s'", name, min, max, v);
	return 0;
}

int sw_env_seconds(const char *name, double dflt_s, double min_s, double max_s, long long *out_ms)
{
	const char *v = sw_env_str(name);
	double x = dflt_s;

	if (v && number_in(v, min_s, max_s, &x) < 0)
		return sw_error_code(SW_EINVAL, "%s: want seconds from %g to %g, not '%.40s'", name, min_s, max_s, v);
	*out_ms = llround(x * 1000);
	return 0;
}

/* A limit for the refusal: "500ms", "1s", "24h", "7d" (days only where the setting takes them). */
static void limit_text(struct sw_buf *out, long long ms, unsigned flags)
{
	long long s = ms / 1000;

	if (ms % 1000)
		sw_buf_addf(out, "%lldms", ms);
	else if (s && s % 86400 == 0 && !(flags & (SW_DURATION_DAYS | SW_DURATION_BARE_DAYS)))
		sw_buf_addf(out, "%lldh", s / 3600);
	else
		sw_time_format_unit(out, s);
}

int sw_env_duration(const char *name, long long dflt_ms, long long min_ms, long long max_ms, unsigned flags,
		    long long *out_ms)
{
	const char *v = sw_env_str(name);
	struct sw_buf lo = SW_BUF_INIT, hi = SW_BUF_INIT;
	long long ms = 0;
	int ret;

	if (!v) {
		*out_ms = dflt_ms;
		return 0;
	}
	if (sw_time_parse_duration(v, flags, &ms) == 0 && ms >= min_ms && ms <= max_ms) {
		*out_ms = ms;
		return 0;
	}
	limit_text(&lo, min_ms, flags);
	limit_text(&hi, max_ms, flags);
	ret = sw_error_code(SW_EINVAL, "%s: want %s or a duration like 30m or 2h, from %s to %s, not \"%.40s\"", name,
			    flags & SW_DURATION_BARE_DAYS ? "days" : "seconds", lo.ptr, hi.ptr, v);
	sw_buf_release(&lo);
	sw_buf_release(&hi);
	return ret;
}

int sw_env_bool(const char *name, int dflt, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off" };
	const char *v = sw_env_str(name);
	size_t i;

	if (!v) {
		*out = dflt;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return sw_error_code(SW_EINVAL, "%s: want true or false (1/0, yes/no, on/off), not '%.40s'", name, v);
}
