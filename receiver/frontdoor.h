#ifndef SW_FRONTDOOR_H
#define SW_FRONTDOOR_H

#include <sys/socket.h>
#include <microhttpd.h>

#include "receiver/pushproc.h"

/*
 * slipwayd's accept loop, in front of libmicrohttpd (which runs without a listening
 * socket of its own): a thread accepts each connection and hands it to a short-lived
 * thread that peeks (MSG_PEEK: nothing is consumed) at its request head. A `POST
 * ...git-receive-pack` with a complete head is offered to take(): when it returns 1 the
 * connection is take()'s (a per-push process serves it, pushproc.h); anything else, and
 * a head that does not come within a few seconds, goes to libmicrohttpd unchanged
 * (MHD_add_connection), which reads it from its first byte.
 */

/* 1 when the connection fd was taken (and is the callee's to close), 0 to hand it to MHD. */
typedef int (*sw_frontdoor_take_fn)(void *ctx, int fd, const struct sw_http_head *head, const struct sockaddr *peer,
				    socklen_t peer_len);

struct sw_frontdoor;

/*
 * Accept on listen_fd (bound and listening; taken: closed by sw_frontdoor_stop) for mhd
 * (started with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC). *out lives until the process
 * ends (threads peeking may still use it after sw_frontdoor_stop()). 0, or negative with
 * one line.
 */
int sw_frontdoor_start(struct sw_frontdoor **out, int listen_fd, struct MHD_Daemon *mhd, sw_frontdoor_take_fn take,
		       void *ctx);

/* Stop accepting and close the listening socket (connections in flight go on). */
void sw_frontdoor_stop(struct sw_frontdoor *d);

#endif
