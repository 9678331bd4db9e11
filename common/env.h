#ifndef SW_ENV_H
#define SW_ENV_H

/*
 * Settings from the environment, with one policy for every program:
 *  - unset, or set to "", gives the default;
 *  - set but malformed or out of range is refused: the reader returns SW_EINVAL with one
 *    line naming the variable and what it wants, e.g.
 *      "SLIPWAY_PORT: want a whole number from 1 to 65535, not 'x'"
 *    and the caller passes it up; a program's main() prints the line and exits 1 (the
 *    program refuses to start rather than run on a setting it did not understand).
 * On failure *out is left as it was.
 *
 * Strings returned by sw_env_str() are borrowed from the environment (valid until the
 * variable is changed); sw_env_strdup()'s are the caller's to free().
 */

/* The value when set and not empty, else NULL (borrowed). */
const char *sw_env_str(const char *name);

/* sw_env_str()'s value, or dflt, copied (the caller frees); NULL when both are NULL. */
char *sw_env_strdup(const char *name, const char *dflt);

/* A whole number (decimal digits, an optional leading '-') from min to max. */
int sw_env_int(const char *name, long long dflt, long long min, long long max, long long *out);

/* A decimal number, fractions allowed ("2.5"; no sign, no "inf"), from min to max. */
int sw_env_number(const char *name, double dflt, double min, double max, double *out);

/* Seconds, written as sw_env_number() takes them, from min_s to max_s → milliseconds (rounded). */
int sw_env_seconds(const char *name, double dflt_s, double min_s, double max_s, long long *out_ms);

/*
 * A duration (common/time.h's sw_time_parse_duration() with flags: "90", "30m", "1h30m")
 * from min_ms to max_ms → milliseconds. The refusal says what it wants, e.g.
 *   "SLIPWAY_BUILD_TIMEOUT: want seconds or a duration like 30m or 2h, from 1s to 24h, not \"x\""
 */
int sw_env_duration(const char *name, long long dflt_ms, long long min_ms, long long max_ms, unsigned flags,
		    long long *out_ms);

/* A yes/no: "1", "true", "yes", "on" → 1; "0", "false", "no", "off" → 0 (any case). */
int sw_env_bool(const char *name, int dflt, int *out);

#endif
