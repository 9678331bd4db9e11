#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/formation.h"
#include "releaser/fargate.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_formation_init(struct sw_formation *f)
{
	f->v = NULL;
	f->nr = f->alloc = 0;
}

void sw_formation_release(struct sw_formation *f)
{
	size_t i;
	for (i = 0; i < f->nr; i++)
		free(f->v[i].process);
	free(f->v);
	sw_formation_init(f);
}

struct sw_formation_entry *sw_formation_find(const struct sw_formation *f, const char *process)
{
	size_t i;
	for (i = 0; i < f->nr; i++)
		if (!strcmp(f->v[i].process, process))
			return &f->v[i];
	return NULL;
}

static struct sw_formation_entry *add(struct sw_formation *f, const char *process)
{
	struct sw_formation_entry *e;
	SW_ALLOC_GROW(f->v, f->nr + 1, f->alloc);
	e = &f->v[f->nr++];
	memset(e, 0, sizeof(*e));
	e->process = xstrdup(process);
	return e;
}

void sw_formation_plan(struct sw_formation *out, const struct sw_manifest *m,
		       const struct sw_formation *prev, int default_memory_mb)
{
	size_t i;
	for (i = 0; i < m->nr; i++) {
		const struct sw_process *p = &m->procs[i];
		const struct sw_formation_entry *old = prev ? sw_formation_find(prev, p->name) : NULL;
		struct sw_formation_entry *e;
		if (!strcmp(p->name, "release"))
			continue;
		e = add(out, p->name);
		if (old && old->scaled_count) {
			e->count = old->count;
			e->scaled_count = 1;
		} else {
			e->count = p->count >= 0 ? p->count : 1;
		}
		if (old && old->scaled_memory) {
			e->memory_mb = old->memory_mb;
			e->scaled_memory = 1;
		} else {
			e->memory_mb = p->memory_mb > 0 ? p->memory_mb : default_memory_mb;
		}
		if (old && old->scaled_cpu) {
			e->cpu = old->cpu;
			e->scaled_cpu = 1;
		}
	}
}

#define SCALE_USAGE "expected process=count[:memory[:cpu]], like web=4, worker=2:512 or web=2:1024:512"

/* A count or CPU units: digits only, at most max. 0, or -1 when s..end is not a number (or is empty). */
static int parse_number(const char *s, const char *end, long max, long *out)
{
	long n = 0;
	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = n * 10 + (*s - '0');
		if (n > max)
			n = max + 1;
	}
	*out = n;
	return 0;
}

/* "512", "1g", "1.5g": MiB into *mib. 0, or SW_EINVAL (bad is set when it is not a size at all). */
static int parse_memory(const char *name, const char *s, const char *end, long long *mib, int *bad)
{
	char *mem = xstrndup(s, (size_t)(end - s));
	size_t n = strlen(mem);
	int ret = 0;

	*bad = 0;
	if (!n) {
		*bad = 1;
		ret = SW_EINVAL;
	} else if (isdigit((unsigned char)mem[n - 1])) {
		/* a bare number is MiB */
		char *stop = NULL;
		*mib = strtoll(mem, &stop, 10);
		if (!stop || *stop || *mib <= 0 || !isdigit((unsigned char)mem[0])) {
			*bad = 1;
			ret = SW_EINVAL;
		}
	} else if (sw_manifest_parse_memory(mem, mib) < 0) {
		ret = sw_error_prefix("%s", name);
	}
	if (ret == 0 && (*mib < SW_MANIFEST_MIN_MEMORY_MB || *mib > 1024 * 1024))
		ret = sw_error_code(SW_EINVAL, "%s: memory must be between %d MB and 1 TB", name, SW_MANIFEST_MIN_MEMORY_MB);
	free(mem);
	return ret;
}

static int parse_one(struct sw_formation *changes, const char *arg)
{
	const char *eq = strchr(arg, '='), *c1, *c2, *end;
	struct sw_formation_entry *e;
	char *name = NULL;
	long count = -1, cpu = 0;
	long long mib = 0;
	int ret = 0, bad = 0;

	if (!eq || eq == arg)
		return sw_error_code(SW_EINVAL, "'%.60s': " SCALE_USAGE, arg);
	name = xstrndup(arg, (size_t)(eq - arg));
	if (sw_manifest_check_name(name) < 0) {
		ret = SW_EINVAL;
		goto cleanup;
	}
	if (sw_formation_find(changes, name)) {
		ret = sw_error_code(SW_EINVAL, "'%s' is given twice", name);
		goto cleanup;
	}
	end = eq + 1 + strlen(eq + 1);
	c1 = strchr(eq + 1, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if ((c2 && strchr(c2 + 1, ':')) || (c1 && !c2 && c1 + 1 == end))
		goto bad;
	if ((c1 ? c1 : end) != eq + 1) {
		if (parse_number(eq + 1, c1 ? c1 : end, SW_FORMATION_MAX_COUNT, &count) < 0)
			goto bad;
		if (count > SW_FORMATION_MAX_COUNT) {
			ret = sw_error_code(SW_EINVAL, "%s: at most %d tasks per process type", name, SW_FORMATION_MAX_COUNT);
			goto cleanup;
		}
	}
	if (c1 && (c2 ? c2 : end) != c1 + 1 && (ret = parse_memory(name, c1 + 1, c2 ? c2 : end, &mib, &bad)) < 0) {
		if (bad)
			goto bad;
		goto cleanup;
	}
	if (c2) {
		if (parse_number(c2 + 1, end, SW_FORMATION_MAX_CPU, &cpu) < 0 || cpu == 0)
			goto bad;
		if (cpu > SW_FORMATION_MAX_CPU) {
			ret = sw_error_code(SW_EINVAL, "%s: at most %d CPU units (16 vCPU)", name, SW_FORMATION_MAX_CPU);
			goto cleanup;
		}
	}
	if (count < 0 && !mib && !cpu)
		goto bad;
	e = add(changes, name);
	e->count = (int)count;
	e->memory_mb = (int)mib;
	e->cpu = (int)cpu;
	e->scaled_count = count >= 0;
	e->scaled_memory = mib > 0;
	e->scaled_cpu = cpu > 0;
	goto cleanup;
bad:
	ret = sw_error_code(SW_EINVAL, "'%.60s': " SCALE_USAGE, arg);
cleanup:
	free(name);
	return ret;
}

int sw_formation_parse(struct sw_formation *changes, const char *const *args, size_t nargs)
{
	size_t i;
	if (!nargs)
		return sw_error_code(SW_EINVAL, "nothing to scale: give process=count[:memory[:cpu]], like web=4");
	for (i = 0; i < nargs; i++)
		if (parse_one(changes, args[i]) < 0) {
			sw_formation_release(changes);
			return SW_EINVAL;
		}
	return 0;
}

int sw_formation_apply(struct sw_formation *f, const struct sw_formation *changes)
{
	size_t i;
	int changed = 0;
	for (i = 0; i < changes->nr; i++) {
		if (!sw_formation_find(f, changes->v[i].process)) {
			struct sw_buf have = SW_BUF_INIT;
			size_t j;
			for (j = 0; j < f->nr; j++)
				sw_buf_addf(&have, "%s%s", j ? ", " : "", f->v[j].process);
			sw_error_code(SW_EINVAL, "no process type '%s' (this app has %s)", changes->v[i].process,
				      have.len ? have.ptr : "none");
			sw_buf_release(&have);
			return SW_EINVAL;
		}
	}
	for (i = 0; i < changes->nr; i++) {
		const struct sw_formation_entry *c = &changes->v[i];
		struct sw_formation_entry *e = sw_formation_find(f, c->process);
		int differs = 0;
		if (c->count >= 0) {
			differs |= e->count != c->count;
			e->count = c->count;
			e->scaled_count = 1;
		}
		if (c->memory_mb > 0) {
			differs |= e->memory_mb != c->memory_mb;
			e->memory_mb = c->memory_mb;
			e->scaled_memory = 1;
		}
		if (c->cpu > 0) {
			differs |= e->cpu != c->cpu;
			e->cpu = c->cpu;
			e->scaled_cpu = 1;
		}
		changed += differs;
	}
	return changed;
}

void sw_formation_describe(const struct sw_formation *f, int with_memory, struct sw_buf *out)
{
	size_t i;
	for (i = 0; i < f->nr; i++) {
		sw_buf_addf(out, "%s%s=%d", i ? ", " : "", f->v[i].process, f->v[i].count);
		if (with_memory)
			sw_buf_addf(out, ":%d", f->v[i].memory_mb);
		if (with_memory && f->v[i].cpu > 0)
			sw_buf_addf(out, ":%d", f->v[i].cpu);
	}
}

json_t *sw_formation_to_json(const struct sw_formation *f)
{
	json_t *o = json_object();
	size_t i;
	for (i = 0; i < f->nr; i++) {
		json_t *e = json_pack("{s:i, s:i, s:b, s:b}", "count", f->v[i].count, "memory", f->v[i].memory_mb,
				      "scaled_count", f->v[i].scaled_count, "scaled_memory", f->v[i].scaled_memory);
		if (f->v[i].cpu > 0) {
			json_object_set_new(e, "cpu", json_integer(f->v[i].cpu));
			json_object_set_new(e, "scaled_cpu", json_boolean(f->v[i].scaled_cpu));
		}
		json_object_set_new(o, f->v[i].process, e);
	}
	return o;
}

int sw_formation_from_json(struct sw_formation *f, const json_t *j)
{
	const char *key;
	json_t *v;
	if (!json_is_object(j))
		goto bad;
	json_object_foreach((json_t *)j, key, v) {
		struct sw_formation_entry *e;
		json_t *c = json_object_get(v, "count"), *m = json_object_get(v, "memory"), *cpu = json_object_get(v, "cpu");
		if (!json_is_integer(c) || !json_is_integer(m) || (cpu && !json_is_integer(cpu)))
			goto bad;
		e = add(f, key);
		e->count = (int)json_integer_value(c);
		e->memory_mb = (int)json_integer_value(m);
		e->scaled_count = sw_json_bool(v, "scaled_count", 0);
		e->scaled_memory = sw_json_bool(v, "scaled_memory", 0);
		e->cpu = cpu ? (int)json_integer_value(cpu) : 0;
		e->scaled_cpu = sw_json_bool(v, "scaled_cpu", 0);
	}
	return 0;
bad:
	sw_formation_release(f);
	return sw_error_code(SW_EINVAL, "stored formation is malformed");
}

/* The next Fargate size for a non-strict entry: memory up, the CPU kept when it can be. */
static void fit_loose(struct sw_formation_entry *e, struct sw_strvec *notes)
{
	int mem = e->memory_mb, cpu = e->cpu, m;

	if (cpu > 0 && sw_fargate_size_valid(cpu, mem))
		return;
	if (cpu <= 0 && sw_fargate_cpu_for(mem)) {
		e->cpu = sw_fargate_cpu_for(mem);
		return;
	}
	/* the smallest size at least this memory whose CPU is at least the one asked */
	for (m = sw_fargate_memory_at_least(mem); m > 0; m = sw_fargate_memory_at_least(m + 1)) {
		int c;
		for (c = 256; c <= 16384; c *= 2)
			if (c >= cpu && sw_fargate_size_valid(c, m))
				break;
		if (c <= 16384) {
			e->memory_mb = m;
			e->cpu = c;
			break;
		}
	}
	if (notes) {
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_addf(&b, "%s: %d MiB", e->process, mem);
		if (cpu > 0)
			sw_buf_addf(&b, " with %d CPU units", cpu);
		sw_buf_addf(&b, " is not a Fargate size: %d MiB with %d CPU units", e->memory_mb, e->cpu);
		sw_strvec_push(notes, b.ptr);
		sw_buf_release(&b);
	}
}

int sw_formation_fit_fargate(struct sw_formation *f, const struct sw_formation *strict, struct sw_strvec *notes)
{
	size_t i;
	for (i = 0; i < f->nr; i++) {
		struct sw_formation_entry *e = &f->v[i];
		const struct sw_formation_entry *s = strict ? sw_formation_find(strict, e->process) : NULL;
		int cpu = 0;
		if (s && (s->memory_mb > 0 || s->cpu > 0)) {
			/* what `scale` says (with a CPU an earlier scale set) is taken as it is, or refused */
			if (sw_fargate_size(e->process, e->memory_mb, e->scaled_cpu ? e->cpu : 0, &cpu) < 0)
				return SW_EINVAL;
			e->cpu = cpu;
		} else {
			fit_loose(e, notes);
		}
	}
	return 0;
}
