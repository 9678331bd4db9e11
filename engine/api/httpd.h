#ifndef SW_ENGINE_API_HTTPD_H
#define SW_ENGINE_API_HTTPD_H

#include "engine/api/awsjson.h"
#include "engine/api/access.h"
#include "engine/engine.h"

/*
 * The engine's HTTP front end (libmicrohttpd, a small thread pool on epoll): bounded
 * request bodies (cfg.max_body, 413 past it), the API chosen per request (api.h),
 * SigV4 verification (auth.h), the optional throttle (throttle.h), and every
 * response tagged with x-amzn-RequestId. Opaque: _start / _stop.
 */
struct sw_engine_server;

/*
 * Listen on cfg.listen:cfg.port and serve apis (a NULL-terminated list, borrowed
 * for the server's lifetime). auth is borrowed too. *out is the caller's, stopped and
 * freed with sw_engine_server_stop().
 */
int sw_engine_server_start(struct sw_engine_server **out, struct sw_engine *e,
			   const struct sw_engine_api *const *apis, const struct sw_engine_auth *auth);
void sw_engine_server_stop(struct sw_engine_server *s);

#endif
