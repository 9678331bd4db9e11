#ifndef SW_SERVER_H
#define SW_SERVER_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include <microhttpd.h>

#include "receiver/auth.h"
#include "receiver/config.h"
#include "receiver/job.h"
#include "receiver/session.h"

struct sw_frontdoor;

/*
 * slipwayd's HTTP front door (libmicrohttpd, one thread per connection):
 *   /<app>.git/info/refs, /<app>.git/git-upload-pack, /<app>.git/git-receive-pack
 *       git smart HTTP through `git http-backend` (githttp.h), Basic auth;
 *   /api/v1/...          the JSON API (routes.h), Bearer auth;
 *   /internal/v1/jobs    the pre-receive hook asking for a job (hook_jobs.h), loopback
 *                        only, authenticated by the hook secret ($SLIPWAY_HOME/hook.secret,
 *                        kept across restarts: a push's hook reconnects to the next slipwayd);
 *   /, /login, /logout, /assets/...   the web dashboard (dashboard.h), a session cookie.
 * In plain HTTP (loopback, or a TLS proxy in front), connections are accepted by the
 * front door (frontdoor.h): a push's POST to git-receive-pack, authenticated and with
 * the deploy role on its app, is served by a process of its own (slipway-push,
 * pushproc.h) that outlives slipwayd; the rest goes to MHD. A door keeper (door.h)
 * answers "slipway is not running" on the port should slipwayd die, and hands the
 * listening socket to the next one. With HTTPS (SLIPWAY_TLS_CERT), MHD listens itself
 * and serves everything, pushes too: they do not outlive slipwayd, and nothing answers
 * while it is down.
 * Request heads are bounded by MHD's connection memory (too big: MHD's 431), API
 * bodies by SW_SERVER_MAX_BODY (413). Every refusal is one line, and happens before
 * anything is created on disk.
 *
 * On a network: one client address holds at most SLIPWAY_CLIENT_CONNECTIONS of the 512
 * connections (MHD closes the next one at once), and a request's headers must all be
 * there SLIPWAY_HEADER_TIMEOUT seconds after its connection (or its previous request)
 * began, however slowly they trickle (common/connguard.h): a slow or idle client cannot
 * keep the others out. Behind the front door both count from the accept: connections
 * being peeked at and pushes served by slipway-push count against their address too. An address that is not loopback needs HTTPS (SLIPWAY_TLS_CERT and
 * SLIPWAY_TLS_KEY, GnuTLS in libmicrohttpd) or SLIPWAY_INSECURE_HTTP=1.
 */

#define SW_SERVER_MAX_BODY (64 * 1024)

struct sw_server {
	const struct sw_config *cfg;
	sqlite3 *db;
	struct sw_jobs *jobs;
	struct sw_sessions *sessions;            /* the dashboard's (session.h); made by sw_server_start */
	char hook_secret[SW_AUTH_TOKEN_LEN + 1]; /* $SLIPWAY_HOME/hook.secret; given to git's CGI env */
	char *self_url;                          /* http://127.0.0.1:PORT, for the hook */
	struct MHD_Daemon *mhd;                  /* plain HTTP: without a listening socket, fed by door */
	struct MHD_Daemon *internal;             /* with HTTPS at the front: plain HTTP on loopback for the hook */
	struct sw_frontdoor *door;               /* plain HTTP: the accept loop (frontdoor.h); else NULL */
	const char *push_program;                /* slipway-push (cfg), NULL when it cannot run or with HTTPS */
	int door_keep;                           /* our end of the door keeper's pipe (door.h), or -1 */
	struct sw_connguard *guard;              /* the deadline for requests' headers */
	char *tls_cert_pem, *tls_key_pem;        /* SLIPWAY_TLS_CERT/KEY's contents, or NULL */
};

/* Listen on cfg->listen:cfg->port. s->cfg, db and jobs must be set. */
int sw_server_start(struct sw_server *s);
/* Stop accepting connections (those in flight go on). */
void sw_server_quiesce(struct sw_server *s);
void sw_server_release(struct sw_server *s);

#endif
