#ifndef SW_REQUEST_H
#define SW_REQUEST_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"

/*
 * What slipwayd reads from an HTTP request: its path, query arguments, JSON body, the
 * token it authenticates with, its peer. A leaf beside reply.h: request.c calls reply.c,
 * auth.c and MHD, and no file that answers requests.
 */

/*
 * Split path "a/b/c" (after /api/v1/) into at most maxseg segments, copied into store
 * (seg[] points into it): their count, 0 for "", -1 for an empty part, too many parts or
 * a path longer than store.
 */
int sw_request_split(const char *path, char *store, size_t storelen, const char **seg, int maxseg);

/* A positive decimal id of at most 15 digits (s may be NULL): 0 with *id, else -1. */
int sw_request_id(const char *s, long long *id);

/* The query argument name, or NULL. */
const char *sw_request_arg(struct MHD_Connection *c, const char *name);

/* 1 when the query argument name is "1" or "true". */
int sw_request_flag(struct MHD_Connection *c, const char *name);

/*
 * The body as a JSON object (a new reference); NULL with a 400 queued (*r, *status)
 * when it is not one.
 */
json_t *sw_request_object(struct MHD_Connection *c, const struct sw_buf *body, enum MHD_Result *r, unsigned *status);

/*
 * The token of the request's Authorization header, checked against the store: 0 with
 * who acts with it in p, SW_EAUTH (message says why) or SW_ERROR (the store failed).
 */
int sw_request_authenticate(sqlite3 *db, struct MHD_Connection *c, struct sw_principal *p);

/* The same for an Authorization header's value (NULL: none), read outside MHD. */
int sw_request_authenticate_header(sqlite3 *db, const char *authorization, struct sw_principal *p);

/* 1 when the peer of c is on the loopback interface. */
int sw_request_from_loopback(struct MHD_Connection *c);

/* The peer's address as text into out[0..n) ("" when unknown). */
void sw_request_peer(struct MHD_Connection *c, char *out, size_t n);

#endif
