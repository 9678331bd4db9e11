/*
 * slipway-hook: installed as hooks/pre-receive in every app repository.
 *
 * git runs it after a push's objects arrived (still in quarantine) and before any ref
 * moves, with "<old> <new> <ref>" lines on stdin. A push to main (or master) becomes a
 * job in slipwayd, whose log is relayed to the pusher as it happens; the exit status
 * is the job's verdict (0: the refs move, 1: the push is rejected, the reason being
 * the last line). Each other branch is asked about too, after main: slipwayd deploys
 * it as its review app, or destroys that when the branch is deleted (with the releaser
 * off it is only stored). Tags are stored as they are. Deleting main is
 * refused.
 *
 * slipwayd passes SLIPWAY_URL, SLIPWAY_HOOK_SECRET, SLIPWAY_APP,
 * SLIPWAY_HOOK_TIMEOUT and who pushes (REMOTE_USER, SLIPWAY_PUSHER_USER,
 * SLIPWAY_PUSHER_TOKEN) in git's environment (HTTP or SSH); git passes them down to us, with
 * the quarantine (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES,
 * GIT_QUARANTINE_PATH) and the push options (GIT_PUSH_OPTION_COUNT, _0, ...).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <git2.h>

#include "hooks/relay.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/gitref.h"
#include "common/http.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_UPDATES 1000
#define MAX_INPUT (MAX_UPDATES * (SW_GITREF_MAX + 140))
#define MAX_PUSH_OPTIONS 32

/* One line for the pusher and the exit code 1: the push is rejected. */
static int reject(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int reject(const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	sw_relay_say(" !     %s", b.ptr);
	sw_buf_release(&b);
	return 1;
}

static int read_stdin(struct sw_buf *in)
{
	char tmp[8192];
	ssize_t n;

	sw_buf_init(in, MAX_INPUT);
	for (;;) {
		n = read(0, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sw_error_errno("read ref updates");
		if (n == 0)
			return 0;
		if (sw_buf_add(in, tmp, (size_t)n) < 0)
			return sw_error_code(SW_ETOOBIG, "more ref updates than slipway takes in one push (%d)", MAX_UPDATES);
	}
}

/* The pushed object must be a commit, readable from the quarantine. */
static int check_commit(const char *sha, char short_sha[16])
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_oid oid;
	int ret = SW_ERROR;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, ".", GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0) {
		const git_error *e = git_error_last();
		sw_error("cannot open the repository: %s", e ? e->message : "unknown error");
		goto cleanup;
	}
	if (git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&commit, repo, &oid) < 0) {
		sw_error("%.7s is not a commit this push brought", sha);
		goto cleanup;
	}
	git_oid_tostr(short_sha, 8, git_commit_id(commit));
	ret = 0;
cleanup:
	git_commit_free(commit);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}

/* git's push options ("git push -o x"), at most MAX_PUSH_OPTIONS. 0, or negative with one line. */
static int push_options(struct sw_strvec *out)
{
	long long n = 0, i;
	int ret;

	if ((ret = sw_env_int("GIT_PUSH_OPTION_COUNT", 0, 0, 1000000, &n)) < 0)
		return ret;
	if (n > MAX_PUSH_OPTIONS)
		n = MAX_PUSH_OPTIONS;
	for (i = 0; i < n; i++) {
		struct sw_buf key = SW_BUF_INIT;
		const char *v;
		sw_buf_addf(&key, "GIT_PUSH_OPTION_%lld", i);
		v = getenv(key.ptr);
		if (v)
			sw_strvec_push(out, v);
		sw_buf_release(&key);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sw_buf in = SW_BUF_INIT;
	struct sw_gitref_update *updates = NULL;
	struct sw_strvec options = SW_STRVEC_INIT;
	struct sw_relay_job job;
	const struct sw_gitref_update *deploy = NULL;
	const struct sw_gitref_update **todo = NULL;   /* the updates slipwayd is asked about */
	size_t nr = 0, alloc = 0, i, pos = 0, branches = 0, ntodo = 0;
	char short_sha[16];
	long long timeout = 0;
	int ret = 1, r;

	(void)argc;
	(void)argv;
	sw_relay_start_clock();
	/* The pusher may hang up; we still wait for the job (git keeps the quarantine
	 * for as long as we run), so writes to a closed stderr must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if (read_stdin(&in) < 0) {
		ret = reject("%s", sw_error_last());
		goto cleanup;
	}
	while (pos < in.len) {
		const char *nl = memchr(in.ptr + pos, '\n', in.len - pos);
		size_t len = nl ? (size_t)(nl - (in.ptr + pos)) : in.len - pos;
		struct sw_gitref_update u = SW_GITREF_UPDATE_INIT;

		if (len && sw_gitref_parse_update(&u, in.ptr + pos, len) < 0) {
			ret = reject("%s", sw_error_last());
			goto cleanup;
		}
		pos += len + 1;
		if (!len)
			continue;
		if (nr >= MAX_UPDATES) {
			sw_gitref_update_release(&u);
			ret = reject("more ref updates than slipway takes in one push (%d)", MAX_UPDATES);
			goto cleanup;
		}
		SW_ALLOC_GROW(updates, nr + 1, alloc);
		updates[nr++] = u;
	}

	for (i = 0; i < nr; i++) {
		const struct sw_gitref_update *u = &updates[i];
		const char *branch = sw_gitref_branch(u->ref);

		if (sw_gitref_check_push(u) < 0) {   /* main deleted, release tags, odd branch names */
			ret = reject("%s", sw_error_last());
			goto cleanup;
		}
		if (u->kind == SW_GITREF_DEPLOY && !deploy)
			deploy = u;
		else if (u->kind == SW_GITREF_DEPLOY)
			sw_relay_say("-----> %s stored (one build per push: building %s)", branch,
				     sw_gitref_branch(deploy->ref));
		else if (u->kind == SW_GITREF_BRANCH)
			branches++;   /* a review app's: each is a job (or a destroy) of its own */
	}
	if (!deploy && !branches) {
		ret = 0;
		goto cleanup;
	}

	memset(&job, 0, sizeof(job));
	job.url = sw_env_str("SLIPWAY_URL");
	job.secret = sw_env_str("SLIPWAY_HOOK_SECRET");
	job.app = sw_env_str("SLIPWAY_APP");
	if (!job.url || !job.secret || !job.app) {
		ret = reject("this repository takes pushes through slipwayd only");
		goto cleanup;
	}
	/* slipwayd passes its own hook timeout (receiver/config.h) */
	if (push_options(&options) < 0 || sw_env_int("SLIPWAY_HOOK_TIMEOUT", 7200, 1, 30 * 86400, &timeout) < 0) {
		ret = reject("%s", sw_error_last());
		goto cleanup;
	}
	job.object_dir = getenv("GIT_OBJECT_DIRECTORY");
	job.alternate_dirs = getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");
	job.quarantine = getenv("GIT_QUARANTINE_PATH");
	job.push_options = &options;
	job.timeout_secs = (long)timeout;
	job.pusher = getenv("REMOTE_USER");
	job.user = getenv("SLIPWAY_PUSHER_USER");
	if (sw_env_int("SLIPWAY_PUSHER_TOKEN", 0, 0, (long long)1 << 62, &job.token_id) < 0) {
		ret = reject("%s", sw_error_last());
		goto cleanup;
	}
	if (sw_http_global_init() < 0) {
		ret = reject("%s", sw_error_last());
		goto cleanup;
	}

	/*
	 * main (or master) first, then each other branch (its review app) in the order
	 * pushed: the first that fails rejects the whole push (git moves no ref then).
	 */
	todo = xcalloc(nr, sizeof(*todo));
	if (deploy)
		todo[ntodo++] = deploy;
	for (i = 0; i < nr; i++)
		if (updates[i].kind == SW_GITREF_BRANCH)
			todo[ntodo++] = &updates[i];
	ret = 0;
	for (i = 0; i < ntodo && ret == 0; i++) {
		const struct sw_gitref_update *u = todo[i];
		if (!u->is_delete && check_commit(u->new_sha, short_sha) < 0) {
			ret = reject("%s", sw_error_last());
			break;
		}
		job.ref = u->ref;
		job.old_sha = u->old_sha;
		job.new_sha = u->new_sha;
		r = sw_relay_run(&job);
		ret = r < 0 ? reject("%s", sw_error_last()) : r;
	}
cleanup:
	for (i = 0; i < nr; i++)
		sw_gitref_update_release(&updates[i]);
	free(updates);
	free(todo);
	sw_strvec_clear(&options);
	sw_buf_release(&in);
	return ret;
}
