#include <stdio.h>
#include <string.h>

#include "receiver/users.h"
#include "receiver/auth.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "common/error.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

int sw_users_exists(sqlite3 *db, const char *name, int *admin)
{
	sqlite3_stmt *st = NULL;
	int ret = sw_store_row_text(db, &st, "SELECT admin FROM users WHERE name = ?", name, "read users");

	if (ret == 1 && admin)
		*admin = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return ret;
}

int sw_users_create(sqlite3 *db, const char *name, int admin, const char *by)
{
	sqlite3_stmt *st = NULL;
	int ret = 0, rc;

	if (!sw_user_name_valid(name))
		return sw_error_code(SW_EINVAL, "user name: want 1-%d of a-z 0-9 . _ -, starting with a letter",
				     SW_USER_NAME_MAX);
	if (sw_store_prepare(db, &st, "INSERT INTO users(name, admin, created_at, created_by) VALUES (?, ?, ?, ?)") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, admin != 0);
	sqlite3_bind_double(st, 3, sw_time_now());
	sqlite3_bind_text(st, 4, by, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT)
		ret = sw_error_code(SW_EEXISTS, "a user called %s exists already", name);
	else if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "create user");
	sqlite3_finalize(st);
	return ret;
}

static int count_admins(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int n = SW_ERROR;

	if (sw_store_prepare(db, &st, "SELECT COUNT(*) FROM users WHERE admin") < 0)
		return SW_ERROR;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		sw_store_error(db, "read users");
	sqlite3_finalize(st);
	return n;
}

int sw_users_remove(sqlite3 *db, const char *name)
{
	int admin = 0, exists = sw_users_exists(db, name, &admin), admins;

	if (exists <= 0)
		return exists < 0 ? SW_ERROR : sw_error_code(SW_ENOTFOUND, "no user called %s", name);
	admins = admin ? count_admins(db) : 2;
	if (admins < 0)
		return SW_ERROR;
	if (admins <= 1)
		return sw_error_code(SW_EEXISTS, "%s is the last admin: make another admin first", name);
	/* tokens first: from here on nothing of the user acts */
	if (sw_auth_token_revoke_all(db, name) < 0 || sw_roles_forget(db, NULL, name) < 0 ||
	    sw_store_exec_text(db, "DELETE FROM ssh_keys WHERE user = ?", name, "remove keys") < 0 ||
	    sw_store_exec_text(db, "DELETE FROM users WHERE name = ?", name, "remove user") < 0)
		return SW_ERROR;
	return 0;
}

int sw_users_list(sqlite3 *db, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (sw_store_prepare(db, &st, "SELECT u.name, u.admin, u.created_at, u.created_by,"
			     " (SELECT COUNT(DISTINCT name) FROM tokens t WHERE t.user = u.name AND t.revoked_at IS NULL),"
			     " (SELECT COUNT(*) FROM ssh_keys k WHERE k.user = u.name),"
			     " (SELECT COUNT(*) FROM access a WHERE a.user = u.name)"
			     " FROM users u ORDER BY u.name") < 0) {
		json_decref(list);
		return SW_ERROR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *by = (const char *)sqlite3_column_text(st, 3);
		json_array_append_new(list, json_pack("{s:s,s:b,s:o,s:o,s:i,s:i,s:i}",
						      "name", (const char *)sqlite3_column_text(st, 0),
						      "admin", sqlite3_column_int(st, 1), "created_at", sw_reply_iso_time(st, 2),
						      "created_by", by ? json_string(by) : json_null(),
						      "tokens", sqlite3_column_int(st, 4), "keys", sqlite3_column_int(st, 5),
						      "apps", sqlite3_column_int(st, 6)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return sw_store_error(db, "read users");
	}
	*out = json_pack("{s:o}", "users", list);
	return 0;
}

int sw_users_principal(sqlite3 *db, const char *name, struct sw_principal *p)
{
	int admin = 0, exists = sw_users_exists(db, name, &admin);

	if (exists <= 0)
		return exists < 0 ? SW_ERROR : sw_error_code(SW_EAUTH, "no user called %s", name);
	memset(p, 0, sizeof(*p));
	snprintf(p->user, sizeof(p->user), "%s", name);
	p->admin = admin;
	sw_principal_actor(p);
	return 0;
}
