#ifndef SW_API_EVENTS_H
#define SW_API_EVENTS_H

#include <microhttpd.h>

#include "receiver/server.h"

/*
 * An app's events (common/event.h) over the API:
 *   GET /api/v1/apps/<app>/events[?after=ID][&limit=N][&types=build.*,release.live][&follow=1]
 *       {"events": [event...]} oldest first (the last N, 100); with follow=1:
 *       application/x-ndjson, one event a line as they happen ({} every 15 s of quiet),
 *       until the client hangs up (or slipwayd stops)
 */
enum MHD_Result sw_api_events_get(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);

#endif
