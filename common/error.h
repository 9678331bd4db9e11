#ifndef SW_ERROR_H
#define SW_ERROR_H

/*
 * Errors, the libgit2 way: functions return 0 (or a count) on success and a negative
 * code on failure, and leave a one-line message in a per-thread slot. The message is
 * written for the person who will read it (the pusher, the operator), without a
 * trailing newline or a "error:" prefix.
 *
 *	if (sw_docker_ping() < 0)
 *		return sw_error_prefix("docker");   // "docker: connect: No such file"
 *
 * The slot is owned by the thread; sw_error_last() is valid until the next
 * sw_error_* call on the same thread. Never NULL: "" when no error was set.
 */

enum sw_code {
	SW_OK = 0,
	SW_ERROR = -1,    /* generic failure */
	SW_ENOTFOUND = -2,
	SW_EEXISTS = -3,
	SW_EINVAL = -4,   /* bad input from outside */
	SW_ETIMEOUT = -5,
	SW_ETOOBIG = -6,  /* a size cap was hit */
	SW_EAUTH = -7,
	SW_EUNAVAIL = -8, /* a peer (Docker, registry, AWS, git) could not be reached */
	SW_ECANCEL = -9,
};

/* Set the message and return SW_ERROR. */
int sw_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set the message and return code (a negative enum sw_code). */
int sw_error_code(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set "<strerror(errno)>"-suffixed message: "open x: No such file or directory". */
int sw_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prepend context to the current message ("what: <old message>") and return the code
 * of the current error (SW_ERROR when none was recorded).
 */
int sw_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current message ("" when none) and code (0 when none). */
const char *sw_error_last(void);
int sw_error_last_code(void);

void sw_error_clear(void);

#endif
