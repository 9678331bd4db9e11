#include <string.h>

#include "releaser/appsettings.h"
#include "releaser/review.h"
#include "releaser/settings.h"
#include "common/error.h"
#include "common/store.h"
#include "common/banned.h"

/* The app's own task role into out (reset first): 1, 0 none, < 0 error. */
static int own_role(sqlite3 *db, const char *app, struct sw_buf *out)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	sw_buf_reset(out);
	if ((ret = sw_store_prepare(db, &st, "SELECT task_role_arn FROM app_settings WHERE app = ?")) < 0)
		return ret;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		sw_buf_adds(out, (const char *)sqlite3_column_text(st, 0));
		ret = 1;
	} else {
		ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sw_store_error(db, "app settings");
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_appsettings_get(sqlite3 *db, const char *app, json_t **out)
{
	struct sw_buf role = SW_BUF_INIT;
	int ret = own_role(db, app, &role);

	*out = NULL;
	if (ret >= 0)
		*out = json_pack("{s:s, s:o}", "app", app, "task_role", ret ? json_string(role.ptr) : json_null());
	sw_buf_release(&role);
	return ret < 0 ? ret : 0;
}

int sw_appsettings_set(sqlite3 *db, const char *app, const json_t *changes)
{
	const json_t *role = json_object_get(changes, "task_role");
	const char *arn = json_string_value(role);
	sqlite3_stmt *st = NULL;
	int ret;

	if (!json_is_object(changes) || !role || json_object_size(changes) != 1 ||
	    !(json_is_string(role) || json_is_null(role)))
		return sw_error_code(SW_EINVAL, "want {\"task_role\": \"arn:aws:iam::123456789012:role/NAME\"} "
				     "(\"\" or null removes it)");
	if (arn && !*arn)
		arn = NULL;
	if (arn && sw_settings_check_role_arn(arn) < 0)
		return sw_error_prefix("task_role");
	if ((ret = sw_store_prepare(db, &st, "INSERT INTO app_settings(app, task_role_arn) VALUES (?1, ?2)"
				    " ON CONFLICT(app) DO UPDATE SET task_role_arn = ?2")) < 0)
		return ret;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	if (arn)
		sqlite3_bind_text(st, 2, arn, -1, SQLITE_TRANSIENT);
	ret = sqlite3_step(st) == SQLITE_DONE ? 0 : sw_store_error(db, "record app settings");
	sqlite3_finalize(st);
	return ret;
}

int sw_appsettings_task_role(sqlite3 *db, const char *app, struct sw_buf *out)
{
	struct sw_review rv = SW_REVIEW_INIT;
	struct sw_buf role = SW_BUF_INIT;
	int ret = own_role(db, app, &role);

	if (ret == 0 && sw_review_load(db, app, &rv) == 0)
		ret = own_role(db, rv.parent, &role);
	if (ret > 0)
		sw_buf_adds(out, role.ptr);
	sw_review_release(&rv);
	sw_buf_release(&role);
	return ret;
}

int sw_appsettings_delete(sqlite3 *db, const char *app)
{
	int n = sw_store_exec_text(db, "DELETE FROM app_settings WHERE app = ?", app, "forget app settings");
	return n < 0 ? n : 0;
}
