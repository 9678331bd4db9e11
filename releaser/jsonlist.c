#include <stddef.h>

#include "releaser/jsonlist.h"
#include "common/banned.h"

json_t *sw_jsonlist_from_strvec(const struct sw_strvec *v)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < v->nr; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

int sw_jsonlist_to_strvec(struct sw_strvec *v, const json_t *a)
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
