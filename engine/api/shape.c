#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/shape.h"
#include "common/error.h"
#include "common/banned.h"

#define VALUE_SHOWN_MAX 80

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

static const char *type_word(unsigned t)
{
	switch (t) {
	case SW_AWS_T_STRING: return "a string";
	case SW_AWS_T_INTEGER: return "an integer";
	case SW_AWS_T_LONG: return "an integer (long)";
	case SW_AWS_T_DOUBLE: return "a number";
	case SW_AWS_T_BOOLEAN: return "a boolean";
	case SW_AWS_T_TIMESTAMP: return "a timestamp (seconds since the epoch)";
	case SW_AWS_T_BLOB: return "a base64 string";
	case SW_AWS_T_LIST: return "a list";
	case SW_AWS_T_MAP: return "a map";
	case SW_AWS_T_STRUCTURE: return "a structure";
	case SW_AWS_T_DOCUMENT: return "a document";
	}
	return "a value";
}

static int check_length(const struct sw_aws_shape *s, const char *path, json_t *v, long long len,
			struct sw_buf *why)
{
	if (s->has_min && len < s->min)
		return fail(why, path, v, "Member must have length greater than or equal to %lld", s->min);
	if (s->has_max && len > s->max)
		return fail(why, path, v, "Member must have length less than or equal to %lld", s->max);
	return 0;
}

static int check_range(const struct sw_aws_shape *s, const char *path, json_t *v, double x,
		       struct sw_buf *why)
{
	if (s->has_min && x < (double)s->min)
		return fail(why, path, v, "Member must have value greater than or equal to %lld", s->min);
	if (s->has_max && x > (double)s->max)
		return fail(why, path, v, "Member must have value less than or equal to %lld", s->max);
	return 0;
}

/* One validation: the model, where in the document we are, and the message. */
struct check {
	const struct sw_aws_model *m;
	struct sw_buf path;    /* "containerDefinitions.1.member.name" */
	struct sw_buf *why;
};

static int validate(struct check *c, unsigned shape, json_t *v, int depth);

static const char *where(const struct check *c)
{
	return c->path.len ? c->path.ptr : "input";
}

/* Validate v at path + ".name<suffix>" (or ".index<suffix>" when name is NULL). */
static int validate_child(struct check *c, unsigned shape, json_t *v, const char *name, size_t index,
			  const char *suffix, int depth)
{
	size_t old = c->path.len;
	int ret;

	if (name)
		sw_buf_addf(&c->path, "%s%s%s", c->path.len ? "." : "", name, suffix);
	else
		sw_buf_addf(&c->path, "%s%zu%s", c->path.len ? "." : "", index, suffix);
	ret = validate(c, shape, v, depth + 1);
	sw_buf_setlen(&c->path, old);
	return ret;
}

static int validate_string(struct check *c, const struct sw_aws_shape *s, json_t *v)
{
	const char *const *e;
	struct sw_buf set = SW_BUF_INIT;
	int ret;

	for (e = s->enums; e && *e; e++)
		if (!strcmp(*e, json_string_value(v)))
			break;
	if (!e || *e)
		return check_length(s, where(c), v, (long long)json_string_length(v), c->why);
	for (e = s->enums; *e; e++)
		sw_buf_addf(&set, "%s%s", e == s->enums ? "" : ", ", *e);
	ret = fail(c->why, where(c), v, "Member must satisfy enum value set: [%s]", set.ptr);
	sw_buf_release(&set);
	return ret;
}

static int validate_list(struct check *c, const struct sw_aws_shape *s, json_t *v, int depth)
{
	size_t i;
	int ret;

	if ((ret = check_length(s, where(c), v, (long long)json_array_size(v), c->why)) < 0)
		return ret;
	for (i = 0; i < json_array_size(v); i++) {
		json_t *item = json_array_get(v, i);
		if (json_is_null(item))
			return fail(c->why, where(c), v, "Member must not contain null elements");
		if ((ret = validate_child(c, s->members[0].shape, item, NULL, i + 1, ".member", depth)) < 0)
			return ret;
	}
	return 0;
}

static int validate_map(struct check *c, const struct sw_aws_shape *s, json_t *v, int depth)
{
	const char *k;
	json_t *item;
	int ret;

	if ((ret = check_length(s, where(c), v, (long long)json_object_size(v), c->why)) < 0)
		return ret;
	json_object_foreach(v, k, item) {
		json_t *key = json_string(k);
		ret = validate_child(c, s->members[0].shape, key, k, 0, ".key", depth);
		json_decref(key);
		if (ret < 0)
			return ret;
		if (json_is_null(item))
			continue;
		if ((ret = validate_child(c, s->members[1].shape, item, k, 0, ".value", depth)) < 0)
			return ret;
	}
	return 0;
}

static int validate_structure(struct check *c, const struct sw_aws_shape *s, json_t *v, int depth)
{
	size_t i;
	int ret;

	for (i = 0; i < s->nr_members; i++) {
		const struct sw_aws_member *mem = &s->members[i];
		json_t *mv = json_object_get(v, mem->name);
		if (mv && !json_is_null(mv)) {
			if ((ret = validate_child(c, mem->shape, mv, mem->name, 0, "", depth)) < 0)
				return ret;
		} else if (mem->required) {
			size_t old = c->path.len;
			sw_buf_addf(&c->path, "%s%s", c->path.len ? "." : "", mem->name);
			ret = fail(c->why, c->path.ptr, NULL, "Member must not be null");
			sw_buf_setlen(&c->path, old);
			return ret;
		}
	}
	return 0;
}

/* 1 when v has the JSON type shape type t takes. */
static int json_type_ok(unsigned t, json_t *v)
{
	switch (t) {
	case SW_AWS_T_STRING:
	case SW_AWS_T_BLOB: return json_is_string(v);
	case SW_AWS_T_INTEGER:
	case SW_AWS_T_LONG: return json_is_integer(v);
	case SW_AWS_T_DOUBLE:
	case SW_AWS_T_TIMESTAMP: return json_is_number(v);
	case SW_AWS_T_BOOLEAN: return json_is_boolean(v);
	case SW_AWS_T_LIST: return json_is_array(v);
	case SW_AWS_T_MAP:
	case SW_AWS_T_STRUCTURE: return json_is_object(v);
	case SW_AWS_T_DOCUMENT: return 1;
	}
	return 0;
}

static int validate(struct check *c, unsigned shape, json_t *v, int depth)
{
	const struct sw_aws_shape *s = sw_aws_model_shape(c->m, shape);

	if (depth > 32)
		return fail(c->why, where(c), NULL, "Member nesting is too deep");
	if (!s)
		return 0;
	if (!json_type_ok(s->type, v))
		return fail(c->why, where(c), v, "Member must be %s", type_word(s->type));
	switch (s->type) {
	case SW_AWS_T_STRING:
		return validate_string(c, s, v);
	case SW_AWS_T_INTEGER:
		if (json_integer_value(v) > INT32_MAX || json_integer_value(v) < INT32_MIN)
			return fail(c->why, where(c), v, "Member must fit in a 32-bit integer");
		return check_range(s, where(c), v, (double)json_integer_value(v), c->why);
	case SW_AWS_T_LONG:
	case SW_AWS_T_DOUBLE:
		return check_range(s, where(c), v, json_number_value(v), c->why);
	case SW_AWS_T_LIST:
		return validate_list(c, s, v, depth);
	case SW_AWS_T_MAP:
		return validate_map(c, s, v, depth);
	case SW_AWS_T_STRUCTURE:
		return validate_structure(c, s, v, depth);
	}
	return 0;
}

int sw_engine_api_shape_validate(const struct sw_aws_model *m, const struct sw_aws_shape *shape, json_t *value,
				 struct sw_buf *why)
{
	struct check c = { m, SW_BUF_INIT, why };
	json_t *empty = NULL;
	int ret;

	if (!shape)
		return 0;
	if (!value)
		value = empty = json_object();
	ret = validate(&c, (unsigned)(shape - m->shapes), value, 0);
	json_decref(empty);
	sw_buf_release(&c.path);
	return ret;
}
