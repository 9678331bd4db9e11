#ifndef SW_FRONTDOOR_H
#define SW_FRONTDOOR_H

#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

#include "common/connguard.h"
#include "receiver/pushproc.h"

/*
 * slipwayd's accept loop, in front of libmicrohttpd (which runs without a listening
 * socket of its own): a thread accepts each connection and hands it to a short-lived
 * thread that peeks (MSG_PEEK: nothing is consumed) at its request head. A `POST
 * ...git-receive-pack` with a complete head is offered to take(): when it returns 1 the
 * connection is take()'s (a per-push process serves it, pushproc.h); anything else, and
 * a head that does not come within a few seconds, goes to libmicrohttpd unchanged
 * (MHD_add_connection), which reads it from its first byte.
 *
 * The network limits hold from the accept on (server.h):
 *  - one client address holds at most per_client connections at once, counting those
 *    being peeked at, those handed to MHD until MHD closes them (the server tells
 *    sw_frontdoor_client() from its connection notices) and the pushes handed to
 *    slipway-push, until that process ends. One over is closed at once, unread;
 *  - the guard's header deadline (connguard.h) counts from the accept: a client that
 *    trickles its head is cut while being peeked at like anywhere else, and a
 *    connection handed to MHD keeps its accept time (sw_frontdoor_started());
 *  - at most 256 connections are peeked at at once; past that, MHD takes them as they are.
 * This is plain HTTP only: an encrypted head cannot be peeked at (with TLS, server.c
 * lets MHD listen itself, without a front door).
 */

/* 1 when the connection fd was taken (and is the callee's to close; *pid its process), 0 to hand it to MHD. */
typedef int (*sw_frontdoor_take_fn)(void *ctx, int fd, const struct sw_http_head *head, const struct sockaddr *peer,
				    socklen_t peer_len, pid_t *pid);

struct sw_frontdoor;

/*
 * Accept on listen_fd (bound and listening; taken: closed by sw_frontdoor_stop) for mhd
 * (started with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC), guarded by guard (may be NULL)
 * and per_client (0: no limit). *out lives until the process ends (threads peeking may
 * still use it after sw_frontdoor_stop()). 0, or negative with one line.
 */
int sw_frontdoor_start(struct sw_frontdoor **out, int listen_fd, struct MHD_Daemon *mhd, struct sw_connguard *guard,
		       int per_client, sw_frontdoor_take_fn take, void *ctx);

/* Stop accepting and close the listening socket (connections in flight go on). */
void sw_frontdoor_stop(struct sw_frontdoor *d);

/*
 * MHD's side, from its connection notices. A connection starts in MHD: when the front
 * door handed it over, when it was accepted (sw_time_mono(); it is counted already),
 * else now. A connection ends in MHD (delta -1): its address counts one less. d may be
 * NULL (nothing is counted).
 */
double sw_frontdoor_started(struct sw_frontdoor *d, int fd);
void sw_frontdoor_client(struct sw_frontdoor *d, const struct sockaddr *peer, int delta);

#endif
