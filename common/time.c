#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "common/error.h"
#include "common/banned.h"

/* ---- clocks ---- */

static struct timespec clock_read(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts;
}

static double seconds_on(clockid_t clock)
{
	struct timespec ts = clock_read(clock);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long ms_on(clockid_t clock)
{
	struct timespec ts = clock_read(clock);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double sw_time_now(void)
{
	return seconds_on(CLOCK_REALTIME);
}

long long sw_time_now_ms(void)
{
	return ms_on(CLOCK_REALTIME);
}

double sw_time_mono(void)
{
	return seconds_on(CLOCK_MONOTONIC);
}

long long sw_time_mono_ms(void)
{
	return ms_on(CLOCK_MONOTONIC);
}

void sw_time_deadline(struct timespec *out, clockid_t clock, long long ms)
{
	*out = clock_read(clock);
	if (ms <= 0)
		return;
	out->tv_sec += (time_t)(ms / 1000);
	out->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

/* ---- ISO 8601 ---- */

static struct tm utc(time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm;
}

char *sw_time_iso(double secs, char out[SW_TIME_ISO_SIZE])
{
	struct tm tm = utc((time_t)secs);
	strftime(out, SW_TIME_ISO_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

char *sw_time_iso_ms(long long ms, char out[SW_TIME_ISO_SIZE])
{
	long long secs = ms / 1000, frac = ms % 1000;
	struct tm tm;
	size_t n;

	if (frac < 0) {   /* before 1970: the fraction counts forward from the second below */
		secs--;
		frac += 1000;
	}
	tm = utc((time_t)secs);
	n = strftime(out, SW_TIME_ISO_SIZE - 5, "%Y-%m-%dT%H:%M:%S", &tm);
	out[n++] = '.';
	out[n++] = (char)('0' + frac / 100);
	out[n++] = (char)('0' + frac / 10 % 10);
	out[n++] = (char)('0' + frac % 10);
	out[n++] = 'Z';
	out[n] = '\0';
	return out;
}

char *sw_time_iso_basic(time_t t, char out[SW_TIME_ISO_SIZE])
{
	struct tm tm = utc(t);
	strftime(out, SW_TIME_ISO_SIZE, "%Y%m%dT%H%M%SZ", &tm);
	return out;
}

/* "+hh:mm" / "-hh:mm" at p, the whole rest of the string → seconds east of UTC. */
static int utc_offset(const char *p, long *secs)
{
	if ((*p != '+' && *p != '-') || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    p[3] != ':' || !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]) || p[6])
		return -1;
	*secs = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
	if (*p == '-')
		*secs = -*secs;
	return 0;
}

int sw_time_parse_iso(const char *s, double *out)
{
	struct tm tm;
	const char *p;
	double frac = 0, scale = 0.1;
	long offset = 0;

	if (!s)
		return sw_error_code(SW_EINVAL, "no time given");
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		goto bad;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	if (!(*p == 'Z' && !p[1]) && utc_offset(p, &offset) < 0)
		goto bad;
	*out = (double)(timegm(&tm) - offset) + frac;
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "'%.60s' is not an ISO 8601 time", s);
}

/* ---- durations ---- */

/* The bare-number form: the whole of s is one number (seconds, or days). */
static int bare_duration(const char *s, unsigned flags, long long *ms)
{
	double unit = flags & SW_DURATION_BARE_DAYS ? 86400 : 1;
	char *end = NULL;
	double v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (!end || *end || errno || v * unit > 1e9)
		return -1;
	*ms = (long long)(v * unit * 1000 + 0.5);
	return 0;
}

/* The unit at *p (advanced past it) in milliseconds; 0 when there is none it knows. */
static long double duration_unit(const char **p, unsigned flags)
{
	static const struct {
		const char *name;
		long double ms;
	} units[] = {
		{ "ns", 1e-6L }, { "us", 1e-3L }, { "\xc2\xb5s", 1e-3L }, { "ms", 1 },
		{ "s", 1000 },   { "m", 60000 },  { "h", 3600000 },       { "d", 86400000 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);
		if (strncmp(*p, units[i].name, n))
			continue;
		if (units[i].name[0] == 'd' && !(flags & (SW_DURATION_DAYS | SW_DURATION_BARE_DAYS)))
			return 0;
		*p += n;
		return units[i].ms;
	}
	return 0;
}

int sw_time_parse_duration(const char *s, unsigned flags, long long *ms)
{
	const char *p = s;
	long double total = 0;

	if (!s || !*s)
		goto bad;
	if (bare_duration(s, flags, ms) == 0)
		return 0;
	while (*p) {
		long double v = 0, frac = 0.1L, unit;
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p++ - '0');
			digits++;
			if (v > 1e12)
				goto bad;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				v += (*p++ - '0') * frac;
				frac /= 10;
				digits++;
			}
		}
		if (!digits || !(unit = duration_unit(&p, flags)))
			goto bad;
		total += v * unit;
		if (total > 1e13)
			goto bad;
	}
	*ms = (long long)(total + 0.5L);
	return 0;
bad:
	if (flags & (SW_DURATION_DAYS | SW_DURATION_BARE_DAYS))
		return sw_error_code(SW_EINVAL, "'%.40s' is not a duration (like 45s, 30m, 12h or 7d)", s ? s : "");
	return sw_error_code(SW_EINVAL, "'%.40s' is not a duration (like 30s, 1m30s or 2h)", s ? s : "");
}

/* "1m05s" */
static void add_min_sec(struct sw_buf *out, long long s)
{
	sw_buf_addf(out, "%lldm%02llds", s / 60, s % 60);
}

void sw_time_format_elapsed(struct sw_buf *out, double secs)
{
	if (secs < 60)
		sw_buf_addf(out, "%.0fs", secs < 0 ? 0 : secs);
	else
		add_min_sec(out, (long long)secs);
}

void sw_time_format_brief(struct sw_buf *out, double secs)
{
	long long s = (long long)(secs + 0.5);

	if (secs < 10)
		sw_buf_addf(out, "%.1fs", secs < 0 ? 0 : secs);
	else if (s < 60)
		sw_buf_addf(out, "%llds", s);
	else if (s < 3600)
		add_min_sec(out, s);
	else
		sw_buf_addf(out, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
}

void sw_time_format_unit(struct sw_buf *out, long long secs)
{
	if (secs % 86400 == 0)
		sw_buf_addf(out, "%lldd", secs / 86400);
	else if (secs % 3600 == 0)
		sw_buf_addf(out, "%lldh", secs / 3600);
	else if (secs % 60 == 0)
		sw_buf_addf(out, "%lldm", secs / 60);
	else
		sw_buf_addf(out, "%llds", secs);
}

void sw_time_format_minsec(struct sw_buf *out, long long secs)
{
	if (secs >= 60)
		sw_buf_addf(out, "%lldm", secs / 60);
	if (secs < 60 || secs % 60)
		sw_buf_addf(out, "%llds", secs % 60);
}
