#ifndef SW_JSONLIST_H
#define SW_JSONLIST_H

#include <jansson.h>

#include "common/strvec.h"

/*
 * Lists of strings as the releaser stores and sends them: a struct sw_strvec and a JSON
 * array of strings (a manifest's commands, a container's command, a rollout's events
 * seen), both ways.
 */

/* A new JSON array of v's strings (the caller json_decref()s it). */
json_t *sw_jsonlist_from_strvec(const struct sw_strvec *v);

/*
 * Push the strings of array a onto v. 0; -1 when a is not an array or holds something
 * that is not a string (what came before it is pushed). NULL a is an empty list.
 */
int sw_jsonlist_to_strvec(struct sw_strvec *v, const json_t *a);

#endif
