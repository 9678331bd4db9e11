#ifndef SW_DOMAINS_H
#define SW_DOMAINS_H

#include <jansson.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "common/strvec.h"

/*
 * An app's custom domains: host names it answers to beside APP.<apps domain>, one row
 * each in the domains table (tables.h), a host belonging to one app at most. This file
 * holds the names and the rows; route.h puts a host-header rule per domain on the
 * listener (at once, and again at each deploy). All functions return 0 or a negative
 * enum sw_code with one line in the error slot.
 */

/*
 * Check host as a custom domain and append its normal form (lowercase) to out:
 * SW_EINVAL for an IP address, a malformed name (labels of a-z, 0-9, '-', a leading
 * "*." allowed, two labels at least), or a name under apps_domain (slipway's own).
 */
int sw_domains_check(const char *host, const char *apps_domain, struct sw_buf *out);

/*
 * Record host (normal form) for app: SW_EEXISTS when another app has it (one line
 * naming it); 1 when app had it already (nothing changed), 0 when added.
 */
int sw_domains_insert(sqlite3 *db, const char *app, const char *host);

/* Forget host of app: SW_ENOTFOUND when it is not one of app's. */
int sw_domains_delete(sqlite3 *db, const char *app, const char *host);

/* The app that has host, appended to owner: 1 found, 0 none, negative on error. */
int sw_domains_owner(sqlite3 *db, const char *host, struct sw_buf *owner);

/* app's domains, pushed to hosts in name order (a database without the table has none). */
int sw_domains_of(sqlite3 *db, const char *app, struct sw_strvec *hosts);

/* Forget every domain of app (apps:destroy). */
int sw_domains_forget_app(sqlite3 *db, const char *app);

#endif
