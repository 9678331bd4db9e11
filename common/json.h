#ifndef SW_JSON_H
#define SW_JSON_H

#include <jansson.h>

#include "common/strvec.h"

/*
 * Typed reads of one member of a JSON object (jansson), for code that reads the API's,
 * Docker's or AWS's answers. Each is NULL-safe: o may be NULL or not an object, the
 * member may be missing or of another type; then the getter gives its default.
 *
 * The getters allocate nothing. sw_json_str() returns a string borrowed from o: valid
 * while o (and the member) lives; never free it.
 */

/* o[key] when it is a string, else NULL (borrowed). */
const char *sw_json_str(const json_t *o, const char *key);

/* o[key] when it is a string (borrowed), else dflt. */
const char *sw_json_str_or(const json_t *o, const char *key, const char *dflt);

/* o[key] when it is an integer, else dflt (a real number is not an integer: dflt). */
long long sw_json_int(const json_t *o, const char *key, long long dflt);

/* o[key] when it is a number (integer or real), else dflt. */
double sw_json_num(const json_t *o, const char *key, double dflt);

/* 1 when o[key] is true, 0 when false, dflt when it is missing or not a boolean. */
int sw_json_bool(const json_t *o, const char *key, int dflt);

/*
 * The first element of array a that is an object whose member key is the string value
 * (borrowed from a), or NULL: an ELBv2 rule's "forward" action, a service's tag.
 * a may be NULL or not an array (none).
 */
json_t *sw_json_find(const json_t *a, const char *key, const char *value);

/*
 * Lists of strings both ways: a struct sw_strvec and a JSON array of strings (a
 * manifest's commands, a container's command, a rollout's events seen, a push's options).
 */

/* A new JSON array of v's strings, those that are not UTF-8 left out (the caller json_decref()s it). */
json_t *sw_json_from_strvec(const struct sw_strvec *v);

/*
 * Push the strings of array a onto v (copies: the caller clears v). 0; -1 when a is not
 * an array or holds something that is not a string (what came before it is pushed).
 * NULL a is an empty list.
 */
int sw_json_to_strvec(struct sw_strvec *v, const json_t *a);

#endif
