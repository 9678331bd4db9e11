#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <jansson.h>

#include "receiver/ssh_gate.h"
#include "receiver/hook_jobs.h"
#include "receiver/review_apps.h"
#include "receiver/routes.h"
#include "receiver/ssh_keys.h"
#include "receiver/users.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/event.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_SESSIONS 64
#define REQUEST_TIMEOUT_MS 10000
#define STDIO_FDS 3

static struct {
	struct sw_server *srv;
	int fd;                  /* the listening socket, -1 when off */
	uid_t git_uid;           /* the SSH user's, (uid_t)-1 when there is none */
	pthread_t thread;
	int running;
	volatile int stop;
	pthread_mutex_t lock;
	int sessions;            /* connections being served */
} gate = { NULL, -1, (uid_t)-1, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, 0 };

/* One connection: its socket, the fds it brought, the request. */
struct session {
	int fd;
	int stdio[STDIO_FDS];
	int nfds;
	struct sw_buf line;
};

int sw_ssh_gate_parse_command(const char *command, char app[SW_APP_REF_MAX + 1], int *receive)
{
	const char *p, *end;
	size_t n;

	app[0] = '\0';
	if (!command || !*command)
		return sw_error_code(SW_EINVAL, "only git push and fetch over SSH (ssh://git@HOST:PORT/APP.git):"
				     " no shell, no other command");
	if (!strncmp(command, "git-receive-pack ", 17))
		*receive = 1;
	else if (!strncmp(command, "git-upload-pack ", 16))
		*receive = 0;
	else
		return sw_error_code(SW_EINVAL, "only git push and fetch over SSH (git-receive-pack or"
				     " git-upload-pack of 'APP.git'), not '%.40s'", command);
	p = command + (*receive ? 17 : 16);
	/* git quotes the path in single quotes; an app's name needs no escapes */
	if (*p != '\'' || !(end = strchr(p + 1, '\'')) || end[1])
		return sw_error_code(SW_EINVAL, "want the repository as git quotes it: '/APP.git'");
	p++;
	if (*p == '/')
		p++;
	n = (size_t)(end - p);
	if (n > 4 && p[n - 1] == '/')
		n--;
	if (n <= 4 || strncmp(p + n - 4, ".git", 4) || n - 4 > SW_APP_REF_MAX)
		return sw_error_code(SW_EINVAL, "no such repository: want APP.git");
	memcpy(app, p, n - 4);
	app[n - 4] = '\0';
	if (!sw_app_ref_valid(app)) {
		app[0] = '\0';
		return sw_error_code(SW_EINVAL, "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter,"
				     " not ending in '-')");
	}
	return 0;
}

/* ---- the connection ---- */

static void close_stdio(struct session *ss)
{
	int i;
	for (i = 0; i < ss->nfds; i++)
		close(ss->stdio[i]);
	ss->nfds = 0;
}

/* Take the fds a message brought (at most STDIO_FDS kept; the rest closed). */
static void take_fds(struct session *ss, struct msghdr *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		int *fds = (int *)CMSG_DATA(c);
		size_t i, n;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (ss->nfds < STDIO_FDS)
				ss->stdio[ss->nfds++] = fds[i];
			else
				close(fds[i]);
		}
	}
}

/* Read the request line (and the fds with it). 0, or negative with one line. */
static int read_request(struct session *ss)
{
	char data[1024];
	union {
		char buf[CMSG_SPACE(STDIO_FDS * sizeof(int)) * 2];
		struct cmsghdr align;
	} control;

	while (!memchr(ss->line.ptr ? ss->line.ptr : "", '\n', ss->line.len)) {
		struct pollfd p = { ss->fd, POLLIN, 0 };
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m;
		ssize_t n;
		int r = poll(&p, 1, REQUEST_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return sw_error_code(SW_ETIMEOUT, "no request in %d s", REQUEST_TIMEOUT_MS / 1000);
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = control.buf;
		m.msg_controllen = sizeof(control.buf);
		n = recvmsg(ss->fd, &m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sw_error("the request ended early");
		take_fds(ss, &m);
		if (sw_buf_add(&ss->line, data, (size_t)n) < 0)
			return sw_error_code(SW_ETOOBIG, "request over %d bytes", SW_SSH_GATE_MAX_LINE);
	}
	return 0;
}

static void answer(struct session *ss, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	struct sw_buf b = SW_BUF_INIT;
	size_t off = 0;

	if (text) {
		sw_buf_addf(&b, "%s\n", text);
		while (off < b.len) {
			ssize_t n = send(ss->fd, b.ptr + off, b.len - off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	free(text);
	sw_buf_release(&b);
	json_decref(o);
}

static void refuse(struct session *ss, const char *line)
{
	answer(ss, json_pack("{s:s}", "error", line));
}

/* {"op": "keys"}: whose key is it? */
static void keys(struct session *ss, const json_t *in)
{
	struct sw_buf user = SW_BUF_INIT;
	char fp[SW_SSH_FINGERPRINT_MAX + 1];
	const char *type = sw_json_str(in, "type");
	const char *key = sw_json_str(in, "key");
	int r = type && key ? sw_ssh_keys_owner(gate.srv->db, type, key, &user, fp) : 0;

	if (r == 1)
		answer(ss, json_pack("{s:s,s:s}", "user", user.ptr, "fingerprint", fp));
	else if (r == 0)
		answer(ss, json_pack("{s:n}", "user"));
	else
		refuse(ss, sw_error_last());
	sw_buf_release(&user);
}

/* Wait for git, at most for the hook's timeout and then some: its exit status. */
static int wait_git(struct sw_proc *p)
{
	time_t deadline = time(NULL) + gate.srv->cfg->hook_timeout + 600;
	int code = 1;

	for (;;) {
		int r = sw_proc_poll(p, &code);
		if (r != 0)
			return r > 0 ? code : 1;
		if (time(NULL) > deadline) {
			sw_proc_kill(p, SIGKILL);
			sw_proc_wait(p, &code);
			return 1;
		}
		usleep(100 * 1000);
	}
}

/*
 * Who is the key's user, may they do what the command asks, and does the app exist
 * (a push creates it)? 0 with p, app, receive and the repository's path; or negative
 * with the line for the pusher in why.
 */
static int allow(const json_t *in, struct sw_principal *p, char app[SW_APP_REF_MAX + 1], int *receive,
		 struct sw_buf *repo, struct sw_buf *why)
{
	struct sw_server *s = gate.srv;
	const char *key = sw_json_str(in, "key");
	const char *command = sw_json_str(in, "command");
	struct sw_buf user = SW_BUF_INIT;
	int rc, exists, created = 0;

	rc = key ? sw_ssh_keys_owner_of(s->db, key, &user) : 0;
	if (rc == 1)
		rc = sw_users_principal(s->db, user.ptr, p) == 0 ? 1 : SW_ERROR;
	sw_buf_release(&user);
	if (rc <= 0) {
		sw_buf_adds(why, rc < 0 ? sw_error_last() : "this key is no one's any more");
		return SW_EAUTH;
	}
	if (sw_ssh_gate_parse_command(command, app, receive) < 0 ||
	    (!sw_app_name_valid(app) && !sw_review_apps_is_review(s->db, app, NULL))) {
		sw_buf_adds(why, app[0] ? "invalid app name" : sw_error_last());
		return SW_EINVAL;
	}
	if (sw_review_apps_git_refusal(s->db, app, *receive, why))
		return SW_EINVAL;
	exists = sw_app_exists(s->cfg, app);
	rc = sw_routes_git_check(s, p, app, *receive, exists, &user);
	if (rc <= 0) {
		sw_buf_addf(why, "%s%s", rc < 0 ? "" : "forbidden: ", rc < 0 ? sw_error_last() : user.ptr);
		sw_buf_release(&user);
		return SW_EAUTH;
	}
	if (!*receive && !exists) {
		sw_buf_addf(why, "no such app: %s", app);
		return SW_ENOTFOUND;
	}
	if (*receive && sw_app_ensure(s->cfg, s->db, app, &created) < 0) {
		sw_buf_addf(why, "cannot create app %s: %s", app, sw_error_last());
		return SW_ERROR;
	}
	if (created) {
		sw_log(SW_LOG_INFO, app, 0, "app created (first push over SSH, by %s)", p->actor);
		sw_event_emit(s->db, app, "app.created", 0, 0, p->actor, "app %s created by the first push (%s)", app,
			      p->actor);
	}
	sw_app_repo_path(repo, s->cfg, app);
	return 0;
}

/* {"op": "git"} with stdin, stdout, stderr: run git on the app's repository. */
static void run_git(struct session *ss, const json_t *in)
{
	struct sw_proc git = SW_PROC_INIT;
	struct sw_principal p;
	struct sw_buf repo = SW_BUF_INIT, why = SW_BUF_INIT;
	const char *protocol = sw_json_str(in, "protocol");
	const char *path = getenv("PATH");
	char app[SW_APP_REF_MAX + 1] = "";
	int receive = 0, code;

	memset(&p, 0, sizeof(p));
	if (ss->nfds != STDIO_FDS) {
		refuse(ss, "git over SSH needs the session's stdin, stdout and stderr");
		goto cleanup;
	}
	if (allow(in, &p, app, &receive, &repo, &why) < 0) {
		sw_log(SW_LOG_INFO, app[0] ? app : NULL, 0, "ssh: %s refused: %s", p.user[0] ? p.user : "?", why.ptr);
		refuse(ss, why.ptr);
		goto cleanup;
	}
	sw_strvec_pushl(&git.args, "git", receive ? "receive-pack" : "upload-pack", repo.ptr, NULL);
	git.clean_env = 1;
	sw_strvec_pushf(&git.env, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (protocol && !strncmp(protocol, "version=", 8) && strlen(protocol) < 12 &&
	    strspn(protocol + 8, "0123456789") == strlen(protocol + 8))
		sw_strvec_pushf(&git.env, "GIT_PROTOCOL=%s", protocol);
	sw_hook_jobs_env(gate.srv, app, &p, &git.env);
	git.in = ss->stdio[0];
	git.out = ss->stdio[1];
	git.err = ss->stdio[2];
	if (sw_proc_start(&git) < 0) {
		refuse(ss, sw_error_last());
		goto cleanup;
	}
	close_stdio(ss);   /* git has them: the session ends when git does */
	code = wait_git(&git);
	sw_log(SW_LOG_INFO, app, 0, "ssh: git-%s by %s: exit %d", receive ? "receive-pack" : "upload-pack", p.actor, code);
	answer(ss, json_pack("{s:i}", "exit", code));
cleanup:
	sw_proc_release(&git);
	sw_buf_release(&repo);
	sw_buf_release(&why);
}

static int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == 0 || cred.uid == getuid() || (gate.git_uid != (uid_t)-1 && cred.uid == gate.git_uid);
}

static void *serve_one(void *arg)
{
	struct session *ss = arg;
	json_t *in = NULL;
	const char *op;

	if (!peer_allowed(ss->fd)) {
		refuse(ss, "only sshd's programs may ask");
	} else if (read_request(ss) < 0) {
		refuse(ss, sw_error_last());
	} else if (!(in = json_loadb(ss->line.ptr, (size_t)(strchr(ss->line.ptr, '\n') - ss->line.ptr), 0, NULL)) ||
		   !(op = sw_json_str(in, "op"))) {
		refuse(ss, "want a JSON object with \"op\"");
	} else if (!strcmp(op, "keys")) {
		keys(ss, in);
	} else if (!strcmp(op, "git")) {
		run_git(ss, in);
	} else {
		refuse(ss, "unknown op");
	}
	json_decref(in);
	close_stdio(ss);
	close(ss->fd);
	sw_buf_release(&ss->line);
	free(ss);
	pthread_mutex_lock(&gate.lock);
	gate.sessions--;
	pthread_mutex_unlock(&gate.lock);
	return NULL;
}

static void *accept_loop(void *arg)
{
	(void)arg;
	while (!gate.stop) {
		struct pollfd p = { gate.fd, POLLIN, 0 };
		struct session *ss;
		pthread_attr_t attr;
		pthread_t t;
		int fd, busy;

		if (poll(&p, 1, 500) <= 0)
			continue;
		fd = accept4(gate.fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		ss = xcalloc(1, sizeof(*ss));
		ss->fd = fd;
		sw_buf_init(&ss->line, SW_SSH_GATE_MAX_LINE);
		pthread_mutex_lock(&gate.lock);
		busy = gate.sessions >= MAX_SESSIONS;
		if (!busy)
			gate.sessions++;
		pthread_mutex_unlock(&gate.lock);
		if (busy) {
			refuse(ss, "slipwayd is busy: too many SSH sessions at once, try again");
			close(fd);
			sw_buf_release(&ss->line);
			free(ss);
			continue;
		}
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&t, &attr, serve_one, ss) != 0) {
			pthread_mutex_lock(&gate.lock);
			gate.sessions--;
			pthread_mutex_unlock(&gate.lock);
			close(fd);
			sw_buf_release(&ss->line);
			free(ss);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

int sw_ssh_gate_start(struct sw_server *s)
{
	const char *path = s->cfg->ssh_socket;
	struct sockaddr_un sa;
	struct passwd *pw;
	struct stat st;
	int fd;

	if (!path || !*path)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return sw_error_code(SW_EINVAL, "SLIPWAY_SSH_SOCKET: longer than %zu bytes", sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	pw = getpwnam(SW_SSH_GATE_USER);
	gate.git_uid = pw ? pw->pw_uid : (uid_t)-1;
	/* one left by a slipwayd that did not stop cleanly */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sw_error_errno("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		sw_error_errno("SLIPWAY_SSH_SOCKET %s", path);
		close(fd);
		return SW_ERROR;
	}
	/* sshd runs slipway-keys and slipway-ssh as the SSH user: its group may connect */
	if (chmod(path, 0660) < 0 || (pw && chown(path, (uid_t)-1, pw->pw_gid) < 0)) {
		sw_error_errno("SLIPWAY_SSH_SOCKET %s", path);
		close(fd);
		unlink(path);
		return SW_ERROR;
	}
	gate.srv = s;
	gate.fd = fd;
	gate.stop = 0;
	if (pthread_create(&gate.thread, NULL, accept_loop, NULL) != 0) {
		close(fd);
		unlink(path);
		gate.fd = -1;
		return sw_error("cannot start the SSH gate's thread");
	}
	gate.running = 1;
	return 0;
}

void sw_ssh_gate_stop(void)
{
	if (!gate.running)
		return;
	gate.stop = 1;
	pthread_join(gate.thread, NULL);
	gate.running = 0;
	close(gate.fd);
	gate.fd = -1;
	if (gate.srv->cfg->ssh_socket)
		unlink(gate.srv->cfg->ssh_socket);
	/* sessions in flight finish on their own: git is left to end its push */
}
