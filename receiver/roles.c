#include <stdio.h>
#include <string.h>

#include "receiver/roles.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "common/error.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

static const char *const names[] = { "none", "read", "deploy", "operate", "admin" };

const char *sw_role_name(enum sw_role r)
{
	return r >= SW_ROLE_NONE && r <= SW_ROLE_ADMIN ? names[r] : "none";
}

int sw_role_parse(const char *s, int with_admin, enum sw_role *out)
{
	int i;

	for (i = SW_ROLE_READ; s && i <= (with_admin ? SW_ROLE_ADMIN : SW_ROLE_OPERATE); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum sw_role)i;
			return 0;
		}
	return sw_error_code(SW_EINVAL, "role: want read, deploy, operate%s, not '%.20s'", with_admin ? " or admin" : "",
			     s ? s : "");
}

int sw_user_name_valid(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= SW_USER_NAME_MAX && name[0] >= 'a' && name[0] <= 'z' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

void sw_principal_actor(struct sw_principal *p)
{
	if (p->token_id && strcmp(p->token, p->user))
		snprintf(p->actor, sizeof(p->actor), "%s (token %s)", p->user, p->token);
	else
		snprintf(p->actor, sizeof(p->actor), "%s", p->user);
}

int sw_principal_limited(const struct sw_principal *p)
{
	return p->scope_app[0] || (p->scope_role != SW_ROLE_NONE && p->scope_role != SW_ROLE_ADMIN);
}

/* The parent of a review app (into parent, "" for any other app). */
static int parent_of(sqlite3 *db, const char *app, char parent[SW_APP_REF_MAX + 1])
{
	sqlite3_stmt *st = NULL;
	int rc;

	parent[0] = '\0';
	if (sw_store_prepare(db, &st, "SELECT parent FROM reviews WHERE app = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(parent, SW_APP_REF_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sw_store_error(db, "read review apps");
	return 0;
}

/* The role granted to user on app (none when none). */
static int granted(sqlite3 *db, const char *user, const char *app, enum sw_role *out)
{
	sqlite3_stmt *st = NULL;
	enum sw_role r = SW_ROLE_NONE;
	int rc = sw_store_row_texts(db, &st, "SELECT role FROM access WHERE app = ? AND user = ?",
				    (const char *[]){ app, user }, 2, "read roles");

	*out = SW_ROLE_NONE;
	if (rc < 0)
		return rc;
	if (rc == 1 && sw_role_parse((const char *)sqlite3_column_text(st, 0), 0, &r) < 0)
		r = SW_ROLE_NONE;
	sqlite3_finalize(st);
	*out = r;
	return 0;
}

int sw_roles_on_app(sqlite3 *db, const struct sw_principal *p, const char *app, enum sw_role *out)
{
	char parent[SW_APP_REF_MAX + 1];
	const char *owner;
	enum sw_role r = SW_ROLE_NONE;

	*out = SW_ROLE_NONE;
	if (parent_of(db, app, parent) < 0)
		return SW_ERROR;
	owner = parent[0] ? parent : app;   /* review apps have their parent's roles */
	if (p->scope_app[0] && strcmp(p->scope_app, app) && strcmp(p->scope_app, owner))
		return 0;
	if (p->admin)
		r = SW_ROLE_ADMIN;
	else if (granted(db, p->user, owner, &r) < 0)
		return SW_ERROR;
	if (p->scope_role != SW_ROLE_NONE && p->scope_role < r)
		r = p->scope_role;
	*out = r;
	return 0;
}

enum sw_role sw_roles_on_server(const struct sw_principal *p)
{
	return p->admin && !sw_principal_limited(p) ? SW_ROLE_ADMIN : SW_ROLE_NONE;
}

int sw_roles_check(sqlite3 *db, const struct sw_principal *p, const char *app, enum sw_role need,
		   struct sw_buf *why)
{
	enum sw_role has = SW_ROLE_NONE;

	if (!app)
		has = sw_roles_on_server(p);
	else if (sw_roles_on_app(db, p, app, &has) < 0)
		return SW_ERROR;
	if (has >= need)
		return 1;
	sw_buf_reset(why);
	sw_buf_addf(why, "%s role needed", sw_role_name(need));
	if (app)
		sw_buf_addf(why, " on %s", app);
	if (p->scope_app[0] && app && has == SW_ROLE_NONE && !p->admin)
		sw_buf_addf(why, " (%s has none; this token is for %s only)", p->user, p->scope_app);
	else if (p->scope_app[0] && app && has == SW_ROLE_NONE)
		sw_buf_addf(why, " (this token is for %s only)", p->scope_app);
	else if (app)
		sw_buf_addf(why, " (%s has %s%s)", p->user, sw_role_name(has),
			    p->scope_role != SW_ROLE_NONE && p->scope_role < need ? " with this token" : "");
	else if (p->admin)
		sw_buf_addf(why, " (this token of %s is limited)", p->user);
	else
		sw_buf_addf(why, " (%s is not an admin)", p->user);
	return 0;
}

int sw_roles_grant(sqlite3 *db, const char *app, const char *user, enum sw_role role, const char *by)
{
	sqlite3_stmt *st = NULL;

	if (role < SW_ROLE_READ || role > SW_ROLE_OPERATE)
		return sw_error_code(SW_EINVAL, "role: want read, deploy or operate on an app");
	if (sw_store_prepare(db, &st, "INSERT INTO access(app, user, role, created_at, created_by) VALUES (?, ?, ?, ?, ?)"
			     " ON CONFLICT (app, user) DO UPDATE SET role = excluded.role,"
			     " created_at = excluded.created_at, created_by = excluded.created_by") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, sw_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, sw_time_now());
	sqlite3_bind_text(st, 5, by, -1, SQLITE_TRANSIENT);
	return sw_store_step_done(db, st, "grant role");
}

int sw_roles_revoke(sqlite3 *db, const char *app, const char *user)
{
	int n = sw_store_exec_texts(db, "DELETE FROM access WHERE app = ? AND user = ?", (const char *[]){ app, user }, 2,
				    "revoke role");
	return n < 0 ? n : n > 0;
}

int sw_roles_list(sqlite3 *db, const char *app, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array(), *admins = json_array();
	int rc;

	*out = NULL;
	if (sw_store_prepare(db, &st, "SELECT user, role, created_at, created_by FROM access WHERE app = ?"
			     " ORDER BY user") < 0)
		goto fail;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *by = (const char *)sqlite3_column_text(st, 3);
		json_array_append_new(list, json_pack("{s:s,s:s,s:o,s:o}", "user", (const char *)sqlite3_column_text(st, 0),
						      "role", (const char *)sqlite3_column_text(st, 1), "created_at",
						      sw_reply_iso_time(st, 2), "created_by",
						      by ? json_string(by) : json_null()));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE || sw_store_prepare(db, &st, "SELECT name FROM users WHERE admin ORDER BY name") < 0)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(admins, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	*out = json_pack("{s:s,s:o,s:o}", "app", app, "access", list, "admins", admins);
	return 0;
fail:
	json_decref(list);
	json_decref(admins);
	return sw_store_error(db, "read roles");
}

int sw_roles_forget(sqlite3 *db, const char *app, const char *user)
{
	if (app)
		return sw_store_exec_text(db, "DELETE FROM access WHERE app = ?", app, "forget roles") < 0 ? SW_ERROR : 0;
	return sw_store_exec_text(db, "DELETE FROM access WHERE user = ?", user, "forget roles") < 0 ? SW_ERROR : 0;
}
