#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/formation.h"
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
	}
}

static int parse_one(struct sw_formation *changes, const char *arg)
{
	const char *eq = strchr(arg, '='), *colon;
	struct sw_formation_entry *e;
	char *name = NULL, *mem = NULL;
	long count = -1;
	long long mib = 0;
	int ret = 0;

	if (!eq || eq == arg)
		return sw_error_code(SW_EINVAL, "'%.60s': expected process=count[:memory], like web=4 or worker=2:512",
				     arg);
	name = xstrndup(arg, (size_t)(eq - arg));
	if (sw_manifest_check_name(name) < 0) {
		ret = SW_EINVAL;
		goto cleanup;
	}
	if (sw_formation_find(changes, name)) {
		ret = sw_error_code(SW_EINVAL, "'%s' is given twice", name);
		goto cleanup;
	}
	colon = strchr(eq + 1, ':');
	if (colon != eq + 1) {
		const char *c = eq + 1, *end = colon ? colon : c + strlen(c);
		count = 0;
		if (c == end)
			goto bad;
		for (; c < end; c++) {
			if (!isdigit((unsigned char)*c))
				goto bad;
			count = count * 10 + (*c - '0');
			if (count > SW_FORMATION_MAX_COUNT) {
				ret = sw_error_code(SW_EINVAL, "%s: at most %d tasks per process type", name,
						    SW_FORMATION_MAX_COUNT);
				goto cleanup;
			}
		}
	}
	if (colon) {
		const char *s = colon + 1;
		size_t n = strlen(s);
		if (!n)
			goto bad;
		mem = xstrdup(s);
		if (isdigit((unsigned char)s[n - 1])) {
			/* a bare number is MiB */
			char *end = NULL;
			mib = strtoll(mem, &end, 10);
			if (!end || *end || mib <= 0 || !isdigit((unsigned char)mem[0]))
				goto bad;
		} else if (sw_manifest_parse_memory(mem, &mib) < 0) {
			ret = sw_error_prefix("%s", name);
			goto cleanup;
		}
		if (mib < SW_MANIFEST_MIN_MEMORY_MB || mib > 1024 * 1024) {
			ret = sw_error_code(SW_EINVAL, "%s: memory must be between %d MB and 1 TB", name,
					    SW_MANIFEST_MIN_MEMORY_MB);
			goto cleanup;
		}
	} else if (count < 0) {
		goto bad;
	}
	e = add(changes, name);
	e->count = (int)count;
	e->memory_mb = (int)mib;
	e->scaled_count = count >= 0;
	e->scaled_memory = mib > 0;
	goto cleanup;
bad:
	ret = sw_error_code(SW_EINVAL, "'%.60s': expected process=count[:memory], like web=4 or worker=2:512", arg);
cleanup:
	free(name);
	free(mem);
	return ret;
}

int sw_formation_parse(struct sw_formation *changes, const char *const *args, size_t nargs)
{
	size_t i;
	if (!nargs)
		return sw_error_code(SW_EINVAL, "nothing to scale: give process=count[:memory], like web=4");
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
	}
}

json_t *sw_formation_to_json(const struct sw_formation *f)
{
	json_t *o = json_object();
	size_t i;
	for (i = 0; i < f->nr; i++)
		json_object_set_new(o, f->v[i].process,
				    json_pack("{s:i, s:i, s:b, s:b}", "count", f->v[i].count,
					      "memory", f->v[i].memory_mb,
					      "scaled_count", f->v[i].scaled_count,
					      "scaled_memory", f->v[i].scaled_memory));
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
		json_t *c = json_object_get(v, "count"), *m = json_object_get(v, "memory");
		if (!json_is_integer(c) || !json_is_integer(m))
			goto bad;
		e = add(f, key);
		e->count = (int)json_integer_value(c);
		e->memory_mb = (int)json_integer_value(m);
		e->scaled_count = sw_json_bool(v, "scaled_count", 0);
		e->scaled_memory = sw_json_bool(v, "scaled_memory", 0);
	}
	return 0;
bad:
	sw_formation_release(f);
	return sw_error_code(SW_EINVAL, "stored formation is malformed");
}
