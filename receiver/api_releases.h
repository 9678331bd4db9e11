#ifndef SW_API_RELEASES_H
#define SW_API_RELEASES_H

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * The releaser's endpoints of the JSON API, authenticated like the rest of /api/v1
 * (routes.c hands them over after checking the token; user is the token's name,
 * recorded as who made a release):
 *   GET  /api/v1/apps/<app>/releases           {"releases": [release...]}   newest first, 100
 *   GET  /api/v1/apps/<app>/releases/<N|vN>    release
 *   GET  /api/v1/apps/<app>/config             {"version": N, "config": {...}}
 *   POST /api/v1/apps/<app>/config             {"set": {"K": "V"}} | {"unset": ["K"]}
 *   POST /api/v1/apps/<app>/scale              {"formation": ["web=4", "worker=2:512"]}
 *   POST /api/v1/apps/<app>/rollback           {"version": 5, "force": false}
 *   GET  /api/v1/doctor                        {"checks": [...]}
 * release = releaser/release.h's sw_release_to_json(): {"app", "version", "status",
 * "kind", "description", "commit", "image", "digest", "config_vars" (names), "formation",
 * "release_ran", "created_by", "created_at", "started_at", "finished_at", "duration",
 * "reason", "rollback_of", "rolled_back_to", "tagged", "phases", "aws_requests"} (times:
 * seconds since the epoch; "phases": when each step ended, release.h); one release also
 * has "config_changes" (the config var names it added, removed or changed against the
 * release before it: names, never values) and "job_number" (the app's number of the job
 * that made it).
 * The POSTs answer application/x-ndjson as the command runs (releaser/command.h):
 * {"job": ID} first, then {"line": "..."}..., {} keepalives, and a last {"status":
 * "live"|"unchanged"|"failed", "version": N, "reason": ..., "job": ID}. The command is
 * a job (receiver/job.h): its first line names ID, `builds:log --follow ID` re-attaches
 * to it, `builds:cancel ID` stops it, and it goes on if the client hangs up.
 */

/* 1 when url (under /api/v1/) is one of the above, so routes.c hands it over. */
int sw_api_releases_match(const char *url);

enum MHD_Result sw_api_releases_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				   const char *method, const struct sw_buf *body, const char *user, unsigned *status);

/*
 * Start a command request ({"command": "config", "set": {...}}, as releaser/command.h
 * takes it; borrowed) on app and stream it as the POSTs above do (review:sync-config too).
 */
enum MHD_Result sw_api_releases_command(struct sw_server *s, struct MHD_Connection *c, const char *app,
				    const json_t *req, const char *user, unsigned *status);

#endif
