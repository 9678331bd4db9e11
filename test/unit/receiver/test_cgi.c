#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/cgi.h"
#include "common/error.h"
#include "common/banned.h"

static int parse(struct sw_cgi_head *h, const char *s, size_t *consumed)
{
	return sw_cgi_head_parse(h, s, strlen(s), consumed);
}

static void git_info_refs_head(void **state)
{
	struct sw_cgi_head h = SW_CGI_HEAD_INIT;
	const char *s = "Expires: Fri, 01 Jan 1980 00:00:00 GMT\r\n"
			"Pragma: no-cache\r\n"
			"Cache-Control: no-cache, max-age=0, must-revalidate\r\n"
			"Content-Type: application/x-git-receive-pack-advertisement\r\n"
			"\r\n"
			"001f# service=git-receive-pack\n";
	size_t used = 0;

	assert_int_equal(parse(&h, s, &used), 1);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.headers.nr, 4);
	assert_string_equal(h.headers.v[3], "Content-Type: application/x-git-receive-pack-advertisement");
	assert_string_equal(s + used, "001f# service=git-receive-pack\n");
	sw_cgi_head_release(&h);
}

static void status_header(void **state)
{
	struct sw_cgi_head h = SW_CGI_HEAD_INIT;
	size_t used = 0;

	assert_int_equal(parse(&h, "Status: 404 Not Found\nContent-Type: text/plain\n\nbody", &used), 1);
	assert_int_equal(h.status, 404);
	assert_int_equal(h.headers.nr, 1);
	assert_string_equal(h.headers.v[0], "Content-Type: text/plain");
	assert_int_equal(used, strlen("Status: 404 Not Found\nContent-Type: text/plain\n\n"));

	assert_int_equal(parse(&h, "status:403\n\n", &used), 1);
	assert_int_equal(h.status, 403);
	assert_int_equal(parse(&h, "Location: /x\n\n", &used), 1);
	assert_int_equal(h.status, 302);
	assert_int_equal(parse(&h, "\r\n", &used), 1);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.headers.nr, 0);
	sw_cgi_head_release(&h);
}

static void incomplete_head(void **state)
{
	struct sw_cgi_head h = SW_CGI_HEAD_INIT;
	size_t used = 7;

	assert_int_equal(parse(&h, "", &used), 0);
	assert_int_equal(parse(&h, "Content-Type: text/pl", &used), 0);
	assert_int_equal(parse(&h, "Content-Type: text/plain\r\n", &used), 0);
	assert_int_equal(used, 0);
	sw_cgi_head_release(&h);
}

static void malformed_heads(void **state)
{
	struct sw_cgi_head h = SW_CGI_HEAD_INIT;
	size_t used = 0;

	assert_int_equal(parse(&h, "no colon here\n\n", &used), SW_EINVAL);
	assert_int_equal(parse(&h, ": empty name\n\n", &used), SW_EINVAL);
	assert_int_equal(parse(&h, "Bad Name: x\n\n", &used), SW_EINVAL);
	assert_int_equal(parse(&h, "Status: abc\n\n", &used), SW_EINVAL);
	assert_int_equal(parse(&h, "Status: 99 Low\n\n", &used), SW_EINVAL);
	assert_int_equal(parse(&h, "Status: 2000\n\n", &used), SW_EINVAL);
	/* a bare CR inside a value (found by test/fuzz/fuzz_cgi) */
	assert_int_equal(parse(&h, "eeeeee*%::\rN\n8*%:\xff\n\n", &used), SW_EINVAL);
	assert_int_equal(parse(&h, "X-A: b\rc\r\n\r\n", &used), SW_EINVAL);
	assert_int_equal(h.headers.nr, 0);
	sw_cgi_head_release(&h);
}

static void bounded_head(void **state)
{
	struct sw_cgi_head h = SW_CGI_HEAD_INIT;
	size_t n = SW_CGI_MAX_HEAD + 10, used = 0, i;
	char *big = malloc(n + 1);

	/* one endless header line */
	memcpy(big, "X-Big: ", 7);
	memset(big + 7, 'a', n - 7);
	big[n] = '\0';
	assert_int_equal(sw_cgi_head_parse(&h, big, n, &used), SW_ETOOBIG);

	/* too many headers */
	for (i = 0; i + 6 <= n; i += 6)
		memcpy(big + i, "A: b\r\n", 6);
	assert_int_equal(sw_cgi_head_parse(&h, big, i, &used), SW_ETOOBIG);
	free(big);
	sw_cgi_head_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(git_info_refs_head),
		cmocka_unit_test(status_header),
		cmocka_unit_test(incomplete_head),
		cmocka_unit_test(malformed_heads),
		cmocka_unit_test(bounded_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
