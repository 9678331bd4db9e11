#ifndef SW_PROC_H
#define SW_PROC_H

#include <sys/types.h>

#include "common/buf.h"
#include "common/strvec.h"

/*
 * The one way slipway runs another program (git's run-command, tmux's job.c):
 * an argv vector (never a shell string: ref names and user text go in as single
 * arguments), an env vector on top of (or instead of) the current environment,
 * explicit stdio, every other fd closed in the child, signals reset there.
 *
 *	struct sw_proc p = SW_PROC_INIT;
 *	sw_strvec_pushl(&p.args, "git", "http-backend", NULL);
 *	sw_strvec_push(&p.env, "GIT_PROJECT_ROOT=/srv/repos");
 *	p.in = SW_PROC_PIPE; p.out = SW_PROC_PIPE;
 *	if (sw_proc_start(&p) < 0) ...      // message in sw_error_last()
 *	write(p.in, ...); close(p.in);       // the caller closes the pipe ends it gets
 *	read(p.out, ...); close(p.out);
 *	sw_proc_wait(&p, &code);
 *	sw_proc_release(&p);
 *
 * Stdio fields, set before start:
 *  SW_PROC_NULL     /dev/null (the default for in)
 *  SW_PROC_INHERIT  the parent's own fd (the default for out and err)
 *  SW_PROC_PIPE     a pipe; after start the field holds the parent's end (O_CLOEXEC),
 *                   which the caller must close
 *  fd >= 0          the child gets a dup of it; the caller keeps and closes fd
 */
enum {
	SW_PROC_INHERIT = -3,
	SW_PROC_NULL = -2,
	SW_PROC_PIPE = -1,
};

struct sw_proc {
	struct sw_strvec args; /* args.v[0] is looked up in PATH */
	struct sw_strvec env;  /* "K=V" sets, "K" unsets */
	int clean_env;         /* start from an empty environment, not ours */
	const char *dir;       /* working directory of the child, or NULL */
	int in, out, err;
	int err_to_out;        /* the child's stderr goes where its stdout goes */
	int new_pgroup;        /* child leads its own process group (sw_proc_kill hits all) */
	pid_t pid;
};

#define SW_PROC_INIT { SW_STRVEC_INIT, SW_STRVEC_INIT, 0, NULL, \
	SW_PROC_NULL, SW_PROC_INHERIT, SW_PROC_INHERIT, 0, 0, -1 }

/* Start the child. 0, or negative with "cannot run git: No such file or directory". */
int sw_proc_start(struct sw_proc *p);

/*
 * Block until the child exits: 0 and *code = its exit status, or 128 + signal number
 * when a signal ended it. Must not be called from an event loop thread.
 */
int sw_proc_wait(struct sw_proc *p, int *code);

/* Without blocking: 1 and *code set when the child has exited, 0 while it runs. */
int sw_proc_poll(struct sw_proc *p, int *code);

/* Send sig to the child (its whole group when new_pgroup was set). */
int sw_proc_kill(struct sw_proc *p, int sig);

/* Free args and env. Does not close fds and does not wait. */
void sw_proc_release(struct sw_proc *p);

/*
 * Convenience: run p to completion, capturing stdout into out and stderr into err
 * (either may be NULL: then that stream is inherited, or discarded when p says
 * SW_PROC_NULL). p->in may be an fd or SW_PROC_NULL. The buffers' caps bound what is
 * kept; output past a cap is read and dropped and the call returns SW_ETOOBIG after
 * the child exits. Returns the exit status (>= 0) or a negative code.
 */
int sw_proc_run(struct sw_proc *p, struct sw_buf *out, struct sw_buf *err);

#endif
