#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/time.h"
#include "common/banned.h"

static void clocks_agree(void **state)
{
	double now = sw_time_now(), mono = sw_time_mono();
	long long now_ms = sw_time_now_ms(), mono_ms = sw_time_mono_ms();
	time_t t = time(NULL);

	(void)state;
	assert_true(now > (double)t - 2 && now < (double)t + 2);
	assert_true(now_ms / 1000 >= (long long)t - 2 && now_ms / 1000 <= (long long)t + 2);
	assert_true(mono_ms >= (long long)(mono * 1000) - 5 && mono_ms <= (long long)(mono * 1000) + 50);
	assert_true(sw_time_mono_ms() >= mono_ms);
}

static void deadlines(void **state)
{
	struct timespec now, d;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &now);
	sw_time_deadline(&d, CLOCK_MONOTONIC, 1500);
	assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
	{
		long long diff = ((long long)d.tv_sec - now.tv_sec) * 1000 + (d.tv_nsec - now.tv_nsec) / 1000000;
		assert_true(diff >= 1500 && diff < 1600);
	}
	sw_time_deadline(&d, CLOCK_REALTIME, -5);   /* now */
	assert_true(d.tv_sec >= time(NULL) - 1 && d.tv_sec <= time(NULL));
}

static void iso_forms(void **state)
{
	char out[SW_TIME_ISO_SIZE];

	(void)state;
	assert_string_equal(sw_time_iso(1796532830.0, out), "2026-12-06T04:53:50Z");
	assert_string_equal(sw_time_iso(1796532830.999, out), "2026-12-06T04:53:50Z");
	assert_string_equal(sw_time_iso(0, out), "1970-01-01T00:00:00Z");
	assert_string_equal(sw_time_iso_ms(1796532830123LL, out), "2026-12-06T04:53:50.123Z");
	assert_string_equal(sw_time_iso_ms(1796532830007LL, out), "2026-12-06T04:53:50.007Z");
	assert_string_equal(sw_time_iso_ms(-1, out), "1969-12-31T23:59:59.999Z");
	assert_string_equal(sw_time_iso_basic(1796532830, out), "20261206T045350Z");
	assert_string_equal(sw_time_iso_basic(0, out), "19700101T000000Z");
}

static void iso_parsing(void **state)
{
	double t = -1;

	(void)state;
	assert_int_equal(sw_time_parse_iso("2026-11-26T10:00:01Z", &t), 0);
	assert_true(t == 1795687201.0);
	assert_int_equal(sw_time_parse_iso("2026-11-26T10:00:01.250Z", &t), 0);
	assert_true(t > 1795687201.24 && t < 1795687201.26);
	assert_int_equal(sw_time_parse_iso("2026-11-26T12:00:01+02:00", &t), 0);
	assert_true(t == 1795687201.0);
	assert_int_equal(sw_time_parse_iso("2026-11-26T09:30:01.5-00:30", &t), 0);
	assert_true(t == 1795687201.5);
	assert_int_equal(sw_time_parse_iso("2026-11-26 10:00:01", &t), SW_EINVAL);
	assert_string_equal(sw_error_last(), "'2026-11-26 10:00:01' is not an ISO 8601 time");
	assert_int_equal(sw_time_parse_iso("2026-11-26T10:00:01Zjunk", &t), SW_EINVAL);
	assert_int_equal(sw_time_parse_iso("2026-11-26T10:00:01", &t), SW_EINVAL);
	assert_int_equal(sw_time_parse_iso("2026-11-26T10:00:01+0200", &t), SW_EINVAL);
	assert_int_equal(sw_time_parse_iso(NULL, &t), SW_EINVAL);
	assert_true(t == 1795687201.5);   /* untouched by the failures */
}

/* What AWS sends as a credential's Expiration (IMDS, the ECS container endpoint). */
static void aws_expirations(void **state)
{
	double t;
	assert_int_equal(sw_time_parse_iso("2015-08-30T12:36:00Z", &t), 0);
	assert_int_equal((time_t)t, 1440938160);
	assert_int_equal(sw_time_parse_iso("2015-08-30T12:36:00.123Z", &t), 0);
	assert_int_equal((time_t)t, 1440938160);
	assert_int_equal(sw_time_parse_iso("2015-08-30T14:36:00+02:00", &t), 0);
	assert_int_equal((time_t)t, 1440938160);
	assert_int_equal(sw_time_parse_iso("2015-08-30T12:36:00", &t), SW_EINVAL);
	assert_int_equal(sw_time_parse_iso("yesterday", &t), SW_EINVAL);
}

static void parses(const char *s, unsigned flags, long long want)
{
	long long ms = -1;
	if (sw_time_parse_duration(s, flags, &ms) != 0)
		fail_msg("'%s' refused: %s", s, sw_error_last());
	if (ms != want)
		fail_msg("'%s': got %lld want %lld", s, ms, want);
}

static void refuses(const char *s, unsigned flags)
{
	long long ms = -1;
	if (sw_time_parse_duration(s, flags, &ms) != SW_EINVAL)
		fail_msg("'%s' accepted (%lld)", s ? s : "(null)", ms);
	assert_int_equal(ms, -1);
}

static void durations_parsed(void **state)
{
	static const char *const bad[] = { "", "s", "10x", "1m30", "-1s", "1 s", "m5", " 5", "1d", "7x", "1e20" };
	size_t i;

	(void)state;
	/* Go's grammar, a bare number in seconds */
	parses("30s", 0, 30000);
	parses("1m30s", 0, 90000);
	parses("1h", 0, 3600000);
	parses("300ms", 0, 300);
	parses("1.5s", 0, 1500);
	parses("45", 0, 45000);
	parses("1.5", 0, 1500);
	parses("0", 0, 0);
	parses("2h45m", 0, 9900000);
	parses("2000us", 0, 2);
	parses("3000\xc2\xb5s", 0, 3);
	parses("10m", 0, 600000);
	parses("24h", 0, 86400000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(bad[i], 0);
	refuses(NULL, 0);
	assert_int_equal(sw_time_parse_duration("10x", 0, &(long long){ 0 }), SW_EINVAL);
	assert_string_equal(sw_error_last(), "'10x' is not a duration (like 30s, 1m30s or 2h)");
	/* days */
	parses("7d", SW_DURATION_DAYS, 7 * 86400000LL);
	parses("1d12h", SW_DURATION_DAYS, 36 * 3600000LL);
	parses("90", SW_DURATION_DAYS, 90000);
	parses("3", SW_DURATION_BARE_DAYS, 3 * 86400000LL);
	parses("12h", SW_DURATION_BARE_DAYS, 12 * 3600000LL);
	parses("45s", SW_DURATION_BARE_DAYS, 45000);
	refuses("7x", SW_DURATION_BARE_DAYS);
	refuses("-1d", SW_DURATION_BARE_DAYS);
	refuses("99999999d", SW_DURATION_BARE_DAYS);
	assert_string_equal(sw_error_last(), "'99999999d' is not a duration (like 45s, 30m, 12h or 7d)");
}

static void format(void (*fn)(struct sw_buf *, double), double secs, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_buf_adds(&b, "<");
	fn(&b, secs);
	if (strcmp(b.ptr + 1, want))
		fail_msg("%g: got '%s' want '%s'", secs, b.ptr + 1, want);
	sw_buf_release(&b);
}

static void format_ll(void (*fn)(struct sw_buf *, long long), long long secs, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	fn(&b, secs);
	if (strcmp(b.ptr, want))
		fail_msg("%lld: got '%s' want '%s'", secs, b.ptr, want);
	sw_buf_release(&b);
}

static void durations_written(void **state)
{
	(void)state;
	/* elapsed: "took 7s", "rolled back in 1m05s" */
	format(sw_time_format_elapsed, 0, "0s");
	format(sw_time_format_elapsed, 7.4, "7s");
	format(sw_time_format_elapsed, 7.6, "8s");
	format(sw_time_format_elapsed, 59, "59s");
	format(sw_time_format_elapsed, 60, "1m00s");
	format(sw_time_format_elapsed, 65.9, "1m05s");
	format(sw_time_format_elapsed, 3700, "61m40s");
	format(sw_time_format_elapsed, -3, "0s");
	/* brief: the CLI's columns */
	format(sw_time_format_brief, 0.42, "0.4s");
	format(sw_time_format_brief, 9.94, "9.9s");
	format(sw_time_format_brief, 45, "45s");
	format(sw_time_format_brief, 59.6, "1m00s");
	format(sw_time_format_brief, 185, "3m05s");
	format(sw_time_format_brief, 3720, "1h02m");
	format(sw_time_format_brief, -3, "0.0s");
	/* unit: review idle times */
	format_ll(sw_time_format_unit, 7 * 86400, "7d");
	format_ll(sw_time_format_unit, 12 * 3600, "12h");
	format_ll(sw_time_format_unit, 36 * 3600, "36h");
	format_ll(sw_time_format_unit, 1800, "30m");
	format_ll(sw_time_format_unit, 45, "45s");
	format_ll(sw_time_format_unit, 90, "90s");
	format_ll(sw_time_format_unit, 0, "0d");
	/* minsec: the build timeout */
	format_ll(sw_time_format_minsec, 5, "5s");
	format_ll(sw_time_format_minsec, 90, "1m30s");
	format_ll(sw_time_format_minsec, 65, "1m5s");
	format_ll(sw_time_format_minsec, 3600, "60m");
	format_ll(sw_time_format_minsec, 86400, "1440m");
	format_ll(sw_time_format_minsec, 0, "0s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clocks_agree),
		cmocka_unit_test(deadlines),
		cmocka_unit_test(iso_forms),
		cmocka_unit_test(iso_parsing),
		cmocka_unit_test(aws_expirations),
		cmocka_unit_test(durations_parsed),
		cmocka_unit_test(durations_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
