#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "receiver/netcheck.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

/* The class of an address given as text (v4 or v6). */
static const char *class_of(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr), 1);
		ss->ss_family = AF_INET6;
	}
	return sw_netcheck_class((struct sockaddr *)ss);
}

static void address_classes(void **state)
{
	static const char *const cases[][2] = {
		{ "127.0.0.1", "loopback" }, { "127.255.1.2", "loopback" }, { "::1", "loopback" },
		{ "169.254.169.254", "link-local" }, { "fe80::1", "link-local" },
		{ "10.1.2.3", "private" }, { "172.16.0.1", "private" }, { "172.31.255.255", "private" },
		{ "192.168.1.1", "private" }, { "fd00::1", "unique-local" }, { "fc12::3", "unique-local" },
		{ "0.0.0.0", "unspecified" }, { "::", "unspecified" }, { "100.64.0.1", "shared (carrier-grade NAT)" },
		{ "224.0.0.1", "multicast" }, { "ff02::1", "multicast" }, { "255.255.255.255", "reserved" },
		{ "::ffff:127.0.0.1", "loopback" }, { "::ffff:10.0.0.1", "private" }, { "64:ff9b::a9fe:a9fe", "link-local" },
		{ "8.8.8.8", NULL }, { "172.32.0.1", NULL }, { "2001:db8::1", NULL }, { "::ffff:8.8.8.8", NULL },
		{ "192.169.0.1", NULL },
	};
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = class_of(cases[i][0], &ss);
		if (cases[i][1])
			assert_string_equal(got ? got : "(none)", cases[i][1]);
		else
			assert_null(got);
	}
}

static void allow_lists(void **state)
{
	struct sockaddr_storage ss;

	class_of("127.0.0.1", &ss);
	assert_true(sw_netcheck_allowed("127.0.0.0/8", (struct sockaddr *)&ss));
	assert_true(sw_netcheck_allowed("10.0.0.0/8, 127.0.0.1/32", (struct sockaddr *)&ss));
	assert_true(sw_netcheck_allowed("*", (struct sockaddr *)&ss));
	assert_false(sw_netcheck_allowed("127.0.0.2/32", (struct sockaddr *)&ss));
	assert_false(sw_netcheck_allowed(NULL, (struct sockaddr *)&ss));
	assert_false(sw_netcheck_allowed("::1/128", (struct sockaddr *)&ss));
	class_of("fd12::5", &ss);
	assert_true(sw_netcheck_allowed("fd00::/8", (struct sockaddr *)&ss));
	assert_false(sw_netcheck_allowed("fd13::/16", (struct sockaddr *)&ss));
	assert_int_equal(sw_netcheck_allow_valid("127.0.0.0/8,fd00::/8"), 0);
	assert_int_equal(sw_netcheck_allow_valid("*"), 0);
	assert_int_equal(sw_netcheck_allow_valid("127.0.0.1"), SW_EINVAL);
	assert_int_equal(sw_netcheck_allow_valid("10.0.0.0/33"), SW_EINVAL);
	assert_int_equal(sw_netcheck_allow_valid("localhost/8"), SW_EINVAL);
}

static void urls(void **state)
{
	struct sw_buf pin = SW_BUF_INIT;

	/* each class refused, by address and by name */
	assert_int_equal(sw_netcheck_url("http://127.0.0.1:9/x", NULL, &pin), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "a loopback address"));
	assert_int_equal(sw_netcheck_url("http://localhost:9/x", NULL, &pin), SW_EINVAL);
	assert_int_equal(sw_netcheck_url("http://[::1]:9/x", NULL, &pin), SW_EINVAL);
	assert_int_equal(sw_netcheck_url("http://169.254.169.254/latest/meta-data/", NULL, &pin), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "link-local"));
	assert_int_equal(sw_netcheck_url("https://10.0.0.1/", NULL, &pin), SW_EINVAL);
	assert_int_equal(sw_netcheck_url("https://[fd00::1]/", NULL, &pin), SW_EINVAL);
	assert_int_equal(sw_netcheck_url("http://2130706433/", NULL, &pin), SW_EINVAL);   /* 127.0.0.1 as a number */
	assert_int_equal(sw_netcheck_url("http://0x7f.1/", NULL, &pin), SW_EINVAL);
	assert_int_equal(sw_netcheck_url("http://user@8.8.8.8/", NULL, &pin), SW_EINVAL);
	/* allowed: an address is connected to as written, a name is pinned */
	assert_int_equal(sw_netcheck_url("http://127.0.0.1:9/x", "127.0.0.0/8", &pin), 0);
	assert_string_equal(pin.ptr ? pin.ptr : "", "");
	assert_int_equal(sw_netcheck_url("http://localhost:9/x", "127.0.0.0/8,::1/128", &pin), 0);
	assert_true(!strcmp(pin.ptr, "localhost:9:127.0.0.1") || !strcmp(pin.ptr, "localhost:9:[::1]"));
	assert_int_equal(sw_netcheck_url("https://8.8.8.8/hook", NULL, &pin), 0);
	assert_int_equal(sw_netcheck_url("ftp://8.8.8.8/", NULL, &pin), SW_EINVAL);
	assert_int_equal(sw_netcheck_url("http://8.8.8.8:99999/", NULL, &pin), SW_EINVAL);
	sw_buf_release(&pin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(address_classes),
		cmocka_unit_test(allow_lists),
		cmocka_unit_test(urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
