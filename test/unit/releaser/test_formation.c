#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/formation.h"
#include "common/error.h"
#include "common/banned.h"

static void manifest(struct sw_manifest *m)
{
	const char *text = "web: a\nworker: b\nrelease: c\n";
	sw_manifest_init(m);
	assert_int_equal(sw_manifest_parse_procfile(m, "Procfile", text, strlen(text), NULL), 0);
}

static void plan_defaults_and_scaled_values(void **state)
{
	struct sw_manifest m;
	struct sw_formation f = SW_FORMATION_INIT, next = SW_FORMATION_INIT, changes = SW_FORMATION_INIT;
	struct sw_buf b = SW_BUF_INIT;
	const char *args[] = { "worker=3:256" };

	manifest(&m);
	m.procs[0].count = 2;        /* as if compose said replicas: 2 */
	m.procs[0].memory_mb = 128;
	sw_formation_plan(&f, &m, NULL, 512);
	assert_int_equal(f.nr, 2);   /* release is not scaled */
	sw_formation_describe(&f, 1, &b);
	assert_string_equal(b.ptr, "web=2:128, worker=1:512");
	sw_buf_reset(&b);

	/* a scale sticks across the next push; unscaled values follow the manifest */
	assert_int_equal(sw_formation_parse(&changes, args, 1), 0);
	assert_int_equal(sw_formation_apply(&f, &changes), 1);
	m.procs[0].count = 4;
	m.procs[1].memory_mb = 1024;
	sw_formation_plan(&next, &m, &f, 512);
	sw_formation_describe(&next, 1, &b);
	assert_string_equal(b.ptr, "web=4:128, worker=3:256");
	sw_buf_reset(&b);
	sw_formation_describe(&next, 0, &b);
	assert_string_equal(b.ptr, "web=4, worker=3");

	sw_buf_release(&b);
	sw_formation_release(&f);
	sw_formation_release(&next);
	sw_formation_release(&changes);
	sw_manifest_release(&m);
}

static void parse_args(void **state)
{
	struct sw_formation c = SW_FORMATION_INIT;
	const char *ok[] = { "web=4", "worker=2:512", "clock=:1g", "x=0", "y=3:1.5g" };
	assert_int_equal(sw_formation_parse(&c, ok, 5), 0);
	assert_int_equal(c.nr, 5);
	assert_int_equal(c.v[0].count, 4);
	assert_int_equal(c.v[0].memory_mb, 0);
	assert_int_equal(c.v[1].count, 2);
	assert_int_equal(c.v[1].memory_mb, 512);
	assert_int_equal(c.v[2].count, -1);
	assert_int_equal(c.v[2].memory_mb, 1024);
	assert_int_equal(c.v[3].count, 0);
	assert_int_equal(c.v[4].memory_mb, 1536);
	sw_formation_release(&c);

	{
		static const struct { const char *arg, *msg; } bad[] = {
			{ "web", "'web': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "web=", "'web=': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "web=x", "'web=x': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "web=-1", "'web=-1': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "web=2:", "'web=2:': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "web=2:0", "'web=2:0': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "web=2:3", "web: memory must be between 6 MB and 1 TB" },
			{ "web=2:lots", "web: 'lots' is not a memory size (like 512m or 1g)" },
			{ "web=101", "web: at most 100 tasks per process type" },
			{ "=3", "'=3': expected process=count[:memory], like web=4 or worker=2:512" },
			{ "a.b=3", "process type 'a.b' must be 1-30 letters, digits, '-' or '_'" },
		};
		size_t i;
		for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
			const char *a[] = { bad[i].arg };
			if (sw_formation_parse(&c, a, 1) != SW_EINVAL)
				fail_msg("'%s' accepted", bad[i].arg);
			if (strcmp(sw_error_last(), bad[i].msg))
				fail_msg("%s: got '%s'", bad[i].arg, sw_error_last());
			assert_int_equal(c.nr, 0);
		}
	}
	{
		const char *twice[] = { "web=1", "web=2" };
		assert_int_equal(sw_formation_parse(&c, twice, 2), SW_EINVAL);
		assert_string_equal(sw_error_last(), "'web' is given twice");
		assert_int_equal(sw_formation_parse(&c, NULL, 0), SW_EINVAL);
	}
}

static void apply_unknown_process(void **state)
{
	struct sw_manifest m;
	struct sw_formation f = SW_FORMATION_INIT, c = SW_FORMATION_INIT;
	const char *args[] = { "web=1", "wrker=2" }, *same[] = { "web=1:512" };
	manifest(&m);
	sw_formation_plan(&f, &m, NULL, 512);
	assert_int_equal(sw_formation_parse(&c, args, 2), 0);
	assert_int_equal(sw_formation_apply(&f, &c), SW_EINVAL);
	assert_string_equal(sw_error_last(), "no process type 'wrker' (this app has web, worker)");
	assert_false(f.v[0].scaled_count);  /* nothing changed */
	sw_formation_release(&c);
	assert_int_equal(sw_formation_parse(&c, same, 1), 0);
	assert_int_equal(sw_formation_apply(&f, &c), 0);   /* same values: nothing to release */
	assert_true(f.v[0].scaled_count);
	sw_formation_release(&c);
	sw_formation_release(&f);
	sw_manifest_release(&m);
}

static void json_round_trip(void **state)
{
	struct sw_formation f = SW_FORMATION_INIT, back = SW_FORMATION_INIT;
	const char *args[] = { "web=2:300", "worker=0" };
	json_t *j, *j2;
	assert_int_equal(sw_formation_parse(&f, args, 2), 0);
	j = sw_formation_to_json(&f);
	assert_int_equal(sw_formation_from_json(&back, j), 0);
	j2 = sw_formation_to_json(&back);
	assert_true(json_equal(j, j2));
	assert_string_equal(back.v[0].process, "web");
	assert_int_equal(back.v[0].memory_mb, 300);
	json_decref(j);
	json_decref(j2);
	sw_formation_release(&back);
	sw_formation_release(&f);
	j = json_pack("{s:{s:s}}", "web", "count", "2");
	assert_int_equal(sw_formation_from_json(&back, j), SW_EINVAL);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_defaults_and_scaled_values),
		cmocka_unit_test(parse_args),
		cmocka_unit_test(apply_unknown_process),
		cmocka_unit_test(json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
