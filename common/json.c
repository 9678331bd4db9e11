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
