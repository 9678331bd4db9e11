#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "receiver/githttp.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* Output the child may produce before it has read all its input. */
#define EARLY_OUTPUT_MAX (1024 * 1024)
/* How long the child may leave its input unread while the body comes in. */
#define INPUT_STALL_MS (600 * 1000)
/* How long the head of the response may take after the request body ended. */
#define HEAD_TIMEOUT_MS (300 * 1000)

struct sw_githttp {
	struct sw_proc proc;
	int in;              /* child's stdin (ours to write), -1 once closed */
	int out;             /* child's stdout (ours to read), -1 once closed */
	struct sw_buf pending; /* output read but not yet handed out */
	size_t pending_off;
	int eof;
	int body_done;       /* the request body was whole (read_head was reached) */
};

int sw_githttp_start(struct sw_githttp **out, const struct sw_strvec *env)
{
	struct sw_githttp *g = xcalloc(1, sizeof(*g));
	const char *path = getenv("PATH");
	int fl;

	*out = NULL;
	g->proc = (struct sw_proc)SW_PROC_INIT;
	sw_buf_init(&g->pending, EARLY_OUTPUT_MAX);
	sw_strvec_pushl(&g->proc.args, "git", "http-backend", NULL);
	g->proc.clean_env = 1;
	sw_strvec_pushf(&g->proc.env, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
	sw_strvec_pushv(&g->proc.env, env->v);
	g->proc.in = SW_PROC_PIPE;
	g->proc.out = SW_PROC_PIPE;
	g->proc.new_pgroup = 1;   /* `git` runs git-http-backend as its child: a kill takes both */
	g->in = g->out = -1;
	if (sw_proc_start(&g->proc) < 0) {
		sw_proc_release(&g->proc);
		sw_buf_release(&g->pending);
		free(g);
		return SW_ERROR;
	}
	g->in = g->proc.in;
	g->out = g->proc.out;
	/* Our write end only (its own file description): partial writes, no deadlock. */
	fl = fcntl(g->in, F_GETFL);
	fcntl(g->in, F_SETFL, fl | O_NONBLOCK);
	*out = g;
	return 0;
}

static void close_in(struct sw_githttp *g)
{
	if (g->in >= 0)
		close(g->in);
	g->in = -1;
}

/* Read what the child has to say right now into pending. */
static int read_some(struct sw_githttp *g)
{
	char tmp[16384];
	ssize_t n;

	do {
		n = read(g->out, tmp, sizeof(tmp));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return sw_error_errno("read from git http-backend");
	if (n == 0) {
		g->eof = 1;
		return 0;
	}
	if (sw_buf_add(&g->pending, tmp, (size_t)n) < 0)
		return sw_error_code(SW_ETOOBIG, "git http-backend said more than %d bytes before reading its input",
				     EARLY_OUTPUT_MAX);
	return 0;
}

int sw_githttp_write(struct sw_githttp *g, const char *data, size_t n)
{
	while (n && g->in >= 0) {
		struct pollfd p[2];
		int np = 1;

		p[0].fd = g->in;
		p[0].events = POLLOUT;
		if (!g->eof) {
			p[1].fd = g->out;
			p[1].events = POLLIN;
			np = 2;
		}
		int r = poll(p, (nfds_t)np, INPUT_STALL_MS);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sw_error_errno("poll");
		}
		if (r == 0)
			return sw_error_code(SW_ETIMEOUT, "git http-backend took no input for %d s", INPUT_STALL_MS / 1000);
		if (np == 2 && (p[1].revents & (POLLIN | POLLHUP)) && read_some(g) < 0)
			return SW_ERROR;
		if (p[0].revents & (POLLERR | POLLHUP)) {
			close_in(g);   /* the child stopped reading: drop the rest */
			break;
		}
		if (p[0].revents & POLLOUT) {
			ssize_t w = write(g->in, data, n);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				close_in(g);  /* EPIPE: same as above */
				break;
			}
			data += w;
			n -= (size_t)w;
		}
	}
	return 0;
}

int sw_githttp_read_head(struct sw_githttp *g, struct sw_cgi_head *head)
{
	size_t consumed = 0;
	int r;

	close_in(g);
	g->body_done = 1;
	for (;;) {
		struct pollfd p = { g->out, POLLIN, 0 };

		r = sw_cgi_head_parse(head, g->pending.ptr, g->pending.len, &consumed);
		if (r < 0)
			return sw_error_prefix("git http-backend");
		if (r > 0)
			break;
		if (g->eof)
			return sw_error("git http-backend ended without a response");
		r = poll(&p, 1, HEAD_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return sw_error_errno("poll");
		if (r == 0)
			return sw_error_code(SW_ETIMEOUT, "git http-backend gave no response in %d s",
					     HEAD_TIMEOUT_MS / 1000);
		if (read_some(g) < 0)
			return SW_ERROR;
	}
	g->pending_off = consumed;
	return 0;
}

long sw_githttp_read(struct sw_githttp *g, char *buf, size_t n)
{
	ssize_t r;

	if (g->pending_off < g->pending.len) {
		size_t left = g->pending.len - g->pending_off;
		if (n > left)
			n = left;
		memcpy(buf, g->pending.ptr + g->pending_off, n);
		g->pending_off += n;
		if (g->pending_off == g->pending.len) {
			sw_buf_release(&g->pending);
			g->pending_off = 0;
		}
		return (long)n;
	}
	if (g->eof)
		return 0;
	do {
		r = read(g->out, buf, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return sw_error_errno("read from git http-backend");
	if (r == 0)
		g->eof = 1;
	return (long)r;
}

static void reap(struct sw_githttp *g)
{
	int code = 0;

	if (g->out >= 0)
		close(g->out);
	g->out = -1;
	if (g->proc.pid > 0 && sw_proc_wait(&g->proc, &code) == 0 && code != 0)
		sw_log_warn("git http-backend exited with %d", code);
	sw_proc_release(&g->proc);
	sw_buf_release(&g->pending);
	free(g);
}

/* The client is gone or done, the child may not be: read it to the end, then reap. */
static void *drain(void *arg)
{
	struct sw_githttp *g = arg;
	char tmp[16384];
	ssize_t n;

	for (;;) {
		n = read(g->out, tmp, sizeof(tmp));
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		break;
	}
	reap(g);
	return NULL;
}

void sw_githttp_finish(struct sw_githttp *g)
{
	pthread_t t;
	pthread_attr_t attr;

	if (!g)
		return;
	/*
	 * A request cut short mid-body carries no push git could finish, and git's
	 * http-backend given CONTENT_LENGTH reads its ended input again forever: it is killed.
	 */
	if (!g->body_done && g->proc.pid > 0)
		sw_proc_kill(&g->proc, SIGKILL);
	close_in(g);
	if (g->eof) {
		reap(g);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, drain, g) != 0) {
		sw_log_error("cannot start a thread to finish git http-backend; finishing inline");
		drain(g);
	}
	pthread_attr_destroy(&attr);
}
