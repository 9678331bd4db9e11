#ifndef SW_API_REVIEWS_H
#define SW_API_REVIEWS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * Review apps (receiver/review_apps.h) over the API (errors {"error": "..."}):
 *   GET  /api/v1/apps/<app>/reviews[?all=1]   {"app", "limit", "idle_secs", "reviews": [review...]}
 *   POST /api/v1/apps/<app>/reviews/settings  {"limit": N, "idle": "7d"|"off"} → the same
 *   POST /api/v1/apps/<review app>/sync-config   the parent's config vars set on the review
 *        app: a config release, streamed like POST .../config (api_releases.h)
 *   review = releaser/review.h's sw_review_to_json(). Pointed at a review app, the first
 *   two say it is one (400); the third, pointed at an app that is not one, says so.
 */

/* 1 when url (with method) is one of the endpoints above. */
int sw_api_reviews_match(const char *url, const char *method);
enum MHD_Result sw_api_reviews_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				      const char *method, const struct sw_buf *body, const char *user,
				      unsigned *status);

#endif
