#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/output.h"
#include "common/banned.h"

static void rel(double then, double now, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_cli_reltime(then, now, &b);
	assert_string_equal(b.ptr, want);
	sw_buf_release(&b);
}

static void relative_times(void **state)
{
	double now = 1795000000.0;   /* 2026-11-18T09:46:40Z */

	(void)state;
	rel(now, now, "just now");
	rel(now - 4.9, now, "just now");
	rel(now - 5, now, "5s ago");
	rel(now - 59, now, "59s ago");
	rel(now - 60, now, "1m ago");
	rel(now - 3599, now, "59m ago");
	rel(now - 3600, now, "1h ago");
	rel(now - 86399, now, "23h ago");
	rel(now - 86400, now, "1d ago");
	rel(now - 29 * 86400, now, "29d ago");
	rel(now - 31 * 86400, now, "2026-10-18");
	rel(now + 300, now, "in 5m");
	rel(now + 2, now, "in 2s");
}

static void render(const struct sw_cli_table *t, int color, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_cli_table_render(t, color, &b);
	assert_string_equal(b.ptr, want);
	sw_buf_release(&b);
}

static void tables(void **state)
{
	struct sw_cli_table t;

	(void)state;
	sw_cli_table_init(&t, "ID", "STATUS", "NOTE", NULL);
	sw_cli_table_add(&t, "1", "succeeded", "");
	sw_cli_table_add(&t, "12", "failed", "no Dockerfile");
	sw_cli_table_add(&t, "3", NULL, "é ok");
	render(&t, 0,
	       "ID  STATUS     NOTE\n"
	       "1   succeeded\n"
	       "12  failed     no Dockerfile\n"
	       "3              é ok\n");
	sw_cli_table_release(&t);

	/* widths count code points, not bytes; control characters never reach the terminal */
	sw_cli_table_init(&t, "A", "B", NULL);
	sw_cli_table_add(&t, "ééé", "x");
	sw_cli_table_add(&t, "a\033[31m", "y\n");
	render(&t, 0,
	       "A       B\n"
	       "ééé     x\n"
	       "a?[31m  y?\n");
	sw_cli_table_release(&t);

	/* colour: headers bold, styled cells wrapped, padding outside the escapes */
	sw_cli_table_init(&t, "N", "S", NULL);
	sw_cli_table_add(&t, "ab", "ok");
	sw_cli_table_style(&t, 1, SW_CLI_GREEN);
	render(&t, 1,
	       "\033[1mN\033[0m   \033[1mS\033[0m\n"
	       "ab  \033[32mok\033[0m\n");
	sw_cli_table_release(&t);

	/* a table without rows renders its headers */
	sw_cli_table_init(&t, "ONE", "TWO", NULL);
	render(&t, 0, "ONE  TWO\n");
	sw_cli_table_release(&t);
	assert_int_equal(sw_cli_width("héllo"), 5);
}

static void styles(void **state)
{
	(void)state;
	assert_int_equal(sw_cli_status_style("succeeded"), SW_CLI_GREEN);
	assert_int_equal(sw_cli_status_style("live"), SW_CLI_GREEN);
	assert_int_equal(sw_cli_status_style("failed"), SW_CLI_RED);
	assert_int_equal(sw_cli_status_style("cancelled"), SW_CLI_RED);
	assert_int_equal(sw_cli_status_style("running"), SW_CLI_YELLOW);
	assert_int_equal(sw_cli_status_style("whatever"), SW_CLI_PLAIN);
	assert_int_equal(sw_cli_status_style(NULL), SW_CLI_PLAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(relative_times),
		cmocka_unit_test(tables),
		cmocka_unit_test(styles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
