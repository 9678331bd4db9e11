#ifndef SW_JSON_H
#define SW_JSON_H

#include <jansson.h>

/*
 * Typed reads of one member of a JSON object (jansson), for code that reads the API's,
 * Docker's or AWS's answers. Each is NULL-safe: o may be NULL or not an object, the
 * member may be missing or of another type; then the getter gives its default.
 *
 * Nothing here allocates. sw_json_str() returns a string borrowed from o: valid while o
 * (and the member) lives; never free it.
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

#endif
