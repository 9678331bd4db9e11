#ifndef SW_APPCONFIG_H
#define SW_APPCONFIG_H

#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"

/*
 * An app's config vars: a JSON object of string values, stored with each release and
 * passed to its tasks as environment variables (after the manifest's defaults, before
 * PORT and SLIPWAY_*). Values are secrets as far as slipway is concerned: logs, release
 * descriptions, tags and the pusher's terminal only ever see names.
 */

#define SW_APPCONFIG_MAX_BYTES (32 * 1024)  /* names + values of one app, in total */

/*
 * Names: a letter or '_' then letters, digits, '_' (at most 255). PORT and SLIPWAY_* are
 * slipway's. 0 or SW_EINVAL with one line.
 */
int sw_appconfig_check_name(const char *name);

/*
 * `config:set K=V ...` on config (modified in place only when every argument is
 * valid). summary gets "set A, B" (names only). Returns how many values changed (0:
 * nothing to release), or SW_EINVAL / SW_ETOOBIG with one line.
 */
int sw_appconfig_set(json_t *config, const char *const *args, size_t n, struct sw_buf *summary);

/* `config:unset K ...`: like set; names that are not set are an error. */
int sw_appconfig_unset(json_t *config, const char *const *names, size_t n, struct sw_buf *summary);

/* 0 when config is an object of valid names with string values within the size bound. */
int sw_appconfig_check(const json_t *config);

#endif
