#include <stddef.h>
#include <string.h>

#include "common/json.h"
#include "common/banned.h"

const char *sw_json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

const char *sw_json_str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

long long sw_json_int(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

double sw_json_num(const json_t *o, const char *key, double dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

int sw_json_bool(const json_t *o, const char *key, int dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *sw_json_find(const json_t *a, const char *key, const char *value)
{
	size_t i;
	json_t *o;

	json_array_foreach(a, i, o) {
		const char *s = sw_json_str(o, key);
		if (s && !strcmp(s, value))
			return o;
	}
	return NULL;
}

json_t *sw_json_from_strvec(const struct sw_strvec *v)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < v->nr; i++)
		json_array_append_new(a, json_string(v->v[i]));   /* NULL (not UTF-8): nothing appended */
	return a;
}

int sw_json_to_strvec(struct sw_strvec *v, const json_t *a)
{
	size_t i;
	json_t *s;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, s) {
		if (!json_is_string(s))
			return -1;
		sw_strvec_push(v, json_string_value(s));
	}
	return 0;
}
