#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "receiver/pushproc.h"
#include "receiver/githttp.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* How long the pusher may leave us without a byte of its request. */
#define READ_IDLE_SECS 600
#define READ_BYTES 16384

/* ---- the request's head ---- */

void sw_http_head_release(struct sw_http_head *h)
{
	free(h->method);
	free(h->target);
	sw_strvec_clear(&h->headers);
	h->method = h->target = NULL;
	h->len = 0;
}

/* One line of data[0..len) from *pos, without its "\r\n" / "\n": 1, or 0 when it is not complete. */
static int next_line(const char *data, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl = memchr(data + *pos, '\n', len - *pos);

	if (!nl)
		return 0;
	*line = data + *pos;
	*n = (size_t)(nl - *line);
	if (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	*pos = (size_t)(nl - data) + 1;
	return 1;
}

int sw_http_head_parse(struct sw_http_head *h, const char *data, size_t len)
{
	const char *line, *sp1, *sp2;
	size_t pos = 0, n;

	sw_http_head_release(h);
	if (!next_line(data, len, &pos, &line, &n))
		return len >= SW_HTTP_HEAD_MAX ? sw_error_code(SW_EINVAL, "request head over %d bytes", SW_HTTP_HEAD_MAX) : 0;
	sp1 = memchr(line, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line)) : NULL;
	if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || n - (size_t)(sp2 + 1 - line) < 8 ||
	    strncmp(sp2 + 1, "HTTP/1.", 7))
		return sw_error_code(SW_EINVAL, "not an HTTP/1 request line");
	for (;;) {
		if (!next_line(data, len, &pos, &line, &n)) {
			sw_strvec_clear(&h->headers);
			return len >= SW_HTTP_HEAD_MAX ? sw_error_code(SW_EINVAL, "request head over %d bytes",
								       SW_HTTP_HEAD_MAX) : 0;
		}
		if (!n)
			break;
		if (!memchr(line, ':', n) || line[0] == ' ' || line[0] == '\t') {
			sw_strvec_clear(&h->headers);
			return sw_error_code(SW_EINVAL, "malformed header line");
		}
		sw_strvec_pushf(&h->headers, "%.*s", (int)n, line);
	}
	if (pos > SW_HTTP_HEAD_MAX) {
		sw_strvec_clear(&h->headers);
		return sw_error_code(SW_EINVAL, "request head over %d bytes", SW_HTTP_HEAD_MAX);
	}
	h->method = xstrndup(data, (size_t)(sp1 - data));
	h->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	h->len = pos;
	return 1;
}

const char *sw_http_head_get(const struct sw_http_head *h, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < h->headers.nr; i++) {
		const char *l = h->headers.v[i];
		if (!strncasecmp(l, name, n) && l[n] == ':') {
			l += n + 1;
			while (*l == ' ' || *l == '\t')
				l++;
			return l;
		}
	}
	return NULL;
}

/* ---- slipwayd's side: starting slipway-push ---- */

/* The per-push processes this slipwayd started and has not reaped yet. */
static pthread_mutex_t kids_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t kids[1024];
static size_t nkids;

void sw_pushproc_reap(void (*ended)(void *ctx, pid_t pid), void *ctx)
{
	size_t i = 0;

	pthread_mutex_lock(&kids_mu);
	while (i < nkids) {
		int st;
		pid_t r = waitpid(kids[i], &st, WNOHANG);
		if (r == kids[i] || (r < 0 && errno == ECHILD)) {
			if (ended)
				ended(ctx, kids[i]);
			kids[i] = kids[--nkids];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&kids_mu);
}

int sw_pushproc_spawn(const char *program, int fd, int fd4, const struct sw_strvec *env, pid_t *pid)
{
	const char *argv[] = { program, NULL };
	int report[2], err = 0;
	pid_t child;
	ssize_t n;

	pthread_mutex_lock(&kids_mu);
	n = (ssize_t)nkids;
	pthread_mutex_unlock(&kids_mu);
	if (n >= (ssize_t)(sizeof(kids) / sizeof(kids[0])))
		return sw_error_code(SW_ETOOBIG, "cannot run %s: %zd pushes at once already", program, n);
	if (pipe2(report, O_CLOEXEC) < 0)
		return sw_error_errno("pipe");
	/*
	 * Our child in a session of its own (a signal to our group does not reach it); a
	 * slipwayd that dies leaves it to init. Only async-signal-safe calls between fork
	 * and exec.
	 */
	child = fork();
	if (child < 0) {
		close(report[0]);
		close(report[1]);
		return sw_error_errno("fork");
	}
	if (child == 0) {
		sigset_t none;
		int devnull;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		signal(SIGPIPE, SIG_DFL);
		devnull = open("/dev/null", O_RDONLY);
		if (devnull > 0) {
			dup2(devnull, 0);
			close(devnull);
		}
		/* fds out of the way of 3 and 4 first (the report stays until exec) */
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
		fd4 = fd4 >= 0 ? fcntl(fd4, F_DUPFD_CLOEXEC, 10) : -1;
		report[1] = fcntl(report[1], F_DUPFD_CLOEXEC, 10);
		if (fd < 0 || report[1] < 0 || dup2(fd, 3) < 0 || (fd4 >= 0 && dup2(fd4, 4) < 0))
			_exit(127);
		/* whatever else of ours lacks O_CLOEXEC stays here */
		close_range(fd4 >= 0 ? 5 : 4, ~0U, CLOSE_RANGE_CLOEXEC);
		execve(program, (char *const *)argv, (char *const *)env->v);
		err = errno;
		(void)!write(report[1], &err, sizeof(err));
		_exit(127);
	}
	close(report[1]);
	while ((n = read(report[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n == (ssize_t)sizeof(err)) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		errno = err;
		return sw_error_errno("cannot run %s", program);
	}
	pthread_mutex_lock(&kids_mu);
	if (nkids < sizeof(kids) / sizeof(kids[0]))
		kids[nkids++] = child;
	pthread_mutex_unlock(&kids_mu);
	if (pid)
		*pid = child;
	return 0;
}

/* ---- slipway-push's side: serving the request ---- */

/* Write all of data; 0, or -1 once the client is gone. */
static int send_all(int fd, const char *data, size_t n)
{
	while (n) {
		ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A chunked body, decoded as it comes (RFC 9112 §7.1). */
struct dechunk {
	enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE } state;
	unsigned long long left;   /* CH_DATA: bytes of the chunk still to come */
	char line[128];            /* CH_SIZE, CH_TRAILER: the line so far */
	size_t linelen;
};

/* A size line or a trailer line ended: the next state, or -1 when it is malformed. */
static int line_done(struct dechunk *d)
{
	char *end = NULL;

	d->line[d->linelen] = '\0';
	if (d->linelen && d->line[d->linelen - 1] == '\r')
		d->line[--d->linelen] = '\0';
	d->linelen = 0;
	if (d->state == CH_TRAILER)
		return d->line[0] ? CH_TRAILER : CH_DONE;
	errno = 0;
	d->left = strtoull(d->line, &end, 16);
	if (end == d->line || errno || (*end && *end != ';' && *end != ' ' && *end != '\t'))
		return -1;
	return d->left ? CH_DATA : CH_TRAILER;
}

/* Feed data[0..n) of the body into g. 1 at its end, 0 for more, negative when malformed. */
static int dechunk_feed(struct dechunk *d, struct sw_githttp *g, const char *data, size_t n)
{
	while (n && d->state != CH_DONE) {
		int next;
		switch (d->state) {
		case CH_DATA: {
			size_t take = d->left < n ? (size_t)d->left : n;
			if (sw_githttp_write(g, data, take) < 0)
				return SW_ERROR;
			data += take;
			n -= take;
			d->left -= take;
			if (!d->left)
				d->state = CH_DATA_END;
			break;
		}
		case CH_DATA_END:   /* the "\r\n" after a chunk's data */
			if (*data == '\n')
				d->state = CH_SIZE;
			else if (*data != '\r')
				return sw_error_code(SW_EINVAL, "malformed chunked body");
			data++;
			n--;
			break;
		default:   /* CH_SIZE, CH_TRAILER: a line */
			if (*data != '\n') {
				if (d->linelen + 1 >= sizeof(d->line))
					return sw_error_code(SW_EINVAL, "malformed chunked body");
				d->line[d->linelen++] = *data;
			} else if ((next = line_done(d)) < 0) {
				return sw_error_code(SW_EINVAL, "malformed chunked body");
			} else {
				d->state = next;
			}
			data++;
			n--;
			break;
		}
	}
	return d->state == CH_DONE;
}

struct body {
	int chunked;
	unsigned long long left;   /* Content-Length: bytes still to come */
	struct dechunk d;
};

/* Feed data[0..n) of the body into g. 1 at its end, 0 for more, negative on error. */
static int body_feed(struct body *b, struct sw_githttp *g, const char *data, size_t n)
{
	if (b->chunked)
		return dechunk_feed(&b->d, g, data, n);
	if (n > b->left)
		n = (size_t)b->left;
	if (n && sw_githttp_write(g, data, n) < 0)
		return SW_ERROR;
	b->left -= n;
	return b->left == 0;
}

/* Read the head from fd into in (which may then hold the body's first bytes too). */
static int read_head(int fd, struct sw_buf *in, struct sw_http_head *h)
{
	char tmp[READ_BYTES];

	for (;;) {
		ssize_t n;
		int r = sw_http_head_parse(h, in->ptr ? in->ptr : "", in->len);
		if (r)
			return r < 0 ? r : 0;
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sw_error("the pusher left before its request's head ended");
		sw_buf_add(in, tmp, (size_t)n);
	}
}

/* git's answer: its status and headers, then its body in chunks; a client gone is not an error. */
static int respond(int fd, struct sw_githttp *g)
{
	struct sw_cgi_head head = SW_CGI_HEAD_INIT;
	struct sw_buf out = SW_BUF_INIT;
	char tmp[READ_BYTES];
	int gone = 0, ret;
	size_t i;
	long n;

	if ((ret = sw_githttp_read_head(g, &head)) < 0) {
		sw_buf_addf(&out, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
			    "git failed: %s\n", sw_error_last());
		send_all(fd, out.ptr, out.len);
		goto cleanup;
	}
	sw_buf_addf(&out, "HTTP/1.1 %d %s\r\n", head.status, head.status == 200 ? "OK" : "Error");
	for (i = 0; i < head.headers.nr; i++) {
		const char *hd = head.headers.v[i];
		if (strncasecmp(hd, "content-length:", 15) && strncasecmp(hd, "transfer-encoding:", 18) &&
		    strncasecmp(hd, "connection:", 11))
			sw_buf_addf(&out, "%s\r\n", hd);
	}
	sw_buf_adds(&out, "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
	gone = send_all(fd, out.ptr, out.len) < 0;
	while ((n = sw_githttp_read(g, tmp, sizeof(tmp))) > 0) {
		char size[32];
		int sl = snprintf(size, sizeof(size), "%lx\r\n", (unsigned long)n);
		/* the pusher gone, git goes on: its hook waits for the job's verdict */
		if (!gone)
			gone = send_all(fd, size, (size_t)sl) < 0 || send_all(fd, tmp, (size_t)n) < 0 ||
			       send_all(fd, "\r\n", 2) < 0;
	}
	if (n < 0)
		ret = SW_ERROR;
	else if (!gone)
		send_all(fd, "0\r\n\r\n", 5);
cleanup:
	sw_cgi_head_release(&head);
	sw_buf_release(&out);
	return ret;
}

int sw_pushproc_serve(int fd, const struct sw_strvec *env)
{
	struct sw_http_head h = SW_HTTP_HEAD_INIT;
	struct sw_buf in = SW_BUF_INIT;
	struct sw_githttp *g = NULL;
	struct body b;
	struct timeval idle = { READ_IDLE_SECS, 0 };
	const char *te, *cl, *expect;
	char tmp[READ_BYTES];
	int ret, r;

	memset(&b, 0, sizeof(b));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	sw_buf_init(&in, SW_HTTP_HEAD_MAX + READ_BYTES);
	if ((ret = read_head(fd, &in, &h)) < 0)
		goto cleanup;
	te = sw_http_head_get(&h, "Transfer-Encoding");
	cl = sw_http_head_get(&h, "Content-Length");
	b.chunked = te && strcasestr(te, "chunked");
	b.left = cl ? strtoull(cl, NULL, 10) : 0;
	expect = sw_http_head_get(&h, "Expect");
	if (expect && !strcasecmp(expect, "100-continue"))
		send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	if ((ret = sw_githttp_start(&g, env)) < 0)
		goto cleanup;
	r = (b.chunked || b.left) ? body_feed(&b, g, in.ptr + h.len, in.len - h.len) : 1;
	while (r == 0) {
		ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = sw_error("the pusher left in the middle of its request");
			break;
		}
		r = body_feed(&b, g, tmp, (size_t)n);
	}
	if (r < 0) {
		/* git sees its input end early and fails the push; nothing lands */
		ret = r;
		goto cleanup;
	}
	ret = respond(fd, g);
cleanup:
	sw_githttp_finish(g);
	shutdown(fd, SHUT_RDWR);
	sw_http_head_release(&h);
	sw_buf_release(&in);
	return ret;
}
