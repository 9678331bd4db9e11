#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "builder/dockerfile.h"
#include "common/error.h"
#include "common/banned.h"

static int check(const char *text)
{
	return sw_dockerfile_check(text, strlen(text));
}

static void refused(void **state)
{
	static const char *const bad[] = {
		"FROM x\nADD http://127.0.0.1:5482/ /a\n",
		"FROM x\nadd https://example.com/f.tgz /a\n",
		"FROM x\nADD --chown=1:1 --checksum=sha256:00 http://127.0.0.1/x /a\n",
		"FROM x\nADD [\"http://127.0.0.1/x\", \"/a\"]\n",
		"FROM x\nADD /ok \\\n  HTTP://127.0.0.1/x \\\n  /a\n",                 /* continuation, any case */
		"FROM x\nADD \\\n# a comment in the middle\n\n http://127.0.0.1/x /a\n",   /* comments, empty lines */
		"# escape=`\nFROM x\nADD `\n http://127.0.0.1/x /a\n",                   /* another escape char */
		"FROM x\nARG U=http://127.0.0.1:5000/v2/\nADD $U /a\n",
		"FROM x\nARG H=127.0.0.1\nADD http://${H}/x /a\n",
		"FROM x\nENV U http://127.0.0.1/\nADD ${U}x /a\n",
		"FROM x\nADD ${FROM_THE_BASE_IMAGE} /a\n",                              /* not set here */
		"FROM x\nADD ${U:-http://127.0.0.1/} /a\n",
		"FROM x\nONBUILD ADD http://127.0.0.1/ /a\n",
		"FROM x\nADD git@github.com:org/repo.git /a\n",
		"FROM x\nRUN cat <<EOF >/f\nADD http://127.0.0.1/ /a\nEOF\n",          /* classic builds read it as a line */
		"FROM x\r\nADD http://127.0.0.1/ /a\r\n",
		"FROM x\nADD http://127.0.0.1/ /a",                                       /* no newline at the end */
		NULL,
	};
	size_t i;

	for (i = 0; bad[i]; i++) {
		if (check(bad[i]) != SW_EINVAL)
			fail_msg("not refused: %s", bad[i]);
		assert_null(strchr(sw_error_last(), '\n'));
		assert_int_equal(strncmp(sw_error_last(), "Dockerfile line ", 16), 0);
	}
	assert_int_equal(check(bad[4]), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "line 2: ADD from a URL"));
	assert_int_equal(check("FROM x\n\n\nADD http://h/ /a\n"), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "line 4:"));
}

static void allowed(void **state)
{
	static const char *const good[] = {
		"FROM x\nCOPY . /app\nADD app.tar.gz /srv/\n",
		"FROM x\nADD --chown=app:app a b /dst/\n",
		"FROM x\nADD [\"a b\", \"/dst\"]\n",
		"FROM x\nARG V=1.2\nADD app-${V}.tgz /a\n",
		"FROM x\nARG V\nADD app-$V.tgz /a\n",                     /* no default: empty */
		"FROM x\nRUN wget -O /x http://example.com/x   # a RUN may\n",
		"FROM x\n# ADD http://127.0.0.1/ /a\nCOPY a /a\n",        /* a comment */
		"FROM x\nCOPY http:/not-a-url /a\n",
		"FROM x\nADD \\$HOME/x /a\n",                             /* an escaped $ */
		"",
		NULL,
	};
	size_t i;

	for (i = 0; good[i]; i++)
		if (check(good[i]) != 0)
			fail_msg("refused: %s (%s)", good[i], sw_error_last());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused),
		cmocka_unit_test(allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
