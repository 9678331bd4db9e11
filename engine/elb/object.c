#include <stdlib.h>
#include <string.h>

#include "engine/elb/object.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

static const char *const kind_names[] = { "loadbalancer", "targetgroup", "listener", "rule" };

json_t *sw_elb_object_doc(const struct sw_elb_object *o)
{
	return json_object_get(o->st, "doc");
}

const char *sw_elb_object_str(const struct sw_elb_object *o, const char *key)
{
	return sw_json_str(sw_elb_object_doc(o), key);
}

struct sw_elb_object *sw_elb_object_find(struct sw_elb *elb, enum sw_elb_kind kind, const char *arn)
{
	size_t i;
	if (!arn)
		return NULL;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == kind && !strcmp(elb->objs[i].arn, arn))
			return &elb->objs[i];
	return NULL;
}

struct sw_elb_object *sw_elb_object_named(struct sw_elb *elb, enum sw_elb_kind kind, const char *key, const char *name)
{
	size_t i;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == kind && sw_elb_object_str(&elb->objs[i], key) &&
		    !strcmp(sw_elb_object_str(&elb->objs[i], key), name))
			return &elb->objs[i];
	return NULL;
}

struct sw_elb_object *sw_elb_object_any(struct sw_elb *elb, const char *arn)
{
	size_t i;
	for (i = 0; arn && i < elb->nobjs; i++)
		if (!strcmp(elb->objs[i].arn, arn))
			return &elb->objs[i];
	return NULL;
}

int sw_elb_object_save(struct sw_elb *elb, const struct sw_elb_object *o)
{
	sqlite3_stmt *st = NULL;
	char *text = json_dumps(o->st, JSON_COMPACT);
	int ret = 0;

	if (sw_store_prepare(elb->e->db, &st, "INSERT OR REPLACE INTO elb_objects (arn, kind, created_at, doc) "
			     "VALUES (?, ?, ?, ?)") < 0) {
		free(text);
		return SW_ERROR;
	}
	sqlite3_bind_text(st, 1, o->arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind_names[o->kind], -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, o->created_at);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(elb->e->db, "save load balancer object");
	sqlite3_finalize(st);
	free(text);
	return ret;
}

struct sw_elb_object *sw_elb_object_add(struct sw_elb *elb, enum sw_elb_kind kind, const char *arn, json_t *st, double created)
{
	struct sw_elb_object *o;
	const char *slash = strrchr(arn, '/');
	SW_ALLOC_GROW(elb->objs, elb->nobjs + 1, elb->aobjs);
	o = &elb->objs[elb->nobjs++];
	o->kind = kind;
	o->arn = xstrdup(arn);
	o->hex = xstrdup(slash ? slash + 1 : arn);
	o->created_at = created;
	o->st = st;
	return o;
}

void sw_elb_object_remove(struct sw_elb *elb, struct sw_elb_object *o)
{
	size_t i = (size_t)(o - elb->objs);
	if (sw_store_exec_text(elb->e->db, "DELETE FROM elb_objects WHERE arn = ?", o->arn, "delete load balancer object") < 0)
		sw_log_warn("elbv2: %s", sw_error_last());
	free(o->arn);
	free(o->hex);
	json_decref(o->st);
	memmove(&elb->objs[i], &elb->objs[i + 1], (elb->nobjs - i - 1) * sizeof(*o));
	elb->nobjs--;
}

void sw_elb_object_changed(struct sw_elb *elb)
{
	elb->gen++;
	sw_elb_wake(elb);
}

int sw_elb_object_load(struct sw_elb *elb)
{
	sqlite3 *db = elb->e->db;
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (sw_store_prepare(db, &st, "SELECT arn, kind, created_at, doc FROM elb_objects ORDER BY created_at, rowid") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		json_error_t jerr;
		json_t *doc = json_loads((const char *)sqlite3_column_text(st, 3), 0, &jerr);
		int k;
		for (k = 0; k < 4 && strcmp(kind_names[k], kind); k++)
			;
		if (k == 4 || !doc) {
			json_decref(doc);
			sw_log_warn("elbv2: skipping a stored %s that does not read back", kind);
			continue;
		}
		sw_elb_object_add(elb, k, (const char *)sqlite3_column_text(st, 0), doc, sqlite3_column_double(st, 2));
	}
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "load load balancers");
	sqlite3_finalize(st);
	return ret;
}

int sw_elb_object_builtin(const struct sw_elb_object *o)
{
	return sw_json_bool(o->st, "builtin", 0);
}

/* The first forward action of an action list, or NULL. */
static json_t *forward_action(json_t *actions)
{
	size_t i;
	json_t *a;
	json_array_foreach(actions, i, a) {
		const char *type = sw_json_str(a, "Type");
		if (type && !strcmp(type, "forward"))
			return a;
	}
	return NULL;
}

/* The target group an action list forwards to (the first of a weighted forward), or NULL. */
const char *sw_elb_object_action_tg(json_t *actions)
{
	json_t *a = forward_action(actions);
	if (!a)
		return NULL;
	if (sw_json_str(a, "TargetGroupArn"))
		return sw_json_str(a, "TargetGroupArn");
	return sw_json_str(json_array_get(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), 0),
			   "TargetGroupArn");
}

int sw_elb_object_action_weights(json_t *actions, const char *tg[2], long long weight[2])
{
	json_t *a = forward_action(actions);
	json_t *tgs = json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups");
	size_t i, n = 0;

	tg[0] = tg[1] = NULL;
	weight[0] = weight[1] = 0;
	if (!a)
		return 0;
	if (sw_json_str(a, "TargetGroupArn") || json_array_size(tgs) < 2) {
		tg[0] = sw_elb_object_action_tg(actions);
		weight[0] = 1;
		return tg[0] != NULL;
	}
	for (i = 0; i < json_array_size(tgs) && n < 2; i++, n++) {
		tg[n] = sw_json_str(json_array_get(tgs, i), "TargetGroupArn");
		weight[n] = sw_json_int(json_array_get(tgs, i), "Weight", 1);
	}
	return (int)n;
}

struct sw_elb_object *sw_elb_object_listener_of(struct sw_elb *elb, const struct sw_elb_object *rule)
{
	return sw_elb_object_find(elb, SW_ELB_LISTENER, sw_json_str(rule->st, "listener"));
}

static int rule_priority(const struct sw_elb_object *r)
{
	return atoi(sw_elb_object_str(r, "Priority"));
}

static int by_priority(const void *a, const void *b)
{
	const struct sw_elb_object *x = *(const struct sw_elb_object *const *)a, *y = *(const struct sw_elb_object *const *)b;
	return rule_priority(x) - rule_priority(y);
}

/* The rules of listener l sorted by priority (an array of pointers the caller frees). */
struct sw_elb_object **sw_elb_object_rules(struct sw_elb *elb, const char *listener, size_t *n)
{
	struct sw_elb_object **v = xcalloc(elb->nobjs + 1, sizeof(*v));
	size_t i;
	*n = 0;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == SW_ELB_RULE &&
		    !strcmp(sw_json_str(elb->objs[i].st, "listener"), listener))
			v[(*n)++] = &elb->objs[i];
	qsort(v, *n, sizeof(*v), by_priority);
	return v;
}

/* Load balancers whose listeners or rules send traffic to tg. */
json_t *sw_elb_object_tg_users(struct sw_elb *elb, const char *tg)
{
	json_t *arr = json_array();
	size_t i, j;
	for (i = 0; i < elb->nobjs; i++) {
		struct sw_elb_object *o = &elb->objs[i], *l = NULL;
		const char *lb, *used;
		int dup = 0;
		if (o->kind == SW_ELB_LISTENER) {
			l = o;
			used = sw_elb_object_action_tg(json_object_get(sw_elb_object_doc(o), "DefaultActions"));
		} else if (o->kind == SW_ELB_RULE) {
			const char *tgs[2];
			long long w[2];
			l = sw_elb_object_listener_of(elb, o);
			/* both target groups of a weighted forward are in use, the one at weight 0 too */
			sw_elb_object_action_weights(json_object_get(sw_elb_object_doc(o), "Actions"), tgs, w);
			used = tgs[1] && !strcmp(tgs[1], tg) ? tgs[1] : tgs[0];
		} else {
			continue;
		}
		if (!l || !used || strcmp(used, tg))
			continue;
		lb = sw_elb_object_str(l, "LoadBalancerArn");
		for (j = 0; j < json_array_size(arr); j++)
			if (!strcmp(json_string_value(json_array_get(arr, j)), lb))
				dup = 1;
		if (!dup)
			json_array_append_new(arr, json_string(lb));
	}
	return arr;
}

int sw_elb_object_tg_in_use(struct sw_elb *elb, const char *tg)
{
	json_t *lbs = sw_elb_object_tg_users(elb, tg);
	int used = json_array_size(lbs) > 0;
	json_decref(lbs);
	return used;
}

long long sw_elb_object_tg_attr(const struct sw_elb_object *tg, const char *key, long long dflt)
{
	const char *v = sw_json_str(json_object_get(tg->st, "attributes"), key);
	return v ? strtoll(v, NULL, 10) : dflt;
}

void sw_elb_object_backend(const char *tg_hex, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "tg-%s", tg_hex);
}

void sw_elb_object_frontend(const char *listener_hex, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "l-%s", listener_hex);
}
