#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/formation.h"
#include "releaser/fargate.h"
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
	assert_int_equal(c.v[4].cpu, 0);
	assert_false(c.v[4].scaled_cpu);
	sw_formation_release(&c);
	{
		/* count, memory and CPU units; memory and CPU; CPU alone */
		const char *three[] = { "web=2:1024:512", "worker=:2g:1024", "clock=::256" };
		assert_int_equal(sw_formation_parse(&c, three, 3), 0);
		assert_int_equal(c.v[0].count, 2);
		assert_int_equal(c.v[0].memory_mb, 1024);
		assert_int_equal(c.v[0].cpu, 512);
		assert_true(c.v[0].scaled_cpu);
		assert_int_equal(c.v[1].count, -1);
		assert_int_equal(c.v[1].memory_mb, 2048);
		assert_int_equal(c.v[1].cpu, 1024);
		assert_int_equal(c.v[2].count, -1);
		assert_int_equal(c.v[2].memory_mb, 0);
		assert_false(c.v[2].scaled_memory);
		assert_int_equal(c.v[2].cpu, 256);
		sw_formation_release(&c);
	}

	{
		static const struct { const char *arg, *msg; } bad[] = {
			{ "web", "'web': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=", "'web=': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=x", "'web=x': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=-1", "'web=-1': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=2:", "'web=2:': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=2:0", "'web=2:0': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=2:3", "web: memory must be between 6 MB and 1 TB" },
			{ "web=2:lots", "web: 'lots' is not a memory size (like 512m or 1g)" },
			{ "web=101", "web: at most 100 tasks per process type" },
			{ "web=2:512:", "'web=2:512:': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=2:512:0", "'web=2:512:0': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=2:512:x", "'web=2:512:x': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=2:512:256:1", "'web=2:512:256:1': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
			{ "web=1:512:16385", "web: at most 16384 CPU units (16 vCPU)" },
			{ "=3", "'=3': expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512" },
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

/* Fargate's table: every size ECS takes, and the edges around them. */
static void fargate_sizes(void **state)
{
	static const struct { int cpu, min, max, step; } rows[] = {
		{ 512, 1024, 4096, 1024 }, { 1024, 2048, 8192, 1024 }, { 2048, 4096, 16384, 1024 },
		{ 4096, 8192, 30720, 1024 }, { 8192, 16384, 61440, 4096 }, { 16384, 32768, 122880, 8192 },
	};
	size_t i;
	int m, cpu = 0;

	assert_true(sw_fargate_size_valid(256, 512));
	assert_true(sw_fargate_size_valid(256, 1024));
	assert_true(sw_fargate_size_valid(256, 2048));
	assert_false(sw_fargate_size_valid(256, 1536));
	assert_false(sw_fargate_size_valid(256, 256));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (m = rows[i].min; m <= rows[i].max; m += rows[i].step)
			assert_true(sw_fargate_size_valid(rows[i].cpu, m));
		assert_false(sw_fargate_size_valid(rows[i].cpu, rows[i].min - rows[i].step));
		assert_false(sw_fargate_size_valid(rows[i].cpu, rows[i].max + rows[i].step));
		assert_false(sw_fargate_size_valid(rows[i].cpu, rows[i].min + rows[i].step / 2));
	}
	assert_false(sw_fargate_size_valid(300, 1024));
	/* the smallest CPU for a memory */
	assert_int_equal(sw_fargate_cpu_for(512), 256);
	assert_int_equal(sw_fargate_cpu_for(1024), 256);
	assert_int_equal(sw_fargate_cpu_for(3072), 512);
	assert_int_equal(sw_fargate_cpu_for(5120), 1024);
	assert_int_equal(sw_fargate_cpu_for(9216), 2048);
	assert_int_equal(sw_fargate_cpu_for(20480), 4096);
	assert_int_equal(sw_fargate_cpu_for(36864), 8192);
	assert_int_equal(sw_fargate_cpu_for(65536), 16384);
	assert_int_equal(sw_fargate_cpu_for(300), 0);
	assert_int_equal(sw_fargate_cpu_for(33792), 0);   /* 33 GiB: no row */
	/* the next memory size up */
	assert_int_equal(sw_fargate_memory_at_least(1), 512);
	assert_int_equal(sw_fargate_memory_at_least(300), 512);
	assert_int_equal(sw_fargate_memory_at_least(513), 1024);
	assert_int_equal(sw_fargate_memory_at_least(1500), 2048);
	assert_int_equal(sw_fargate_memory_at_least(30721), 32768);
	assert_int_equal(sw_fargate_memory_at_least(122881), 0);
	/* the refusals name what is valid */
	assert_int_equal(sw_fargate_size("web", 300, 512, &cpu), SW_EINVAL);
	assert_string_equal(sw_error_last(), "web: 512 CPU units take 1024-4096 MiB in 1024 steps, not 300");
	assert_int_equal(sw_fargate_size("web", 300, 256, &cpu), SW_EINVAL);
	assert_string_equal(sw_error_last(), "web: 256 CPU units take 512, 1024 or 2048 MiB, not 300");
	assert_int_equal(sw_fargate_size("web", 1024, 300, &cpu), SW_EINVAL);
	assert_string_equal(sw_error_last(), "web: Fargate's CPU units are 256, 512, 1024, 2048, 4096, 8192 or 16384, not 300");
	assert_int_equal(sw_fargate_size("worker", 300, 0, &cpu), SW_EINVAL);
	assert_string_equal(sw_error_last(), "worker: 300 MiB is not a Fargate memory size (512, then multiples of 1024 "
			    "up to 30720, of 4096 up to 61440 and of 8192 up to 122880)");
	assert_int_equal(sw_fargate_size("web", 3072, 0, &cpu), 0);
	assert_int_equal(cpu, 512);
	assert_int_equal(sw_fargate_size("web", 3072, 1024, &cpu), 0);
	assert_int_equal(cpu, 1024);
	assert_int_equal(sw_fargate_size("web", 1024, 1024, &cpu), SW_EINVAL);
	assert_string_equal(sw_error_last(), "web: 1024 CPU units take 2048-8192 MiB in 1024 steps, not 1024");
}

/* A formation on Fargate: a scale's sizes as given or refused, the rest moved up with a note. */
static void fit_fargate(void **state)
{
	struct sw_formation f = SW_FORMATION_INIT, c = SW_FORMATION_INIT;
	struct sw_strvec notes = SW_STRVEC_INIT;
	const char *bad[] = { "web=2:1024:256:" }, *pair[] = { "web=2:300:512" }, *ok[] = { "web=2:1024:512" };
	const char *mem_only[] = { "web=:3072" };

	/* web: the default; worker: 300 from a manifest (moved up); clock: CPU from an earlier scale on EC2 */
	json_t *j = json_pack("{s:{s:i, s:i}, s:{s:i, s:i}, s:{s:i, s:i, s:i, s:b}}", "web", "count", 1, "memory", 512,
			      "worker", "count", 1, "memory", 300, "clock", "count", 1, "memory", 512, "cpu", 1024,
			      "scaled_cpu", 1);
	assert_int_equal(sw_formation_from_json(&f, j), 0);
	json_decref(j);
	assert_string_equal(f.v[0].process, "web");
	assert_string_equal(f.v[2].process, "clock");
	assert_int_equal(sw_formation_fit_fargate(&f, NULL, &notes), 0);
	assert_int_equal(f.v[0].cpu, 256);
	assert_int_equal(f.v[0].memory_mb, 512);
	assert_int_equal(f.v[1].memory_mb, 512);
	assert_int_equal(f.v[1].cpu, 256);
	assert_int_equal(f.v[2].memory_mb, 2048);
	assert_int_equal(f.v[2].cpu, 1024);
	assert_int_equal(notes.nr, 2);
	assert_string_equal(notes.v[0], "worker: 300 MiB is not a Fargate size: 512 MiB with 256 CPU units");
	assert_string_equal(notes.v[1], "clock: 512 MiB with 1024 CPU units is not a Fargate size: 2048 MiB with 1024 "
			    "CPU units");

	/* what `scale` says is refused when it is not a size, taken when it is */
	assert_int_equal(sw_formation_parse(&c, bad, 1), SW_EINVAL);
	assert_int_equal(sw_formation_parse(&c, pair, 1), 0);
	assert_int_equal(sw_formation_apply(&f, &c), 1);
	assert_int_equal(sw_formation_fit_fargate(&f, &c, NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "web: 512 CPU units take 1024-4096 MiB in 1024 steps, not 300");
	sw_formation_release(&c);
	assert_int_equal(sw_formation_parse(&c, ok, 1), 0);
	assert_int_equal(sw_formation_apply(&f, &c), 1);
	assert_int_equal(sw_formation_fit_fargate(&f, &c, NULL), 0);
	assert_int_equal(f.v[0].memory_mb, 1024);
	assert_int_equal(f.v[0].cpu, 512);
	sw_formation_release(&c);
	/* memory alone keeps the CPU a scale set: 3072 with 512 units */
	assert_int_equal(sw_formation_parse(&c, mem_only, 1), 0);
	assert_int_equal(sw_formation_apply(&f, &c), 1);
	assert_int_equal(sw_formation_fit_fargate(&f, &c, NULL), 0);
	assert_int_equal(f.v[0].memory_mb, 3072);
	assert_int_equal(f.v[0].cpu, 512);
	sw_formation_release(&c);
	sw_strvec_clear(&notes);
	sw_formation_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_defaults_and_scaled_values),
		cmocka_unit_test(parse_args),
		cmocka_unit_test(apply_unknown_process),
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(fargate_sizes),
		cmocka_unit_test(fit_fargate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
