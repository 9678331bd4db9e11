#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/shape.h"
#include "common/error.h"
#include "common/banned.h"

#define VALUE_SHOWN_MAX 80

const struct sw_engine_shape *sw_engine_shape_find(const struct sw_engine_op_shape *table,
						   const char *operation)
{
	for (; table && table->operation; table++)
		if (!strcmp(table->operation, operation))
			return table->input;
	return NULL;
}

static void show_value(struct sw_buf *out, json_t *v)
{
	char *text;
	size_t n;

	if (!v || json_is_null(v)) {
		sw_buf_adds(out, "null");
		return;
	}
	if (json_is_string(v)) {
		n = json_string_length(v);
		sw_buf_addch(out, '\'');
		sw_buf_add(out, json_string_value(v), n > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : n);
		sw_buf_adds(out, n > VALUE_SHOWN_MAX ? "...'" : "'");
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text)
		return;
	n = strlen(text);
	sw_buf_addch(out, '\'');
	sw_buf_add(out, text, n > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : n);
	sw_buf_adds(out, n > VALUE_SHOWN_MAX ? "...'" : "'");
	free(text);
}

static int fail(struct sw_buf *why, const char *path, json_t *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct sw_buf *why, const char *path, json_t *v, const char *fmt, ...)
{
	va_list ap;

	sw_buf_reset(why);
	sw_buf_adds(why, "1 validation error detected: Value ");
	show_value(why, v);
	sw_buf_addf(why, " at '%s' failed to satisfy constraint: ", path);
	va_start(ap, fmt);
	sw_buf_vaddf(why, fmt, ap);
	va_end(ap);
	return SW_EINVAL;
}

static const char *type_word(enum sw_engine_shape_type t)
{
	switch (t) {
	case SW_SHAPE_STRING: return "a string";
	case SW_SHAPE_INTEGER: return "an integer";
	case SW_SHAPE_LONG: return "an integer (long)";
	case SW_SHAPE_DOUBLE: return "a number";
	case SW_SHAPE_BOOLEAN: return "a boolean";
	case SW_SHAPE_TIMESTAMP: return "a timestamp (seconds since the epoch)";
	case SW_SHAPE_BLOB: return "a base64 string";
	case SW_SHAPE_LIST: return "a list";
	case SW_SHAPE_MAP: return "a map";
	case SW_SHAPE_STRUCTURE: return "a structure";
	case SW_SHAPE_DOCUMENT: return "a document";
	}
	return "a value";
}

static int check_length(const struct sw_engine_shape *s, const char *path, json_t *v, long long len,
			struct sw_buf *why)
{
	if (s->has_min && len < s->min)
		return fail(why, path, v, "Member must have length greater than or equal to %lld", s->min);
	if (s->has_max && len > s->max)
		return fail(why, path, v, "Member must have length less than or equal to %lld", s->max);
	return 0;
}

static int check_range(const struct sw_engine_shape *s, const char *path, json_t *v, double x,
		       struct sw_buf *why)
{
	if (s->has_min && x < (double)s->min)
		return fail(why, path, v, "Member must have value greater than or equal to %lld", s->min);
	if (s->has_max && x > (double)s->max)
		return fail(why, path, v, "Member must have value less than or equal to %lld", s->max);
	return 0;
}

static int validate(const struct sw_engine_shape *s, json_t *v, struct sw_buf *path, struct sw_buf *why,
		    int depth);

static int validate_child(const struct sw_engine_shape *s, json_t *v, struct sw_buf *path,
			  const char *name, size_t index, const char *suffix, struct sw_buf *why, int depth)
{
	size_t old = path->len;
	int ret;

	if (name)
		sw_buf_addf(path, "%s%s%s", path->len ? "." : "", name, suffix);
	else
		sw_buf_addf(path, "%s%zu%s", path->len ? "." : "", index, suffix);
	ret = validate(s, v, path, why, depth + 1);
	sw_buf_setlen(path, old);
	return ret;
}

static int validate(const struct sw_engine_shape *s, json_t *v, struct sw_buf *path, struct sw_buf *why,
		    int depth)
{
	const char *where = path->len ? path->ptr : "input";
	size_t i;
	int ret;

	if (depth > 32)
		return fail(why, where, NULL, "Member nesting is too deep");
	switch (s->type) {
	case SW_SHAPE_STRING:
		if (!json_is_string(v))
			break;
		if (s->enums) {
			const char *const *e;
			for (e = s->enums; *e; e++)
				if (!strcmp(*e, json_string_value(v)))
					break;
			if (!*e) {
				struct sw_buf set = SW_BUF_INIT;
				for (e = s->enums; *e; e++)
					sw_buf_addf(&set, "%s%s", e == s->enums ? "" : ", ", *e);
				ret = fail(why, where, v, "Member must satisfy enum value set: [%s]", set.ptr);
				sw_buf_release(&set);
				return ret;
			}
		}
		return check_length(s, where, v, (long long)json_string_length(v), why);
	case SW_SHAPE_INTEGER:
		if (!json_is_integer(v))
			break;
		if (json_integer_value(v) > INT32_MAX || json_integer_value(v) < INT32_MIN)
			return fail(why, where, v, "Member must fit in a 32-bit integer");
		return check_range(s, where, v, (double)json_integer_value(v), why);
	case SW_SHAPE_LONG:
		if (!json_is_integer(v))
			break;
		return check_range(s, where, v, (double)json_integer_value(v), why);
	case SW_SHAPE_DOUBLE:
		if (!json_is_number(v))
			break;
		return check_range(s, where, v, json_number_value(v), why);
	case SW_SHAPE_BOOLEAN:
		if (!json_is_boolean(v))
			break;
		return 0;
	case SW_SHAPE_TIMESTAMP:
		if (!json_is_number(v))
			break;
		return 0;
	case SW_SHAPE_BLOB:
		if (!json_is_string(v))
			break;
		return 0;
	case SW_SHAPE_DOCUMENT:
		return 0;
	case SW_SHAPE_LIST:
		if (!json_is_array(v))
			break;
		if ((ret = check_length(s, where, v, (long long)json_array_size(v), why)) < 0)
			return ret;
		for (i = 0; i < json_array_size(v); i++) {
			json_t *item = json_array_get(v, i);
			if (json_is_null(item))
				return fail(why, where, v, "Member must not contain null elements");
			if ((ret = validate_child(s->item, item, path, NULL, i + 1, ".member", why, depth)) < 0)
				return ret;
		}
		return 0;
	case SW_SHAPE_MAP: {
		const char *k;
		json_t *item;
		if (!json_is_object(v))
			break;
		if ((ret = check_length(s, where, v, (long long)json_object_size(v), why)) < 0)
			return ret;
		json_object_foreach(v, k, item) {
			json_t *key = json_string(k);
			ret = validate_child(s->key, key, path, k, 0, ".key", why, depth);
			json_decref(key);
			if (ret < 0)
				return ret;
			if (json_is_null(item))
				continue;
			if ((ret = validate_child(s->item, item, path, k, 0, ".value", why, depth)) < 0)
				return ret;
		}
		return 0;
	}
	case SW_SHAPE_STRUCTURE:
		if (!json_is_object(v))
			break;
		for (i = 0; i < s->nmembers; i++) {
			const struct sw_engine_member *m = &s->members[i];
			json_t *mv = json_object_get(v, m->name);
			if (!m->name)
				continue;
			if (!mv || json_is_null(mv)) {
				if (m->required) {
					size_t old = path->len;
					sw_buf_addf(path, "%s%s", path->len ? "." : "", m->name);
					ret = fail(why, path->ptr, NULL, "Member must not be null");
					sw_buf_setlen(path, old);
					return ret;
				}
				continue;
			}
			if ((ret = validate_child(m->shape, mv, path, m->name, 0, "", why, depth)) < 0)
				return ret;
		}
		return 0;
	}
	return fail(why, where, v, "Member must be %s", type_word(s->type));
}

int sw_engine_shape_validate(const struct sw_engine_shape *shape, json_t *value, struct sw_buf *why)
{
	struct sw_buf path = SW_BUF_INIT;
	json_t *empty = NULL;
	int ret;

	if (!shape)
		return 0;
	if (!value)
		value = empty = json_object();
	ret = validate(shape, value, &path, why, 0);
	json_decref(empty);
	sw_buf_release(&path);
	return ret;
}
