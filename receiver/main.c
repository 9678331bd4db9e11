/*
 * slipwayd: the front door of slipway (git smart HTTP, the JSON API, the job queue).
 *
 *   slipwayd                    run the server (settings: receiver/config.h)
 *   slipwayd admin-token        make sure $SLIPWAY_HOME/admin.token (0600) holds a token of
 *                               the user "admin", creating it once (a token revoked since
 *                               stays revoked: remove the file for a new one); prints its path
 *   slipwayd token-create NAME  create a token of the user "admin" called NAME and print it
 *                               (shown once)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/stat.h>

#include "receiver/auth.h"
#include "receiver/users.h"
#include "receiver/config.h"
#include "receiver/db.h"
#include "receiver/job.h"
#include "releaser/releaser.h"
#include "receiver/server.h"
#include "receiver/review_apps.h"
#include "receiver/ssh_gate.h"
#include "receiver/webhook.h"
#include "common/event.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/http.h"
#include "common/log.h"
#include "common/store.h"
#include "common/banned.h"

#define SHUTDOWN_GRACE_SECS 10

static int die(const char *what)
{
	fprintf(stderr, "slipwayd: %s%s%s\n", what, *sw_error_last() ? ": " : "", sw_error_last());
	return 1;
}

static int read_small_file(const char *path, struct sw_buf *out, size_t cap)
{
	char tmp[512];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sw_error_errno("open %s", path);
	sw_buf_init(out, cap);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (sw_buf_add(out, tmp, (size_t)n) < 0) {
			close(fd);
			return sw_error_code(SW_ETOOBIG, "%s: over %zu bytes", path, cap);
		}
	close(fd);
	sw_buf_rtrim(out);
	return 0;
}

/* The admin user's first token, as admin-token makes it: it acts as plain "admin". */
static const struct sw_token_spec admin_spec = { "admin", "admin", NULL, SW_ROLE_NONE, 0, "slipwayd" };

/* The user "admin" (an admin) is there: the migration made it, but it may have been removed. */
static int ensure_admin_user(sqlite3 *db)
{
	int r = sw_users_exists(db, "admin", NULL);

	if (r == 0)
		r = sw_users_create(db, "admin", 1, "slipwayd");
	return r < 0 ? r : 0;
}

static int cmd_admin_token(const struct sw_config *cfg, sqlite3 *db)
{
	struct sw_buf path = SW_BUF_INIT, tmp = SW_BUF_INIT, token = SW_BUF_INIT;
	int fd = -1, ret = 1;

	sw_buf_addf(&path, "%s/admin.token", cfg->home);
	if (ensure_admin_user(db) < 0) {
		ret = die("admin user");
		goto cleanup;
	}
	if (access(path.ptr, F_OK) == 0) {
		/* there already: make sure the store knows it (a fresh database, say), but a
		 * token revoked since stays revoked */
		int state = read_small_file(path.ptr, &token, 256) < 0 ? SW_ERROR : sw_auth_token_state(db, token.ptr);
		if (state == 0 && sw_auth_token_add(db, &admin_spec, token.ptr) < 0)
			state = SW_ERROR;
		if (state == SW_EAUTH)
			fprintf(stderr, "slipwayd: %s holds a token that was revoked (or expired): it stays so; remove the"
				" file to make a new admin token\n", path.ptr);
		else if (state < 0) {
			ret = die(path.ptr);
			goto cleanup;
		}
		printf("%s\n", path.ptr);
		ret = 0;
		goto cleanup;
	}
	if (sw_auth_token_create(db, &admin_spec, &token) < 0) {
		ret = die("create admin token");
		goto cleanup;
	}
	sw_buf_addf(&tmp, "%s/.admin.token.%ld", cfg->home, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, token.ptr, token.len) != (ssize_t)token.len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0) {
		sw_error_errno("write %s", tmp.ptr);
		ret = die("admin token");
		goto cleanup;
	}
	/* link() fails if another run won the race: theirs stands, ours is dropped */
	if (link(tmp.ptr, path.ptr) < 0 && errno != EEXIST) {
		sw_error_errno("create %s", path.ptr);
		ret = die("admin token");
		goto cleanup;
	}
	printf("%s\n", path.ptr);
	ret = 0;
cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	sw_buf_release(&path);
	sw_buf_release(&tmp);
	sw_buf_release(&token);
	return ret;
}

static int cmd_token_create(sqlite3 *db, const char *name)
{
	struct sw_buf token = SW_BUF_INIT;
	struct sw_token_spec spec = { "admin", name, NULL, SW_ROLE_NONE, 0, "slipwayd" };
	size_t n = strlen(name);

	if (!n || n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n) {
		fprintf(stderr, "slipwayd: token name: want 1-64 of a-z 0-9 - _ .\n");
		return 2;
	}
	if (ensure_admin_user(db) < 0 || sw_auth_token_create(db, &spec, &token) < 0)
		return die("create token");
	printf("%s\n", token.ptr);
	sw_buf_release(&token);
	return 0;
}

static int serve(const struct sw_config *cfg, sqlite3 *db)
{
	struct sw_server srv;
	struct sw_jobs *jobs = NULL;
	struct sw_webhooks *hooks = NULL;
	struct sw_webhooks_opts wo;
	struct sw_releaser_opts ro;
	sigset_t set;
	int sig = 0;

	memset(&srv, 0, sizeof(srv));
	/* Signals: SIGPIPE never kills us (clients and children hang up); TERM/INT/HUP
	 * are taken by sigwait below, so every thread started from here blocks them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* git skips a hook it cannot run, and would then take pushes to main unbuilt */
	if (access(cfg->hook, X_OK) < 0) {
		sw_error_errno("%s", cfg->hook);
		return die("slipway-hook (set SLIPWAY_HOOK)");
	}
	if (sw_http_global_init() < 0)
		return die("init");
	/* the releaser: its AWS client, the unfinished rollouts it resumes, the tags of live releases */
	ro.db = db;
	ro.home = cfg->home;
	ro.repos = cfg->repos;
	ro.registry = cfg->registry;
	if (sw_releaser_start(&ro) < 0)
		return die("releaser");
	/* events continue from the store's last id; webhooks are sent by their own thread */
	if (sw_event_init(db) < 0)
		return die("events");
	wo.attempts = (int)cfg->webhook_attempts;
	wo.backoff_ms = cfg->webhook_backoff_ms;
	wo.timeout_ms = cfg->webhook_timeout_secs * 1000;
	wo.allow_nets = cfg->webhook_allow_nets;
	if (sw_webhooks_start(&hooks, db, &wo) < 0)
		return die("webhooks");
	if (sw_jobs_new(&jobs, cfg, db) < 0)
		return die("jobs");
	srv.cfg = cfg;
	srv.db = db;
	srv.jobs = jobs;
	if (sw_server_start(&srv) < 0) {
		sw_jobs_shutdown(jobs, 0);
		return die("listen");
	}
	/* git over SSH: sshd's programs reach us on a unix socket */
	if (sw_ssh_gate_start(&srv) < 0) {
		sw_server_quiesce(&srv);
		sw_jobs_shutdown(jobs, 0);
		return die("ssh");
	}
	/* review apps idle too long are destroyed by a sweep */
	if (sw_review_apps_start(&srv) < 0)
		sw_log_warn("review apps: %s (idle review apps are kept)", sw_error_last());
	sw_log_info("slipwayd listening on %s:%d (SLIPWAY_HOME=%s, registry %s, %d builds and %d rollouts at once)",
		    cfg->listen, cfg->port, cfg->home, cfg->registry, cfg->max_builds, cfg->max_rollouts);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		sw_log_info("SIGHUP ignored");
	sw_log_info("signal %d: stopping (running builds get %d s)", sig, SHUTDOWN_GRACE_SECS);
	sw_server_quiesce(&srv);
	sw_ssh_gate_stop();
	sw_review_apps_stop();
	sw_jobs_shutdown(jobs, SHUTDOWN_GRACE_SECS);
	sw_releaser_stop();
	sw_webhooks_stop(hooks);
	sw_log_info("stopped");
	/* Connection threads may still be in a response, using the server, the jobs, the
	 * config and the database: all of it lives until the process ends (MHD is not
	 * stopped: it would wait for them). */
	return 0;
}

int main(int argc, char **argv)
{
	struct sw_config cfg = SW_CONFIG_INIT;
	sqlite3 *db = NULL;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int ret;

	if (cmd && (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))) {
		printf("usage: slipwayd                    run the server\n"
		       "       slipwayd admin-token        create $SLIPWAY_HOME/admin.token once; print its path\n"
		       "       slipwayd token-create NAME  print a new API token called NAME\n");
		return 0;
	}
	if (cmd && strcmp(cmd, "admin-token") && !(strcmp(cmd, "token-create") == 0 && argc == 3)) {
		fprintf(stderr, "slipwayd: unknown command (see slipwayd --help)\n");
		return 2;
	}
	umask(077);
	if (sw_config_load(&cfg) < 0) {
		fprintf(stderr, "slipwayd: %s\n", sw_error_last());
		return 2;
	}
	if (sw_config_make_dirs(&cfg) < 0 || sw_db_open(&db, cfg.db_path) < 0) {
		ret = die("state");
		goto out;
	}
	if (!cmd)
		ret = serve(&cfg, db);
	else if (!strcmp(cmd, "admin-token"))
		ret = cmd_admin_token(&cfg, db);
	else
		ret = cmd_token_create(db, argv[2]);
	if (cmd) {
		sw_store_close(db);
		sw_config_release(&cfg);
	}
out:
	return ret;
}
