#ifndef SW_API_LOGS_H
#define SW_API_LOGS_H

#include <microhttpd.h>

#include "receiver/server.h"

/*
 * An app's output with context: its CloudWatch Logs lines (releaser/applogs.h: the
 * engine's, or AWS's) interleaved in time with slipway's own events of the app.
 *
 *   GET /api/v1/apps/<app>/logs[?since=SECONDS][&lines=N][&process=web][&release=7][&tail=1]
 *   application/x-ndjson, oldest first, the last N (default 100, at most 10000) lines of
 *   the last `since` seconds (default a day), then with tail=1 new ones as they come
 *   ({} every 15 s of quiet) until the client hangs up:
 *     {"ts": "2026-11-26T10:00:01.250Z", "time": 1795687201.25, "process": "web",
 *      "task": "3f2a...", "release": "v7", "message": "GET / 200"}
 *     {"ts": ..., "time": ..., "event": {common/event.h's event}}
 *     {"warning": "app output unavailable: ..."}   (events still come)
 */

enum MHD_Result sw_api_logs_get(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);

#endif
