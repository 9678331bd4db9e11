#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/banned.h"

/* What one sw_log() call writes to stderr. */
static void capture(char *out, size_t n, const char *app, const char *msg)
{
	int fds[2], saved = dup(2);
	ssize_t got;

	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], 2);
	sw_log(SW_LOG_INFO, app, 0, "GET %s 404", msg);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	got = read(fds[0], out, n - 1);
	close(fds[0]);
	assert_true(got > 0);
	out[got] = '\0';
}

/* A URL with a newline (a %0a decoded) cannot forge a line of its own. */
static void control_characters_are_escaped(void **state)
{
	char line[512];

	capture(line, sizeof(line), NULL, "/x\n2026-01-01T00:00:00Z info  admin logged in\r\x1b[31m\x7f");
	assert_non_null(strstr(line, "GET /x\\x0a2026-01-01T00:00:00Z info  admin logged in\\x0d\\x1b[31m\\x7f 404\n"));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);   /* one line */
	capture(line, sizeof(line), "he\nllo", "/ok");
	assert_non_null(strstr(line, " he\\x0allo GET /ok 404\n"));
	capture(line, sizeof(line), NULL, "/caf\xc3\xa9 tab\there");   /* UTF-8 stays, a tab does not */
	assert_non_null(strstr(line, "GET /caf\xc3\xa9 tab\\x09here 404\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_characters_are_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
