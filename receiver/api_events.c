#include <stdlib.h>
#include <string.h>

#include "receiver/api_events.h"
#include "receiver/app.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/stream.h"
#include "common/event.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define KEEPALIVE_MS 15000

struct event_stream {
	sqlite3 *db;
	char app[SW_APP_REF_MAX + 1];
	char *types;
	long long after;
};

/* The events after the last one sent, or {} after a quiet while. */
static int fill_events(void *ctx, struct sw_buf *out)
{
	struct event_stream *es = ctx;

	while (!out->len) {
		long long seen = sw_event_latest();
		json_t *list = NULL, *e;
		size_t i;

		if (sw_event_query(es->db, es->app, es->after, 100, NULL, &list) < 0)
			return -1;
		json_array_foreach(list, i, e) {
			const char *type = sw_json_str(e, "type");
			es->after = sw_json_int(e, "id", 0);
			if (es->types && !sw_event_type_matches(es->types, type ? type : ""))
				continue;
			sw_reply_json_line(out, json_incref(e));
		}
		json_decref(list);
		if (out->len)
			break;
		switch (sw_event_wait(seen, KEEPALIVE_MS)) {
		case 0:
			sw_buf_adds(out, "{}\n");
			break;
		case -1:
			return 1;   /* slipwayd is stopping */
		default:
			break;
		}
	}
	return 0;
}

static void free_events(void *ctx)
{
	struct event_stream *es = ctx;
	free(es->types);
	free(es);
}

/* Follow app's events from after on (the last `limit` when after is 0). */
static enum MHD_Result follow(struct sw_server *s, struct MHD_Connection *c, const char *app, long long after,
			      long long limit, const char *types, unsigned *status)
{
	struct event_stream *es = xcalloc(1, sizeof(*es));
	struct sw_stream_body body = { fill_events, free_events, es };
	json_t *last = NULL;

	es->db = s->db;
	memcpy(es->app, app, strlen(app) + 1);
	es->types = types && *types ? xstrdup(types) : NULL;
	/* start with the last `limit` events (or those after `after`) */
	if (!after && sw_event_query(s->db, app, 0, (int)limit, NULL, &last) == 0 && json_array_size(last)) {
		json_t *first = json_array_get(last, 0);
		after = sw_json_int(first, "id", 0) - 1;
	} else if (!after) {
		after = sw_event_latest();
	}
	json_decref(last);
	es->after = after;
	return sw_stream_reply(c, MHD_HTTP_OK, NULL, 0, &body, status);
}

enum MHD_Result sw_api_events_get(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	const char *after_s = sw_request_arg(c, "after"), *limit_s = sw_request_arg(c, "limit"), *types = sw_request_arg(c, "types");
	long long after = 0, limit = 100;
	json_t *list = NULL;

	if (after_s && strcmp(after_s, "0") && sw_request_id(after_s, &after) < 0)
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "after: want an event id");
	if (limit_s && (sw_request_id(limit_s, &limit) < 0 || limit > 1000))
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "limit: want 1 to 1000");
	if (types && strlen(types) > 400)
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "types: too long");
	if (sw_request_flag(c, "follow"))
		return follow(s, c, app, after, limit, types, status);
	if (sw_event_query(s->db, app, after, (int)limit, types && *types ? types : NULL, &list) < 0)
		return sw_reply_db_error(c, status);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "events", list), status);
}
