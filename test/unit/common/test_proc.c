#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/proc.h"
#include "common/error.h"
#include "common/banned.h"

static void captures_stdout_and_exit_code(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf out = SW_BUF_INIT, err = SW_BUF_INIT;
	sw_strvec_pushl(&p.args, "sh", "-c", "echo out; echo err >&2; exit 3", NULL);
	assert_int_equal(sw_proc_run(&p, &out, &err), 3);
	assert_string_equal(out.ptr, "out\n");
	assert_string_equal(err.ptr, "err\n");
	sw_proc_release(&p);
	sw_buf_release(&out);
	sw_buf_release(&err);
}

static void argv_is_not_a_shell(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf out = SW_BUF_INIT;
	sw_strvec_pushl(&p.args, "printf", "%s", "a; rm -rf /tmp/nothing $(id)", NULL);
	assert_int_equal(sw_proc_run(&p, &out, NULL), 0);
	assert_string_equal(out.ptr, "a; rm -rf /tmp/nothing $(id)");
	sw_proc_release(&p);
	sw_buf_release(&out);
}

static void env_set_and_unset(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf out = SW_BUF_INIT;
	setenv("SW_TEST_GONE", "x", 1);
	sw_strvec_pushl(&p.args, "sh", "-c", "echo \"$SW_A|${SW_TEST_GONE-unset}\"", NULL);
	sw_strvec_pushl(&p.env, "SW_A=1 2", "SW_TEST_GONE", NULL);
	assert_int_equal(sw_proc_run(&p, &out, NULL), 0);
	assert_string_equal(out.ptr, "1 2|unset\n");
	sw_proc_release(&p);
	sw_buf_release(&out);
}

static void missing_program_is_an_error(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	sw_strvec_push(&p.args, "/nonexistent/slipway-no-such-program");
	assert_true(sw_proc_start(&p) < 0);
	assert_non_null(strstr(sw_error_last(), "cannot run /nonexistent/slipway-no-such-program"));
	sw_proc_release(&p);
}

static void no_fd_leaks_into_child(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf out = SW_BUF_INIT;
	int fd = open("/dev/null", O_RDONLY); /* deliberately not O_CLOEXEC */
	assert_true(fd > 2);
	sw_strvec_pushl(&p.args, "sh", "-c", "ls /proc/self/fd | wc -l", NULL);
	assert_int_equal(sw_proc_run(&p, &out, NULL), 0);
	/* 0, 1, 2 and the fd ls opens on /proc/self/fd */
	assert_int_equal(atoi(out.ptr), 4);
	close(fd);
	sw_proc_release(&p);
	sw_buf_release(&out);
}

static void output_cap_is_enforced(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf out;
	sw_buf_init(&out, 1000);
	sw_strvec_pushl(&p.args, "sh", "-c", "yes | head -c 100000", NULL);
	assert_int_equal(sw_proc_run(&p, &out, NULL), SW_ETOOBIG);
	assert_true(out.len <= 1000);
	sw_proc_release(&p);
	sw_buf_release(&out);
}

static void pipes_both_ways(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	char buf[64];
	ssize_t n;
	int code;
	sw_strvec_pushl(&p.args, "tr", "a-z", "A-Z", NULL);
	p.in = SW_PROC_PIPE;
	p.out = SW_PROC_PIPE;
	assert_int_equal(sw_proc_start(&p), 0);
	assert_int_equal(write(p.in, "hello", 5), 5);
	close(p.in);
	n = read(p.out, buf, sizeof(buf) - 1);
	assert_int_equal(n, 5);
	buf[n] = 0;
	assert_string_equal(buf, "HELLO");
	close(p.out);
	assert_int_equal(sw_proc_wait(&p, &code), 0);
	assert_int_equal(code, 0);
	sw_proc_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(captures_stdout_and_exit_code),
		cmocka_unit_test(argv_is_not_a_shell),
		cmocka_unit_test(env_set_and_unset),
		cmocka_unit_test(missing_program_is_an_error),
		cmocka_unit_test(no_fd_leaks_into_child),
		cmocka_unit_test(output_cap_is_enforced),
		cmocka_unit_test(pipes_both_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
