#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common/proc.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

extern char **environ;

static int env_key_matches(const char *entry, const char *key, size_t keylen)
{
	return !strncmp(entry, key, keylen) && entry[keylen] == '=';
}

/* The child's environment: ours (unless clean_env) with p->env applied. */
static char **build_env(const struct sw_proc *p, struct sw_strvec *store)
{
	char **e;
	size_t i, j;

	if (!p->clean_env)
		for (e = environ; *e; e++)
			sw_strvec_push(store, *e);
	for (i = 0; i < p->env.nr; i++) {
		const char *item = p->env.v[i];
		const char *eq = strchr(item, '=');
		size_t keylen = eq ? (size_t)(eq - item) : strlen(item);

		for (j = 0; j < store->nr;) {
			if (env_key_matches(store->v[j], item, keylen)) {
				free((char *)store->v[j]);
				memmove(&store->v[j], &store->v[j + 1], (store->nr - j) * sizeof(char *));
				store->nr--;
			} else {
				j++;
			}
		}
		if (eq)
			sw_strvec_push(store, item);
	}
	return (char **)store->v;
}

static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return sw_error_errno("pipe");
	return 0;
}

/* In the child: only async-signal-safe calls from here to exec. */
static void child_dup(int fd, int target, int nullfd)
{
	if (fd == SW_PROC_INHERIT)
		return;
	if (fd == SW_PROC_NULL)
		fd = nullfd;
	if (fd == target) {
		/* clear O_CLOEXEC so it survives exec */
		int fl = fcntl(fd, F_GETFD);
		fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
		return;
	}
	dup2(fd, target);
}

int sw_proc_start(struct sw_proc *p)
{
	struct sw_strvec envstore = SW_STRVEC_INIT;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, report[2] = { -1, -1 };
	int cin, cout, cerr, nullfd = -1;
	char **envp;
	sigset_t all, old;
	int child_errno = 0;
	ssize_t n;
	int ret = SW_ERROR;

	if (!p->args.nr)
		return sw_error("no program to run");
	envp = build_env(p, &envstore);

	if ((p->in == SW_PROC_PIPE && make_pipe(pin) < 0) ||
	    (p->out == SW_PROC_PIPE && make_pipe(pout) < 0) ||
	    (p->err == SW_PROC_PIPE && !p->err_to_out && make_pipe(perr) < 0) ||
	    make_pipe(report) < 0)
		goto cleanup;
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0) {
		sw_error_errno("open /dev/null");
		goto cleanup;
	}
	cin = p->in == SW_PROC_PIPE ? pin[0] : p->in;
	cout = p->out == SW_PROC_PIPE ? pout[1] : p->out;
	cerr = p->err_to_out ? -100 : (p->err == SW_PROC_PIPE ? perr[1] : p->err);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->pid = fork();
	if (p->pid == 0) {
		struct sigaction sa;
		int sig;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (sig = 1; sig < NSIG; sig++)
			sigaction(sig, &sa, NULL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (p->new_pgroup)
			setpgid(0, 0);
		/* Move fds that sit on 0..2 out of the way before dup2 onto them. */
		child_dup(cin, 0, nullfd);
		child_dup(cout, 1, nullfd);
		if (cerr == -100)
			dup2(1, 2);
		else
			child_dup(cerr, 2, nullfd);
		/* Close every inherited fd but the report pipe (O_CLOEXEC: exec closes it). */
		if (report[1] > 3)
			close_range(3, (unsigned)report[1] - 1, 0);
		close_range((unsigned)report[1] + 1, ~0U, 0);
		if (p->dir && chdir(p->dir) < 0) {
			int e = errno;
			(void)!write(report[1], &e, sizeof(e));
			_exit(127);
		}
		execvpe(p->args.v[0], (char *const *)p->args.v, envp);
		{
			int e = errno;
			(void)!write(report[1], &e, sizeof(e));
		}
		_exit(127);
	}
	{
		int fork_errno = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (p->pid < 0) {
			errno = fork_errno;
			sw_error_errno("fork");
			goto cleanup;
		}
	}
	close(report[1]);
	report[1] = -1;
	do {
		n = read(report[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(child_errno)) {
		int st;
		while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
			;
		p->pid = -1;
		errno = child_errno;
		if (p->dir && child_errno != ENOENT && child_errno != EACCES)
			sw_error_errno("cannot run %s in %s", p->args.v[0], p->dir);
		else
			sw_error_errno("cannot run %s", p->args.v[0]);
		goto cleanup;
	}
	if (p->in == SW_PROC_PIPE) {
		p->in = pin[1];
		pin[1] = -1;
	}
	if (p->out == SW_PROC_PIPE) {
		p->out = pout[0];
		pout[0] = -1;
	}
	if (p->err == SW_PROC_PIPE && !p->err_to_out) {
		p->err = perr[0];
		perr[0] = -1;
	}
	ret = 0;

cleanup:
	/* The child's ends, and whatever parent ends were not handed over. */
	if (pin[0] >= 0) close(pin[0]);
	if (pin[1] >= 0) close(pin[1]);
	if (pout[0] >= 0) close(pout[0]);
	if (pout[1] >= 0) close(pout[1]);
	if (perr[0] >= 0) close(perr[0]);
	if (perr[1] >= 0) close(perr[1]);
	if (report[0] >= 0) close(report[0]);
	if (report[1] >= 0) close(report[1]);
	if (nullfd >= 0) close(nullfd);
	sw_strvec_clear(&envstore);
	return ret;
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

int sw_proc_wait(struct sw_proc *p, int *code)
{
	int st;
	pid_t r;

	if (p->pid <= 0)
		return sw_error("no child to wait for");
	do {
		r = waitpid(p->pid, &st, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return sw_error_errno("waitpid");
	p->pid = -1;
	if (code)
		*code = decode_status(st);
	return 0;
}

int sw_proc_poll(struct sw_proc *p, int *code)
{
	int st;
	pid_t r;

	if (p->pid <= 0)
		return sw_error("no child to poll");
	r = waitpid(p->pid, &st, WNOHANG);
	if (r < 0)
		return sw_error_errno("waitpid");
	if (r == 0)
		return 0;
	p->pid = -1;
	if (code)
		*code = decode_status(st);
	return 1;
}

int sw_proc_kill(struct sw_proc *p, int sig)
{
	if (p->pid <= 0)
		return 0;
	if (kill(p->new_pgroup ? -p->pid : p->pid, sig) < 0 && errno != ESRCH)
		return sw_error_errno("kill");
	return 0;
}

void sw_proc_release(struct sw_proc *p)
{
	sw_strvec_clear(&p->args);
	sw_strvec_clear(&p->env);
}

/* Read one chunk from fd into b (dropping what passes the cap). 0 at EOF, 1 if more. */
static int drain_once(int fd, struct sw_buf *b, int *overflow)
{
	char tmp[16384];
	ssize_t n;

	do {
		n = read(fd, tmp, sizeof(tmp));
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	if (sw_buf_add(b, tmp, (size_t)n) < 0)
		*overflow = 1;
	return 1;
}

int sw_proc_run(struct sw_proc *p, struct sw_buf *out, struct sw_buf *err)
{
	struct pollfd fds[2];
	int overflow = 0;
	int code = -1;
	int r;

	if (out)
		p->out = SW_PROC_PIPE;
	if (err && !p->err_to_out)
		p->err = SW_PROC_PIPE;
	if ((r = sw_proc_start(p)) < 0)
		return r;
	fds[0].fd = out ? p->out : -1;
	fds[1].fd = (err && !p->err_to_out) ? p->err : -1;
	fds[0].events = fds[1].events = POLLIN;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].fd >= 0 && fds[0].revents && !drain_once(fds[0].fd, out, &overflow)) {
			close(fds[0].fd);
			fds[0].fd = -1;
		}
		if (fds[1].fd >= 0 && fds[1].revents && !drain_once(fds[1].fd, err, &overflow)) {
			close(fds[1].fd);
			fds[1].fd = -1;
		}
	}
	if (fds[0].fd >= 0)
		close(fds[0].fd);
	if (fds[1].fd >= 0)
		close(fds[1].fd);
	if ((r = sw_proc_wait(p, &code)) < 0)
		return r;
	if (overflow)
		return sw_error_code(SW_ETOOBIG, "%s: output larger than allowed", p->args.v[0]);
	return code;
}
