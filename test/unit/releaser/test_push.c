#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <git2.h>

#include "releaser/push.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* The push record: its ref and branch, and its manifest read once, from a real repository. */

static char dir[] = "/tmp/sw-test-push-XXXXXX";

static void run(const char *cwd, struct sw_buf *out, ...)
{
	struct sw_proc p = SW_PROC_INIT;
	const char *a;
	va_list ap;

	va_start(ap, out);
	while ((a = va_arg(ap, const char *)))
		sw_strvec_push(&p.args, a);
	va_end(ap);
	sw_strvec_pushl(&p.env, "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", NULL);
	p.dir = cwd;
	assert_int_equal(sw_proc_run(&p, out, NULL), 0);
	sw_proc_release(&p);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A repository with one commit holding a Dockerfile and a Procfile; its sha into sha. */
static void make_repo(struct sw_buf *repo, struct sw_buf *sha)
{
	struct sw_buf path = SW_BUF_INIT;

	assert_non_null(mkdtemp(dir));
	sw_buf_addf(repo, "%s/app", dir);
	run(dir, NULL, "git", "init", "-q", "-b", "main", "app", NULL);
	sw_buf_addf(&path, "%s/Dockerfile", repo->ptr);
	write_file(path.ptr, "FROM scratch\nEXPOSE 5000\n");
	sw_buf_reset(&path);
	sw_buf_addf(&path, "%s/Procfile", repo->ptr);
	write_file(path.ptr, "web: httpd -f -p $PORT\nworker: sleep 1000\n");
	run(repo->ptr, NULL, "git", "add", "Dockerfile", "Procfile", NULL);
	run(repo->ptr, NULL, "git", "commit", "-q", "-m", "one", NULL);
	run(repo->ptr, sha, "git", "rev-parse", "HEAD", NULL);
	sw_buf_rtrim(sha);
	sw_buf_release(&path);
}

static void ref_and_branch(void **state)
{
	struct sw_push p;
	(void)state;
	sw_push_init(&p);
	sw_push_set_ref(&p, "refs/heads/feature/login");
	assert_string_equal(p.branch, "feature/login");
	sw_push_set_ref(&p, "refs/tags/v1");
	assert_null(p.branch);
	sw_push_release(&p);
	assert_null(p.ref);
	assert_int_equal(p.have_manifest, 0);
}

static void manifest_is_read_once(void **state)
{
	struct sw_buf repo = SW_BUF_INIT, sha = SW_BUF_INIT;
	struct sw_push p;
	(void)state;

	make_repo(&repo, &sha);
	sw_push_init(&p);
	p.repo_path = xstrdup(repo.ptr);
	p.commit = xstrdup(sha.ptr);
	assert_int_equal(sw_push_read_manifest(&p), 0);
	assert_int_equal(p.have_manifest, 1);
	assert_int_equal(p.manifest.nr, 2);
	assert_non_null(sw_manifest_find(&p.manifest, "worker"));
	assert_int_equal(sw_manifest_web(&p.manifest)->port, 5000);
	/* the repository gone: what was read stands, nothing is read again */
	run("/", NULL, "rm", "-rf", dir, NULL);
	assert_int_equal(sw_push_read_manifest(&p), 0);
	assert_int_equal(p.manifest.nr, 2);
	sw_push_release(&p);
	/* and a push that was never read fails to read from a repository that is not there */
	sw_push_init(&p);
	p.repo_path = xstrdup(repo.ptr);
	p.commit = xstrdup(sha.ptr);
	assert_true(sw_push_read_manifest(&p) < 0);
	assert_int_equal(p.have_manifest, 0);
	sw_push_release(&p);
	sw_buf_release(&repo);
	sw_buf_release(&sha);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ref_and_branch),
		cmocka_unit_test(manifest_is_read_once),
	};
	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
