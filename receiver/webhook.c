#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "receiver/webhook.h"
#include "receiver/reply.h"
#include "receiver/auth.h"
#include "receiver/db.h"
#include "common/cancel.h"
#include "common/error.h"
#include "receiver/netcheck.h"
#include "common/event.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_BACKOFF_S 300.0
#define ENQUEUE_BATCH 500
#define IDLE_WAIT_MS 1000
#define MAX_RESPONSE (64 * 1024)
#define FILTER_MAX 400

/* ---- pure parts ------------------------------------------------------------- */

void sw_webhook_sign(const char *secret, const void *body, size_t len, struct sw_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	sw_buf_reset(out);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md, &n);
	sw_buf_adds(out, "sha256=");
	for (i = 0; i < n; i++) {
		sw_buf_addch(out, hex[md[i] >> 4]);
		sw_buf_addch(out, hex[md[i] & 15]);
	}
}

double sw_webhook_backoff(int attempts, long base_ms, unsigned rnd)
{
	double d = (double)base_ms / 1000.0;
	int i;

	for (i = 1; i < attempts && d < MAX_BACKOFF_S; i++)
		d *= 2;
	if (d > MAX_BACKOFF_S)
		d = MAX_BACKOFF_S;
	/* equal jitter: half fixed, half random */
	return d / 2 + (d / 2) * ((double)(rnd % 1000) / 1000.0);
}

int sw_webhook_url_valid(const char *url)
{
	size_t i, n = strlen(url), skip;
	const char *host;

	if (n > SW_WEBHOOK_URL_MAX)
		return 0;
	if (!strncmp(url, "http://", 7))
		skip = 7;
	else if (!strncmp(url, "https://", 8))
		skip = 8;
	else
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	host = url + skip;
	return *host && *host != '/' && *host != ':' && *host != '?' && *host != '#';
}

static int filter_valid(const char *types)
{
	const char *p = types;
	size_t n = strlen(types);

	if (n > FILTER_MAX)
		return 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char one[64];

		if (!len || len >= sizeof(one))
			return 0;
		memcpy(one, p, len);
		one[len] = '\0';
		if (strcmp(one, "*")) {
			if (len > 2 && !strcmp(one + len - 2, ".*"))
				one[len - 2] = '\0';
			if (!sw_event_type_valid(one))
				return 0;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return 1;
}

/* ---- store ------------------------------------------------------------------- */

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	json_t *j = v ? json_string(v) : NULL;
	return j ? j : json_null();
}

#define HOOK_COLUMNS "id, app, url, events, created_by, created_at"

static json_t *hook_json(sqlite3 *db, sqlite3_stmt *st)
{
	json_t *o = json_object();
	sqlite3_stmt *d = NULL;
	json_t *last = json_null();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "app", text_or_null(st, 1));
	json_object_set_new(o, "url", text_or_null(st, 2));
	json_object_set_new(o, "events", text_or_null(st, 3));
	json_object_set_new(o, "created_by", text_or_null(st, 4));
	json_object_set_new(o, "created_at", sw_reply_iso_time(st, 5));
	if (sw_store_prepare(db, &d, "SELECT status, response_code, finished_at FROM deliveries"
			     " WHERE webhook = ? AND status != 'pending' ORDER BY id DESC LIMIT 1") == 0) {
		sqlite3_bind_int64(d, 1, sqlite3_column_int64(st, 0));
		if (sqlite3_step(d) == SQLITE_ROW) {
			json_decref(last);
			last = json_object();
			json_object_set_new(last, "status", text_or_null(d, 0));
			json_object_set_new(last, "response_code", sqlite3_column_type(d, 1) == SQLITE_NULL ? json_null()
						 : json_integer(sqlite3_column_int(d, 1)));
			json_object_set_new(last, "at", sw_reply_iso_time(d, 2));
		}
		sqlite3_finalize(d);
	}
	json_object_set_new(o, "last_delivery", last);
	return o;
}

int sw_webhook_add(sqlite3 *db, const char *app, const char *url, const char *types, const char *created_by,
		   json_t **out)
{
	struct sw_buf secret = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *hook = NULL;
	int ret = SW_ERROR, count = 0;

	*out = NULL;
	if (!sw_webhook_url_valid(url)) {
		ret = sw_error_code(SW_EINVAL, "not a webhook URL (want http:// or https://, at most %d bytes): %.80s",
				    SW_WEBHOOK_URL_MAX, url);
		goto cleanup;
	}
	if (types && !filter_valid(types)) {
		ret = sw_error_code(SW_EINVAL, "bad event filter (want types or families, comma-separated:"
				    " build.*,release.live): %.80s", types);
		goto cleanup;
	}
	if (sw_store_prepare(db, &st, "SELECT COUNT(*) FROM webhooks WHERE app = ?") < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		count = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (count >= SW_WEBHOOK_MAX_PER_APP) {
		ret = sw_error_code(SW_EINVAL, "%s has %d webhooks already (the most an app may have)", app, count);
		goto cleanup;
	}
	if (sw_auth_token_generate(&secret) < 0)
		goto cleanup;
	/* it gets the events made from now on */
	if (sw_store_prepare(db, &st, "INSERT INTO webhooks(app, url, events, secret, created_by, created_at, after_event)"
			     " VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM events))"
			     " RETURNING " HOOK_COLUMNS) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, types ? types : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, secret.ptr, -1, SQLITE_TRANSIENT);
	if (created_by)
		sqlite3_bind_text(st, 5, created_by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 6, sw_time_now());
	if (sqlite3_step(st) != SQLITE_ROW) {
		sw_store_error(db, "add webhook");
		goto cleanup;
	}
	hook = hook_json(db, st);
	*out = json_pack("{s:o,s:s}", "webhook", hook, "secret", secret.ptr);
	ret = 0;
cleanup:
	if (st)
		sqlite3_finalize(st);
	sw_buf_release(&secret);
	return ret;
}

int sw_webhook_list(sqlite3 *db, const char *app, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list;

	*out = NULL;
	if (sw_store_prepare(db, &st, "SELECT " HOOK_COLUMNS " FROM webhooks WHERE app = ? ORDER BY id") < 0)
		return SW_ERROR;
	list = json_array();
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, hook_json(db, st));
	sqlite3_finalize(st);
	*out = json_pack("{s:o}", "webhooks", list);
	return 0;
}

int sw_webhook_remove(sqlite3 *db, const char *app, long long id)
{
	sqlite3_stmt *st = NULL;
	int changed;

	if (sw_store_prepare(db, &st, "DELETE FROM webhooks WHERE app = ? AND id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return sw_store_error(db, "remove webhook");
	}
	changed = sqlite3_changes(db);
	sqlite3_finalize(st);
	if (!changed)
		return sw_error_code(SW_ENOTFOUND, "%s has no webhook %lld", app, id);
	return 0;
}

int sw_webhook_remove_all(sqlite3 *db, const char *app)
{
	return sw_store_exec_text(db, "DELETE FROM webhooks WHERE app = ?", app, "remove webhooks") < 0 ? SW_ERROR : 0;
}

int sw_webhook_deliveries(sqlite3 *db, const char *app, long long webhook, int limit, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list;
	int ret = SW_ERROR;

	*out = NULL;
	if (webhook > 0) {
		int found = 0;
		if (sw_store_prepare(db, &st, "SELECT 1 FROM webhooks WHERE app = ? AND id = ?") < 0)
			return SW_ERROR;
		sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, webhook);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		st = NULL;
		if (!found)
			return sw_error_code(SW_ENOTFOUND, "%s has no webhook %lld", app, webhook);
	}
	if (limit <= 0 || limit > 500)
		limit = 50;
	if (sw_store_prepare(db, &st, "SELECT d.id, d.webhook, w.url, d.event, d.type, d.status, d.attempts,"
			     " d.response_code, d.error, d.duration, d.created_at, d.finished_at, d.next_at"
			     " FROM deliveries d JOIN webhooks w ON w.id = d.webhook"
			     " WHERE w.app = ?1 AND (?2 = 0 OR d.webhook = ?2) ORDER BY d.id DESC LIMIT ?3") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, webhook);
	sqlite3_bind_int(st, 3, limit);
	list = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		const char *status = (const char *)sqlite3_column_text(st, 5);
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "webhook", json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(o, "url", text_or_null(st, 2));
		json_object_set_new(o, "event", json_integer(sqlite3_column_int64(st, 3)));
		json_object_set_new(o, "type", text_or_null(st, 4));
		json_object_set_new(o, "status", text_or_null(st, 5));
		json_object_set_new(o, "attempts", json_integer(sqlite3_column_int(st, 6)));
		json_object_set_new(o, "response_code", sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null()
					   : json_integer(sqlite3_column_int(st, 7)));
		json_object_set_new(o, "error", text_or_null(st, 8));
		json_object_set_new(o, "duration", sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null()
					   : json_real(sqlite3_column_double(st, 9)));
		json_object_set_new(o, "created_at", sw_reply_iso_time(st, 10));
		json_object_set_new(o, "finished_at", sw_reply_iso_time(st, 11));
		json_object_set_new(o, "next_attempt_at", status && !strcmp(status, "pending") ? sw_reply_iso_time(st, 12)
					   : json_null());
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	*out = json_pack("{s:o}", "deliveries", list);
	ret = 0;
	return ret;
}

/* ---- the sender -------------------------------------------------------------- */

struct sw_webhooks {
	sqlite3 *db;
	struct sw_webhooks_opts o;
	pthread_t thread;
	struct sw_cancel stop;      /* raised by sw_webhooks_stop() */
	unsigned rnd;
};

static unsigned next_rnd(struct sw_webhooks *w)
{
	w->rnd = w->rnd * 1103515245u + 12345u;
	return (w->rnd >> 8) & 0xffffffu;
}

/* New events (id > cursor) become deliveries of the webhooks that want them. */
static int enqueue(struct sw_webhooks *w)
{
	sqlite3_stmt *cur = NULL, *ev = NULL, *hooks = NULL, *ins = NULL, *upd = NULL;
	long long cursor = 0, last = 0;
	int ret = SW_ERROR, rc;

	if (sw_store_prepare(w->db, &cur, "SELECT event FROM webhook_cursor WHERE id = 1") < 0)
		goto cleanup;
	if (sqlite3_step(cur) == SQLITE_ROW)
		cursor = sqlite3_column_int64(cur, 0);
	last = cursor;
	if (sw_store_prepare(w->db, &ev, "SELECT id, app, type FROM events WHERE id > ? ORDER BY id LIMIT "
			     "500") < 0 ||
	    sw_store_prepare(w->db, &hooks, "SELECT id, events FROM webhooks WHERE app = ? AND after_event < ?") < 0 ||
	    sw_store_prepare(w->db, &ins, "INSERT OR IGNORE INTO deliveries(webhook, event, type, status, next_at,"
			     " created_at) VALUES (?, ?, ?, 'pending', ?, ?)") < 0 ||
	    sw_store_prepare(w->db, &upd, "UPDATE webhook_cursor SET event = ? WHERE id = 1") < 0)
		goto cleanup;
	sqlite3_bind_int64(ev, 1, cursor);
	while ((rc = sqlite3_step(ev)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(ev, 0);
		const char *app = (const char *)sqlite3_column_text(ev, 1);
		const char *type = (const char *)sqlite3_column_text(ev, 2);

		last = id;
		if (!app || !type)
			continue;
		sqlite3_reset(hooks);
		sqlite3_bind_text(hooks, 1, app, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(hooks, 2, id);
		while (sqlite3_step(hooks) == SQLITE_ROW) {
			const char *filter = (const char *)sqlite3_column_text(hooks, 1);
			double now = sw_time_now();
			if (!sw_event_type_matches(filter, type))
				continue;
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, sqlite3_column_int64(hooks, 0));
			sqlite3_bind_int64(ins, 2, id);
			sqlite3_bind_text(ins, 3, type, -1, SQLITE_TRANSIENT);
			sqlite3_bind_double(ins, 4, now);
			sqlite3_bind_double(ins, 5, now);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				sw_store_error(w->db, "queue webhook delivery");
				goto cleanup;
			}
		}
	}
	if (rc != SQLITE_DONE) {
		sw_store_error(w->db, "read events");
		goto cleanup;
	}
	if (last != cursor) {
		sqlite3_bind_int64(upd, 1, last);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			sw_store_error(w->db, "webhook cursor");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	sqlite3_finalize(cur);
	sqlite3_finalize(ev);
	sqlite3_finalize(hooks);
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return ret < 0 ? ret : (last != cursor);
}

struct head {
	long long id, webhook, event;
	int attempts;
	double next_at;
	char *url, *secret;
};

/* The oldest pending delivery of every webhook that has one. */
static int pending_heads(struct sw_webhooks *w, struct head **out, size_t *nr)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;

	*out = NULL;
	*nr = 0;
	if (sw_store_prepare(w->db, &st, "SELECT d.id, d.webhook, d.event, d.attempts, d.next_at, w.url, w.secret"
			     " FROM deliveries d JOIN webhooks w ON w.id = d.webhook"
			     " WHERE d.id IN (SELECT MIN(id) FROM deliveries WHERE status = 'pending' GROUP BY webhook)"
			     " ORDER BY d.id") < 0)
		return SW_ERROR;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct head *h;
		SW_ALLOC_GROW(*out, *nr + 1, alloc);
		h = &(*out)[(*nr)++];
		h->id = sqlite3_column_int64(st, 0);
		h->webhook = sqlite3_column_int64(st, 1);
		h->event = sqlite3_column_int64(st, 2);
		h->attempts = sqlite3_column_int(st, 3);
		h->next_at = sqlite3_column_double(st, 4);
		h->url = xstrdup((const char *)sqlite3_column_text(st, 5));
		h->secret = xstrdup((const char *)sqlite3_column_text(st, 6));
	}
	sqlite3_finalize(st);
	return 0;
}

static void heads_free(struct head *h, size_t nr)
{
	size_t i;
	for (i = 0; i < nr; i++) {
		free(h[i].url);
		free(h[i].secret);
	}
	free(h);
}

static void record_attempt(struct sw_webhooks *w, const struct head *h, long code, const char *error,
			   double duration)
{
	sqlite3_stmt *st = NULL;
	int attempts = h->attempts + 1;
	int delivered = code >= 200 && code < 300;
	int given_up = !delivered && attempts >= w->o.attempts;
	double now = sw_time_now();

	if (sw_store_prepare(w->db, &st, "UPDATE deliveries SET status = ?, attempts = ?, response_code = ?, error = ?,"
			     " duration = ?, next_at = ?, finished_at = ? WHERE id = ?") < 0) {
		sw_log_error("webhooks: %s", sw_error_last());
		return;
	}
	sqlite3_bind_text(st, 1, delivered ? "delivered" : given_up ? "failed" : "pending", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, attempts);
	if (code > 0)
		sqlite3_bind_int(st, 3, (int)code);
	if (error)
		sqlite3_bind_text(st, 4, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, duration);
	sqlite3_bind_double(st, 6, now + (delivered || given_up ? 0 : sw_webhook_backoff(attempts, w->o.backoff_ms,
											    next_rnd(w))));
	if (delivered || given_up)
		sqlite3_bind_double(st, 7, now);
	sqlite3_bind_int64(st, 8, h->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log_error("webhooks: %s", sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	if (!delivered)
		sw_log(given_up ? SW_LOG_WARN : SW_LOG_INFO, NULL, 0, "webhook %lld delivery %lld attempt %d: %s%s",
		       h->webhook, h->id, attempts, error ? error : "", given_up ? " (given up)" : "");
}

static void attempt(struct sw_webhooks *w, const struct head *h)
{
	struct sw_http_request req;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf sig = SW_BUF_INIT, err = SW_BUF_INIT, pin = SW_BUF_INIT;
	json_t *events = NULL, *body = NULL;
	char *text = NULL;
	double t0 = sw_time_now();
	long code = 0;
	int rc;

	if (sw_event_query(w->db, NULL, h->event - 1, 1, NULL, &events) < 0 || json_array_size(events) != 1) {
		record_attempt(w, h, 0, "the event is gone", 0);
		goto cleanup;
	}
	body = json_pack("{s:I,s:I,s:i,s:O}", "delivery", (json_int_t)h->id, "webhook", (json_int_t)h->webhook,
			 "attempt", h->attempts + 1, "event", json_array_get(events, 0));
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		record_attempt(w, h, 0, "cannot encode the event", 0);
		goto cleanup;
	}
	sw_webhook_sign(h->secret, text, strlen(text), &sig);
	sw_strvec_push(&headers, "Content-Type: application/json");
	sw_strvec_push(&headers, "User-Agent: slipway-webhook/1");
	sw_strvec_pushf(&headers, "X-Slipway-Event: %s", sw_json_str(json_array_get(events, 0), "type"));
	sw_strvec_pushf(&headers, "X-Slipway-Delivery: %lld", h->id);
	sw_strvec_pushf(&headers, "X-Slipway-Signature: %s", sig.ptr);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = h->url;
	req.headers = &headers;
	req.body = text;
	req.body_len = strlen(text);
	req.max_body = MAX_RESPONSE;
	req.connect_timeout_ms = w->o.timeout_ms < 5000 ? w->o.timeout_ms : 5000;
	req.timeout_ms = w->o.timeout_ms;
	req.cancel = &w->stop;
	/* where it goes: resolved and checked now, that address and no other */
	req.allow_addr = sw_netcheck_connect_ok;
	req.allow_ctx = (void *)w->o.allow_nets;
	rc = sw_netcheck_url(h->url, w->o.allow_nets, &pin);
	if (rc == 0) {
		req.resolve = pin.len ? pin.ptr : NULL;
		rc = sw_http_do(&req, &res);
	}
	if (rc == SW_ECANCEL && sw_cancel_raised(&w->stop))
		goto cleanup;   /* stopping: this attempt does not count */
	if (rc < 0 && rc != SW_ETOOBIG) {
		/* the pusher's side hears only that; what answered where is the operator's */
		sw_log(SW_LOG_INFO, NULL, 0, "webhook %lld delivery %lld: %s", h->webhook, h->id, sw_error_last());
		sw_buf_adds(&err, rc == SW_ETIMEOUT ? "timed out" : "refused");
	} else {
		code = res.status;
		if (code < 200 || code >= 300)
			sw_buf_addf(&err, "HTTP %ld", code);
	}
	record_attempt(w, h, code, err.len ? err.ptr : NULL, sw_time_now() - t0);
cleanup:
	free(text);
	json_decref(body);
	json_decref(events);
	sw_strvec_clear(&headers);
	sw_buf_release(&sig);
	sw_buf_release(&err);
	sw_buf_release(&pin);
	sw_http_response_release(&res);
}

static void *sender(void *arg)
{
	struct sw_webhooks *w = arg;

	while (!sw_cancel_raised(&w->stop)) {
		struct head *heads = NULL;
		size_t nr = 0, i;
		long long seen = sw_event_latest();
		double wake = sw_time_now() + IDLE_WAIT_MS / 1000.0, now;
		int wait_ms;

		if (enqueue(w) < 0)
			sw_log_error("webhooks: %s", sw_error_last());
		if (pending_heads(w, &heads, &nr) < 0)
			sw_log_error("webhooks: %s", sw_error_last());
		for (i = 0; i < nr && !sw_cancel_raised(&w->stop); i++) {
			if (heads[i].next_at <= sw_time_now()) {
				attempt(w, &heads[i]);
				wake = sw_time_now();   /* look again at once: the next one may be due */
			} else if (heads[i].next_at < wake) {
				wake = heads[i].next_at;
			}
		}
		heads_free(heads, nr);
		now = sw_time_now();
		wait_ms = wake > now ? (int)((wake - now) * 1000) + 1 : 0;
		if (wait_ms > IDLE_WAIT_MS)
			wait_ms = IDLE_WAIT_MS;
		if (wait_ms > 0 && !sw_cancel_raised(&w->stop))
			sw_event_wait(seen, wait_ms);
	}
	return NULL;
}

int sw_webhooks_start(struct sw_webhooks **out, sqlite3 *db, const struct sw_webhooks_opts *o)
{
	struct sw_webhooks *w = xcalloc(1, sizeof(*w));
	unsigned seed = 0;

	*out = NULL;
	w->db = db;
	w->o = *o;
	sw_cancel_init(&w->stop);
	if (w->o.attempts < 1)
		w->o.attempts = 1;
	if (w->o.backoff_ms < 10)
		w->o.backoff_ms = 10;
	if (w->o.timeout_ms < 100)
		w->o.timeout_ms = 100;
	RAND_bytes((unsigned char *)&seed, sizeof(seed));
	w->rnd = seed;
	if (pthread_create(&w->thread, NULL, sender, w) != 0) {
		free(w);
		return sw_error("cannot start the webhook thread");
	}
	*out = w;
	return 0;
}

void sw_webhooks_stop(struct sw_webhooks *w)
{
	if (!w)
		return;
	sw_cancel_raise(&w->stop, SW_CANCEL_STOP, NULL);
	sw_event_interrupt();
	pthread_join(w->thread, NULL);
	free(w);
}
