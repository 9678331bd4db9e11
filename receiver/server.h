#ifndef SW_SERVER_H
#define SW_SERVER_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include <microhttpd.h>

#include "receiver/auth.h"
#include "receiver/config.h"
#include "receiver/job.h"

/*
 * slipwayd's HTTP front door (libmicrohttpd, one thread per connection):
 *   /<app>.git/info/refs, /<app>.git/git-upload-pack, /<app>.git/git-receive-pack
 *       git smart HTTP through `git http-backend` (githttp.h), Basic auth;
 *   /api/v1/...          the JSON API (api.h), Bearer auth;
 *   /internal/v1/jobs    the pre-receive hook asking for a job (api.h), loopback
 *                        only, authenticated by the per-run hook secret.
 * Request heads are bounded by MHD's connection memory (too big: MHD's 431), API
 * bodies by SW_SERVER_MAX_BODY (413). Every refusal is one line, and happens before
 * anything is created on disk.
 */

#define SW_SERVER_MAX_BODY (64 * 1024)

struct sw_server {
	const struct sw_config *cfg;
	sqlite3 *db;
	struct sw_jobs *jobs;
	char hook_secret[SW_AUTH_TOKEN_LEN + 1]; /* random per run; given to git's CGI env */
	char *self_url;                          /* http://127.0.0.1:PORT, for the hook */
	struct MHD_Daemon *mhd;
};

/* Listen on cfg->listen:cfg->port. s->cfg, db and jobs must be set. */
int sw_server_start(struct sw_server *s);
/* Stop accepting connections (those in flight go on). */
void sw_server_quiesce(struct sw_server *s);
void sw_server_release(struct sw_server *s);

/*
 * Queue a response whose body is body[0..len) (copied) and record its status in
 * *status_out (for the access log; may be NULL). content_type NULL: text/plain.
 */
enum MHD_Result sw_server_reply(struct MHD_Connection *c, unsigned status, const char *content_type,
				const char *body, size_t len, unsigned *status_out);

/* Queue o as one compact JSON line with status; takes o's reference (NULL: a 500). */
enum MHD_Result sw_server_reply_json(struct MHD_Connection *c, unsigned status, json_t *o, unsigned *status_out);

/* Queue {"error": "<message>"} with status. */
enum MHD_Result sw_server_json_error(struct MHD_Connection *c, unsigned status, unsigned *status_out,
				     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Queue a 401 (with WWW-Authenticate for scheme "Basic" or "Bearer"), JSON or one text line. */
enum MHD_Result sw_server_unauthorized(struct MHD_Connection *c, int json, const char *why, unsigned *status_out);

/*
 * The token of the request's Authorization header, checked against the store:
 * 0 with the token's name in name, SW_EAUTH (message says why) otherwise.
 */
int sw_server_authenticate(struct sw_server *s, struct MHD_Connection *c, struct sw_buf *name);

/* 1 when the peer of c is on the loopback interface. */
int sw_server_peer_is_loopback(struct MHD_Connection *c);

#endif
