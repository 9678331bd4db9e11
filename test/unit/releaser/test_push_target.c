/* The local registry's push target: user AWS and the password scripts/up wrote, or no auth without the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "releaser/push_target.h"
#include "common/error.h"
#include "common/banned.h"

static char home[] = "/tmp/sw-test-push-target.XXXXXX";
static char path[96];

static void write_password(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void local_registry(void **state)
{
	struct sw_push_target t = SW_PUSH_TARGET_INIT;
	char dir[80], big[2000];
	(void)state;

	assert_non_null(mkdtemp(home));
	snprintf(dir, sizeof(dir), "%s/registry", home);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/password", dir);

	assert_int_equal(sw_push_target_local(home, "127.0.0.1:5000", &t), 0);   /* no file: no auth */
	assert_string_equal(t.registry, "127.0.0.1:5000");
	assert_null(t.user);
	assert_null(t.password);

	write_password("0f1e2d3c\n");
	assert_int_equal(sw_push_target_local(home, "127.0.0.1:5001", &t), 0);
	assert_string_equal(t.registry, "127.0.0.1:5001");
	assert_string_equal(t.user, "AWS");
	assert_string_equal(t.password, "0f1e2d3c");   /* the newline is not the password's */

	write_password("\n");
	assert_int_equal(sw_push_target_local(home, "127.0.0.1:5000", &t), SW_ERROR);
	assert_non_null(strstr(sw_error_last(), "registry/password is empty"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_password(big);
	assert_int_equal(sw_push_target_local(home, "127.0.0.1:5000", &t), SW_ERROR);
	assert_non_null(strstr(sw_error_last(), "longer than 1024 bytes"));

	sw_push_target_release(&t);
	assert_null(t.registry);
	unlink(path);
	rmdir(dir);
	rmdir(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(local_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
