#ifndef SW_DOCKER_H
#define SW_DOCKER_H

#include <jansson.h>

#include "common/buf.h"
#include "common/http.h"

/*
 * The Docker Engine API (version 1.41), over DOCKER_HOST: unix:///path (the default,
 * unix:///var/run/docker.sock) or tcp://host:port. The builder (build, tag, push) and
 * the engine (containers, pulls, events) build their calls on these two.
 */

#define SW_DOCKER_API "/v1.41"

/*
 * Point req at Docker: fills req->url (from path, e.g. "/containers/json", stored in
 * url, which the caller releases after the call) and req->unix_socket. The rest of req
 * (method, body, streaming callbacks) is the caller's.
 */
int sw_docker_prepare(struct sw_http_request *req, struct sw_buf *url, const char *path);

/*
 * One JSON call: method and path (with SW_DOCKER_API prefix added here), an optional
 * JSON body (borrowed), and *out set to the decoded response (a new reference the
 * caller json_decref()s; NULL for an empty body). Returns the HTTP status (2xx),
 * or a negative code with Docker's own "message" as the error:
 * SW_ENOTFOUND (404), SW_EEXISTS (409), SW_EUNAVAIL (cannot reach Docker), SW_ERROR.
 */
int sw_docker_json(const char *method, const char *path, json_t *body, json_t **out);

#endif
