/*
 * sw-release-testtool: drives the releaser (releaser/deploy.h) against an ECS endpoint
 * from the command line, for the integration tests of test/integration/releaser that
 * run before (or beside) slipwayd. The AWS side is configured as slipwayd's (the SDK
 * environment: AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE,
 * AWS_ENDPOINT_URL...), the releaser's by SLIPWAY_* (releaser/settings.h).
 *
 *   sw-release-testtool DB push APP COMMIT IMAGE DIGEST MANIFEST-FILE [DOCKERFILE]
 *   sw-release-testtool DB rollback APP [N] [--force]
 *   sw-release-testtool DB config APP set|unset ARG...
 *   sw-release-testtool DB scale APP ARG...
 *   sw-release-testtool DB resume
 *   sw-release-testtool DB releases APP
 *
 * Prints the pusher's lines, then "result: ok v<N>" or "result: error <reason>", and
 * exits 0 / 1 (2 for usage). SIGTERM cancels (the release stays deploying).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/deploy.h"
#include "releaser/golive.h"
#include "releaser/manifest.h"
#include "common/aws/client.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "releaser/tables.h"
#include "common/banned.h"

static struct sw_cancel cancel;

static void on_term(int sig)
{
	sw_cancel_raise(&cancel, SW_CANCEL_STOP, NULL);   /* lock-free: fine in a handler */
}

static int print_line(void *ctx, const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
	return 0;
}

static int read_file(const char *path, struct sw_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (!f)
		return sw_error_errno("open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sw_buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

static int print_release(void *ctx, const struct sw_release *r)
{
	json_t *j = sw_release_to_json(r);
	char *s = json_dumps(j, JSON_COMPACT);
	printf("%s\n", s);
	free(s);
	json_decref(j);
	return 0;
}

static int resume_one(void *ctx, const struct sw_release *r)
{
	struct sw_release copy;
	struct sw_runenv *e = ctx;
	int ret;
	sw_release_init(&copy);
	if (sw_release_load(e->db, r->app, r->version, &copy) < 0)
		return SW_ERROR;
	e->app = copy.app;
	ret = sw_golive_resume(e, &copy);
	printf("resumed: %s v%d %s%s%s\n", copy.app, copy.version, sw_release_status_name(copy.status),
	       ret < 0 ? " " : "", ret < 0 ? sw_error_last() : "");
	sw_release_release(&copy);
	return 0;
}

int main(int argc, char **argv)
{
	const char *const migrations[] = { sw_tables_migration(1), sw_tables_migration(2), sw_tables_migration(3),
					   sw_tables_migration(4), sw_tables_migration(5), NULL };
	struct sw_settings settings = SW_SETTINGS_INIT;
	struct sw_aws_client *aws = NULL;
	struct sw_runenv e;
	sqlite3 *db = NULL;
	int ret = 2, version = 0;
	const char *cmd;

	if (argc < 3) {
		fprintf(stderr, "usage: sw-release-testtool DB push|rollback|config|scale|resume|releases ...\n");
		return 2;
	}
	sw_cancel_init(&cancel);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	cmd = argv[2];
	if (sw_store_open(&db, argv[1], migrations) < 0 || sw_settings_load(&settings) < 0 ||
	    sw_aws_global_init() < 0 || sw_aws_client_new(&aws, NULL) < 0) {
		printf("result: error %s\n", sw_error_last());
		ret = 1;
		goto done;
	}
	memset(&e, 0, sizeof(e));
	e.db = db;
	e.aws = aws;
	e.settings = &settings;
	e.report = print_line;
	e.cancel = &cancel;
	e.app = argc > 3 ? argv[3] : NULL;
	e.patience_ms = settings.stall_s * 1000LL;   /* as slipwayd's deploys (releaser.c) */

	if (!strcmp(cmd, "push") && argc >= 8) {
		struct sw_manifest m = SW_MANIFEST_INIT;
		struct sw_buf text = SW_BUF_INIT, dockerfile = SW_BUF_INIT;
		struct sw_push p;
		const char *file = strrchr(argv[8 - 1], '/') ? strrchr(argv[8 - 1], '/') + 1 : argv[8 - 1];
		ret = read_file(argv[7], &text);
		if (ret == 0 && argc > 8)
			ret = read_file(argv[8], &dockerfile);
		if (ret == 0) {
			if (!strcmp(file, "Procfile"))
				ret = sw_manifest_parse_procfile(&m, file, text.ptr, text.len, dockerfile.ptr);
			else if (!strcmp(file, "Dockerfile"))
				ret = sw_manifest_parse_dockerfile(&m, text.ptr);
			else
				ret = sw_manifest_parse_compose(&m, file, text.ptr, text.len, dockerfile.ptr);
		}
		sw_push_init(&p);
		if (ret == 0) {
			p.app = xstrdup(argv[3]);
			p.commit = xstrdup(argv[4]);
			p.image = xstrdup(argv[5]);
			p.digest = xstrdup(argv[6]);
			p.manifest = m;   /* the push's now */
			m = (struct sw_manifest)SW_MANIFEST_INIT;
			p.have_manifest = 1;
			p.created_by = xstrdup("testtool");
			ret = sw_deploy_push(&e, &p, &version);
		}
		sw_push_release(&p);
		sw_manifest_release(&m);
		sw_buf_release(&text);
		sw_buf_release(&dockerfile);
	} else if (!strcmp(cmd, "rollback") && argc >= 4) {
		int target = 0, force = 0, i;
		for (i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "--force"))
				force = 1;
			else
				target = atoi(argv[i][0] == 'v' ? argv[i] + 1 : argv[i]);
		}
		ret = sw_deploy_rollback(&e, argv[3], target, force, "testtool", &version);
	} else if (!strcmp(cmd, "config") && argc >= 6) {
		ret = sw_deploy_config(&e, argv[3], !strcmp(argv[4], "unset"), (const char *const *)argv + 5,
				       (size_t)(argc - 5), "testtool", &version);
	} else if (!strcmp(cmd, "scale") && argc >= 5) {
		ret = sw_deploy_scale(&e, argv[3], (const char *const *)argv + 4, (size_t)(argc - 4), "testtool",
				      &version);
	} else if (!strcmp(cmd, "resume")) {
		ret = sw_release_list(db, NULL, 0, resume_one, &e);
	} else if (!strcmp(cmd, "releases") && argc >= 4) {
		ret = sw_release_list(db, argv[3], 0, print_release, NULL);
	} else {
		fprintf(stderr, "sw-release-testtool: bad arguments\n");
		ret = 2;
		goto done;
	}
	if (ret < 0) {
		printf("result: error %s\n", sw_error_last());
		ret = 1;
	} else {
		printf("result: ok v%d\n", version);
		ret = 0;
	}
done:
	fflush(stdout);
	sw_aws_client_free(aws);
	sw_settings_release(&settings);
	if (db)
		sw_store_close(db);
	return ret;
}
