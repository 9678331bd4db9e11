#ifndef SW_USERS_H
#define SW_USERS_H

#include <sqlite3.h>
#include <jansson.h>

#include "receiver/roles.h"

/*
 * The people (and robots) slipwayd knows: a name, whether they are an admin, their
 * tokens (receiver/auth.h), their roles on apps (receiver/roles.h) and their SSH keys
 * (receiver/ssh_keys.h). The user "admin" (an admin) exists from the first start; its
 * token is $SLIPWAY_HOME/admin.token.
 */

/* 1 when user name exists (*admin set when not NULL), 0 when not, SW_ERROR. */
int sw_users_exists(sqlite3 *db, const char *name, int *admin);

/* Create user name: 0, SW_EINVAL (a bad name), SW_EEXISTS, SW_ERROR. */
int sw_users_create(sqlite3 *db, const char *name, int admin, const char *by);

/*
 * Remove user name with its roles and keys; its tokens are revoked. SW_ENOTFOUND, or
 * SW_EEXISTS when it is the last admin.
 */
int sw_users_remove(sqlite3 *db, const char *name);

/* {"users": [{"name", "admin", "created_at", "created_by", "tokens", "keys", "apps"}]} into *out. */
int sw_users_list(sqlite3 *db, json_t **out);

/* The principal of user name acting without a token (an SSH key): 0, SW_EAUTH (no such user), SW_ERROR. */
int sw_users_principal(sqlite3 *db, const char *name, struct sw_principal *p);

#endif
