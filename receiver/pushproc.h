#ifndef SW_PUSHPROC_H
#define SW_PUSHPROC_H

#include <stddef.h>
#include <sys/types.h>

#include "common/strvec.h"

/*
 * The per-push process (slipway-push, push_main.c): a `git push`'s receive-pack request
 * (POST /<app>.git/git-receive-pack) served by a process of its own, so that a slipwayd
 * that dies or restarts in the middle of a push takes neither the pusher's connection
 * nor git (receive-pack, its quarantine, the pre-receive hook) with it.
 *
 * slipwayd's front door (frontdoor.h) peeks at the request's head, authenticates it as
 * it would any git request and hands the connection over with sw_pushproc_spawn():
 * slipway-push runs in a session of its own (a slipwayd that dies leaves it to
 * init), with the socket as fd 3 and the CGI
 * environment of `git http-backend`. There it calls sw_pushproc_serve(): reads the head
 * and the body itself (Content-Length or chunked), runs git http-backend (githttp.h)
 * and streams its answer to the pusher (chunked, "Connection: close"). The hook under
 * it reconnects to whichever slipwayd runs (hooks/relay.h).
 */

/* The head of an HTTP/1.1 request. */
struct sw_http_head {
	char *method;               /* "POST" */
	char *target;               /* "/hello.git/git-receive-pack", as sent (not decoded) */
	struct sw_strvec headers;   /* "Name: value", as sent, in order */
	size_t len;                 /* bytes of the head, its empty line included */
};

#define SW_HTTP_HEAD_INIT { NULL, NULL, SW_STRVEC_INIT, 0 }
#define SW_HTTP_HEAD_MAX 16384

/*
 * Parse the head at the start of data[0..len): 1 when complete (the body follows at
 * h->len), 0 when more bytes are needed, SW_EINVAL (malformed, or longer than
 * SW_HTTP_HEAD_MAX) with one line. h is released first; the caller releases it.
 */
int sw_http_head_parse(struct sw_http_head *h, const char *data, size_t len);

/* The value of header name (any case; the first), or NULL. Points into h. */
const char *sw_http_head_get(const struct sw_http_head *h, const char *name);

void sw_http_head_release(struct sw_http_head *h);

/*
 * Start program (slipway-push) in a session of its own with fd as its fd 3 and fd4
 * (-1: none) as its fd 4 (the caller closes its own after), stdin /dev/null, stdout and stderr ours, and env
 * as its whole environment. It outlives us; while we live, sw_pushproc_reap() (called
 * often: the front door's accept loop) reaps it once it ended. 0 (*pid set when not
 * NULL), or negative with one line ("cannot run ...", or too many pushes at once: at
 * most 1024 unreaped).
 */
int sw_pushproc_spawn(const char *program, int fd, int fd4, const struct sw_strvec *env, pid_t *pid);

/* Reap the per-push processes that ended (never blocks), telling ended (when not NULL) each one's pid. */
void sw_pushproc_reap(void (*ended)(void *ctx, pid_t pid), void *ctx);

/*
 * slipway-push's work: the request on socket fd (its head not read yet) into `git
 * http-backend` run with env (the CGI variables, "K=V"), its answer back to the
 * client. A client that goes away does not stop git: its output is read to the end
 * (the push goes on to its verdict). 0, or negative with one line.
 */
int sw_pushproc_serve(int fd, const struct sw_strvec *env);

#endif
