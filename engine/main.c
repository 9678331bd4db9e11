/*
 * slipway-engine: the embedded single-machine ECS, ECR, ELBv2 and CloudWatch Logs on
 * the local Docker engine. See engine/engine.h for its rooms and threads,
 * engine/engine_config.h for the settings.
 *
 *	slipway-engine            run in the foreground until SIGTERM / SIGINT
 *
 * Stopping the engine (or killing it) leaves every container running; the next
 * start re-adopts them by their labels.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/acm/acm.h"
#include "engine/api/access.h"
#include "engine/api/httpd.h"
#include "engine/ecr/ecr_api.h"
#include "engine/ecs/ecs.h"
#include "engine/elb/elb.h"
#include "engine/engine_db.h"
#include "engine/logs/logs.h"
#include "engine/run/balancer.h"
#include "engine/run/scheduler.h"
#include "engine/run/watcher.h"
#include "engine/run/worker.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/*
 * The APIs this engine serves: the JSON ones picked by their X-Amz-Target prefix,
 * ELBv2 (Query protocol) by the SigV4 scope "elasticloadbalancing".
 */
static const struct sw_engine_api *const apis[] = {
	&sw_ecs_api,
	&sw_engine_ecr_api,
	&sw_elb_api,
	&sw_logs_api,
	&sw_acm_api,
	NULL,
};

static int mkdir_p(const char *path)
{
	struct sw_buf b = SW_BUF_INIT;
	size_t i;
	int ret = 0;

	sw_buf_adds(&b, path);
	for (i = 1; i <= b.len; i++) {
		if (b.ptr[i] != '/' && b.ptr[i] != '\0')
			continue;
		b.ptr[i] = '\0';
		if (mkdir(b.ptr, 0700) < 0 && errno != EEXIST) {
			ret = sw_error_errno("mkdir %s", b.ptr);
			break;
		}
		if (i < b.len)
			b.ptr[i] = '/';
	}
	sw_buf_release(&b);
	return ret;
}

static int meta_id(struct sw_engine *e, const char *key, const char *prefix, size_t bytes, char **out)
{
	struct sw_buf b = SW_BUF_INIT;
	int ret = sw_engine_db_meta_get(e->db, key, &b);
	if (ret == SW_ENOTFOUND) {
		sw_buf_reset(&b);
		sw_buf_adds(&b, prefix);
		sw_engine_random_hex(&b, bytes);
		ret = sw_engine_db_meta_set(e->db, key, b.ptr);
	}
	if (ret < 0) {
		sw_buf_release(&b);
		return ret;
	}
	*out = sw_buf_detach(&b, NULL);
	return 0;
}

static int by_created(const void *a, const void *b)
{
	const struct sw_engine_task *x = *(const struct sw_engine_task *const *)a;
	const struct sw_engine_task *y = *(const struct sw_engine_task *const *)b;
	return x->created_at < y->created_at ? -1 : x->created_at > y->created_at;
}

static int ensure_default_cluster(struct sw_engine *e)
{
	struct sw_engine_cluster *c = sw_engine_state_cluster(&e->st, "default");
	struct sw_buf arn = SW_BUF_INIT;
	if (c)
		return 0;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup("default");
	sw_engine_arn(e, &arn, "ecs", "cluster/default");
	c->arn = sw_buf_detach(&arn, NULL);
	c->status = xstrdup("ACTIVE");
	c->created_at = sw_time_now();
	sw_engine_state_add_cluster(&e->st, c);
	return sw_engine_db_save_cluster(e->db, c);
}

static void read_docker_version(struct sw_engine *e)
{
	json_t *doc = NULL;
	if (sw_docker_json("GET", "/version", NULL, &doc) >= 0 &&
	    sw_json_str(doc, "Version")) {
		snprintf(e->docker_version, sizeof(e->docker_version), "%s",
			 sw_json_str(doc, "Version"));
	} else {
		sw_log_warn("Docker does not answer yet (%s); tasks wait for it", sw_error_last());
	}
	json_decref(doc);
}

int main(int argc, char **argv)
{
	struct sw_engine e;
	struct sw_engine_api_access auth;
	struct sw_engine_api_httpd *server = NULL;
	struct sw_elb *elb = NULL;
	struct sw_logs *logs = NULL;
	struct sw_buf lockpath = SW_BUF_INIT;
	sigset_t sigs;
	int lockfd = -1, sig = 0, rc = 1;
	size_t i, j;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("usage: slipway-engine\n"
			       "The embedded single-machine ECS/ECR/ELBv2/Logs endpoint; configured by the environment\n"
			       "(SLIPWAY_HOME, SLIPWAY_ENGINE_PORT, SLIPWAY_REGISTRY_PORT, SLIPWAY_ENGINE_*,\n"
			       "SLIPWAY_ROUTER_*; see engine/engine_config.h).\n");
			return 0;
		}
		fprintf(stderr, "slipway-engine: unknown argument '%s' (it takes none; see --help)\n", argv[1]);
		return 2;
	}
	memset(&e, 0, sizeof(e));
	memset(&auth, 0, sizeof(auth));
	/* engine.db and logs.db hold task definitions' environment (config values): ours only, as slipwayd's */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);   /* every thread inherits it; main waits below */

	if (sw_http_global_init() < 0 || sw_engine_config_load(&e.cfg) < 0) {
		fprintf(stderr, "slipway-engine: %s\n", sw_error_last());
		return 2;
	}
	pthread_mutex_init(&e.lock, NULL);
	pthread_cond_init(&e.wake, NULL);
	e.started_at = sw_time_now();
	sw_run_balancer_set(&e, NULL, NULL);

	if (mkdir_p(e.cfg.state_dir) < 0)
		goto fail;
	sw_buf_addf(&lockpath, "%s/engine.lock", e.cfg.state_dir);
	lockfd = open(lockpath.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		sw_error("%s: another slipway-engine runs on this SLIPWAY_HOME (%s)", lockpath.ptr, e.cfg.home);
		goto fail;
	}
	if (sw_engine_db_open(&e.db, e.cfg.db_path) < 0)
		goto fail;
	if (meta_id(&e, "instance", "sw-", 8, &e.instance) < 0 ||
	    meta_id(&e, "container_instance", "", 16, &e.instance_id) < 0)
		goto fail;
	if (sw_engine_db_load(e.db, &e.st) < 0 || ensure_default_cluster(&e) < 0)
		goto fail;
	if (e.st.nr_tasks)   /* none: tasks may be NULL, which qsort may not be given */
		qsort(e.st.tasks, e.st.nr_tasks, sizeof(*e.st.tasks), by_created);
	/* whatever happened while we were away: look at every container again */
	for (i = 0; i < e.st.nr_tasks; i++)
		for (j = 0; j < e.st.tasks[i]->nr_containers; j++)
			e.st.tasks[i]->containers[j].dirty = 1;
	if (sw_engine_api_access_setup(&auth, &e.cfg) < 0)
		goto fail;
	read_docker_version(&e);

	/* the load balancer (ELBv2 over the HAProxy router), before the scheduler uses it */
	if (sw_elb_new(&elb, &e) < 0 || sw_elb_start(elb) < 0)
		goto fail;
	sw_run_balancer_set(&e, &sw_elb_balancer_ops, elb);
	if (sw_logs_new(&logs, &e) < 0 || sw_logs_start(logs) < 0)
		goto fail;
	if (sw_run_worker_start(&e) < 0 || sw_run_watcher_start(&e) < 0 || sw_run_scheduler_start(&e) < 0)
		goto fail;
	if (sw_engine_api_httpd_start(&server, &e, apis, &auth) < 0)
		goto fail;
	sw_log_info("slipway-engine %s listening on http://%s:%d (region %s, account %s, %lld MiB, %lld CPU units, "
		    "%zu tasks, %zu services)", e.instance, e.cfg.listen, e.cfg.port, e.cfg.region, e.cfg.account,
		    e.cfg.memory_mb, e.cfg.cpu_units, e.st.nr_tasks, e.st.nr_services);
	sw_log_info("awsvpc: %s, subnet %s, security group %s (any well-formed subnet and security group id is taken)",
		    SW_ENGINE_VPC_ID, SW_ENGINE_SUBNET_ID, SW_ENGINE_SECURITY_GROUP_ID);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	sw_log_info("slipway-engine stopping (signal %d); containers keep running", sig);
	rc = 0;
	goto cleanup;

fail:
	sw_log_error("slipway-engine: %s", sw_error_last());
cleanup:
	sw_engine_api_httpd_stop(server);
	sw_run_scheduler_stop(&e);
	/* the elb thread stops; HAProxy keeps serving the apps (scripts/down stops it) */
	sw_run_balancer_set(&e, NULL, NULL);
	sw_elb_free(elb);
	sw_logs_free(logs);
	sw_run_worker_stop(&e);
	pthread_mutex_lock(&e.lock);
	if (e.db)
		sw_engine_db_meta_set(e.db, "stopped_at", "clean");
	pthread_mutex_unlock(&e.lock);
	sw_engine_api_access_release(&auth);
	if (lockfd >= 0)
		close(lockfd);
	sw_buf_release(&lockpath);
	/* the watcher thread may still be blocked on Docker: the process exits under it */
	return rc;
}
