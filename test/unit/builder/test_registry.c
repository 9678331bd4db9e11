/* The registry's spec (host:port, an optional scheme), Docker's X-Registry-Auth value, an unreachable registry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "builder/registry.h"
#include "common/error.h"
#include "common/http.h"
#include "common/banned.h"

static void specs(void **state)
{
	static const char *const good[] = { "127.0.0.1:5000", "localhost:5000", "http://127.0.0.1:5000",
					    "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "[::1]:5000" };
	static const char *const bad[] = { "", "http://", "host/path:5000", "host:5000 ", "user@host" };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (sw_registry_check(good[i]) < 0)
			fail_msg("'%s' refused: %s", good[i], sw_error_last());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sw_registry_check(bad[i]), SW_EINVAL);
	assert_string_equal(sw_error_last(), "bad registry \"user@host\": want host:port");
	assert_int_equal(sw_registry_check(NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "no registry given");
	assert_string_equal(sw_registry_host("https://ecr.example.com:443"), "ecr.example.com:443");
	assert_string_equal(sw_registry_host("http://127.0.0.1:5000"), "127.0.0.1:5000");
	assert_string_equal(sw_registry_host("127.0.0.1:5000"), "127.0.0.1:5000");
}

/* base64url of the JSON Docker wants; "{}" when anonymous. */
static void docker_auth(void **state)
{
	struct sw_registry anon = { "127.0.0.1:5000", NULL, NULL, NULL };
	struct sw_registry ecr = { "https://ecr.example.com", "AWS", "~~~?\?\?>>>", NULL };
	struct sw_buf b = SW_BUF_INIT;
	(void)state;

	sw_registry_docker_auth(&anon, &b);
	assert_string_equal(b.ptr, "e30=");   /* {} */
	sw_buf_reset(&b);
	sw_registry_docker_auth(&ecr, &b);
	/* {"username":"AWS","password":"~~~?\?\?>>>","serveraddress":"ecr.example.com"}, whose base64
	 * has a '+' and a '/', made url-safe ('-', '_') */
	assert_string_equal(b.ptr, "eyJ1c2VybmFtZSI6IkFXUyIsInBhc3N3b3JkIjoifn5-Pz8_Pj4-Iiwic2VydmVyYWRkcmVzcyI6ImVjci5l"
				   "eGFtcGxlLmNvbSJ9");
	assert_null(strchr(b.ptr, '+'));
	assert_null(strchr(b.ptr, '/'));
	sw_buf_release(&b);
}

/* A port nobody listens on: SW_EUNAVAIL naming the registry, nothing found. */
static void unreachable(void **state)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char spec[32];
	struct sw_registry r = { spec, NULL, NULL, NULL };
	char *digest = NULL;
	long long size = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)state;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);   /* the port was free a moment ago and nothing listens on it */
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", ntohs(a.sin_port));
	assert_int_equal(sw_http_global_init(), 0);
	assert_int_equal(sw_registry_lookup(&r, "hello", "latest", &digest, &size), SW_EUNAVAIL);
	assert_non_null(strstr(sw_error_last(), "cannot reach the registry at 127.0.0.1:"));
	assert_null(digest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(specs),
		cmocka_unit_test(docker_auth),
		cmocka_unit_test(unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
