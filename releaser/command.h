#ifndef SW_COMMAND_H
#define SW_COMMAND_H

#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

/*
 * A release command from the API (`slipway rollback`, `config:set`, `config:unset`,
 * `scale`): it runs on its own thread under the app's release lock
 * (releaser/releaser.h), so it finishes and is recorded even when the client hangs up,
 * and its output is read as JSON lines while it runs:
 *   {"line": "-----> releasing v9 (web=2)"}   ... what a pusher would see
 *   {"status": "live", "version": 9}          the last line, or
 *   {"status": "failed", "version": 9, "reason": "..."}   (version 0: none was made)
 *   {"status": "unchanged"}                    nothing to release
 *
 * request: {"command": "config", "set": {"K": "V", ...}} | {"command": "config",
 * "unset": ["K", ...]} | {"command": "scale", "formation": ["web=4", "worker=2:512"]} |
 * {"command": "rollback", "version": 5 (0 or absent: the one before), "force": false}.
 */
struct sw_command;

/*
 * Check request and start it. 0 with *out (release with sw_command_release once done
 * reading), or SW_EINVAL with one line for a malformed request (nothing started), or
 * SW_EUNAVAIL when the releaser is off.
 */
int sw_command_start(struct sw_command **out, sqlite3 *db, const char *app, const json_t *request,
		     const char *who);

/*
 * Up to n bytes of output: the count, 0 at the end, SW_ETIMEOUT when nothing came within
 * timeout_ms (the caller may send a keepalive). Output not read yet is bounded: when a
 * client stops reading, older lines are dropped (with a note) rather than buffered.
 */
ssize_t sw_command_read(struct sw_command *c, char *buf, size_t n, int timeout_ms);

/* The reader is done (or gone): the command still runs to its end, then frees itself. */
void sw_command_release(struct sw_command *c);

#endif
