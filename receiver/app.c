#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "receiver/app.h"
#include "receiver/db.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

int sw_app_name_valid(const char *name)
{
	size_t i;

	if (!(name[0] >= 'a' && name[0] <= 'z'))
		return 0;
	for (i = 1; name[i]; i++) {
		char ch = name[i];
		if (i >= SW_APP_NAME_MAX)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
	}
	return i >= 3 && name[i - 1] != '-';
}

int sw_app_ref_valid(const char *name)
{
	size_t i;

	if (!(name[0] >= 'a' && name[0] <= 'z'))
		return 0;
	for (i = 1; name[i]; i++) {
		char ch = name[i];
		if (i >= SW_APP_REF_MAX)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
	}
	return i >= 3;
}

int sw_app_parse_git_path(const char *path, char app[SW_APP_REF_MAX + 1], const char **rest)
{
	const char *dotgit;
	size_t n;

	app[0] = '\0';
	if (path[0] != '/')
		return sw_error_code(SW_ENOTFOUND, "not found");
	/* The first ".git" that ends the path or is followed by "/". */
	for (dotgit = strstr(path, ".git"); dotgit; dotgit = strstr(dotgit + 1, ".git"))
		if (dotgit[4] == '\0' || dotgit[4] == '/')
			break;
	if (!dotgit)
		return sw_error_code(SW_ENOTFOUND, "not found");
	n = (size_t)(dotgit - (path + 1));
	if (n > SW_APP_REF_MAX || n == 0) {
		return sw_error_code(SW_EINVAL, "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
	}
	memcpy(app, path + 1, n);
	app[n] = '\0';
	/* a review app's name (longer) too: the caller refuses it with a line of its own */
	if (!sw_app_ref_valid(app)) {
		app[0] = '\0';
		return sw_error_code(SW_EINVAL, "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
	}
	*rest = dotgit + 4;
	return 0;
}

void sw_app_repo_path(struct sw_buf *out, const struct sw_config *c, const char *app)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/%s.git", c->repos, app);
}

int sw_app_exists(const struct sw_config *c, const char *app)
{
	struct sw_buf p = SW_BUF_INIT;
	struct stat st;
	int r;

	sw_app_repo_path(&p, c, app);
	r = stat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode);
	sw_buf_release(&p);
	return r;
}

static int run_git(const char *what, const char *const *argv)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf err = SW_BUF_INIT;
	int r;

	sw_buf_init(&err, 4096);
	sw_strvec_pushv(&p.args, argv);
	sw_strvec_pushl(&p.env, "GIT_CONFIG_NOSYSTEM=1", "GIT_DIR", "GIT_WORK_TREE", NULL);
	r = sw_proc_run(&p, NULL, &err);
	if (r > 0) {
		sw_buf_rtrim(&err);
		r = sw_error("%s: %s", what, err.len ? err.ptr : "git failed");
	} else if (r < 0) {
		sw_error_prefix("%s", what);
	}
	sw_proc_release(&p);
	sw_buf_release(&err);
	return r;
}

static int write_config(const char *dir, const struct sw_config *c)
{
	struct sw_buf path = SW_BUF_INIT, text = SW_BUF_INIT;
	int fd = -1, ret = SW_ERROR;

	sw_buf_addf(&path, "%s/config", dir);
	sw_buf_addf(&text,
		    "[receive]\n"
		    "\tfsckObjects = true\n"
		    "\tmaxInputSize = %s\n"
		    "\tkeepAlive = 5\n"
		    "\tadvertisePushOptions = true\n"
		    "[http]\n"
		    "\treceivepack = true\n"
		    "[gc]\n"
		    "\tautoDetach = false\n",
		    c->max_push_size);
	fd = open(path.ptr, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		sw_error_errno("open %s", path.ptr);
		goto cleanup;
	}
	if (write(fd, text.ptr, text.len) != (ssize_t)text.len) {
		sw_error_errno("write %s", path.ptr);
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	sw_buf_release(&path);
	sw_buf_release(&text);
	return ret;
}

/* hooks/pre-receive -> c->hook, replaced atomically when it points elsewhere. */
static int install_hook(const char *repo, const struct sw_config *c)
{
	struct sw_buf link = SW_BUF_INIT, tmp = SW_BUF_INIT;
	char target[PATH_MAX];
	ssize_t n;
	int ret = SW_ERROR;

	sw_buf_addf(&link, "%s/hooks/pre-receive", repo);
	n = readlink(link.ptr, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (!strcmp(target, c->hook)) {
			ret = 0;
			goto cleanup;
		}
	}
	sw_buf_addf(&tmp, "%s/hooks/.pre-receive.%ld", repo, (long)getpid());
	unlink(tmp.ptr);
	if (symlink(c->hook, tmp.ptr) < 0) {
		sw_error_errno("install hook %s", link.ptr);
		goto cleanup;
	}
	if (rename(tmp.ptr, link.ptr) < 0) {
		sw_error_errno("install hook %s", link.ptr);
		unlink(tmp.ptr);
		goto cleanup;
	}
	ret = 0;
cleanup:
	sw_buf_release(&link);
	sw_buf_release(&tmp);
	return ret;
}

int sw_app_record(sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;

	if (sw_store_prepare(db, &st, "INSERT OR IGNORE INTO apps(name, created_at) VALUES (?, ?)") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 2, sw_time_now());
	return sw_store_step_done(db, st, "record app");
}

/* rm -rf path (a repository that is not one any more). 0, or negative when rm failed. */
static int remove_tree(const char *path)
{
	const char *argv[] = { "rm", "-rf", "--", path, NULL };
	struct sw_proc p = SW_PROC_INIT;
	int r;

	sw_strvec_pushv(&p.args, argv);
	r = sw_proc_run(&p, NULL, NULL);
	sw_proc_release(&p);
	return r != 0 ? SW_ERROR : 0;
}

static int create_repo(const struct sw_config *c, const char *app, const char *repo)
{
	static unsigned long counter;
	struct sw_buf tmp = SW_BUF_INIT;
	int ret = SW_ERROR;

	sw_buf_addf(&tmp, "%s/.new-%s-%ld-%lu", c->repos, app, (long)getpid(), ++counter);
	{
		const char *init[] = { "git", "init", "--quiet", "--bare", "--initial-branch=main", tmp.ptr, NULL };
		if (run_git("create repository", init) != 0)
			goto cleanup;
	}
	if (write_config(tmp.ptr, c) < 0 || install_hook(tmp.ptr, c) < 0)
		goto cleanup;
	if (rename(tmp.ptr, repo) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			sw_error_errno("create %s", repo);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	if (access(tmp.ptr, F_OK) == 0)
		remove_tree(tmp.ptr);
	sw_buf_release(&tmp);
	return ret;
}

int sw_app_ensure(const struct sw_config *c, sqlite3 *db, const char *app, int *created)
{
	struct sw_buf repo = SW_BUF_INIT;
	int ret = SW_ERROR;

	if (created)
		*created = 0;
	if (!sw_app_name_valid(app))
		return sw_error_code(SW_EINVAL, "invalid app name");
	/* a review app's repository is its parent's */
	{
		struct sw_review rv = SW_REVIEW_INIT;
		int r = sw_review_load(db, app, &rv);
		if (r == 0)
			r = sw_error_code(SW_EEXISTS, "%s is a review app of %s (branch %s): push that branch to %s instead",
					  app, rv.parent, rv.branch, rv.parent);
		sw_review_release(&rv);
		if (r != SW_ENOTFOUND)
			return r < 0 ? r : SW_ERROR;
	}
	sw_app_repo_path(&repo, c, app);
	pthread_mutex_lock(&create_lock);
	if (!sw_app_exists(c, app)) {
		if (create_repo(c, app, repo.ptr) < 0)
			goto cleanup;
		if (created)
			*created = 1;
	} else if (install_hook(repo.ptr, c) < 0) {
		goto cleanup;
	}
	if (sw_app_record(db, app) < 0)
		goto cleanup;
	ret = 0;
cleanup:
	pthread_mutex_unlock(&create_lock);
	sw_buf_release(&repo);
	return ret;
}

int sw_app_empty_repo(const struct sw_config *c, struct sw_buf *root)
{
	struct sw_buf repo = SW_BUF_INIT, tmp = SW_BUF_INIT;
	struct stat st;
	int ret = 0;

	sw_buf_reset(root);
	sw_buf_addf(root, "%s/empty", c->home);
	sw_buf_addf(&repo, "%s/new.git", root->ptr);
	sw_buf_addf(&tmp, "%s/.new-%ld.git", root->ptr, (long)getpid());
	pthread_mutex_lock(&create_lock);
	/* made aside, then renamed: a full disk never leaves half a repository in its place */
	if (stat(repo.ptr, &st) < 0) {
		const char *init[] = { "git", "init", "--quiet", "--bare", "--initial-branch=main", tmp.ptr, NULL };
		if (mkdir(root->ptr, 0700) < 0 && errno != EEXIST)
			ret = sw_error_errno("mkdir %s", root->ptr);
		else if (remove_tree(tmp.ptr) < 0 || run_git("create the empty repository", init) != 0 ||
			 write_config(tmp.ptr, c) < 0)
			ret = SW_ERROR;
		else if (rename(tmp.ptr, repo.ptr) < 0)
			ret = sw_error_errno("create %s", repo.ptr);
		if (ret < 0)
			remove_tree(tmp.ptr);
	}
	pthread_mutex_unlock(&create_lock);
	sw_buf_release(&repo);
	sw_buf_release(&tmp);
	return ret;
}

int sw_app_known(sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (sw_store_prepare(db, &st, "SELECT 1 FROM apps WHERE name = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

void sw_app_remove_build_logs(const struct sw_config *c, sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;
	struct sw_buf p = SW_BUF_INIT;

	if (sw_store_prepare(db, &st, "SELECT id FROM builds WHERE app = ?") < 0)
		return;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sw_buf_reset(&p);
		sw_buf_addf(&p, "%s/%lld.log", c->builds, (long long)sqlite3_column_int64(st, 0));
		unlink(p.ptr);
		sw_buf_reset(&p);   /* and its rollout records */
		sw_buf_addf(&p, "%s/%lld.rollout", c->builds, (long long)sqlite3_column_int64(st, 0));
		unlink(p.ptr);
	}
	sqlite3_finalize(st);
	sw_buf_release(&p);
}

int sw_app_remove_repo(const struct sw_config *c, const char *app)
{
	struct sw_buf repo = SW_BUF_INIT, trash = SW_BUF_INIT;
	int ret = 0;

	sw_app_repo_path(&repo, c, app);
	sw_buf_addf(&trash, "%s/.destroyed-%s-%ld", c->repos, app, (long)getpid());
	if (rename(repo.ptr, trash.ptr) < 0) {
		if (errno != ENOENT)
			ret = sw_error_errno("remove %s", repo.ptr);
		goto cleanup;
	}
	if (remove_tree(trash.ptr) < 0)
		sw_log_warn("destroy %s: could not remove %s", app, trash.ptr);
cleanup:
	sw_buf_release(&repo);
	sw_buf_release(&trash);
	return ret;
}

int sw_app_has_commit(const char *repo_path, const char *sha, const char *object_dir, const char *alternate_dirs)
{
	struct sw_proc pr = SW_PROC_INIT;
	int r;

	sw_strvec_pushl(&pr.args, "git", "--git-dir", repo_path, "cat-file", "-e", NULL);
	sw_strvec_pushf(&pr.args, "%s^{commit}", sha);
	sw_strvec_pushl(&pr.env, "GIT_CONFIG_NOSYSTEM=1", "GIT_DIR", "GIT_QUARANTINE_PATH", NULL);
	if (object_dir)
		sw_strvec_pushf(&pr.env, "GIT_OBJECT_DIRECTORY=%s", object_dir);
	else
		sw_strvec_push(&pr.env, "GIT_OBJECT_DIRECTORY");
	if (alternate_dirs)
		sw_strvec_pushf(&pr.env, "GIT_ALTERNATE_OBJECT_DIRECTORIES=%s", alternate_dirs);
	else
		sw_strvec_push(&pr.env, "GIT_ALTERNATE_OBJECT_DIRECTORIES");
	pr.out = pr.err = SW_PROC_NULL;
	r = sw_proc_run(&pr, NULL, NULL);
	sw_proc_release(&pr);
	return r == 0;
}
