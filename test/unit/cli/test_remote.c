#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/remote.h"
#include "common/error.h"
#include "common/banned.h"

static void parse_ok(const char *url, const char *scheme, const char *host, int port, const char *path)
{
	struct sw_cli_url u;
	assert_int_equal(sw_cli_url_parse(url, &u), 0);
	assert_string_equal(u.scheme, scheme);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.path, path);
}

static void urls(void **state)
{
	struct sw_cli_url u;

	(void)state;
	parse_ok("http://127.0.0.1:5480/hello.git", "http", "127.0.0.1", 5480, "/hello.git");
	parse_ok("HTTP://Example.COM/x", "http", "example.com", 80, "/x");
	parse_ok("https://example.com", "https", "example.com", 443, "/");
	parse_ok("http://git:secret@127.0.0.1:5480/hello.git", "http", "127.0.0.1", 5480, "/hello.git");
	parse_ok("http://user:p@ss@host/a", "http", "host", 80, "/a");
	parse_ok("http://localhost:5480/a.git", "http", "127.0.0.1", 5480, "/a.git");
	parse_ok("http://[::1]:5480/a.git?x=1#f", "http", "::1", 5480, "/a.git");
	parse_ok("http://host:/p", "http", "host", 80, "/p");
	assert_int_equal(sw_cli_url_parse("git@github.com:me/hello.git", &u), SW_EINVAL);
	assert_int_equal(sw_cli_url_parse("ssh://git@host/hello.git", &u), SW_EINVAL);
	assert_int_equal(sw_cli_url_parse("/srv/repos/hello.git", &u), SW_EINVAL);
	assert_int_equal(sw_cli_url_parse("http://host:99999/", &u), SW_EINVAL);
	assert_int_equal(sw_cli_url_parse("http://host:5x/", &u), SW_EINVAL);
	assert_int_equal(sw_cli_url_parse("http:///path", &u), SW_EINVAL);
	assert_int_equal(sw_cli_url_parse("http://[::1/x", &u), SW_EINVAL);
}

static void app(const char *server, const char *remote, int want, const char *name)
{
	struct sw_buf b = SW_BUF_INIT;
	assert_int_equal(sw_cli_remote_app(server, remote, &b), want);
	if (!want)
		assert_string_equal(b.ptr, name);
	sw_buf_release(&b);
}

static void remote_apps(void **state)
{
	(void)state;
	app("http://127.0.0.1:5480", "http://127.0.0.1:5480/hello.git", 0, "hello");
	app("http://127.0.0.1:5480", "http://git:TOKEN@127.0.0.1:5480/hello.git", 0, "hello");
	app("http://127.0.0.1:5480", "http://localhost:5480/hello", 0, "hello");
	app("http://127.0.0.1:5480/", "http://127.0.0.1:5480/hello.git/", 0, "hello");
	app("https://deploy.example.com/slipway", "https://deploy.example.com/slipway/web-1.git", 0, "web-1");
	/* another server, scheme or port */
	app("http://127.0.0.1:5480", "http://127.0.0.1:5481/hello.git", SW_ENOTFOUND, NULL);
	app("http://127.0.0.1:5480", "https://127.0.0.1:5480/hello.git", SW_ENOTFOUND, NULL);
	app("http://127.0.0.1:5480", "git@github.com:me/hello.git", SW_ENOTFOUND, NULL);
	/* not an app path */
	app("http://127.0.0.1:5480", "http://127.0.0.1:5480/me/hello.git", SW_ENOTFOUND, NULL);
	app("http://127.0.0.1:5480", "http://127.0.0.1:5480/Hello.git", SW_ENOTFOUND, NULL);
	app("http://127.0.0.1:5480", "http://127.0.0.1:5480/.git", SW_ENOTFOUND, NULL);
	app("https://h/slipway", "https://h/other/hello.git", SW_ENOTFOUND, NULL);
	app("https://h/slipway", "https://h/slipwayx/hello.git", SW_ENOTFOUND, NULL);
	assert_true(sw_cli_app_name_valid("abc"));
	assert_false(sw_cli_app_name_valid("ab"));
	assert_false(sw_cli_app_name_valid("1abc"));
	assert_false(sw_cli_app_name_valid("a234567890123456789012345678901"));
	assert_true(sw_cli_app_name_valid("a23456789012345678901234567890"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urls),
		cmocka_unit_test(remote_apps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
