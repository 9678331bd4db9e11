#ifndef SW_WEBHOOK_H
#define SW_WEBHOOK_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * Webhooks: an app's events (common/event.h) POSTed as JSON to URLs its owners
 * registered, signed, in order, retried, never in the way of a deploy.
 *
 * A delivery is
 *   POST <url>
 *   Content-Type: application/json
 *   User-Agent: slipway-webhook/1
 *   X-Slipway-Event: build.started
 *   X-Slipway-Delivery: 41
 *   X-Slipway-Signature: sha256=<hex HMAC-SHA256(secret, body)>
 *   {"delivery": 41, "webhook": 3, "attempt": 1, "event": {event as common/event.h}}
 * 2xx is delivered; anything else (or no answer within the timeout) is retried after
 * base, 2 base, 4 base, ... (at most 5 minutes, with jitter) until the attempt limit,
 * then recorded failed and the next one goes. Per webhook, deliveries go strictly in
 * event order (the next waits for the one before to be delivered or given up).
 *
 * One background thread (sw_webhooks_start) turns new events into deliveries (each
 * webhook gets the events created after it, of the types it asked for) and sends them.
 * Emitting an event only writes a row: a receiver that is down, slow or hanging costs a
 * push nothing. State lives in the database (deliveries, webhook_cursor), so a restart
 * loses nothing and sends nothing twice that was recorded delivered.
 *
 * The secret is made here, returned once at creation, and kept in the database (it is
 * needed to sign); listings never show it.
 */

#define SW_WEBHOOK_URL_MAX 2000
#define SW_WEBHOOK_MAX_PER_APP 20

/* "sha256=" + hex HMAC-SHA256 of body[0..len) keyed with secret, into out (reset first). */
void sw_webhook_sign(const char *secret, const void *body, size_t len, struct sw_buf *out);

/*
 * Seconds to wait after the attempts-th failed attempt: base_ms * 2^(attempts-1), at
 * most 300 s, then "equal jitter" (half fixed, half from rnd), never below base_ms/2.
 */
double sw_webhook_backoff(int attempts, long base_ms, unsigned rnd);

/* 1 for an http:// or https:// URL with a host, printable, at most SW_WEBHOOK_URL_MAX. */
int sw_webhook_url_valid(const char *url);

/*
 * Register url for app's events of types (a comma-separated filter as in
 * sw_event_type_matches; NULL or "" for all). *out: {"webhook": {...}, "secret": "..."}
 * (a new reference). SW_EINVAL with one line for a bad URL or filter, or past
 * SW_WEBHOOK_MAX_PER_APP.
 */
int sw_webhook_add(sqlite3 *db, const char *app, const char *url, const char *types, const char *created_by,
		   json_t **out);

/* {"webhooks": [{"id", "app", "url", "events", "created_by", "created_at", "last_delivery"}]} */
int sw_webhook_list(sqlite3 *db, const char *app, json_t **out);

/* Remove one (its pending deliveries go with it). SW_ENOTFOUND when app has no such id. */
int sw_webhook_remove(sqlite3 *db, const char *app, long long id);

/* Remove every webhook of app (app destroy). */
int sw_webhook_remove_all(sqlite3 *db, const char *app);

/*
 * The last limit deliveries of app's webhooks (webhook 0: all of them), newest first:
 * {"deliveries": [{"id", "webhook", "url", "event", "type", "status": pending|delivered|
 *  failed, "attempts", "response_code", "error", "duration", "created_at", "finished_at",
 *  "next_attempt_at"}]}. SW_ENOTFOUND for a webhook id app does not have.
 */
int sw_webhook_deliveries(sqlite3 *db, const char *app, long long webhook, int limit, json_t **out);

/* The background sender. */
struct sw_webhooks;

struct sw_webhooks_opts {
	int attempts;          /* tries per delivery */
	long backoff_ms;       /* first retry delay */
	long timeout_ms;       /* one delivery */
	const char *allow_nets; /* SLIPWAY_WEBHOOK_ALLOW_NETS (receiver/netcheck.h), or NULL */
};

/*
 * Each delivery resolves its URL's host again and goes only to an address
 * receiver/netcheck.h lets through, pinned for the connection (the name cannot resolve
 * elsewhere meanwhile). A failed one says only "refused", "timed out" or "HTTP N" (its
 * error column): never what a local service answered; slipwayd's log has the detail.
 */

/* Start the thread (it uses db, which must outlive it). *out is freed by sw_webhooks_stop(). */
int sw_webhooks_start(struct sw_webhooks **out, sqlite3 *db, const struct sw_webhooks_opts *o);

/* Stop the thread (a delivery in flight is abandoned and retried after a restart). */
void sw_webhooks_stop(struct sw_webhooks *w);

#endif
