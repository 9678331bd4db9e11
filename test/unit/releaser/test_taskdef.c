#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/taskdef.h"
#include "common/error.h"
#include "common/banned.h"

#define DIGEST "sha256:9ab3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091"

static void expect_json(json_t *got, const char *file)
{
	json_error_t err;
	json_t *want = json_load_file(file, 0, &err);
	if (!want)
		fail_msg("%s:%d: %s", file, err.line, err.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_INDENT(2));
		fail_msg("%s differs; got:\n%s", file, g);
	}
	json_decref(want);
}

static void web_process(void **state)
{
	struct sw_manifest m;
	struct sw_process *web;
	json_t *config = json_pack("{s:s, s:s}", "GREETING", "from config", "SLIPWAY_APP", "spoofed");
	struct sw_taskdef_opts o;
	json_t *req;
	const char *procfile = "web: httpd -f -p $PORT\n# slipway: port=8080\n";

	sw_manifest_init(&m);
	assert_int_equal(sw_manifest_parse_procfile(&m, "Procfile", procfile, strlen(procfile), NULL), 0);
	web = sw_manifest_web(&m);
	/* manifest defaults; config overrides them; PORT and SLIPWAY_* override both */
	sw_strvec_pushl(&web->env, "GREETING=from manifest", "LANG=C.UTF-8", "PORT=1", NULL);
	sw_strvec_pushl(&web->health.command, "CMD-SHELL", "wget -q -O- http://localhost:8080/check", NULL);
	web->health.interval = 10;
	web->health.retries = 3;
	web->health.start_period = 5;

	memset(&o, 0, sizeof(o));
	o.app = "hello";
	o.version = 7;
	o.proc = web;
	o.image = "127.0.0.1:5000/hello:4f2a1c9";
	o.digest = DIGEST;
	o.config = config;
	o.memory_mb = 512;
	o.log_group = "/slipway/hello";
	o.region = "us-east-1";
	o.execution_role_arn = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";
	req = sw_taskdef_build(&o);
	assert_non_null(req);
	expect_json(req, "test/unit/releaser/data/taskdef_web.json");
	json_decref(req);
	json_decref(config);
	sw_manifest_release(&m);
}

static void worker_process(void **state)
{
	struct sw_manifest m;
	struct sw_process *w;
	struct sw_taskdef_opts o;
	json_t *req;
	sw_manifest_init(&m);
	w = sw_manifest_add(&m, "worker");
	sw_strvec_pushl(&w->entrypoint, "/bin/sh", "-c", NULL);
	sw_strvec_push(&w->command, "exec worker");
	w->workdir = strdup("/app");
	w->user = strdup("nobody");
	w->port = 9000;  /* not web: no port mapping, no PORT */

	memset(&o, 0, sizeof(o));
	o.app = "hello";
	o.version = 12;
	o.proc = w;
	o.image = "registry.example.com:443/team/hello";
	o.digest = DIGEST;
	o.memory_mb = 256;
	o.log_group = "/slipway/hello";
	o.region = "eu-west-1";
	req = sw_taskdef_build(&o);
	assert_non_null(req);
	expect_json(req, "test/unit/releaser/data/taskdef_worker.json");
	json_decref(req);

	o.digest = "sha256:short";
	assert_null(sw_taskdef_build(&o));
	assert_string_equal(sw_error_last(), "'sha256:short' is not an image digest (sha256:<64 hex digits>)");
	o.digest = DIGEST;
	o.memory_mb = 0;
	assert_null(sw_taskdef_build(&o));
	sw_manifest_release(&m);
}

static void pinning(void **state)
{
	static const struct { const char *image, *want; } cases[] = {
		{ "hello", "hello@" DIGEST },
		{ "hello:latest", "hello@" DIGEST },
		{ "127.0.0.1:5000/hello", "127.0.0.1:5000/hello@" DIGEST },
		{ "127.0.0.1:5000/hello:abc", "127.0.0.1:5000/hello@" DIGEST },
		{ "000000000000.dkr.ecr.us-east-1.amazonaws.com/hello:4f2a", "000000000000.dkr.ecr.us-east-1.amazonaws.com/hello@" DIGEST },
		{ "host:5000/a/b:c@sha256:0000", "host:5000/a/b@" DIGEST },
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sw_buf b = SW_BUF_INIT;
		assert_int_equal(sw_taskdef_pin(cases[i].image, DIGEST, &b), 0);
		assert_string_equal(b.ptr, cases[i].want);
		sw_buf_release(&b);
	}
	{
		struct sw_buf b = SW_BUF_INIT;
		assert_int_equal(sw_taskdef_pin("x", "sha256:9AB3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091", &b), SW_EINVAL);
		assert_int_equal(sw_taskdef_pin("x", NULL, &b), SW_EINVAL);
		assert_int_equal(sw_taskdef_pin("", DIGEST, &b), SW_EINVAL);
		sw_taskdef_family("hello", "web", &b);
		assert_string_equal(b.ptr, "hello-web");
		sw_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(web_process),
		cmocka_unit_test(worker_process),
		cmocka_unit_test(pinning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
