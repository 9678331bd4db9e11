#ifndef SW_TIME_H
#define SW_TIME_H

#include <time.h>

#include "common/buf.h"

/*
 * Time, one way for every program: the clocks, ISO 8601 times, and durations read from
 * people ("30m") and written for them ("1m05s").
 *
 * Nothing here allocates: the formatters write into a caller's char array (and return
 * it) or append to a caller's struct sw_buf (which the caller releases).
 */

/* ---- clocks ---- */

/* Wall-clock time (CLOCK_REALTIME), seconds since the epoch with the fraction. */
double sw_time_now(void);
/* Wall-clock time in whole milliseconds since the epoch. */
long long sw_time_now_ms(void);
/* The monotonic clock (CLOCK_MONOTONIC), for intervals and deadlines: seconds with the
 * fraction, and whole milliseconds. Its zero is arbitrary. */
double sw_time_mono(void);
long long sw_time_mono_ms(void);

/*
 * *out = now + ms on clock (CLOCK_REALTIME for pthread_cond_timedwait() on a default
 * condition variable, CLOCK_MONOTONIC for one made with pthread_condattr_setclock()).
 * ms may be 0; negative counts as 0.
 */
void sw_time_deadline(struct timespec *out, clockid_t clock, long long ms);

/* ---- ISO 8601 (UTC) ---- */

/* Room for every form below, with its NUL. */
#define SW_TIME_ISO_SIZE 32

/* "2026-12-06T04:53:50Z": whole seconds (a fraction of secs is dropped). Returns out. */
char *sw_time_iso(double secs, char out[SW_TIME_ISO_SIZE]);

/* "2026-12-06T04:53:50.123Z": ms milliseconds since the epoch. Returns out. */
char *sw_time_iso_ms(long long ms, char out[SW_TIME_ISO_SIZE]);

/* "20261206T045350Z": the basic form (SigV4's X-Amz-Date). Returns out. */
char *sw_time_iso_basic(time_t t, char out[SW_TIME_ISO_SIZE]);

/*
 * "2026-12-06T04:53:50Z", with an optional fraction (".250") and "Z" or an offset
 * ("+02:00") → seconds since the epoch (the fraction kept). 0, or SW_EINVAL with one
 * line ("'x' is not an ISO 8601 time"); s may be NULL (refused).
 */
int sw_time_parse_iso(const char *s, double *out);

/* ---- durations ---- */

/* sw_time_parse_duration() flags */
#define SW_DURATION_DAYS 1u      /* the unit "d" (24 hours) is allowed */
#define SW_DURATION_BARE_DAYS 2u /* a number without a unit counts days, not seconds (implies DAYS) */

/*
 * A duration → milliseconds (rounded to the nearest). The grammar is Go's
 * (time.ParseDuration, what docker-compose uses): one or more numbers, each with a unit
 * ("1m30s", "1.5h", "300ms"; units ns us µs ms s m h, and d with SW_DURATION_DAYS); or a
 * bare number ("45", "2.5"): seconds, or days with SW_DURATION_BARE_DAYS. No sign, no
 * spaces; at most about 300 years.
 * 0, or SW_EINVAL with one line ("'x' is not a duration (like 30s, 1m30s or 2h)").
 * Ranges ("from 1s to 24h") and words ("off") are the caller's.
 */
int sw_time_parse_duration(const char *s, unsigned flags, long long *ms);

/*
 * Four ways to write a duration, each appending to out:
 *
 * elapsed: how long something took, in a progress line. Under a minute, seconds rounded
 *   to the nearest ("0s", "7s", "59s"); from a minute on, minutes and two-digit seconds,
 *   the fraction cut ("1m05s", "61m40s"). Negative counts as 0.
 */
void sw_time_format_elapsed(struct sw_buf *out, double secs);

/*
 * brief: a duration in a table column. Under 10 s one decimal ("0.4s", "9.9s"); then
 * rounded to the second: "45s", "3m05s", and from an hour on hours and two-digit
 * minutes ("1h02m"). Negative counts as 0.
 */
void sw_time_format_brief(struct sw_buf *out, double secs);

/*
 * unit: a setting, in the largest unit it is a whole number of: "7d", "12h", "30m",
 * "45s" (0 is "0d").
 */
void sw_time_format_unit(struct sw_buf *out, long long secs);

/*
 * minsec: a setting in minutes and seconds, the zero part left out: "5s", "1m30s",
 * "60m", "120m" (0 is "0s").
 */
void sw_time_format_minsec(struct sw_buf *out, long long secs);

#endif
