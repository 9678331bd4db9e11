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
	/* now (time(NULL) reads a coarser clock that may lag a second boundary: not that) */
	clock_gettime(CLOCK_REALTIME, &now);
	sw_time_deadline(&d, CLOCK_REALTIME, -5);
	{
		struct timespec after;
		clock_gettime(CLOCK_REALTIME, &after);
		assert_true(d.tv_sec >= now.tv_sec && d.tv_sec <= after.tv_sec);
	}
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

static void refuses(const char *s, unsigned flags)
{
	long long ms = -1;
	if (sw_time_parse_duration(s, flags, &ms) != SW_EINVAL)
		fail_msg("'%s' accepted (%lld)", s ? s : "(null)", ms);
	assert_int_equal(ms, -1);
}

static void durations_parsed(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		long long ms;
	} ok[] = {
		/* Go's grammar, a bare number in seconds */
		{ "30s", 0, 30000 }, { "1m30s", 0, 90000 }, { "1h", 0, 3600000 }, { "300ms", 0, 300 },
		{ "1.5s", 0, 1500 }, { "45", 0, 45000 }, { "1.5", 0, 1500 }, { "0", 0, 0 }, { "2h45m", 0, 9900000 },
		{ "2000us", 0, 2 }, { "3000\xc2\xb5s", 0, 3 }, { "10m", 0, 600000 }, { "24h", 0, 86400000 },
		/* days */
		{ "7d", SW_DURATION_DAYS, 7 * 86400000LL }, { "1d12h", SW_DURATION_DAYS, 36 * 3600000LL },
		{ "90", SW_DURATION_DAYS, 90000 }, { "3", SW_DURATION_BARE_DAYS, 3 * 86400000LL },
		{ "12h", SW_DURATION_BARE_DAYS, 12 * 3600000LL }, { "45s", SW_DURATION_BARE_DAYS, 45000 },
	};
	static const char *const bad[] = { "", "s", "10x", "1m30", "-1s", "1 s", "m5", " 5", "1d", "7x", "1e20" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long long ms = -1;
		if (sw_time_parse_duration(ok[i].in, ok[i].flags, &ms) != 0)
			fail_msg("'%s' refused: %s", ok[i].in, sw_error_last());
		if (ms != ok[i].ms)
			fail_msg("'%s': got %lld want %lld", ok[i].in, ms, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(bad[i], 0);
	refuses(NULL, 0);
	refuses("10x", 0);
	assert_string_equal(sw_error_last(), "'10x' is not a duration (like 30s, 1m30s or 2h)");
	refuses("7x", SW_DURATION_BARE_DAYS);
	refuses("-1d", SW_DURATION_BARE_DAYS);
	refuses("99999999d", SW_DURATION_BARE_DAYS);
	assert_string_equal(sw_error_last(), "'99999999d' is not a duration (like 45s, 30m, 12h or 7d)");
}

struct written {
	double secs;
	const char *want;
};

/* Each case through fn (appending: what was in the buffer stays). */
static void check_written(void (*fn)(struct sw_buf *, double), const struct written *cases, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_adds(&b, "<");
		fn(&b, cases[i].secs);
		if (strcmp(b.ptr + 1, cases[i].want))
			fail_msg("%g: got '%s' want '%s'", cases[i].secs, b.ptr + 1, cases[i].want);
		sw_buf_release(&b);
	}
}

static void unit(struct sw_buf *out, double secs)
{
	sw_time_format_unit(out, (long long)secs);
}

static void minsec(struct sw_buf *out, double secs)
{
	sw_time_format_minsec(out, (long long)secs);
}

static void durations_written(void **state)
{
	/* elapsed: "took 7s", "rolled back in 1m05s" */
	static const struct written elapsed[] = {
		{ 0, "0s" }, { 7.4, "7s" }, { 7.6, "8s" }, { 59, "59s" },
		{ 60, "1m00s" }, { 65.9, "1m05s" }, { 3700, "61m40s" }, { -3, "0s" },
	};
	/* brief: the CLI's columns */
	static const struct written brief[] = {
		{ 0.42, "0.4s" }, { 9.94, "9.9s" }, { 45, "45s" }, { 59.6, "1m00s" },
		{ 185, "3m05s" }, { 3720, "1h02m" }, { -3, "0.0s" },
	};
	/* unit: review idle times */
	static const struct written units[] = {
		{ 7 * 86400, "7d" }, { 12 * 3600, "12h" }, { 36 * 3600, "36h" }, { 1800, "30m" },
		{ 45, "45s" }, { 90, "90s" }, { 0, "0d" },
	};
	/* minsec: the build timeout */
	static const struct written minsecs[] = {
		{ 5, "5s" }, { 90, "1m30s" }, { 65, "1m5s" }, { 3600, "60m" }, { 86400, "1440m" }, { 0, "0s" },
	};

	(void)state;
	check_written(sw_time_format_elapsed, elapsed, sizeof(elapsed) / sizeof(elapsed[0]));
	check_written(sw_time_format_brief, brief, sizeof(brief) / sizeof(brief[0]));
	check_written(unit, units, sizeof(units) / sizeof(units[0]));
	check_written(minsec, minsecs, sizeof(minsecs) / sizeof(minsecs[0]));
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
