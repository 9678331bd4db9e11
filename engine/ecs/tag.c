#include <string.h>

#include "engine/ecs/tag.h"
#include "common/error.h"
#include "common/json.h"
#include "common/store.h"
#include "common/banned.h"

json_t *sw_ecs_tag_get(struct sw_engine *e, const char *arn)
{
	json_t *tags = json_array();
	sqlite3_stmt *st = NULL;

	if (!arn || sw_store_prepare(e->db, &st, "SELECT key, value FROM tags WHERE arn = ? ORDER BY key") < 0)
		return tags;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(tags, json_pack("{s:s, s:s}", "key", (const char *)sqlite3_column_text(st, 0),
						      "value", (const char *)sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	return tags;
}

int sw_ecs_tag_put(struct sw_engine *e, const char *arn, json_t *tags)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int ret = 0;

	if (sw_store_prepare(e->db, &st, "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)") < 0)
		return SW_ERROR;
	for (i = 0; i < json_array_size(tags); i++) {
		json_t *t = json_array_get(tags, i);
		const char *k = sw_json_str(t, "key");
		const char *v = sw_json_str(t, "value");
		if (!k)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, v ? v : "", -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			ret = sw_store_error(e->db, "save tags");
			break;
		}
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_ecs_tag_drop(struct sw_engine *e, const char *arn)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;
	if (sw_store_prepare(e->db, &st, "DELETE FROM tags WHERE arn = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(e->db, "delete tags");
	sqlite3_finalize(st);
	return ret;
}

