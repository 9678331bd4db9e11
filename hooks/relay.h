#ifndef SW_RELAY_H
#define SW_RELAY_H

#include "common/strvec.h"

/*
 * The hook's side of a job: ask slipwayd (POST $SLIPWAY_URL/internal/v1/jobs, see
 * receiver/hook_jobs.h for the protocol) to build a pushed commit, and relay the job's
 * log to stderr line by line as it comes (git shows it as "remote: ...").
 */
struct sw_relay_job {
	const char *url;            /* $SLIPWAY_URL */
	const char *secret;         /* $SLIPWAY_HOOK_SECRET */
	const char *app;
	const char *ref;
	const char *old_sha;
	const char *new_sha;
	const char *object_dir;     /* $GIT_OBJECT_DIRECTORY (the quarantine), or NULL */
	const char *alternate_dirs; /* $GIT_ALTERNATE_OBJECT_DIRECTORIES, or NULL */
	const char *quarantine;     /* $GIT_QUARANTINE_PATH, or NULL */
	const struct sw_strvec *push_options;
	long timeout_secs;          /* give up waiting after this long */
	const char *pusher;         /* $REMOTE_USER: who pushes, as records say it ("alice (token ci)"), or NULL */
	const char *user;           /* $SLIPWAY_PUSHER_USER: the pushing user */
	long long token_id;         /* $SLIPWAY_PUSHER_TOKEN: the token's id, 0 for an SSH key */
};

/*
 * Run it: 0 when the job succeeded, 1 when it failed (its reason is then the last
 * line written), or a negative code when slipwayd refused, or could not be reached
 * again before timeout_secs (message in sw_error_last(), nothing written about it
 * yet). slipwayd going away (a restart) before the verdict is not the end: the hook
 * says "-----> lost slipwayd (...); reconnecting", asks again backing off (0.2 s
 * doubling to 2 s) with the job's id and the log offset of the last line relayed,
 * says "-----> slipwayd is back (after 3.1s): ..." and relays the rest. With the push option
 * "detach" slipwayd answers once the job is queued: 0 after a line naming the build
 * and how to follow it (the push lands; the build runs after it).
 */
int sw_relay_run(const struct sw_relay_job *job);

/*
 * Note when the push began (the hook's start): from then on, each step of a job's log
 * ("-----> ..." and the rollout's indented lines, not the image build's output) is
 * relayed with the time since, "  +1.7s" at its end, so the pusher sees where the time
 * goes.
 */
void sw_relay_start_clock(void);

/* Write one line (adding "\n") to stderr; a pusher that hung up is not an error. */
void sw_relay_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
