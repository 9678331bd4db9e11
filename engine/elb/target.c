#include <stdlib.h>
#include <string.h>

#include "engine/elb/target.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct sw_elb_target *sw_elb_target_find(struct sw_elb *elb, const char *tg, const char *id, int port)
{
	size_t i;
	for (i = 0; i < elb->ntargets; i++) {
		struct sw_elb_target *t = &elb->targets[i];
		if (t->port == port && !strcmp(t->id, id) && !strcmp(t->tg_arn, tg))
			return t;
	}
	return NULL;
}

static int save_target(struct sw_elb *elb, const struct sw_elb_target *t)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;
	if (sw_store_prepare(elb->e->db, &st, "INSERT OR REPLACE INTO elb_targets (tg_arn, id, port, addr, "
			     "draining, registered_at, drain_until, direct, task) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, t->tg_arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, t->port);
	sqlite3_bind_text(st, 4, t->addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, t->draining);
	sqlite3_bind_double(st, 6, t->registered_at);
	sqlite3_bind_double(st, 7, t->drain_until);
	if (t->direct)
		sqlite3_bind_text(st, 8, t->direct, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	if (t->task)
		sqlite3_bind_text(st, 9, t->task, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(elb->e->db, "save target");
	sqlite3_finalize(st);
	return ret;
}

/* Register (or re-register) a target; 0 or negative with the error slot set. */
static int same_task(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

int sw_elb_target_register(struct sw_elb *elb, const char *tg, const char *id, int port, const char *addr,
			   const char *direct, const char *task)
{
	struct sw_elb_target *t = sw_elb_target_find(elb, tg, id, port);
	if (t && !t->draining && same_task(t->task, task))
		return 0;
	if (t && !t->draining) {
		/* another task's target on a host port used again: it is this task's now, under its name */
		sw_log_info("elbv2: target %s:%d is task %s's now (was %s's)", id, port, task ? task : "-",
			    t->task ? t->task : "-");
		free(t->addr);
		t->addr = xstrdup(addr);
		t->applied = t->applied_draining = 0;
		t->drained_at = 0;
	}
	if (!t) {
		SW_ALLOC_GROW(elb->targets, elb->ntargets + 1, elb->atargets);
		t = &elb->targets[elb->ntargets++];
		memset(t, 0, sizeof(*t));
		t->tg_arn = xstrdup(tg);
		t->id = xstrdup(id);
		t->port = port;
		t->addr = xstrdup(addr);
	}
	free(t->direct);
	t->direct = direct ? xstrdup(direct) : NULL;
	free(t->task);
	t->task = task ? xstrdup(task) : NULL;
	t->draining = 0;
	t->drain_until = 0;
	t->drained_at = 0;
	t->registered_at = sw_time_now();
	t->have_health = 0;
	t->rstate = SW_ROUTER_INITIAL;
	t->check_status[0] = '\0';
	sw_elb_wake(elb);
	return save_target(elb, t);
}

int sw_elb_target_deregister(struct sw_elb *elb, const struct sw_elb_object *tg, struct sw_elb_target *t)
{
	if (t->draining)
		return 0;
	t->draining = 1;
	t->drain_until = sw_time_now() + (double)sw_elb_object_tg_attr(tg, "deregistration_delay.timeout_seconds", 300);
	sw_elb_wake(elb);
	return save_target(elb, t);
}

/* t's row goes. */
static void delete_row(struct sw_elb *elb, const struct sw_elb_target *t)
{
	sqlite3_stmt *st = NULL;
	if (sw_store_prepare(elb->e->db, &st, "DELETE FROM elb_targets WHERE tg_arn = ? AND id = ? AND port = ?") < 0) {
		sw_log_warn("elbv2: %s", sw_error_last());
		return;
	}
	sqlite3_bind_text(st, 1, t->tg_arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, t->port);
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log_warn("elbv2: %s", sqlite3_errmsg(elb->e->db));
	sqlite3_finalize(st);
}

void sw_elb_target_remove(struct sw_elb *elb, struct sw_elb_target *t)
{
	size_t i = (size_t)(t - elb->targets);
	delete_row(elb, t);
	free(t->tg_arn);
	free(t->id);
	free(t->addr);
	free(t->direct);
	free(t->task);
	memmove(&elb->targets[i], &elb->targets[i + 1], (elb->ntargets - i - 1) * sizeof(*t));
	elb->ntargets--;
}

int sw_elb_target_load(struct sw_elb *elb)
{
	sqlite3 *db = elb->e->db;
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (sw_store_prepare(db, &st, "SELECT tg_arn, id, port, addr, draining, registered_at, drain_until, direct, "
			     "task FROM elb_targets ORDER BY registered_at") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sw_elb_target *t;
		SW_ALLOC_GROW(elb->targets, elb->ntargets + 1, elb->atargets);
		t = &elb->targets[elb->ntargets++];
		memset(t, 0, sizeof(*t));
		t->tg_arn = xstrdup((const char *)sqlite3_column_text(st, 0));
		t->id = xstrdup((const char *)sqlite3_column_text(st, 1));
		t->port = sqlite3_column_int(st, 2);
		t->addr = xstrdup((const char *)sqlite3_column_text(st, 3));
		t->draining = sqlite3_column_int(st, 4);
		t->registered_at = sqlite3_column_double(st, 5);
		t->drain_until = sqlite3_column_double(st, 6);
		if (sqlite3_column_type(st, 7) == SQLITE_TEXT)
			t->direct = xstrdup((const char *)sqlite3_column_text(st, 7));
		if (sqlite3_column_type(st, 8) == SQLITE_TEXT)
			t->task = xstrdup((const char *)sqlite3_column_text(st, 8));
		t->rstate = SW_ROUTER_INITIAL;
	}
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "load targets");
	sqlite3_finalize(st);
	return ret;
}

void sw_elb_target_server(const struct sw_elb_target *t, struct sw_buf *out)
{
	const char *p, *id = t->task ? t->task : t->id;
	int port = t->port;
	sw_buf_reset(out);
	for (p = id; *p && out->len < 48; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '-' || c == '.';
		sw_buf_addch(out, ok ? c : '_');
	}
	sw_buf_addf(out, "_%d", port);
}
