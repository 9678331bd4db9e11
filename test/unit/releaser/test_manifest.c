#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/manifest.h"
#include "common/error.h"
#include "common/time.h"
#include "common/banned.h"

static int procfile(struct sw_manifest *m, const char *text, const char *dockerfile)
{
	sw_manifest_init(m);
	return sw_manifest_parse_procfile(m, "Procfile", text, strlen(text), dockerfile);
}

static void procfile_processes(void **state)
{
	struct sw_manifest m;
	struct sw_process *web, *worker, *rel;
	assert_int_equal(procfile(&m, "# comment\nweb: bin/web --port $PORT\r\n\n  worker:bin/work\nrelease: bin/migrate\n",
				  "FROM x\nEXPOSE 8080/tcp\n"), 0);
	assert_string_equal(m.source, "Procfile");
	assert_int_equal(m.nr, 3);
	web = sw_manifest_find(&m, "web");
	worker = sw_manifest_find(&m, "worker");
	rel = sw_manifest_find(&m, "release");
	assert_non_null(web);
	assert_non_null(worker);
	assert_non_null(rel);
	assert_ptr_equal(sw_manifest_web(&m), web);
	assert_int_equal(web->command.nr, 3);
	assert_string_equal(web->command.v[0], "/bin/sh");
	assert_string_equal(web->command.v[1], "-c");
	assert_string_equal(web->command.v[2], "bin/web --port $PORT");
	assert_string_equal(worker->command.v[2], "bin/work");
	assert_int_equal(web->port, 8080);   /* from EXPOSE */
	assert_int_equal(worker->port, 0);
	assert_false(worker->web);
	assert_int_equal(web->count, -1);
	assert_int_equal(web->memory_mb, 0);
	assert_string_equal(m.healthcheck_path, "/");
	assert_null(m.warning);
	sw_manifest_release(&m);
}

static void procfile_errors(void **state)
{
	struct sw_manifest m;
	assert_int_equal(procfile(&m, "web: a\njust text\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:2:1: expected 'name: command'");
	assert_null(m.procs);
	assert_int_equal(procfile(&m, "web: a\n  web: b\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:2:3: process type 'web' is defined twice");
	assert_int_equal(procfile(&m, "web:   \n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:1:5: process type 'web' has no command");
	assert_int_equal(procfile(&m, "we.b: x\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(),
			    "Procfile:1:1: process type 'we.b' must be 1-30 letters, digits, '-' or '_'");
	assert_int_equal(procfile(&m, "# nothing\n\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile: no process types (expected lines like 'web: bin/server')");
	assert_int_equal(procfile(&m, "release: x\n", NULL), SW_EINVAL);
	assert_int_equal(procfile(&m, "web: a\0b\n", NULL), 0);  /* strlen stops at the NUL */
	sw_manifest_release(&m);
	sw_manifest_init(&m);
	assert_int_equal(sw_manifest_parse_procfile(&m, "Procfile", "web: a\0b\n", 9, NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile: not a text file (contains NUL bytes)");
}

static void directives(void **state)
{
	struct sw_manifest m;
	assert_int_equal(procfile(&m, "web: x\n# slipway: healthcheck_path=/check port=9000 deadline=2m30s colour=red\n",
				  "# slipway: port=1\n"), 0);
	assert_string_equal(m.healthcheck_path, "/check");
	assert_int_equal(sw_manifest_web(&m)->port, 9000);
	assert_int_equal(m.deadline, 150);
	assert_string_equal(m.warning, "'# slipway:' directive: not supported, ignored: colour");
	sw_manifest_release(&m);

	/* without a directive in the Procfile, the Dockerfile's is read */
	assert_int_equal(procfile(&m, "web: x\n", "FROM a\n# slipway: healthcheck_path=/up\nEXPOSE 3000\n"), 0);
	assert_string_equal(m.healthcheck_path, "/up");
	assert_int_equal(sw_manifest_web(&m)->port, 3000);
	sw_manifest_release(&m);

	assert_int_equal(procfile(&m, "web: x\n#slipway: healthcheck_path=check\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:2: healthcheck_path must be a path starting with '/' "
			    "(no spaces), not 'check'");
	assert_int_equal(procfile(&m, "web: x\n# slipway: port=70000\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:2: port must be 1-65535, not '70000'");
	assert_int_equal(procfile(&m, "web: x\n# slipway: deadline=1s\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:2: deadline must be between 10s and 6h, not 1s");
	assert_int_equal(procfile(&m, "web: x\n# slipway: port\n", NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile:2: expected key=value after '# slipway:', not 'port'");
}

static void dockerfile_only(void **state)
{
	struct sw_manifest m;
	sw_manifest_init(&m);
	assert_int_equal(sw_manifest_parse_dockerfile(&m, "FROM a AS build\nEXPOSE 1234\nFROM b\nexpose 8000 9000\n"), 0);
	assert_int_equal(m.nr, 1);
	assert_string_equal(m.procs[0].name, "web");
	assert_true(m.procs[0].web);
	assert_int_equal(m.procs[0].command.nr, 0);
	assert_int_equal(m.procs[0].port, 8000);
	sw_manifest_release(&m);

	sw_manifest_init(&m);
	assert_int_equal(sw_manifest_parse_dockerfile(&m, "FROM a AS build\nEXPOSE 1234\nFROM b\nEXPOSE $P\n"), 0);
	assert_int_equal(m.procs[0].port, SW_MANIFEST_DEFAULT_PORT);
	sw_manifest_release(&m);
}

static void memory_sizes(void **state)
{
	static const struct { const char *in; long long mib; } ok[] = {
		{ "512m", 512 }, { "512M", 512 }, { "512mb", 512 }, { "512MiB", 512 }, { "1g", 1024 },
		{ "1.5g", 1536 }, { "1GB", 1024 }, { "2048k", 2 }, { "536870912", 512 }, { "1", 1 },
		{ "100b", 1 }, { "0.5 g", 512 }, { "1t", 1024 * 1024 }, { "6m", 6 }, { "1000000", 1 },
	};
	static const char *const bad[] = { "", "m", "12x", "1.2.3g", "-5m", "5 mm", "1gig", "g1", "9999999999999999t" };
	size_t i;
	for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		long long mib = -1;
		assert_int_equal(sw_manifest_parse_memory(ok[i].in, &mib), 0);
		if (mib != ok[i].mib)
			fail_msg("%s: got %lld want %lld", ok[i].in, mib, ok[i].mib);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		long long mib = -1;
		if (sw_manifest_parse_memory(bad[i], &mib) != SW_EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
	assert_string_equal(sw_error_last(), "'9999999999999999t' is not a memory size (like 512m or 1g)");
}

static void durations(void **state)
{
	static const struct { const char *in; long long ms; } ok[] = {
		{ "30s", 30000 }, { "1m30s", 90000 }, { "1h", 3600000 }, { "300ms", 300 }, { "1.5s", 1500 },
		{ "45", 45000 }, { "0", 0 }, { "2h45m", 9900000 }, { "2000us", 2 }, { "10m", 600000 },
	};
	static const char *const bad[] = { "", "s", "10x", "1m30", "-1s", "1 s", "m5" };
	size_t i;
	for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		long long ms = -1;
		assert_int_equal(sw_time_parse_duration(ok[i].in, 0, &ms), 0);
		if (ms != ok[i].ms)
			fail_msg("%s: got %lld want %lld", ok[i].in, ms, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		long long ms = -1;
		if (sw_time_parse_duration(bad[i], 0, &ms) != SW_EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
}

static void names(void **state)
{
	assert_int_equal(sw_manifest_check_name("web"), 0);
	assert_int_equal(sw_manifest_check_name("Worker_2-x"), 0);
	assert_int_equal(sw_manifest_check_name("9lives"), 0);
	assert_int_equal(sw_manifest_check_name("-web"), SW_EINVAL);
	assert_int_equal(sw_manifest_check_name(""), SW_EINVAL);
	assert_int_equal(sw_manifest_check_name("a23456789012345678901234567890"), 0);
	assert_int_equal(sw_manifest_check_name("a234567890123456789012345678901"), SW_EINVAL);
	assert_int_equal(sw_manifest_check_name("w\xc3\xa9" "b"), SW_EINVAL);
	assert_int_equal(sw_manifest_check_name("a/b"), SW_EINVAL);
}

static void json_round_trip(void **state)
{
	struct sw_manifest m, back;
	json_t *j, *j2;
	assert_int_equal(procfile(&m, "web: x\nworker: y\n# slipway: healthcheck_path=/h deadline=60\n", NULL), 0);
	sw_strvec_push(&m.procs[0].env, "A=1");
	sw_strvec_pushl(&m.procs[0].health.command, "CMD", "true", NULL);
	m.procs[0].health.interval = 7;
	m.procs[1].memory_mb = 256;
	m.procs[1].count = 3;
	m.procs[1].user = strdup("app");
	j = sw_manifest_to_json(&m);
	sw_manifest_init(&back);
	assert_int_equal(sw_manifest_from_json(&back, j), 0);
	j2 = sw_manifest_to_json(&back);
	assert_true(json_equal(j, j2));
	assert_string_equal(back.healthcheck_path, "/h");
	assert_int_equal(back.deadline, 60);
	assert_int_equal(back.procs[0].health.interval, 7);
	assert_string_equal(back.procs[1].user, "app");
	assert_true(back.procs[0].web);
	assert_int_equal(back.procs[1].count, 3);
	json_decref(j);
	json_decref(j2);
	sw_manifest_release(&back);
	sw_manifest_release(&m);

	j = json_loads("{\"processes\": [{\"command\": []}]}", 0, NULL);
	sw_manifest_init(&back);
	assert_int_equal(sw_manifest_from_json(&back, j), SW_EINVAL);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procfile_processes),
		cmocka_unit_test(procfile_errors),
		cmocka_unit_test(directives),
		cmocka_unit_test(dockerfile_only),
		cmocka_unit_test(memory_sizes),
		cmocka_unit_test(durations),
		cmocka_unit_test(names),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
