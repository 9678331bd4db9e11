#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "common/banned.h"

static json_t *doc(void)
{
	json_t *o = json_loads("{\"s\": \"hi\", \"i\": 42, \"r\": 2.5, \"t\": true, \"f\": false, \"n\": null}", 0,
			       NULL);
	assert_non_null(o);
	return o;
}

static void strings_are_borrowed_or_null(void **state)
{
	json_t *o = doc();

	(void)state;
	assert_string_equal(sw_json_str(o, "s"), "hi");
	assert_ptr_equal(sw_json_str(o, "s"), json_string_value(json_object_get(o, "s")));
	assert_null(sw_json_str(o, "i"));
	assert_null(sw_json_str(o, "n"));
	assert_null(sw_json_str(o, "missing"));
	assert_null(sw_json_str(NULL, "s"));
	assert_null(sw_json_str(json_object_get(o, "s"), "s"));   /* not an object */
	assert_string_equal(sw_json_str_or(o, "s", "?"), "hi");
	assert_string_equal(sw_json_str_or(o, "i", "?"), "?");
	assert_string_equal(sw_json_str_or(o, "missing", "-"), "-");
	assert_null(sw_json_str_or(NULL, "s", NULL));
	json_decref(o);
}

static void integers_take_only_integers(void **state)
{
	json_t *o = doc();

	(void)state;
	assert_int_equal(sw_json_int(o, "i", -1), 42);
	assert_int_equal(sw_json_int(o, "r", -1), -1);   /* a real is not an integer */
	assert_int_equal(sw_json_int(o, "s", 7), 7);
	assert_int_equal(sw_json_int(o, "missing", 0), 0);
	assert_int_equal(sw_json_int(NULL, "i", 3), 3);
	json_decref(o);
}

static void numbers_take_both(void **state)
{
	json_t *o = doc();

	(void)state;
	assert_true(sw_json_num(o, "i", -1) == 42.0);
	assert_true(sw_json_num(o, "r", -1) == 2.5);
	assert_true(sw_json_num(o, "t", -1) == -1);
	assert_true(sw_json_num(o, "missing", 0) == 0);
	json_decref(o);
}

static void booleans(void **state)
{
	json_t *o = doc();

	(void)state;
	assert_int_equal(sw_json_bool(o, "t", 0), 1);
	assert_int_equal(sw_json_bool(o, "f", 1), 0);
	assert_int_equal(sw_json_bool(o, "i", 0), 0);   /* 42 is not a boolean */
	assert_int_equal(sw_json_bool(o, "missing", 1), 1);
	assert_int_equal(sw_json_bool(NULL, "t", 0), 0);
	json_decref(o);
}

/* The first object of an array with a member of a given string value. */
static void find_in_arrays(void **state)
{
	json_t *a = json_loads("[1, {\"Type\": 5}, {\"Type\": \"redirect\", \"n\": 1},"
			       " {\"Type\": \"forward\", \"n\": 2}, {\"Type\": \"forward\", \"n\": 3}]", 0, NULL);
	(void)state;
	assert_non_null(a);
	assert_int_equal(sw_json_int(sw_json_find(a, "Type", "forward"), "n", 0), 2);
	assert_int_equal(sw_json_int(sw_json_find(a, "Type", "redirect"), "n", 0), 1);
	assert_null(sw_json_find(a, "Type", "fixed-response"));
	assert_null(sw_json_find(a, "Kind", "forward"));
	assert_null(sw_json_find(json_object_get(a, "x"), "Type", "forward"));   /* no array */
	assert_null(sw_json_find(json_array_get(a, 1), "Type", "forward"));      /* an object */
	json_decref(a);
}

/* String lists both ways; a list with something else in it is refused. */
static void string_lists(void **state)
{
	struct sw_strvec v = SW_STRVEC_INIT, back = SW_STRVEC_INIT;
	json_t *a, *bad = json_pack("[s,i,s]", "x", 3, "y");
	char *text;
	(void)state;

	sw_strvec_pushl(&v, "/bin/sh", "-c", "echo \"hi\"", "\xff", NULL);
	a = sw_json_from_strvec(&v);
	text = json_dumps(a, JSON_COMPACT);
	assert_string_equal(text, "[\"/bin/sh\",\"-c\",\"echo \\\"hi\\\"\"]");   /* "\xff" is not UTF-8: left out */
	assert_int_equal(sw_json_to_strvec(&back, a), 0);
	assert_int_equal(back.nr, 3);
	assert_string_equal(back.v[2], "echo \"hi\"");
	sw_strvec_clear(&back);
	assert_int_equal(sw_json_to_strvec(&back, NULL), 0);
	assert_int_equal(back.nr, 0);
	assert_int_equal(sw_json_to_strvec(&back, bad), -1);
	assert_int_equal(back.nr, 1);
	assert_int_equal(sw_json_to_strvec(&back, json_object_get(bad, "x")), 0);   /* not there: none */
	free(text);
	json_decref(a);
	json_decref(bad);
	sw_strvec_clear(&v);
	sw_strvec_clear(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings_are_borrowed_or_null),
		cmocka_unit_test(integers_take_only_integers),
		cmocka_unit_test(numbers_take_both),
		cmocka_unit_test(booleans),
		cmocka_unit_test(find_in_arrays),
		cmocka_unit_test(string_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
