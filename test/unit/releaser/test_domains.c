/* Custom domains' names: normal form, and the one line for an IP, a malformed name, one under the apps domain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/domains.h"
#include "common/error.h"
#include "common/banned.h"

static void check(const char *host, int want, const char *out)
{
	struct sw_buf b = SW_BUF_INIT;
	int r = sw_domains_check(host, "localhost", &b);
	if (r != want)
		fail_msg("%s: %d (%s), want %d", host, r, sw_error_last(), want);
	if (want == 0)
		assert_string_equal(b.ptr, out);
	else
		assert_string_equal(sw_error_last(), out);
	sw_buf_release(&b);
}

static void names_taken(void **state)
{
	(void)state;
	check("www.example.com", 0, "www.example.com");
	check("WWW.Example.COM", 0, "www.example.com");
	check("*.shop.example.com", 0, "*.shop.example.com");
	check("a-b.c0.example", 0, "a-b.c0.example");
}

static void names_refused(void **state)
{
	(void)state;
	check("10.0.0.1", SW_EINVAL, "10.0.0.1 is an IP address: a domain is a host name (www.example.com)");
	check("::1", SW_EINVAL, "::1 is an IP address: a domain is a host name (www.example.com)");
	check("example.com:443", SW_EINVAL, "example.com:443 is an IP address: a domain is a host name (www.example.com)");
	check("nodots", SW_EINVAL, "'nodots' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
	check("bad_name.example", SW_EINVAL,
	      "'bad_name.example' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
	check("-a.example", SW_EINVAL, "'-a.example' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
	check("a..example", SW_EINVAL, "'a..example' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
	check("a.b.123", SW_EINVAL, "'a.b.123' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
	check("", SW_EINVAL, "'' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
	check("web.localhost", SW_EINVAL, "web.localhost is under the apps domain (localhost): slipway names those itself");
	check("localhost", SW_EINVAL, "'localhost' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_taken),
		cmocka_unit_test(names_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
