#ifndef SW_LOG_H
#define SW_LOG_H

/*
 * The server log: one line per event on stderr, with time, level, and the app and
 * job it concerns when there is one:
 *	2026-11-26T10:00:01Z info  hello#12 build 4f2a1c9 done in 6.3s
 * What the pusher must see goes through the job's reporting path (which also calls
 * this); this is the operator's copy. Thread-safe: a line is written with one write().
 * Control characters in the app or the message (a newline a URL smuggled in, an escape
 * sequence) are written as \xNN: a client cannot forge a line of its own.
 */
enum sw_log_level { SW_LOG_DEBUG, SW_LOG_INFO, SW_LOG_WARN, SW_LOG_ERROR };

/* Lines below level are dropped; default SW_LOG_INFO, or SLIPWAY_LOG=debug|info|warn|error. */
void sw_log_set_level(enum sw_log_level level);

/* app may be NULL; job <= 0 means none. */
void sw_log(enum sw_log_level level, const char *app, long job, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define sw_log_info(...) sw_log(SW_LOG_INFO, NULL, 0, __VA_ARGS__)
#define sw_log_warn(...) sw_log(SW_LOG_WARN, NULL, 0, __VA_ARGS__)
#define sw_log_error(...) sw_log(SW_LOG_ERROR, NULL, 0, __VA_ARGS__)
#define sw_log_debug(...) sw_log(SW_LOG_DEBUG, NULL, 0, __VA_ARGS__)

#endif
