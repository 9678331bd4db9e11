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
#include "common/banned.h"

static int compose(struct sw_manifest *m, const char *text)
{
	sw_manifest_init(m);
	return sw_manifest_parse_compose(m, "docker-compose.yml", text, strlen(text), "FROM x\nEXPOSE 9999\n");
}

/* Parse text, expect failure with exactly msg. */
static void expect_error(const char *text, const char *msg)
{
	struct sw_manifest m;
	int ret = compose(&m, text);
	if (ret >= 0)
		fail_msg("accepted:\n%s", text);
	if (strcmp(sw_error_last(), msg))
		fail_msg("got  '%s'\nwant '%s'", sw_error_last(), msg);
	assert_null(m.procs);
	assert_null(m.source);
}

static void full_service(void **state)
{
	struct sw_manifest m;
	struct sw_process *web, *worker;
	const char *yml =
		"version: '3.8'\n"
		"x-common: &common\n"
		"  environment:\n"
		"    SHARED: 'yes'\n"
		"services:\n"
		"  web:\n"
		"    <<: *common\n"
		"    build: .\n"
		"    image: hello:latest\n"
		"    command: [\"httpd\", \"-f\", \"-p\", \"8080\"]\n"
		"    environment:\n"
		"      GREETING: hello world\n"
		"      COUNT: 3\n"
		"      EMPTY: ''\n"
		"      FROM_HOST:\n"
		"    ports:\n"
		"      - \"127.0.0.1:80:8080/tcp\"\n"
		"    deploy:\n"
		"      replicas: 2\n"
		"      resources:\n"
		"        limits: {memory: 512M, cpus: '0.5'}\n"
		"      restart_policy: {condition: on-failure}\n"
		"    healthcheck:\n"
		"      test: [\"CMD\", \"wget\", \"-q\", \"-O-\", \"http://localhost:8080/\"]\n"
		"      interval: 10s\n"
		"      timeout: 1s\n"
		"      retries: 5\n"
		"      start_period: 1m\n"
		"    volumes: [\"./data:/data\"]\n"
		"  worker:\n"
		"    build:\n"
		"      context: .\n"
		"      args: {A: b}\n"
		"    entrypoint: /bin/sh -c\n"
		"    command: \"echo 'a b' \\\"c\\\\\\\" d\\\" e\\\\ f $$HOME\"\n"
		"    environment: [\"A=1\", \"B=x=y\", \"NOVALUE\"]\n"
		"    mem_limit: 1g\n"
		"    working_dir: /app\n"
		"    user: nobody\n"
		"  db:\n"
		"    image: postgres\n"
		"x-slipway:\n"
		"  healthcheck_path: /check\n"
		"  deadline: 5m\n"
		"volumes:\n"
		"  data: {}\n";

	assert_int_equal(compose(&m, yml), 0);
	assert_string_equal(m.source, "docker-compose.yml");
	assert_int_equal(m.nr, 2);
	web = sw_manifest_find(&m, "web");
	worker = sw_manifest_find(&m, "worker");
	assert_non_null(web);
	assert_non_null(worker);
	assert_true(web->web);
	assert_false(worker->web);
	assert_int_equal(web->port, 8080);
	assert_int_equal(web->count, 2);
	assert_int_equal(web->memory_mb, 512);
	assert_int_equal(web->command.nr, 4);
	assert_string_equal(web->command.v[3], "8080");
	assert_int_equal(web->env.nr, 3);  /* the explicit environment replaces the merged one */
	assert_string_equal(web->env.v[0], "GREETING=hello world");
	assert_string_equal(web->env.v[1], "COUNT=3");
	assert_string_equal(web->env.v[2], "EMPTY=");
	assert_int_equal(web->health.command.nr, 5);
	assert_string_equal(web->health.command.v[0], "CMD");
	assert_string_equal(web->health.command.v[4], "http://localhost:8080/");
	assert_int_equal(web->health.interval, 10);
	assert_int_equal(web->health.timeout, 2);     /* raised to ECS's minimum */
	assert_int_equal(web->health.retries, 5);
	assert_int_equal(web->health.start_period, 60);

	assert_int_equal(worker->entrypoint.nr, 2);
	assert_string_equal(worker->entrypoint.v[0], "/bin/sh");
	assert_string_equal(worker->entrypoint.v[1], "-c");
	assert_int_equal(worker->command.nr, 5);
	assert_string_equal(worker->command.v[0], "echo");
	assert_string_equal(worker->command.v[1], "a b");
	assert_string_equal(worker->command.v[2], "c\" d");
	assert_string_equal(worker->command.v[3], "e f");
	assert_string_equal(worker->command.v[4], "$HOME");
	assert_int_equal(worker->env.nr, 2);
	assert_string_equal(worker->env.v[1], "B=x=y");
	assert_int_equal(worker->memory_mb, 1024);
	assert_int_equal(worker->count, -1);
	assert_string_equal(worker->workdir, "/app");
	assert_string_equal(worker->user, "nobody");

	assert_string_equal(m.healthcheck_path, "/check");
	assert_int_equal(m.deadline, 300);
	assert_string_equal(m.warning,
		"docker-compose.yml: not supported, ignored: "
		"volumes, "
		"services.web.environment.FROM_HOST (no value: set it with slipway config:set), "
		"services.web.deploy.resources.limits.cpus, "
		"services.web.deploy.restart_policy, "
		"services.web.healthcheck.timeout 1s (ECS's minimum 2s used), "
		"services.web.volumes, "
		"services.worker.build.args, "
		"services.worker.environment.NOVALUE (no value: set it with slipway config:set), "
		"services.db (no build: only services built from this repository run)");
	sw_manifest_release(&m);
}

static void web_selection(void **state)
{
	struct sw_manifest m;
	/* no service named web: the only one with ports */
	assert_int_equal(compose(&m, "services:\n  app:\n    build: .\n    ports: [3000]\n  jobs:\n    build: ./\n"), 0);
	assert_true(sw_manifest_find(&m, "app")->web);
	assert_int_equal(sw_manifest_web(&m)->port, 3000);
	assert_false(sw_manifest_find(&m, "jobs")->web);
	assert_null(m.warning);
	sw_manifest_release(&m);

	/* a web with no ports: expose, else the Dockerfile's EXPOSE */
	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    expose: ['4000']\n"), 0);
	assert_int_equal(sw_manifest_web(&m)->port, 4000);
	sw_manifest_release(&m);
	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n"), 0);
	assert_int_equal(sw_manifest_web(&m)->port, 9999);
	sw_manifest_release(&m);

	/* ports on other services are named */
	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n  admin:\n    build: .\n    ports: ['81:81']\n"), 0);
	assert_string_equal(m.warning, "docker-compose.yml: not supported, ignored: services.admin.ports "
			    "(only the web process is routed)");
	sw_manifest_release(&m);

	/* several ports on web: the first is routed */
	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    ports: ['80:8080', {target: 9090, published: 90}]\n"), 0);
	assert_int_equal(sw_manifest_web(&m)->port, 8080);
	assert_string_equal(m.warning, "docker-compose.yml: not supported, ignored: services.web.ports after "
			    "the first (8080 is routed)");
	sw_manifest_release(&m);

	/* a release service is not web even with ports */
	assert_int_equal(compose(&m, "services:\n  release:\n    build: .\n    ports: [1]\n  worker:\n    build: .\n"), 0);
	assert_null(sw_manifest_web(&m));
	sw_manifest_release(&m);

	expect_error("services:\n  a:\n    build: .\n    ports: [1]\n  b:\n    build: .\n    ports: [2]\n",
		     "docker-compose.yml:1:1: several services publish ports; name the one that serves HTTP 'web'");
}

static void healthchecks(void **state)
{
	struct sw_manifest m;
	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    healthcheck:\n      test: curl -f localhost\n"
				     "      interval: 1m30s\n      retries: 0\n"), 0);
	assert_int_equal(m.procs[0].health.command.nr, 2);
	assert_string_equal(m.procs[0].health.command.v[0], "CMD-SHELL");
	assert_string_equal(m.procs[0].health.command.v[1], "curl -f localhost");
	assert_int_equal(m.procs[0].health.interval, 90);
	assert_int_equal(m.procs[0].health.retries, 1);
	sw_manifest_release(&m);

	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    healthcheck:\n      test: [CMD-SHELL, curl, -f, x]\n"), 0);
	assert_int_equal(m.procs[0].health.command.nr, 2);
	assert_string_equal(m.procs[0].health.command.v[1], "curl -f x");
	sw_manifest_release(&m);

	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    healthcheck:\n      test: [NONE]\n"), 0);
	assert_int_equal(m.procs[0].health.command.nr, 0);
	sw_manifest_release(&m);

	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    healthcheck:\n      test: [CMD, 'true']\n      disable: true\n"), 0);
	assert_int_equal(m.procs[0].health.command.nr, 0);
	sw_manifest_release(&m);

	assert_int_equal(compose(&m, "services:\n  web:\n    build: .\n    healthcheck:\n      interval: 10m\n"), 0);
	assert_int_equal(m.procs[0].health.command.nr, 0);
	assert_string_equal(m.warning, "docker-compose.yml: not supported, ignored: services.web.healthcheck.interval "
			    "10m (ECS's maximum 300s used), services.web.healthcheck without test");
	sw_manifest_release(&m);

	expect_error("services:\n  web:\n    build: .\n    healthcheck:\n      test: [curl, x]\n",
		     "docker-compose.yml:5:13: healthcheck.test must start with CMD, CMD-SHELL or NONE");
	expect_error("services:\n  web:\n    build: .\n    healthcheck:\n      test: [CMD]\n",
		     "docker-compose.yml:5:13: healthcheck.test has no command after CMD");
	expect_error("services:\n  web:\n    build: .\n    healthcheck:\n      interval: soon\n",
		     "docker-compose.yml:5:17: healthcheck.interval: 'soon' is not a duration (like 30s, 1m30s or 2h)");
	expect_error("services:\n  web:\n    build: .\n    healthcheck:\n      disable: maybe\n",
		     "docker-compose.yml:5:16: healthcheck.disable must be true or false");
}

static void builds(void **state)
{
	struct sw_manifest m;
	assert_int_equal(compose(&m, "services:\n  web:\n    build: {context: ., dockerfile: Dockerfile}\n"
				     "  api:\n    build: ./api\n  other:\n    build: {dockerfile: Dockerfile.dev}\n"), 0);
	assert_int_equal(m.nr, 1);
	assert_string_equal(m.warning, "docker-compose.yml: not supported, ignored: "
			    "services.api (builds './api': only the root Dockerfile is built), "
			    "services.other (builds 'Dockerfile.dev': only the root Dockerfile is built)");
	sw_manifest_release(&m);

	expect_error("services:\n  db:\n    image: postgres\n",
		     "docker-compose.yml:1:1: no service builds the pushed tree (expected 'build: .')");
	expect_error("services:\n  web.app:\n    build: .\n",
		     "docker-compose.yml:2:3: process type 'web.app' must be 1-30 letters, digits, '-' or '_'");
	expect_error("services:\n  release:\n    build: .\n",
		     "docker-compose.yml:1:1: only a release service; add a web or another service");
}

static void errors_have_positions(void **state)
{
	expect_error("", "docker-compose.yml: empty file (expected a 'services:' mapping)");
	expect_error("- a\n- b\n", "docker-compose.yml:1:1: the file must be a mapping, not a list");
	expect_error("version: '3'\n", "docker-compose.yml:1:1: no 'services:' mapping");
	expect_error("services: [web]\n", "docker-compose.yml:1:11: services must be a mapping, not a list");
	expect_error("services:\n  web:\n    build: .\n   image: x\n",
		     "docker-compose.yml:4:4: did not find expected key while parsing a block mapping");
	expect_error("services:\n  web:\n    build: .\n    command: \"unclosed\n",
		     "docker-compose.yml:5:1: found unexpected end of stream while scanning a quoted scalar");
	expect_error("services:\n  web:\n    build: .\n  web:\n    build: .\n",
		     "docker-compose.yml:4:3: 'web' is defined twice");
	expect_error("services:\n  web:\n    build: .\n    deploy:\n      replicas: two\n",
		     "docker-compose.yml:5:17: deploy.replicas must be a whole number, not 'two'");
	expect_error("services:\n  web:\n    build: .\n    deploy:\n      replicas: 5000\n",
		     "docker-compose.yml:5:17: deploy.replicas must be between 0 and 1000, not 5000");
	expect_error("services:\n  web:\n    build: .\n    deploy:\n      replicas: [1]\n",
		     "docker-compose.yml:5:17: deploy.replicas must be a whole number, not a list");
	expect_error("services:\n  web:\n    build: .\n    mem_limit: lots\n",
		     "docker-compose.yml:4:16: mem_limit: 'lots' is not a memory size (like 512m or 1g)");
	expect_error("services:\n  web:\n    build: .\n    mem_limit: 4m\n",
		     "docker-compose.yml:4:16: mem_limit 4m is below ECS's minimum of 6 MB");
	expect_error("services:\n  web:\n    build: .\n    ports: ['8000-8010:8000-8010']\n",
		     "docker-compose.yml:4:13: port ranges ('8000-8010:8000-8010') are not supported; give one container port");
	expect_error("services:\n  web:\n    build: .\n    ports: ['53:53/udp']\n",
		     "docker-compose.yml:4:13: only tcp ports can be routed, not '53:53/udp'");
	expect_error("services:\n  web:\n    build: .\n    ports: ['http']\n",
		     "docker-compose.yml:4:13: 'http' is not a port mapping like \"8080\" or \"80:8080\"");
	expect_error("services:\n  web:\n    build: .\n    ports: 80\n",
		     "docker-compose.yml:4:12: ports must be a list, not a scalar");
	expect_error("services:\n  web:\n    build: .\n    command: \"a 'b\"\n",
		     "docker-compose.yml:4:14: unclosed ' quote in 'a 'b'");
	expect_error("services:\n  web:\n    build: .\n    command: {a: b}\n",
		     "docker-compose.yml:4:14: command must be a string or a list, not a mapping");
	expect_error("services:\n  web:\n    build: .\n    environment:\n      'A B': x\n",
		     "docker-compose.yml:5:7: 'A B' is not a valid environment variable name");
	expect_error("services:\n  web:\n    build: .\n    environment: ['=x']\n",
		     "docker-compose.yml:4:19: '=x' is not NAME=value");
	expect_error("services:\n  web:\n    build: .\n    environment:\n      A: [1]\n",
		     "docker-compose.yml:5:10: an environment value must be a string, not a list");
	expect_error("services:\n  web:\n    build: .\n    user: {a: 1}\n",
		     "docker-compose.yml:4:11: user must be a string, not a mapping");
	expect_error("services:\n  web:\n    build: .\n    <<: 3\n",
		     "docker-compose.yml:4:9: '<<' merges mappings only");
	expect_error("services:\n  ? [a]\n  : {build: .}\n",
		     "docker-compose.yml:2:5: mapping keys must be plain strings");
	expect_error("services:\n  web:\n    build: .\nx-slipway:\n  healthcheck_path: nope\n",
		     "docker-compose.yml:5:21: healthcheck_path must be a path starting with '/' (no spaces), not 'nope'");
	expect_error("services:\n  web:\n    build: .\nx-slipway:\n  deadline: forever\n",
		     "docker-compose.yml:5:13: deadline: 'forever' is not a duration (like 30s, 1m30s or 2h)");
	expect_error("services:\n  web: *nothing\n", "docker-compose.yml:2:8: found undefined alias");
	expect_error("services:\n  web:\n    build: .\n\t\n", "docker-compose.yml:4:1: found a tab character that violates indentation while scanning a plain scalar");
}

/* x-slipway's deployment strategy keys, kept as given; a bad one is one line naming it */
static void strategy_keys(void **state)
{
	struct sw_manifest m;
	const char *yml = "services:\n  web:\n    build: .\n"
			  "x-slipway: {strategy: canary, canary_percent: 10, bake: 2m}\n";
	json_t *back;
	struct sw_manifest again = SW_MANIFEST_INIT;
	(void)state;

	assert_int_equal(compose(&m, yml), 0);
	assert_null(m.warning);
	assert_string_equal(json_string_value(json_object_get(m.strategy, "strategy")), "canary");
	assert_string_equal(json_string_value(json_object_get(m.strategy, "canary_percent")), "10");
	assert_string_equal(json_string_value(json_object_get(m.strategy, "bake")), "2m");
	back = sw_manifest_to_json(&m);
	assert_int_equal(sw_manifest_from_json(&again, back), 0);
	assert_true(json_equal(again.strategy, m.strategy));
	json_decref(back);
	sw_manifest_release(&again);
	sw_manifest_release(&m);
	expect_error("services:\n  web:\n    build: .\nx-slipway:\n  strategy: blue_green\n",
		     "docker-compose.yml:5:13: strategy must be rolling, blue-green, linear or canary, not 'blue_green'");
	expect_error("services:\n  web:\n    build: .\nx-slipway:\n  bake: 90s\n",
		     "docker-compose.yml:5:9: bake must be whole minutes from 0 to 24h (like 2m or 1h), not '90s'");
	expect_error("services:\n  web:\n    build: .\nx-slipway:\n  canary_percent: 0.05\n",
		     "docker-compose.yml:5:19: canary_percent must be 0.1 to 100 in steps of 0.1, not '0.05'");
}

static void billion_laughs_is_bounded(void **state)
{
	/* aliases share nodes in libyaml's document: this must neither explode nor loop */
	struct sw_manifest m;
	const char *yml =
		"x-a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"services:\n  web:\n    build: .\n    x-boom: *d\n";
	assert_int_equal(compose(&m, yml), 0);
	sw_manifest_release(&m);

	{
		char *big = malloc(SW_MANIFEST_MAX_FILE + 2);
		memset(big, '#', SW_MANIFEST_MAX_FILE + 1);
		big[SW_MANIFEST_MAX_FILE + 1] = '\0';
		expect_error(big, "docker-compose.yml is larger than 256 KB");
		free(big);
	}
}

static void merges_and_anchors(void **state)
{
	struct sw_manifest m;
	const char *yml =
		"x-base: &base\n"
		"  build: .\n"
		"  environment: {A: base, B: base}\n"
		"  deploy: {replicas: 3}\n"
		"x-more: &more\n"
		"  mem_limit: 256m\n"
		"services:\n"
		"  web:\n"
		"    <<: [*base, *more]\n"
		"    environment: {A: web}\n"
		"  worker: *base\n";
	assert_int_equal(compose(&m, yml), 0);
	assert_int_equal(m.nr, 2);
	assert_int_equal(m.procs[0].env.nr, 1);   /* the explicit key wins over the merged one */
	assert_string_equal(m.procs[0].env.v[0], "A=web");
	assert_int_equal(m.procs[0].count, 3);
	assert_int_equal(m.procs[0].memory_mb, 256);
	assert_int_equal(m.procs[1].count, 3);
	assert_int_equal(m.procs[1].env.nr, 2);
	sw_manifest_release(&m);
}

/* Damaged files (a fixed pseudo-random schedule): an error line or a manifest, never a crash. */
static void mutations_never_crash(void **state)
{
	static const char seed[] =
		"x-a: &a\n  environment: {A: b}\nservices:\n  web:\n    <<: *a\n    build: {context: ., args: {X: y}}\n"
		"    command: [\"sh\", \"-c\", \"echo $$HOME\"]\n    ports: [\"80:8080/tcp\", {target: 9090}]\n"
		"    deploy: {replicas: 2, resources: {limits: {memory: 512M}}}\n"
		"    healthcheck: {test: [CMD-SHELL, curl], interval: 1m30s, retries: 3}\n"
		"  worker:\n    build: .\n    environment: [A=1, B]\n    mem_limit: 1g\n"
		"x-slipway: {healthcheck_path: /x, deadline: 5m}\n";
	static const char alphabet[] = " \n\t:-[]{}&*!|>'\"#%@`,?<=$.abcxyz0129";
	unsigned state_ = 12345;
	int i, parsed = 0;
	for (i = 0; i < 3000; i++) {
		char buf[sizeof(seed) + 16];
		size_t len = sizeof(seed) - 1, k, muts;
		struct sw_manifest m;
		memcpy(buf, seed, sizeof(seed));
		state_ = state_ * 1103515245u + 12345u;
		muts = 1 + (state_ >> 16) % 5;
		for (k = 0; k < muts; k++) {
			size_t at;
			state_ = state_ * 1103515245u + 12345u;
			at = (state_ >> 8) % len;
			if ((state_ >> 4) % 2)
				buf[at] = alphabet[(state_ >> 20) % (sizeof(alphabet) - 1)];
			else {
				memmove(buf + at, buf + at + 1, len - at);
				len--;
			}
		}
		sw_manifest_init(&m);
		if (sw_manifest_parse_compose(&m, "docker-compose.yml", buf, len, NULL) == 0) {
			parsed++;
			assert_non_null(m.healthcheck_path);
		} else {
			assert_null(m.procs);
			assert_non_null(strstr(sw_error_last(), "docker-compose.yml"));
		}
		sw_manifest_release(&m);
	}
	assert_true(parsed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_service),
		cmocka_unit_test(web_selection),
		cmocka_unit_test(healthchecks),
		cmocka_unit_test(builds),
		cmocka_unit_test(errors_have_positions),
		cmocka_unit_test(strategy_keys),
		cmocka_unit_test(billion_laughs_is_bounded),
		cmocka_unit_test(merges_and_anchors),
		cmocka_unit_test(mutations_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
