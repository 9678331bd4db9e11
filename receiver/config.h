#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include "releaser/review.h"

/*
 * slipwayd's settings, read once from the environment (DESIGN.md contracts):
 *   SLIPWAY_HOME            state (default ~/.slipway)
 *   SLIPWAY_PORT            API + git (default 5480)
 *   SLIPWAY_REGISTRY_PORT   the local registry (default 5000)
 *   SLIPWAY_REGISTRY        host:port of the registry builds push to
 *                           (default 127.0.0.1:$SLIPWAY_REGISTRY_PORT)
 *   SLIPWAY_LISTEN          address to listen on (default 127.0.0.1)
 *   SLIPWAY_MAX_BUILDS      builds (image build + push) running at once over all apps
 *                           (default 2); a push's release (its rollout) leaves the slot
 *   SLIPWAY_MAX_ROLLOUTS    pushes' releases running at once (default 64): mostly waiting
 *                           on ECS, they take no build slot
 *   SLIPWAY_MAX_PUSH_SIZE   receive.maxInputSize, git's syntax: 500m, 2g (default 2g)
 *   SLIPWAY_BUILD_TIMEOUT   how long a job's image build + push may take before it is
 *                           stopped (as `slipway builds:cancel` stops it) and failed with
 *                           "build timed out after 60m": seconds ("3600"), or a duration
 *                           like "30m", "1h30m" (the app manifest's syntax); 1s to 24h
 *                           (default 60m)
 *   SLIPWAY_HOOK_TIMEOUT    seconds a push may wait for its job (default: the build timeout
 *                           plus an hour, 7200, so the hook outlasts a build that times out
 *                           plus a release with the default release phase (15m) and
 *                           rollout (10m) deadlines of releaser/settings.h)
 *   SLIPWAY_HOOK            the slipway-hook binary (default: next to slipwayd)
 *   SLIPWAY_QUIET_SECS      a pusher hears a "still ..." line after this many seconds of
 *                           silence (default 30)
 *   SLIPWAY_WEBHOOK_ATTEMPTS   tries per webhook delivery before it is given up (default 8)
 *   SLIPWAY_WEBHOOK_BACKOFF_MS first retry delay, doubling each time up to 5 minutes (1000)
 *   SLIPWAY_WEBHOOK_TIMEOUT    seconds one delivery may take (default 10)
 *   SLIPWAY_REVIEW_LIMIT       review apps per app (default 10; releaser/review.h)
 *   SLIPWAY_REVIEW_IDLE        a review app with no push for this long is destroyed: a number
 *                              of days ("7"), or with a unit "30s", "10m", "12h", "7d";
 *                              "off" (the default) keeps them
 *   SLIPWAY_REVIEW_SWEEP_SECS  seconds between looks for idle review apps (default 300)
 *   SLIPWAY_DASHBOARD_TICKET_SECS  how long a `slipway dashboard` sign-in link lives
 *                              (default 60; receiver/session.h)
 *   SLIPWAY_SSH_SOCKET      the unix socket git over SSH reaches slipwayd through
 *                           (receiver/ssh_gate.h; scripts/sshd sets it); unset: no SSH
 *   SLIPWAY_CLIENT_CONNECTIONS connections one client address may hold at once (default 32;
 *                           the whole server takes 512)
 *   SLIPWAY_HEADER_TIMEOUT  seconds a client has to send a request's headers, counted from
 *                           its connection (or its previous request), however slowly the
 *                           bytes come (default 15)
 *   SLIPWAY_TLS_CERT, SLIPWAY_TLS_KEY  PEM files: slipwayd speaks HTTPS. Needed when
 *                           SLIPWAY_LISTEN is not a loopback address, unless
 *   SLIPWAY_INSECURE_HTTP=1 (plain HTTP on the network: tokens travel in the clear)
 *   SLIPWAY_WEBHOOK_ALLOW_NETS webhooks may go to these loopback, link-local, private or
 *                           unique-local networks after all: CIDRs, comma-separated
 *                           ("127.0.0.0/8,10.1.0.0/16"); default none (receiver/netcheck.h)
 */
struct sw_config {
	char *home;          /* absolute */
	char *repos;         /* $home/repos */
	char *builds;        /* $home/builds (job logs) */
	char *db_path;       /* $home/slipwayd.db */
	char *listen;
	int port;
	int registry_port;
	char *registry;      /* host:port */
	int max_builds;
	char *max_push_size;
	long build_timeout;          /* seconds */
	char *build_timeout_text;    /* the same for people: "60m", "5s", "1m30s" */
	long hook_timeout;
	char *hook;          /* absolute path of slipway-hook */
	long quiet_secs;
	long webhook_attempts;
	long webhook_backoff_ms;
	long webhook_timeout_secs;
	struct sw_review_defaults review;   /* SLIPWAY_REVIEW_LIMIT, SLIPWAY_REVIEW_IDLE */
	long review_sweep_secs;
	long dashboard_ticket_secs;
	char *ssh_socket;            /* NULL: no SSH */
	long client_connections;
	long header_timeout;         /* seconds */
	char *tls_cert;              /* NULL: plain HTTP */
	char *tls_key;
	int insecure_http;
	char *webhook_allow_nets;    /* NULL: none */
	int max_rollouts;
	char *push_program;  /* slipway-push, next to slipwayd (receiver/pushproc.h) */
	char *door_program;  /* slipway-door, next to slipwayd (receiver/door.h) */
};

#define SW_CONFIG_INIT \
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, 0, 0, 0, SW_REVIEW_DEFAULTS_INIT, 0, 0, \
	  NULL, 0, 0, NULL, NULL, 0, NULL, 0, NULL, NULL }

/*
 * Fill c from the environment. 0, or SW_EINVAL with one line naming the setting
 * ("SLIPWAY_PORT: want a whole number from 1 to 65535, not 'x'"): slipwayd refuses to start.
 */
int sw_config_load(struct sw_config *c);
void sw_config_release(struct sw_config *c);

/* Create $home, repos/ and builds/ (mode 0700 for home). */
int sw_config_make_dirs(const struct sw_config *c);

#endif
