#ifndef SW_GITHTTP_H
#define SW_GITHTTP_H

#include <stddef.h>

#include "common/strvec.h"
#include "receiver/cgi.h"

/*
 * Git smart HTTP by git's own `git http-backend` (a CGI): one child per request.
 * The request body is written into the child as it arrives, the child's response
 * is read back as the client takes it; nothing is held whole, so memory stays at a
 * few pipe buffers whatever the push size.
 *
 * A request that ends early (the client hung up) after its body never kills the child:
 * git must be left to finish the push it is in (the pre-receive hook waits for its
 * build), so a finished request hands a still-running child to a thread that reads its
 * output to the end, discards it, and reaps it. One that ended before its body was
 * whole kills the child (there is no push to finish).
 *
 *	sw_githttp_start(&g, &env);                  // env: the CGI variables, "K=V"
 *	sw_githttp_write(g, data, n) ...;             // request body, as it comes
 *	sw_githttp_read_head(g, &head);               // after the body: status + headers
 *	sw_githttp_read(g, buf, n) ...;               // response body until 0
 *	sw_githttp_finish(g);                         // always; frees g
 */
struct sw_githttp;

/* Start `git http-backend` with env (added to a clean environment with PATH). */
int sw_githttp_start(struct sw_githttp **out, const struct sw_strvec *env);

/*
 * Feed request body bytes. Blocks until the child took them (reading its output
 * meanwhile, up to a bound, so neither side waits for the other forever). When the
 * child stopped reading its input (it failed and said why), the rest is dropped
 * silently: its response tells the client. 0, or negative when the child's early
 * output passed the bound.
 */
int sw_githttp_write(struct sw_githttp *g, const char *data, size_t n);

/* End of the request body: close the child's input, read and parse its response head. */
int sw_githttp_read_head(struct sw_githttp *g, struct sw_cgi_head *head);

/* Response body: bytes read (> 0), 0 at the end, negative on error. Blocks. */
long sw_githttp_read(struct sw_githttp *g, char *buf, size_t n);

/* The request is over, normally or not. Takes g (NULL is fine). Never blocks long. */
void sw_githttp_finish(struct sw_githttp *g);

#endif
