#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/applogs.h"
#include "common/banned.h"

static void stream(const char *name, int want, int version, const char *process, const char *task)
{
	struct sw_buf p = SW_BUF_INIT, t = SW_BUF_INIT;
	int v = -1;

	assert_int_equal(sw_applogs_parse_stream(name, &v, &p, &t), want);
	if (!want) {
		assert_int_equal(v, version);
		assert_string_equal(p.ptr, process);
		assert_string_equal(t.ptr, task);
	}
	sw_buf_release(&p);
	sw_buf_release(&t);
}

/* awslogs names streams PREFIX/CONTAINER/TASK-ID; the releaser's prefix is vN. */
static void stream_names(void **state)
{
	(void)state;
	stream("v7/web/3f2a9c", 0, 7, "web", "3f2a9c");
	stream("v12/release/abc", 0, 12, "release", "abc");
	stream("v1/worker-2/0123456789abcdef0123456789abcdef", 0, 1, "worker-2", "0123456789abcdef0123456789abcdef");
	stream("7/web/x", -1, 0, NULL, NULL);
	stream("v/web/x", -1, 0, NULL, NULL);
	stream("v0/web/x", -1, 0, NULL, NULL);
	stream("v7/web", -1, 0, NULL, NULL);
	stream("v7//x", -1, 0, NULL, NULL);
	stream("v7/web/", -1, 0, NULL, NULL);
	stream("v7/web/x/y", -1, 0, NULL, NULL);
	stream("v99999999999/web/x", -1, 0, NULL, NULL);
	stream(NULL, -1, 0, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
