#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "engine/elb/elb.h"
#include "engine/engine.h"
#include "engine/elb/router.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

/*
 * Locking: the model (objects, targets) is guarded by the engine lock (e->lock), like
 * the rest of the engine's state, and written through the engine's connection
 * (e->db): the scheduler calls the seam inside its pass transaction, so a target it
 * registers commits together with the task that carries it. The elb thread takes
 * the engine lock only to copy the model out and to write results back; the router
 * (HAProxy) is called with no lock held.
 */

#define DEFAULT_LB_NAME "slipway"
#define PAGE_DEFAULT 400
#define TICK_ACTIVE_MS 1000
#define TICK_IDLE_MS 10000

enum { K_LB, K_TG, K_LISTENER, K_RULE };
static const char *const kind_names[] = { "loadbalancer", "targetgroup", "listener", "rule" };

struct elb_obj {
	int kind;
	char *arn;
	char *hex;        /* the ARN's last component: the router's names */
	double created_at;
	json_t *st;       /* {"doc": <API shape>, "tags": [...], kind-specific internals} */
};

struct elb_target {
	char *tg_arn;
	char *id;
	int port;
	char *addr;            /* where the target is: this machine (127.0.0.1) or its IP */
	char *direct;          /* the container behind a published port, "ip:port", or NULL */
	int draining;
	double registered_at;
	double drain_until;
	/* what the router did and said (elb thread) */
	int applied;
	int applied_draining;
	int have_health;
	enum sw_router_state rstate;
	char check_status[16];
	int check_code;
	int sessions;
};

struct sw_elbv2 {
	struct sw_engine *e;
	struct sw_router *router;
	int router_port;
	char *listen;
	char *ec2_id;          /* this machine as an EC2 instance id, "i-..." */
	char *target_addr;     /* where instance targets are reached */
	struct elb_obj *objs;
	size_t nobjs, aobjs;
	struct elb_target *targets;
	size_t ntargets, atargets;
	unsigned long gen;     /* bumped on every change of the model (not of targets) */
	/* the elb thread */
	pthread_t th;
	int started;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	int wake;
	int stop;
};

static double now_s(void)
{
	return sw_engine_now();
}

static void iso_time(double t, struct sw_buf *out)
{
	time_t secs = (time_t)t;
	struct tm tm;
	char tmp[40];
	gmtime_r(&secs, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	sw_buf_addf(out, "%s.%03dZ", tmp, (int)((t - (double)secs) * 1000) % 1000);
}

static void kick(struct sw_elbv2 *elb)
{
	pthread_mutex_lock(&elb->wake_lock);
	elb->wake = 1;
	pthread_cond_signal(&elb->wake_cond);
	pthread_mutex_unlock(&elb->wake_lock);
}

static void model_changed(struct sw_elbv2 *elb)
{
	elb->gen++;
	kick(elb);
}

/* ---- objects -------------------------------------------------------------------- */

static json_t *doc_of(const struct elb_obj *o)
{
	return json_object_get(o->st, "doc");
}

static const char *doc_str(const struct elb_obj *o, const char *key)
{
	return json_string_value(json_object_get(doc_of(o), key));
}

static struct elb_obj *find_obj(struct sw_elbv2 *elb, int kind, const char *arn)
{
	size_t i;
	if (!arn)
		return NULL;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == kind && !strcmp(elb->objs[i].arn, arn))
			return &elb->objs[i];
	return NULL;
}

static struct elb_obj *find_by_name(struct sw_elbv2 *elb, int kind, const char *key, const char *name)
{
	size_t i;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == kind && doc_str(&elb->objs[i], key) &&
		    !strcmp(doc_str(&elb->objs[i], key), name))
			return &elb->objs[i];
	return NULL;
}

static int save_obj(struct sw_elbv2 *elb, const struct elb_obj *o)
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

static void delete_row(struct sw_elbv2 *elb, const char *sql, const char *a, const char *b, int port)
{
	sqlite3_stmt *st = NULL;
	if (sw_store_prepare(elb->e->db, &st, sql) < 0) {
		sw_log_warn("elbv2: %s", sw_error_last());
		return;
	}
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b) {
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, port);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log_warn("elbv2: %s", sqlite3_errmsg(elb->e->db));
	sqlite3_finalize(st);
}

static struct elb_obj *add_obj(struct sw_elbv2 *elb, int kind, const char *arn, json_t *st, double created)
{
	struct elb_obj *o;
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

static void remove_obj(struct sw_elbv2 *elb, struct elb_obj *o)
{
	size_t i = (size_t)(o - elb->objs);
	delete_row(elb, "DELETE FROM elb_objects WHERE arn = ?", o->arn, NULL, 0);
	free(o->arn);
	free(o->hex);
	json_decref(o->st);
	memmove(&elb->objs[i], &elb->objs[i + 1], (elb->nobjs - i - 1) * sizeof(*o));
	elb->nobjs--;
}

/* ---- targets -------------------------------------------------------------------- */

static struct elb_target *find_target(struct sw_elbv2 *elb, const char *tg, const char *id, int port)
{
	size_t i;
	for (i = 0; i < elb->ntargets; i++) {
		struct elb_target *t = &elb->targets[i];
		if (t->port == port && !strcmp(t->id, id) && !strcmp(t->tg_arn, tg))
			return t;
	}
	return NULL;
}

static int save_target(struct sw_elbv2 *elb, const struct elb_target *t)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;
	if (sw_store_prepare(elb->e->db, &st, "INSERT OR REPLACE INTO elb_targets (tg_arn, id, port, addr, "
			     "draining, registered_at, drain_until, direct) VALUES (?, ?, ?, ?, ?, ?, ?, ?)") < 0)
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
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(elb->e->db, "save target");
	sqlite3_finalize(st);
	return ret;
}

static void remove_target(struct sw_elbv2 *elb, struct elb_target *t)
{
	size_t i = (size_t)(t - elb->targets);
	delete_row(elb, "DELETE FROM elb_targets WHERE tg_arn = ? AND id = ? AND port = ?", t->tg_arn, t->id, t->port);
	free(t->tg_arn);
	free(t->id);
	free(t->addr);
	free(t->direct);
	memmove(&elb->targets[i], &elb->targets[i + 1], (elb->ntargets - i - 1) * sizeof(*t));
	elb->ntargets--;
}

/* The router's server name for a target: "<id>_<port>", id sanitised. */
static void server_name(const char *id, int port, struct sw_buf *out)
{
	const char *p;
	sw_buf_reset(out);
	for (p = id; *p && out->len < 48; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '-' || c == '.';
		sw_buf_addch(out, ok ? c : '_');
	}
	sw_buf_addf(out, "_%d", port);
}

static void backend_name(const char *tg_hex, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "tg-%s", tg_hex);
}

/* ---- references between objects -------------------------------------------------- */

/* The target group an action list forwards to (the first forward action), or NULL. */
static const char *action_tg(json_t *actions)
{
	size_t i;
	json_t *a;
	json_array_foreach(actions, i, a) {
		const char *type = json_string_value(json_object_get(a, "Type"));
		if (type && !strcmp(type, "forward"))
			return json_string_value(json_object_get(a, "TargetGroupArn"));
	}
	return NULL;
}

static struct elb_obj *listener_of_rule(struct sw_elbv2 *elb, const struct elb_obj *rule)
{
	return find_obj(elb, K_LISTENER, json_string_value(json_object_get(rule->st, "listener")));
}

/* Load balancers whose listeners or rules send traffic to tg. */
static json_t *tg_load_balancers(struct sw_elbv2 *elb, const char *tg)
{
	json_t *arr = json_array();
	size_t i, j;
	for (i = 0; i < elb->nobjs; i++) {
		struct elb_obj *o = &elb->objs[i], *l = NULL;
		const char *lb, *used;
		int dup = 0;
		if (o->kind == K_LISTENER) {
			l = o;
			used = action_tg(json_object_get(doc_of(o), "DefaultActions"));
		} else if (o->kind == K_RULE) {
			l = listener_of_rule(elb, o);
			used = action_tg(json_object_get(doc_of(o), "Actions"));
		} else {
			continue;
		}
		if (!l || !used || strcmp(used, tg))
			continue;
		lb = doc_str(l, "LoadBalancerArn");
		for (j = 0; j < json_array_size(arr); j++)
			if (!strcmp(json_string_value(json_array_get(arr, j)), lb))
				dup = 1;
		if (!dup)
			json_array_append_new(arr, json_string(lb));
	}
	return arr;
}

static int tg_in_use(struct sw_elbv2 *elb, const char *tg)
{
	json_t *lbs = tg_load_balancers(elb, tg);
	int used = json_array_size(lbs) > 0;
	json_decref(lbs);
	return used;
}

static long long tg_attr_int(const struct elb_obj *tg, const char *key, long long dflt)
{
	const char *v = json_string_value(json_object_get(json_object_get(tg->st, "attributes"), key));
	return v ? strtoll(v, NULL, 10) : dflt;
}

/* ---- the API's calls -------------------------------------------------------------- */

/* An ELBv2 client error (400) with its code. */
#define FAIL(c, code, ...) sw_engine_api_call_fail((c), 400, (code), __VA_ARGS__)

static const char *in_str(struct sw_engine_call *c, const char *name)
{
	return sw_engine_api_call_str(c, name);
}

static json_t *in_get(struct sw_engine_call *c, const char *name)
{
	return sw_engine_api_call_get(c, name);
}

/* AWS's message for a missing required member ("targetGroupArn"). */
static int need(struct sw_engine_call *c, const char *name)
{
	char lower[64];
	if (json_object_get(c->in, name))
		return 0;
	snprintf(lower, sizeof(lower), "%s", name);
	if (lower[0] >= 'A' && lower[0] <= 'Z')
		lower[0] = (char)(lower[0] + 32);
	return FAIL(c, "ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy "
		    "constraint: Member must not be null", lower);
}

static int db_failed(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 500, "InternalFailure", "%s", sw_error_last());
}

/* Marker/PageSize over a list: the slice to answer and NextMarker. */
static int page(struct sw_engine_call *c, json_t *all, json_t **slice)
{
	const char *marker = in_str(c, "Marker");
	long long size = json_integer_value(in_get(c, "PageSize"));
	long long off = 0;
	size_t i, n = json_array_size(all);
	char *end = NULL;

	if (in_get(c, "PageSize") && (size < 1 || size > 400))
		return FAIL(c, "ValidationError", "Page size must be between 1 and 400");
	if (!size)
		size = PAGE_DEFAULT;
	if (marker) {
		off = strtoll(marker, &end, 10);
		if (!*marker || *end || off < 0)
			return FAIL(c, "ValidationError", "Invalid marker '%s'", marker);
	}
	*slice = json_array();
	for (i = (size_t)off; i < n && i < (size_t)(off + size); i++)
		json_array_append(*slice, json_array_get(all, i));
	if ((size_t)(off + size) < n) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%lld", off + size);
		json_object_set_new(c->out, "NextMarker", json_string(tmp));
	}
	return 0;
}

static void new_arn(struct sw_elbv2 *elb, struct sw_buf *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void new_arn(struct sw_elbv2 *elb, struct sw_buf *out, const char *fmt, ...)
{
	va_list ap;
	struct sw_buf res = SW_BUF_INIT;
	va_start(ap, fmt);
	sw_buf_vaddf(&res, fmt, ap);
	va_end(ap);
	sw_buf_reset(out);
	sw_engine_arn(elb->e, out, "elasticloadbalancing", "%s", res.ptr);
	sw_buf_release(&res);
}

static void random_hex16(struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_engine_random_hex(out, 8);
}

static json_t *tags_from(json_t *tags)
{
	return tags && json_is_array(tags) ? json_deep_copy(tags) : json_array();
}

/* ---- validation shared by the operations --------------------------------------- */

static int valid_name(struct sw_engine_call *c, const char *what, const char *name)
{
	size_t i, n = strlen(name);
	if (n < 1 || n > 32)
		return FAIL(c, "ValidationError", "%s name '%s' must have between 1 and 32 characters", what, name);
	for (i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return FAIL(c, "ValidationError", "%s name '%s' can only contain characters that are "
				    "alphanumeric characters or hyphens(-)", what, name);
	}
	if (name[0] == '-' || name[n - 1] == '-')
		return FAIL(c, "ValidationError", "%s name '%s' cannot begin or end with '-'", what, name);
	return 0;
}

static int valid_http_code(const char *m)
{
	const char *p = m;
	for (;;) {
		int i;
		for (i = 0; i < 3; i++, p++)
			if (*p < '0' || *p > '9')
				return 0;
		if (*p == '-') {
			p++;
			for (i = 0; i < 3; i++, p++)
				if (*p < '0' || *p > '9')
					return 0;
		}
		if (!*p)
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

/* A port as a bind() test: is it free on the router's address? */
static int port_free(const char *addr, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
	int one = 1;
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/*
 * Check and normalise one action list (as ALB answers it). for_rule: rules take
 * forward actions only here.
 */
static int check_actions(struct sw_engine_call *c, json_t *actions, int for_rule, json_t **out)
{
	json_t *a, *norm;
	const char *type;

	*out = NULL;
	if (!json_is_array(actions) || json_array_size(actions) == 0)
		return FAIL(c, "ValidationError", "At least one action must be specified");
	if (json_array_size(actions) > 1)
		return FAIL(c, "InvalidLoadBalancerAction", "slipway-engine supports one action per %s",
			    for_rule ? "rule" : "listener");
	a = json_array_get(actions, 0);
	type = json_string_value(json_object_get(a, "Type"));
	if (!type)
		return FAIL(c, "ValidationError", "1 validation error detected: Value null at 'actions.1.member.type' "
			    "failed to satisfy constraint: Member must not be null");
	if (!strcmp(type, "forward")) {
		const char *tg = json_string_value(json_object_get(a, "TargetGroupArn"));
		json_t *fc = json_object_get(a, "ForwardConfig");
		json_t *tgs = json_object_get(fc, "TargetGroups"), *item;
		size_t i;
		const char *chosen = NULL;
		int weighted = 0;

		json_array_foreach(tgs, i, item) {
			json_t *w = json_object_get(item, "Weight");
			const char *arn = json_string_value(json_object_get(item, "TargetGroupArn"));
			if (w && json_integer_value(w) == 0 && json_array_size(tgs) > 1)
				continue;
			if (chosen && arn && strcmp(chosen, arn))
				weighted = 1;
			if (!chosen)
				chosen = arn;
		}
		if (weighted)
			return FAIL(c, "InvalidLoadBalancerAction", "slipway-engine forwards to one target group per "
				    "action (weighted target groups are not supported)");
		if (tg && chosen && strcmp(tg, chosen))
			return FAIL(c, "ValidationError", "You cannot specify both a target group ARN and a forward "
				    "configuration with a different target group");
		if (!tg)
			tg = chosen;
		if (!tg)
			return FAIL(c, "ValidationError", "A target group ARN must be specified for a forward action");
		if (!find_obj(c->ctx, K_TG, tg))
			return FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
		norm = json_pack("{s:s, s:s, s:{s:[{s:s, s:i}], s:{s:b}}}", "Type", "forward", "TargetGroupArn", tg,
				 "ForwardConfig", "TargetGroups", "TargetGroupArn", tg, "Weight", 1,
				 "TargetGroupStickinessConfig", "Enabled", 0);
	} else if (!strcmp(type, "fixed-response")) {
		json_t *fr = json_object_get(a, "FixedResponseConfig");
		const char *code = json_string_value(json_object_get(fr, "StatusCode"));
		const char *ctype = json_string_value(json_object_get(fr, "ContentType"));
		const char *body = json_string_value(json_object_get(fr, "MessageBody"));
		static const char *const types[] = { "text/plain", "text/css", "text/html",
						     "application/javascript", "application/json", NULL };
		int i, ok = !ctype;

		if (for_rule)
			return FAIL(c, "InvalidLoadBalancerAction", "slipway-engine supports fixed-response as a "
				    "listener's default action only; rules forward");
		if (!code || strlen(code) != 3 || (code[0] != '2' && code[0] != '4' && code[0] != '5') ||
		    code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9')
			return FAIL(c, "ValidationError", "Fixed response status code must be 2XX, 4XX or 5XX");
		for (i = 0; ctype && types[i]; i++)
			if (!strcmp(types[i], ctype))
				ok = 1;
		if (!ok)
			return FAIL(c, "ValidationError", "Fixed response content type '%s' is not valid", ctype);
		if (body && strlen(body) > 1024)
			return FAIL(c, "ValidationError", "Fixed response message body cannot exceed 1024 characters");
		norm = json_pack("{s:s, s:{s:s}}", "Type", "fixed-response", "FixedResponseConfig", "StatusCode", code);
		if (ctype)
			json_object_set_new(json_object_get(norm, "FixedResponseConfig"), "ContentType", json_string(ctype));
		if (body)
			json_object_set_new(json_object_get(norm, "FixedResponseConfig"), "MessageBody", json_string(body));
	} else {
		return FAIL(c, "InvalidLoadBalancerAction", "Action type '%s' is not supported by slipway-engine", type);
	}
	if (json_object_get(a, "Order"))
		json_object_set(norm, "Order", json_object_get(a, "Order"));
	*out = json_pack("[o]", norm);
	return 0;
}

/* Check and normalise rule conditions: host-header and path-pattern. */
static int check_conditions(struct sw_engine_call *c, json_t *conds, json_t **out)
{
	struct sw_strvec hosts = SW_STRVEC_INIT, paths = SW_STRVEC_INIT;
	json_t *cond, *norm = NULL;
	size_t i, j;
	int seen_host = 0, seen_path = 0, ret = -1;

	*out = NULL;
	if (!json_is_array(conds) || json_array_size(conds) == 0) {
		FAIL(c, "ValidationError", "A rule must have at least one condition");
		goto cleanup;
	}
	norm = json_array();
	json_array_foreach(conds, i, cond) {
		const char *field = json_string_value(json_object_get(cond, "Field"));
		json_t *values = json_object_get(cond, "Values"), *v;
		json_t *cfg = NULL;
		int host;

		if (!field && json_object_get(cond, "HostHeaderConfig"))
			field = "host-header";
		if (!field && json_object_get(cond, "PathPatternConfig"))
			field = "path-pattern";
		if (!field) {
			FAIL(c, "ValidationError", "A condition field must be specified");
			goto cleanup;
		}
		if (strcmp(field, "host-header") && strcmp(field, "path-pattern")) {
			FAIL(c, "ValidationError", "Condition field '%s' is not supported by slipway-engine "
			     "(host-header and path-pattern are)", field);
			goto cleanup;
		}
		host = !strcmp(field, "host-header");
		if ((host && seen_host++) || (!host && seen_path++)) {
			FAIL(c, "ValidationError", "A condition field can be specified only once: '%s'", field);
			goto cleanup;
		}
		cfg = json_object_get(cond, host ? "HostHeaderConfig" : "PathPatternConfig");
		if (json_object_get(cfg, "RegexValues")) {
			FAIL(c, "ValidationError", "Regex values are not supported by slipway-engine");
			goto cleanup;
		}
		if (json_object_get(cfg, "Values")) {
			if (values && !json_equal(values, json_object_get(cfg, "Values"))) {
				FAIL(c, "ValidationError", "You cannot specify both 'Values' and '%s' with different values",
				     host ? "HostHeaderConfig" : "PathPatternConfig");
				goto cleanup;
			}
			values = json_object_get(cfg, "Values");
		}
		if (!json_array_size(values)) {
			FAIL(c, "ValidationError", "A '%s' condition must have at least one value", field);
			goto cleanup;
		}
		json_array_foreach(values, j, v) {
			if (!json_is_string(v)) {
				FAIL(c, "ValidationError", "Condition values must be strings");
				goto cleanup;
			}
			sw_strvec_push(host ? &hosts : &paths, json_string_value(v));
		}
		json_array_append_new(norm, json_pack("{s:s, s:O, s:{s:O}}", "Field", field, "Values", values,
						      host ? "HostHeaderConfig" : "PathPatternConfig", "Values", values));
	}
	{
		/* the router's own check of the patterns */
		struct sw_router_rule rr = { hosts.v, hosts.nr, paths.v, paths.nr, "x" };
		char *re = NULL;
		if (sw_router_rule_regex(&rr, &re) < 0) {
			FAIL(c, "ValidationError", "%s", sw_error_last());
			goto cleanup;
		}
		free(re);
	}
	*out = norm;
	norm = NULL;
	ret = 0;

cleanup:
	json_decref(norm);
	sw_strvec_clear(&hosts);
	sw_strvec_clear(&paths);
	return ret;
}

/* ---- load balancers -------------------------------------------------------------- */

static json_t *lb_doc(struct sw_elbv2 *elb, const char *arn, const char *name, double created)
{
	struct sw_buf t = SW_BUF_INIT, zone = SW_BUF_INIT;
	json_t *doc;
	iso_time(created, &t);
	sw_buf_addf(&zone, "%sa", elb->e->cfg.region);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:[{s:s, s:s}], s:[], s:s}",
			"LoadBalancerArn", arn, "DNSName", "localhost", "CanonicalHostedZoneId", "Z35SXDOTRQ7X7K",
			"CreatedTime", t.ptr, "LoadBalancerName", name, "Scheme", "internet-facing",
			"VpcId", "vpc-00000000000slipway", "State", "Code", "active", "Type", "application",
			"AvailabilityZones", "ZoneName", zone.ptr, "SubnetId", "subnet-00000000slipway",
			"SecurityGroups", "IpAddressType", "ipv4");
	sw_buf_release(&t);
	sw_buf_release(&zone);
	return doc;
}

static struct elb_obj *create_lb(struct sw_elbv2 *elb, const char *name, json_t *tags)
{
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT;
	double now = now_s();
	struct elb_obj *o;

	random_hex16(&hex);
	new_arn(elb, &arn, "loadbalancer/app/%s/%s", name, hex.ptr);
	o = add_obj(elb, K_LB, arn.ptr, json_pack("{s:o, s:o}", "doc", lb_doc(elb, arn.ptr, name, now),
						       "tags", tags_from(tags)), now);
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	return o;
}

static int op_create_load_balancer(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *name = in_str(c, "Name"), *type = in_str(c, "Type");
	struct elb_obj *o;

	if (need(c, "Name") < 0 || valid_name(c, "Load balancer", name) < 0)
		return -1;
	if (type && strcmp(type, "application"))
		return FAIL(c, "InvalidConfigurationRequest", "slipway-engine runs application load balancers only");
	o = find_by_name(elb, K_LB, "LoadBalancerName", name);
	if (!o) {
		o = create_lb(elb, name, in_get(c, "Tags"));
		if (save_obj(elb, o) < 0)
			return db_failed(c);
		model_changed(elb);
	}
	json_object_set_new(c->out, "LoadBalancers", json_pack("[O]", doc_of(o)));
	return 0;
}

static int op_describe_load_balancers(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	json_t *arns = in_get(c, "LoadBalancerArns"), *names = in_get(c, "Names");
	json_t *all = json_array(), *slice = NULL, *v;
	size_t i;
	int ret = 0;

	if (json_array_size(arns) || json_array_size(names)) {
		json_array_foreach(arns, i, v) {
			struct elb_obj *o = find_obj(elb, K_LB, json_string_value(v));
			if (!o) {
				ret = FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
				goto cleanup;
			}
			json_array_append(all, doc_of(o));
		}
		json_array_foreach(names, i, v) {
			struct elb_obj *o = find_by_name(elb, K_LB, "LoadBalancerName", json_string_value(v));
			if (!o) {
				ret = FAIL(c, "LoadBalancerNotFound", "Load balancers '[%s]' not found", json_string_value(v));
				goto cleanup;
			}
			json_array_append(all, doc_of(o));
		}
	} else {
		for (i = 0; i < elb->nobjs; i++)
			if (elb->objs[i].kind == K_LB)
				json_array_append(all, doc_of(&elb->objs[i]));
	}
	if ((ret = page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "LoadBalancers", slice);
cleanup:
	json_decref(all);
	return ret;
}

static void delete_listener(struct sw_elbv2 *elb, struct elb_obj *l)
{
	size_t i;
	char *arn = xstrdup(l->arn);
	for (i = elb->nobjs; i-- > 0;)
		if (elb->objs[i].kind == K_RULE &&
		    !strcmp(json_string_value(json_object_get(elb->objs[i].st, "listener")), arn))
			remove_obj(elb, &elb->objs[i]);
	l = find_obj(elb, K_LISTENER, arn);
	if (l)
		remove_obj(elb, l);
	free(arn);
}

static int builtin(const struct elb_obj *o)
{
	return json_is_true(json_object_get(o->st, "builtin"));
}

static int op_delete_load_balancer(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *lb;
	size_t i;

	if (need(c, "LoadBalancerArn") < 0)
		return -1;
	lb = find_obj(elb, K_LB, in_str(c, "LoadBalancerArn"));
	if (!lb)
		return 0;
	if (builtin(lb))
		return FAIL(c, "OperationNotPermitted", "The load balancer '%s' is slipway-engine's router and cannot "
			    "be deleted", lb->arn);
	for (i = elb->nobjs; i-- > 0;)
		if (elb->objs[i].kind == K_LISTENER && !strcmp(doc_str(&elb->objs[i], "LoadBalancerArn"), lb->arn)) {
			delete_listener(elb, &elb->objs[i]);
			i = elb->nobjs;
		}
	lb = find_obj(elb, K_LB, in_str(c, "LoadBalancerArn"));
	if (lb)
		remove_obj(elb, lb);
	model_changed(elb);
	return 0;
}

/* ---- target groups --------------------------------------------------------------- */

static json_t *tg_out(struct sw_elbv2 *elb, const struct elb_obj *tg)
{
	json_t *doc = json_deep_copy(doc_of(tg));
	json_object_set_new(doc, "LoadBalancerArns", tg_load_balancers(elb, tg->arn));
	return doc;
}

/*
 * Apply the health check members of the request onto doc (create: defaults first).
 * Checks every rule ALB checks.
 */
static int apply_health_check(struct sw_engine_call *c, json_t *doc)
{
	static const char *const ints[] = { "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
					    "HealthyThresholdCount", "UnhealthyThresholdCount", NULL };
	static const int lo[] = { 5, 2, 2, 2 }, hi[] = { 300, 120, 10, 10 };
	const char *proto = in_str(c, "HealthCheckProtocol"), *port = in_str(c, "HealthCheckPort");
	const char *path = in_str(c, "HealthCheckPath");
	json_t *matcher = in_get(c, "Matcher");
	int i;

	if (proto && strcmp(proto, "HTTP"))
		return FAIL(c, "InvalidConfigurationRequest", "Health check protocol '%s' is not supported by "
			    "slipway-engine (HTTP is)", proto);
	if (port) {
		char *end = NULL;
		long p = strtol(port, &end, 10);
		if (strcmp(port, "traffic-port") && (!*port || *end || p < 1 || p > 65535))
			return FAIL(c, "ValidationError", "Health check port '%s' must be 'traffic-port' or a port "
				    "number between 1 and 65535", port);
		json_object_set_new(doc, "HealthCheckPort", json_string(port));
	}
	if (in_get(c, "HealthCheckEnabled"))
		json_object_set(doc, "HealthCheckEnabled", in_get(c, "HealthCheckEnabled"));
	for (i = 0; ints[i]; i++) {
		json_t *v = in_get(c, ints[i]);
		if (!v)
			continue;
		if (json_integer_value(v) < lo[i] || json_integer_value(v) > hi[i])
			return FAIL(c, "ValidationError", "%s must be between %d and %d", ints[i], lo[i], hi[i]);
		json_object_set(doc, ints[i], v);
	}
	if (json_integer_value(json_object_get(doc, "HealthCheckTimeoutSeconds")) >=
	    json_integer_value(json_object_get(doc, "HealthCheckIntervalSeconds")))
		return FAIL(c, "ValidationError", "Health check timeout '%lld' must be smaller than the interval '%lld'",
			    (long long)json_integer_value(json_object_get(doc, "HealthCheckTimeoutSeconds")),
			    (long long)json_integer_value(json_object_get(doc, "HealthCheckIntervalSeconds")));
	if (path) {
		const char *p;
		if (path[0] != '/' || strlen(path) > 1024)
			return FAIL(c, "ValidationError", "Health check path must begin with a '/' character and have "
				    "at most 1024 characters");
		for (p = path; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\'' || *p == '"' || *p == '\\' || *p == '#')
				return FAIL(c, "ValidationError", "Health check path '%s' has a character that is not "
					    "allowed", path);
		json_object_set_new(doc, "HealthCheckPath", json_string(path));
	}
	if (matcher) {
		const char *code = json_string_value(json_object_get(matcher, "HttpCode"));
		if (json_object_get(matcher, "GrpcCode"))
			return FAIL(c, "ValidationError", "A gRPC matcher is not supported by slipway-engine");
		if (!code || !valid_http_code(code))
			return FAIL(c, "ValidationError", "Health check matcher HTTP code '%s' must be a code like 200, "
				    "a list like 200,202 or a range like 200-299", code ? code : "");
		json_object_set_new(doc, "Matcher", json_pack("{s:s}", "HttpCode", code));
	}
	return 0;
}

static json_t *default_attributes(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "deregistration_delay.timeout_seconds", "300",
			 "stickiness.enabled", "false",
			 "stickiness.type", "lb_cookie",
			 "stickiness.lb_cookie.duration_seconds", "86400",
			 "stickiness.app_cookie.cookie_name", "",
			 "stickiness.app_cookie.duration_seconds", "86400",
			 "load_balancing.algorithm.type", "round_robin",
			 "load_balancing.cross_zone.enabled", "use_load_balancer_configuration",
			 "slow_start.duration_seconds", "0");
}

static int op_create_target_group(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *name = in_str(c, "Name"), *proto = in_str(c, "Protocol"), *type = in_str(c, "TargetType");
	const char *version = in_str(c, "ProtocolVersion");
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT;
	struct elb_obj *o;
	json_t *doc = NULL;
	int ret = -1;
	double now = now_s();

	if (need(c, "Name") < 0 || valid_name(c, "Target group", name) < 0)
		return -1;
	if (!type)
		type = "instance";
	if (strcmp(type, "instance") && strcmp(type, "ip"))
		return FAIL(c, "InvalidConfigurationRequest", "Target type '%s' is not supported by slipway-engine "
			    "(instance and ip are)", type);
	if (!proto)
		return FAIL(c, "ValidationError", "A protocol must be specified");
	if (strcmp(proto, "HTTP"))
		return FAIL(c, "InvalidConfigurationRequest", "Protocol '%s' is not supported by slipway-engine's "
			    "target groups (HTTP is)", proto);
	if (!in_get(c, "Port"))
		return FAIL(c, "ValidationError", "A port must be specified");
	if (version && strcmp(version, "HTTP1"))
		return FAIL(c, "InvalidConfigurationRequest", "Protocol version '%s' is not supported by "
			    "slipway-engine (HTTP1 is)", version);
	doc = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:{s:s}, s:s, s:s, s:s}",
			"TargetGroupArn", "", "TargetGroupName", name, "Protocol", proto, "Port", in_get(c, "Port"),
			"VpcId", in_str(c, "VpcId") ? in_str(c, "VpcId") : "vpc-00000000000slipway",
			"HealthCheckProtocol", "HTTP", "HealthCheckPort", "traffic-port", "HealthCheckEnabled", 1,
			"HealthCheckIntervalSeconds", 30, "HealthCheckTimeoutSeconds", 5, "HealthyThresholdCount", 5,
			"UnhealthyThresholdCount", 2, "HealthCheckPath", "/", "Matcher", "HttpCode", "200",
			"TargetType", type, "ProtocolVersion", "HTTP1", "IpAddressType", "ipv4");
	if (apply_health_check(c, doc) < 0)
		goto cleanup;
	o = find_by_name(elb, K_TG, "TargetGroupName", name);
	if (o) {
		/* ALB answers the existing group when the settings are the same */
		json_t *cmp = json_deep_copy(doc);
		json_object_set(cmp, "TargetGroupArn", json_object_get(doc_of(o), "TargetGroupArn"));
		if (!json_equal(cmp, doc_of(o))) {
			json_decref(cmp);
			FAIL(c, "DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with "
			     "different settings", name);
			goto cleanup;
		}
		json_decref(cmp);
	} else {
		random_hex16(&hex);
		new_arn(elb, &arn, "targetgroup/%s/%s", name, hex.ptr);
		json_object_set_new(doc, "TargetGroupArn", json_string(arn.ptr));
		o = add_obj(elb, K_TG, arn.ptr, json_pack("{s:O, s:o, s:o}", "doc", doc, "tags",
							   tags_from(in_get(c, "Tags")), "attributes",
							   default_attributes()), now);
		if (save_obj(elb, o) < 0) {
			db_failed(c);
			goto cleanup;
		}
		model_changed(elb);
	}
	json_object_set_new(c->out, "TargetGroups", json_pack("[o]", tg_out(elb, o)));
	ret = 0;

cleanup:
	json_decref(doc);
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	return ret;
}

static int op_describe_target_groups(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *lb = in_str(c, "LoadBalancerArn");
	json_t *arns = in_get(c, "TargetGroupArns"), *names = in_get(c, "Names");
	json_t *all = json_array(), *slice = NULL, *v;
	size_t i;
	int ret = 0;

	if (lb && !find_obj(elb, K_LB, lb)) {
		ret = FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
		goto cleanup;
	}
	if (json_array_size(arns) || json_array_size(names)) {
		json_array_foreach(arns, i, v) {
			struct elb_obj *o = find_obj(elb, K_TG, json_string_value(v));
			if (!o) {
				ret = FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
				goto cleanup;
			}
			json_array_append_new(all, tg_out(elb, o));
		}
		json_array_foreach(names, i, v) {
			struct elb_obj *o = find_by_name(elb, K_TG, "TargetGroupName", json_string_value(v));
			if (!o) {
				ret = FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
				goto cleanup;
			}
			json_array_append_new(all, tg_out(elb, o));
		}
	} else {
		for (i = 0; i < elb->nobjs; i++) {
			json_t *doc, *lbs;
			size_t j;
			int match = !lb;
			if (elb->objs[i].kind != K_TG)
				continue;
			doc = tg_out(elb, &elb->objs[i]);
			lbs = json_object_get(doc, "LoadBalancerArns");
			for (j = 0; lb && j < json_array_size(lbs); j++)
				if (!strcmp(json_string_value(json_array_get(lbs, j)), lb))
					match = 1;
			if (match)
				json_array_append(all, doc);
			json_decref(doc);
		}
	}
	if ((ret = page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "TargetGroups", slice);
cleanup:
	json_decref(all);
	return ret;
}

static int op_modify_target_group(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *o;
	json_t *doc;

	if (need(c, "TargetGroupArn") < 0)
		return -1;
	o = find_obj(elb, K_TG, in_str(c, "TargetGroupArn"));
	if (!o)
		return FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	doc = json_deep_copy(doc_of(o));
	if (apply_health_check(c, doc) < 0) {
		json_decref(doc);
		return -1;
	}
	json_object_set_new(o->st, "doc", doc);
	if (save_obj(elb, o) < 0)
		return db_failed(c);
	model_changed(elb);
	json_object_set_new(c->out, "TargetGroups", json_pack("[o]", tg_out(elb, o)));
	return 0;
}

static int op_delete_target_group(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *o;
	size_t i;

	if (need(c, "TargetGroupArn") < 0)
		return -1;
	o = find_obj(elb, K_TG, in_str(c, "TargetGroupArn"));
	if (!o)
		return 0;
	if (tg_in_use(elb, o->arn))
		return FAIL(c, "ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", o->arn);
	for (i = elb->ntargets; i-- > 0;)
		if (!strcmp(elb->targets[i].tg_arn, o->arn))
			remove_target(elb, &elb->targets[i]);
	remove_obj(elb, o);
	model_changed(elb);
	return 0;
}

static json_t *attributes_out(const struct elb_obj *tg)
{
	json_t *arr = json_array(), *v;
	const char *k;
	json_object_foreach(json_object_get(tg->st, "attributes"), k, v)
		json_array_append_new(arr, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	return arr;
}

static int op_describe_target_group_attributes(struct sw_engine_call *c)
{
	struct elb_obj *o;
	if (need(c, "TargetGroupArn") < 0)
		return -1;
	o = find_obj(c->ctx, K_TG, in_str(c, "TargetGroupArn"));
	if (!o)
		return FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	json_object_set_new(c->out, "Attributes", attributes_out(o));
	return 0;
}

static int op_modify_target_group_attributes(struct sw_engine_call *c)
{
	struct elb_obj *o;
	json_t *attrs, *a, *changed;
	size_t i;

	if (need(c, "TargetGroupArn") < 0 || need(c, "Attributes") < 0)
		return -1;
	o = find_obj(c->ctx, K_TG, in_str(c, "TargetGroupArn"));
	if (!o)
		return FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	attrs = json_object_get(o->st, "attributes");
	changed = json_deep_copy(attrs);
	json_array_foreach(in_get(c, "Attributes"), i, a) {
		const char *k = json_string_value(json_object_get(a, "Key"));
		const char *v = json_string_value(json_object_get(a, "Value"));
		if (!k || !v || !json_object_get(attrs, k)) {
			json_decref(changed);
			return FAIL(c, "ValidationError", "Target group attribute key '%s' is not recognized", k ? k : "");
		}
		if (!strcmp(k, "deregistration_delay.timeout_seconds")) {
			char *end = NULL;
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 0 || n > 3600) {
				json_decref(changed);
				return FAIL(c, "ValidationError", "'%s' must be an integer between 0 and 3600", k);
			}
		}
		json_object_set_new(changed, k, json_string(v));
	}
	json_object_set_new(o->st, "attributes", changed);
	if (save_obj(c->ctx, o) < 0)
		return db_failed(c);
	json_object_set_new(c->out, "Attributes", attributes_out(o));
	return 0;
}

/* ---- listeners and rules --------------------------------------------------------- */

static const char *lb_name_of(struct sw_elbv2 *elb, const char *lb_arn)
{
	struct elb_obj *lb = find_obj(elb, K_LB, lb_arn);
	return lb ? doc_str(lb, "LoadBalancerName") : "lb";
}

static struct elb_obj *create_listener(struct sw_elbv2 *elb, struct elb_obj *lb, int port, json_t *actions,
				       json_t *tags)
{
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT, rule = SW_BUF_INIT;
	struct elb_obj *o;
	json_t *doc;

	random_hex16(&hex);
	new_arn(elb, &arn, "listener/app/%s/%s/%s", doc_str(lb, "LoadBalancerName"), lb->hex, hex.ptr);
	random_hex16(&hex);
	new_arn(elb, &rule, "listener-rule/app/%s/%s/%s", doc_str(lb, "LoadBalancerName"), lb->hex,
		strrchr(arn.ptr, '/') + 1);
	sw_buf_addf(&rule, "/%s", hex.ptr);
	doc = json_pack("{s:s, s:s, s:i, s:s, s:O}", "ListenerArn", arn.ptr, "LoadBalancerArn", lb->arn, "Port", port,
			"Protocol", "HTTP", "DefaultActions", actions);
	o = add_obj(elb, K_LISTENER, arn.ptr, json_pack("{s:o, s:o, s:s}", "doc", doc, "tags", tags_from(tags),
							 "default_rule", rule.ptr), now_s());
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	sw_buf_release(&rule);
	return o;
}

static int op_create_listener(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *proto = in_str(c, "Protocol");
	struct elb_obj *lb, *o;
	json_t *actions = NULL;
	int port = (int)json_integer_value(in_get(c, "Port"));
	size_t i;

	if (need(c, "LoadBalancerArn") < 0 || need(c, "DefaultActions") < 0)
		return -1;
	lb = find_obj(elb, K_LB, in_str(c, "LoadBalancerArn"));
	if (!lb)
		return FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
	if (proto && strcmp(proto, "HTTP"))
		return FAIL(c, "UnsupportedProtocol", "Protocol '%s' is not supported by slipway-engine's listeners "
			    "(HTTP is)", proto);
	if (!in_get(c, "Port"))
		return FAIL(c, "ValidationError", "A listener port must be specified");
	if (port < 1 || port > 65535)
		return FAIL(c, "ValidationError", "Port must be between 1 and 65535");
	for (i = 0; i < elb->nobjs; i++) {
		struct elb_obj *l = &elb->objs[i];
		if (l->kind != K_LISTENER || json_integer_value(json_object_get(doc_of(l), "Port")) != port)
			continue;
		if (!strcmp(doc_str(l, "LoadBalancerArn"), lb->arn))
			return FAIL(c, "DuplicateListener", "A listener already exists on this port for this load "
				    "balancer '%s'", lb->arn);
		return FAIL(c, "InvalidConfigurationRequest", "Port %d is used by another load balancer on this "
			    "machine", port);
	}
	if (!port_free(elb->listen, port))
		return FAIL(c, "InvalidConfigurationRequest", "Port %d is in use on this machine", port);
	if (check_actions(c, in_get(c, "DefaultActions"), 0, &actions) < 0)
		return -1;
	o = create_listener(elb, lb, port, actions, in_get(c, "Tags"));
	json_decref(actions);
	if (save_obj(elb, o) < 0)
		return db_failed(c);
	model_changed(elb);
	json_object_set_new(c->out, "Listeners", json_pack("[O]", doc_of(o)));
	return 0;
}

static int op_describe_listeners(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *lb = in_str(c, "LoadBalancerArn");
	json_t *arns = in_get(c, "ListenerArns"), *all = json_array(), *slice = NULL, *v;
	size_t i;
	int ret = 0;

	if (!lb && !json_array_size(arns)) {
		ret = FAIL(c, "ValidationError", "You must specify either listener ARNs or a load balancer ARN");
		goto cleanup;
	}
	if (lb && !find_obj(elb, K_LB, lb)) {
		ret = FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
		goto cleanup;
	}
	json_array_foreach(arns, i, v) {
		struct elb_obj *o = find_obj(elb, K_LISTENER, json_string_value(v));
		if (!o) {
			ret = FAIL(c, "ListenerNotFound", "One or more listeners not found");
			goto cleanup;
		}
		json_array_append(all, doc_of(o));
	}
	for (i = 0; lb && i < elb->nobjs; i++)
		if (elb->objs[i].kind == K_LISTENER && !strcmp(doc_str(&elb->objs[i], "LoadBalancerArn"), lb))
			json_array_append(all, doc_of(&elb->objs[i]));
	if ((ret = page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "Listeners", slice);
cleanup:
	json_decref(all);
	return ret;
}

static int op_delete_listener(struct sw_engine_call *c)
{
	struct elb_obj *l;
	if (need(c, "ListenerArn") < 0)
		return -1;
	l = find_obj(c->ctx, K_LISTENER, in_str(c, "ListenerArn"));
	if (!l)
		return FAIL(c, "ListenerNotFound", "One or more listeners not found");
	if (builtin(l))
		return FAIL(c, "OperationNotPermitted", "The listener '%s' is slipway-engine's router and cannot be "
			    "deleted", l->arn);
	delete_listener(c->ctx, l);
	model_changed(c->ctx);
	return 0;
}

static int rule_priority(const struct elb_obj *r)
{
	return atoi(doc_str(r, "Priority"));
}

static int by_priority(const void *a, const void *b)
{
	const struct elb_obj *x = *(const struct elb_obj *const *)a, *y = *(const struct elb_obj *const *)b;
	return rule_priority(x) - rule_priority(y);
}

/* The rules of listener l sorted by priority (an array of pointers the caller frees). */
static struct elb_obj **rules_of(struct sw_elbv2 *elb, const char *listener, size_t *n)
{
	struct elb_obj **v = xcalloc(elb->nobjs + 1, sizeof(*v));
	size_t i;
	*n = 0;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == K_RULE &&
		    !strcmp(json_string_value(json_object_get(elb->objs[i].st, "listener")), listener))
			v[(*n)++] = &elb->objs[i];
	qsort(v, *n, sizeof(*v), by_priority);
	return v;
}

static json_t *default_rule_doc(const struct elb_obj *l)
{
	return json_pack("{s:O, s:s, s:[], s:O, s:b}", "RuleArn", json_object_get(l->st, "default_rule"),
			 "Priority", "default", "Conditions", "Actions", json_object_get(doc_of(l), "DefaultActions"),
			 "IsDefault", 1);
}

static int op_create_rule(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *l, *lb, *o;
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT, prio = SW_BUF_INIT;
	json_t *conds = NULL, *actions = NULL, *doc;
	long long priority = json_integer_value(in_get(c, "Priority"));
	size_t i;
	int ret = -1;

	if (need(c, "ListenerArn") < 0 || need(c, "Conditions") < 0 || need(c, "Priority") < 0 ||
	    need(c, "Actions") < 0)
		return -1;
	l = find_obj(elb, K_LISTENER, in_str(c, "ListenerArn"));
	if (!l)
		return FAIL(c, "ListenerNotFound", "One or more listeners not found");
	if (priority < 1 || priority > 50000)
		return FAIL(c, "ValidationError", "Priority must be between 1 and 50000");
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == K_RULE && rule_priority(&elb->objs[i]) == priority &&
		    !strcmp(json_string_value(json_object_get(elb->objs[i].st, "listener")), l->arn))
			return FAIL(c, "PriorityInUse", "Priority '%lld' is currently in use", priority);
	if (check_conditions(c, in_get(c, "Conditions"), &conds) < 0 ||
	    check_actions(c, in_get(c, "Actions"), 1, &actions) < 0)
		goto cleanup;
	lb = find_obj(elb, K_LB, doc_str(l, "LoadBalancerArn"));
	random_hex16(&hex);
	new_arn(elb, &arn, "listener-rule/app/%s/%s/%s/%s", lb_name_of(elb, lb ? lb->arn : ""),
		lb ? lb->hex : "0", l->hex, hex.ptr);
	sw_buf_addf(&prio, "%lld", priority);
	doc = json_pack("{s:s, s:s, s:O, s:O, s:b}", "RuleArn", arn.ptr, "Priority", prio.ptr, "Conditions", conds,
			"Actions", actions, "IsDefault", 0);
	o = add_obj(elb, K_RULE, arn.ptr, json_pack("{s:o, s:o, s:s}", "doc", doc, "tags",
						     tags_from(in_get(c, "Tags")), "listener", l->arn), now_s());
	if (save_obj(elb, o) < 0) {
		db_failed(c);
		goto cleanup;
	}
	model_changed(elb);
	json_object_set_new(c->out, "Rules", json_pack("[O]", doc_of(o)));
	ret = 0;

cleanup:
	json_decref(conds);
	json_decref(actions);
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	sw_buf_release(&prio);
	return ret;
}

static struct elb_obj *listener_by_default_rule(struct sw_elbv2 *elb, const char *rule)
{
	size_t i;
	for (i = 0; rule && i < elb->nobjs; i++)
		if (elb->objs[i].kind == K_LISTENER &&
		    !strcmp(json_string_value(json_object_get(elb->objs[i].st, "default_rule")), rule))
			return &elb->objs[i];
	return NULL;
}

static int op_describe_rules(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *listener = in_str(c, "ListenerArn");
	json_t *arns = in_get(c, "RuleArns"), *all = json_array(), *slice = NULL, *v;
	size_t i, n;
	int ret = 0;

	if (!listener && !json_array_size(arns)) {
		ret = FAIL(c, "ValidationError", "You must specify either listener ARN or rule ARNs");
		goto cleanup;
	}
	if (listener) {
		struct elb_obj *l = find_obj(elb, K_LISTENER, listener), **rules;
		if (!l) {
			ret = FAIL(c, "ListenerNotFound", "One or more listeners not found");
			goto cleanup;
		}
		rules = rules_of(elb, l->arn, &n);
		for (i = 0; i < n; i++)
			json_array_append(all, doc_of(rules[i]));
		json_array_append_new(all, default_rule_doc(l));
		free(rules);
	}
	json_array_foreach(arns, i, v) {
		struct elb_obj *r = find_obj(elb, K_RULE, json_string_value(v)), *l;
		if (r) {
			json_array_append(all, doc_of(r));
		} else if ((l = listener_by_default_rule(elb, json_string_value(v)))) {
			json_array_append_new(all, default_rule_doc(l));
		} else {
			ret = FAIL(c, "RuleNotFound", "One or more rules not found");
			goto cleanup;
		}
	}
	if ((ret = page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "Rules", slice);
cleanup:
	json_decref(all);
	return ret;
}

static int op_modify_rule(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *r;
	json_t *conds = NULL, *actions = NULL, *doc;

	if (need(c, "RuleArn") < 0)
		return -1;
	r = find_obj(elb, K_RULE, in_str(c, "RuleArn"));
	if (!r && listener_by_default_rule(elb, in_str(c, "RuleArn")))
		return FAIL(c, "OperationNotPermitted", "The default rule cannot be modified; modify the listener's "
			    "default actions instead");
	if (!r)
		return FAIL(c, "RuleNotFound", "One or more rules not found");
	if (in_get(c, "Conditions") && check_conditions(c, in_get(c, "Conditions"), &conds) < 0)
		return -1;
	if (in_get(c, "Actions") && check_actions(c, in_get(c, "Actions"), 1, &actions) < 0) {
		json_decref(conds);
		return -1;
	}
	doc = json_deep_copy(doc_of(r));
	if (conds)
		json_object_set_new(doc, "Conditions", conds);
	if (actions)
		json_object_set_new(doc, "Actions", actions);
	json_object_set_new(r->st, "doc", doc);
	if (save_obj(elb, r) < 0)
		return db_failed(c);
	model_changed(elb);
	json_object_set_new(c->out, "Rules", json_pack("[O]", doc_of(r)));
	return 0;
}

static int op_delete_rule(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *r;

	if (need(c, "RuleArn") < 0)
		return -1;
	r = find_obj(elb, K_RULE, in_str(c, "RuleArn"));
	if (!r && listener_by_default_rule(elb, in_str(c, "RuleArn")))
		return FAIL(c, "OperationNotPermitted", "Default rule '%s' cannot be deleted", in_str(c, "RuleArn"));
	if (!r)
		return FAIL(c, "RuleNotFound", "One or more rules not found");
	remove_obj(elb, r);
	model_changed(elb);
	return 0;
}

/* ---- targets: the API ------------------------------------------------------------ */

/* Where a target is reached: an instance target is this machine; an ip target its IP. */
static int target_addr(struct sw_engine_call *c, const struct elb_obj *tg, const char *id, const char **addr)
{
	struct sw_elbv2 *elb = c->ctx;
	const char *type = doc_str(tg, "TargetType");
	if (type && !strcmp(type, "ip")) {
		struct in_addr a;
		if (inet_pton(AF_INET, id, &a) != 1)
			return FAIL(c, "ValidationError", "The IP address '%s' is not a valid IPv4 address", id);
		*addr = id;
		return 0;
	}
	if (strcmp(id, elb->ec2_id))
		return FAIL(c, "InvalidTarget", "The following targets are not valid instances: '%s' (this machine "
			    "is instance '%s')", id, elb->ec2_id);
	*addr = elb->target_addr;
	return 0;
}

/* Register (or re-register) a target; 0 or negative with the error slot set. */
static int register_one(struct sw_elbv2 *elb, const char *tg, const char *id, int port, const char *addr,
			const char *direct)
{
	struct elb_target *t = find_target(elb, tg, id, port);
	if (t && !t->draining)
		return 0;
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
	t->draining = 0;
	t->drain_until = 0;
	t->registered_at = now_s();
	t->have_health = 0;
	t->rstate = SW_ROUTER_INITIAL;
	t->check_status[0] = '\0';
	kick(elb);
	return save_target(elb, t);
}

static int deregister_one(struct sw_elbv2 *elb, const struct elb_obj *tg, struct elb_target *t)
{
	if (t->draining)
		return 0;
	t->draining = 1;
	t->drain_until = now_s() + (double)tg_attr_int(tg, "deregistration_delay.timeout_seconds", 300);
	kick(elb);
	return save_target(elb, t);
}

/* The port of one entry of Targets: its own Port, else the target group's. */
static int target_port(const struct elb_obj *tg, const json_t *target)
{
	json_t *port = json_object_get(target, "Port");
	return port ? (int)json_integer_value(port) : (int)json_integer_value(json_object_get(doc_of(tg), "Port"));
}

/*
 * The target group of a RegisterTargets / DeregisterTargets call, with its Targets
 * checked (for deregistering: each one registered). NULL with the call failed.
 */
static struct elb_obj *targets_call(struct sw_engine_call *c, int need_registered)
{
	struct elb_obj *tg;
	json_t *v;
	size_t i;

	if (need(c, "TargetGroupArn") < 0 || need(c, "Targets") < 0)
		return NULL;
	tg = find_obj(c->ctx, K_TG, in_str(c, "TargetGroupArn"));
	if (!tg) {
		FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
		return NULL;
	}
	json_array_foreach(in_get(c, "Targets"), i, v) {
		const char *id = json_string_value(json_object_get(v, "Id"));
		json_t *port = json_object_get(v, "Port");
		if (!id) {
			FAIL(c, "ValidationError", "1 validation error detected: Value null at "
			     "'targets.%zu.member.id' failed to satisfy constraint: Member must not be null", i + 1);
			return NULL;
		}
		if (port && (json_integer_value(port) < 1 || json_integer_value(port) > 65535)) {
			FAIL(c, "ValidationError", "Port must be between 1 and 65535");
			return NULL;
		}
		if (need_registered && !find_target(c->ctx, tg->arn, id, target_port(tg, v))) {
			FAIL(c, "InvalidTarget", "The following targets are not registered in target group '%s': '%s'",
			     tg->arn, id);
			return NULL;
		}
	}
	return tg;
}

static int op_register_targets(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *tg = targets_call(c, 0);
	json_t *v;
	size_t i;

	if (!tg)
		return -1;
	json_array_foreach(in_get(c, "Targets"), i, v) {
		const char *addr = NULL;
		if (target_addr(c, tg, json_string_value(json_object_get(v, "Id")), &addr) < 0)
			return -1;
	}
	json_array_foreach(in_get(c, "Targets"), i, v) {
		const char *id = json_string_value(json_object_get(v, "Id")), *addr = NULL;
		target_addr(c, tg, id, &addr);
		if (register_one(elb, tg->arn, id, target_port(tg, v), addr, NULL) < 0)
			return db_failed(c);
	}
	return 0;
}

static int op_deregister_targets(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *tg = targets_call(c, 1);
	json_t *v;
	size_t i;

	if (!tg)
		return -1;
	json_array_foreach(in_get(c, "Targets"), i, v) {
		struct elb_target *t = find_target(elb, tg->arn, json_string_value(json_object_get(v, "Id")),
						   target_port(tg, v));
		if (t && deregister_one(elb, tg, t) < 0)
			return db_failed(c);
	}
	return 0;
}

/* A target's health as ALB states it: state, reason (NULL when healthy), description. */
static enum sw_run_target_health describe_health(struct sw_elbv2 *elb, const struct elb_obj *tg,
					     const struct elb_target *t, const char **state, const char **reason,
					     struct sw_buf *desc)
{
	sw_buf_reset(desc);
	*reason = NULL;
	if (!t) {
		*state = "unused";
		*reason = "Target.NotRegistered";
		sw_buf_adds(desc, "Target is not registered to the target group");
		return SW_TARGET_UNKNOWN;
	}
	if (t->draining) {
		*state = "draining";
		*reason = "Target.DeregistrationInProgress";
		sw_buf_adds(desc, "Target deregistration is in progress");
		return SW_TARGET_DRAINING;
	}
	if (!tg_in_use(elb, tg->arn)) {
		*state = "unused";
		*reason = "Target.NotInUse";
		sw_buf_adds(desc, "Target group is not configured to receive traffic from the load balancer");
		return SW_TARGET_UNUSED;
	}
	if (!json_is_true(json_object_get(doc_of(tg), "HealthCheckEnabled"))) {
		*state = "unavailable";
		*reason = "Target.HealthCheckDisabled";
		sw_buf_adds(desc, "Health checks are disabled for the target group");
		return SW_TARGET_HEALTHY;
	}
	if (!t->have_health || t->rstate == SW_ROUTER_INITIAL) {
		*state = "initial";
		if (!t->have_health || !t->check_status[0] || !strcmp(t->check_status, "INI")) {
			*reason = "Elb.RegistrationInProgress";
			sw_buf_adds(desc, "Target registration is in progress");
		} else {
			*reason = "Elb.InitialHealthChecking";
			sw_buf_adds(desc, "Initial health checks in progress");
		}
		return SW_TARGET_INITIAL;
	}
	if (t->rstate == SW_ROUTER_HEALTHY || t->rstate == SW_ROUTER_UNCHECKED) {
		*state = "healthy";
		return SW_TARGET_HEALTHY;
	}
	*state = "unhealthy";
	if (!strcmp(t->check_status, "L7STS")) {
		*reason = "Target.ResponseCodeMismatch";
		sw_buf_addf(desc, "Health checks failed with these codes: [%d]", t->check_code);
	} else if (strstr(t->check_status, "TOUT")) {
		*reason = "Target.Timeout";
		sw_buf_adds(desc, "Request timed out");
	} else {
		*reason = "Target.FailedHealthChecks";
		sw_buf_adds(desc, "Health checks failed");
	}
	return SW_TARGET_UNHEALTHY;
}

static json_t *health_doc(struct sw_elbv2 *elb, const struct elb_obj *tg, const char *id, int port,
			  const struct elb_target *t)
{
	struct sw_buf desc = SW_BUF_INIT, hcport = SW_BUF_INIT;
	const char *state, *reason, *p = doc_str(tg, "HealthCheckPort");
	json_t *th, *doc;

	describe_health(elb, tg, t, &state, &reason, &desc);
	th = json_pack("{s:s}", "State", state);
	if (reason) {
		json_object_set_new(th, "Reason", json_string(reason));
		json_object_set_new(th, "Description", json_string(desc.ptr));
	}
	if (!p || !strcmp(p, "traffic-port"))
		sw_buf_addf(&hcport, "%d", port);
	else
		sw_buf_adds(&hcport, p);
	doc = json_pack("{s:{s:s, s:i}, s:s, s:o}", "Target", "Id", id, "Port", port, "HealthCheckPort", hcport.ptr,
			"TargetHealth", th);
	sw_buf_release(&desc);
	sw_buf_release(&hcport);
	return doc;
}

static int op_describe_target_health(struct sw_engine_call *c)
{
	struct sw_elbv2 *elb = c->ctx;
	struct elb_obj *tg;
	json_t *list = json_array(), *v;
	size_t i;

	if (need(c, "TargetGroupArn") < 0) {
		json_decref(list);
		return -1;
	}
	tg = find_obj(elb, K_TG, in_str(c, "TargetGroupArn"));
	if (!tg) {
		json_decref(list);
		return FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	}
	if (json_array_size(in_get(c, "Targets"))) {
		json_array_foreach(in_get(c, "Targets"), i, v) {
			const char *id = json_string_value(json_object_get(v, "Id"));
			int port = target_port(tg, v);
			if (!id) {
				json_decref(list);
				return FAIL(c, "ValidationError", "A target ID must be specified");
			}
			json_array_append_new(list, health_doc(elb, tg, id, port, find_target(elb, tg->arn, id, port)));
		}
	} else {
		for (i = 0; i < elb->ntargets; i++) {
			struct elb_target *t = &elb->targets[i];
			if (!strcmp(t->tg_arn, tg->arn))
				json_array_append_new(list, health_doc(elb, tg, t->id, t->port, t));
		}
	}
	json_object_set_new(c->out, "TargetHealthDescriptions", list);
	return 0;
}

/* ---- tags ---------------------------------------------------------------------- */

static struct elb_obj *any_obj(struct sw_elbv2 *elb, const char *arn)
{
	size_t i;
	for (i = 0; arn && i < elb->nobjs; i++)
		if (!strcmp(elb->objs[i].arn, arn))
			return &elb->objs[i];
	return NULL;
}

static int not_found_for(struct sw_engine_call *c, const char *arn)
{
	if (arn && strstr(arn, ":targetgroup/"))
		return FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	if (arn && strstr(arn, ":listener-rule/"))
		return FAIL(c, "RuleNotFound", "One or more rules not found");
	if (arn && strstr(arn, ":listener/"))
		return FAIL(c, "ListenerNotFound", "One or more listeners not found");
	return FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
}

/* AddTags / RemoveTags: ResourceArns (and what) given, each naming something; else the call fails. */
static int tag_call(struct sw_engine_call *c, const char *what)
{
	json_t *v;
	size_t i;

	if (need(c, "ResourceArns") < 0 || need(c, what) < 0)
		return -1;
	json_array_foreach(in_get(c, "ResourceArns"), i, v)
		if (!any_obj(c->ctx, json_string_value(v)))
			return not_found_for(c, json_string_value(v));
	return 0;
}

/* Take the tag whose Key is key (a JSON string) out of tags, if there is one. */
static void tag_remove(json_t *tags, const json_t *key)
{
	size_t k;
	for (k = 0; k < json_array_size(tags); k++)
		if (json_equal(json_object_get(json_array_get(tags, k), "Key"), key)) {
			json_array_remove(tags, k);
			return;
		}
}

static int op_add_tags(struct sw_engine_call *c)
{
	json_t *v, *t;
	size_t i, j;

	if (tag_call(c, "Tags") < 0)
		return -1;
	json_array_foreach(in_get(c, "ResourceArns"), i, v) {
		struct elb_obj *o = any_obj(c->ctx, json_string_value(v));
		json_t *tags = json_object_get(o->st, "tags");
		json_array_foreach(in_get(c, "Tags"), j, t) {
			json_t *key = json_object_get(t, "Key");
			if (!json_is_string(key))
				return FAIL(c, "ValidationError", "A tag key must be specified");
			tag_remove(tags, key);
			json_array_append(tags, t);
		}
		if (save_obj(c->ctx, o) < 0)
			return db_failed(c);
	}
	return 0;
}

static int op_remove_tags(struct sw_engine_call *c)
{
	json_t *v, *key;
	size_t i, j;

	if (tag_call(c, "TagKeys") < 0)
		return -1;
	json_array_foreach(in_get(c, "ResourceArns"), i, v) {
		struct elb_obj *o = any_obj(c->ctx, json_string_value(v));
		json_t *tags = json_object_get(o->st, "tags");
		json_array_foreach(in_get(c, "TagKeys"), j, key)
			tag_remove(tags, key);
		if (save_obj(c->ctx, o) < 0)
			return db_failed(c);
	}
	return 0;
}

static int op_describe_tags(struct sw_engine_call *c)
{
	json_t *list = json_array(), *v;
	size_t i;

	if (need(c, "ResourceArns") < 0) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(in_get(c, "ResourceArns"), i, v) {
		struct elb_obj *o = any_obj(c->ctx, json_string_value(v));
		if (!o) {
			json_decref(list);
			return not_found_for(c, json_string_value(v));
		}
		json_array_append_new(list, json_pack("{s:s, s:O}", "ResourceArn", o->arn, "Tags",
						      json_object_get(o->st, "tags")));
	}
	json_object_set_new(c->out, "TagDescriptions", list);
	return 0;
}

/* ---- the API --------------------------------------------------------------------- */

static const struct sw_engine_api_op ops[] = {
	{ "CreateLoadBalancer", op_create_load_balancer, 0 },
	{ "DescribeLoadBalancers", op_describe_load_balancers, 0 },
	{ "DeleteLoadBalancer", op_delete_load_balancer, 0 },
	{ "CreateTargetGroup", op_create_target_group, 0 },
	{ "DescribeTargetGroups", op_describe_target_groups, 0 },
	{ "ModifyTargetGroup", op_modify_target_group, 0 },
	{ "DeleteTargetGroup", op_delete_target_group, 0 },
	{ "DescribeTargetGroupAttributes", op_describe_target_group_attributes, 0 },
	{ "ModifyTargetGroupAttributes", op_modify_target_group_attributes, 0 },
	{ "CreateListener", op_create_listener, 0 },
	{ "DescribeListeners", op_describe_listeners, 0 },
	{ "DeleteListener", op_delete_listener, 0 },
	{ "CreateRule", op_create_rule, 0 },
	{ "DescribeRules", op_describe_rules, 0 },
	{ "ModifyRule", op_modify_rule, 0 },
	{ "DeleteRule", op_delete_rule, 0 },
	{ "RegisterTargets", op_register_targets, 0 },
	{ "DeregisterTargets", op_deregister_targets, 0 },
	{ "DescribeTargetHealth", op_describe_target_health, 0 },
	{ "AddTags", op_add_tags, 0 },
	{ "RemoveTags", op_remove_tags, 0 },
	{ "DescribeTags", op_describe_tags, 0 },
	{ NULL, NULL, 0 },
};

static void elbv2_handle(const struct sw_engine_api *api, struct sw_engine *e, const struct sw_engine_request *req,
			 struct sw_engine_response *res)
{
	if (!api->ctx) {
		sw_engine_api_query_error(api, req, res, 503, "ServiceUnavailable", "ELBv2 is not running in this engine");
		return;
	}
	sw_engine_api_query_serve(api, e, req, res);
}

struct sw_engine_api sw_engine_elbv2_api = {
	"elbv2", &sw_aws_elbv2_model, SW_SIGV4_QUERY, ops, "ValidationError", NULL, elbv2_handle,
	sw_engine_api_query_error,
};

/* ---- the seam (lb.h): engine lock held ------------------------------------------- */

static struct elb_target *seam_target(struct sw_elbv2 *elb, const struct sw_run_target *t,
				      struct elb_obj **tg_out)
{
	struct elb_obj *tg = find_obj(elb, K_TG, t->target_group_arn);
	const char *type;
	*tg_out = tg;
	if (!tg)
		return NULL;
	type = doc_str(tg, "TargetType");
	return find_target(elb, tg->arn, type && !strcmp(type, "ip") ? t->host : elb->ec2_id, t->port);
}

static int seam_check(void *ctx, const char *arn)
{
	struct sw_elbv2 *elb = ctx;
	if (!find_obj(elb, K_TG, arn))
		return sw_error_code(SW_ENOTFOUND, "The target group with targetGroupArn %s does not exist.", arn);
	if (!tg_in_use(elb, arn))
		return sw_error_code(SW_EINVAL, "The target group with targetGroupArn %s does not have an associated "
				     "load balancer.", arn);
	return 0;
}

/*
 * The container behind a published host port (bridge mode): "ip:containerPort", so
 * the router can talk to it without Docker's userland proxy in between (as an ALB
 * talks to its target). NULL when there is none, or when the target group checks
 * health on an explicit port (a port of the instance). Engine lock held.
 */
static char *container_direct(struct sw_elbv2 *elb, const struct elb_obj *tg, const struct sw_run_target *t)
{
	const char *slash = t->task_arn ? strrchr(t->task_arn, '/') : NULL;
	const char *hc = doc_str(tg, "HealthCheckPort");
	struct sw_engine_task *task;
	struct sw_buf out = SW_BUF_INIT;
	size_t i, j;

	if (!slash || !t->container_name || (hc && strcmp(hc, "traffic-port")))
		return NULL;
	task = sw_engine_state_task(&elb->e->st, slash + 1);
	if (!task || !task->network_mode || strcmp(task->network_mode, "bridge"))
		return NULL;
	for (i = 0; i < task->nr_containers; i++) {
		struct sw_engine_container *c = &task->containers[i];
		if (strcmp(c->name, t->container_name) || !c->ip || !*c->ip)
			continue;
		for (j = 0; j < json_array_size(c->bindings); j++) {
			json_t *b = json_array_get(c->bindings, j);
			if (json_integer_value(json_object_get(b, "hostPort")) != t->port)
				continue;
			sw_buf_addf(&out, "%s:%lld", c->ip,
				    (long long)json_integer_value(json_object_get(b, "containerPort")));
			return sw_buf_detach(&out, NULL);
		}
	}
	return NULL;
}

static int seam_register(void *ctx, const struct sw_run_target *t)
{
	struct sw_elbv2 *elb = ctx;
	struct elb_obj *tg = find_obj(elb, K_TG, t->target_group_arn);
	const char *type, *host;
	char *direct;
	int ret;

	if (!tg)
		return sw_error_code(SW_ENOTFOUND, "target group %s does not exist", t->target_group_arn);
	if (!t->host || t->port < 1 || t->port > 65535)
		return sw_error_code(SW_EINVAL, "target %s:%d is not an address", t->host ? t->host : "?", t->port);
	type = doc_str(tg, "TargetType");
	host = !strcmp(t->host, "0.0.0.0") ? "127.0.0.1" : t->host;
	if (type && !strcmp(type, "ip"))
		return register_one(elb, tg->arn, host, t->port, host, NULL);
	direct = container_direct(elb, tg, t);
	ret = register_one(elb, tg->arn, elb->ec2_id, t->port, host, direct);
	free(direct);
	return ret;
}

static int seam_deregister(void *ctx, const struct sw_run_target *t, int *drain_seconds)
{
	struct sw_elbv2 *elb = ctx;
	struct elb_obj *tg = NULL;
	struct elb_target *target = seam_target(elb, t, &tg);

	*drain_seconds = 0;
	if (!target)
		return 0;
	*drain_seconds = (int)tg_attr_int(tg, "deregistration_delay.timeout_seconds", 300);
	return deregister_one(elb, tg, target);
}

static enum sw_run_target_health seam_health(void *ctx, const struct sw_run_target *t, struct sw_buf *reason)
{
	struct sw_elbv2 *elb = ctx;
	struct elb_obj *tg = NULL;
	struct elb_target *target = seam_target(elb, t, &tg);
	struct sw_buf desc = SW_BUF_INIT;
	const char *state, *why;
	enum sw_run_target_health h;

	if (!tg) {
		if (reason)
			sw_buf_adds(reason, "Target.NotRegistered");
		return SW_TARGET_UNKNOWN;
	}
	h = describe_health(elb, tg, target, &state, &why, &desc);
	if (reason && why)
		sw_buf_adds(reason, why);
	sw_buf_release(&desc);
	return h;
}

const struct sw_run_balancer_ops sw_elbv2_lb_ops = {
	"elbv2", seam_check, seam_register, seam_deregister, seam_health,
};

/* ---- the elb thread: the model onto the router ------------------------------------ */

struct snap_rule {
	struct sw_strvec hosts, paths;
	char *backend;
};

struct snap_frontend {
	char *name;
	int port;
	char *default_backend;
	int status;
	char *type, *body;
	struct snap_rule *rules;
	size_t nrules;
};

struct snap_backend {
	char *name;
	struct sw_router_check check;
	char *path, *matcher;
};

struct snap_target {
	char *tg_arn, *id, *addr, *direct, *backend, *server;
	int port, draining, applied, applied_draining;
	double drain_until;
};

struct snapshot {
	unsigned long gen;
	struct snap_frontend *fe;
	size_t nfe;
	struct snap_backend *be;
	size_t nbe;
	struct snap_target *t;
	size_t nt;
};

static void snapshot_release(struct snapshot *s)
{
	size_t i, j;
	for (i = 0; i < s->nfe; i++) {
		for (j = 0; j < s->fe[i].nrules; j++) {
			sw_strvec_clear(&s->fe[i].rules[j].hosts);
			sw_strvec_clear(&s->fe[i].rules[j].paths);
			free(s->fe[i].rules[j].backend);
		}
		free(s->fe[i].rules);
		free(s->fe[i].name);
		free(s->fe[i].default_backend);
		free(s->fe[i].type);
		free(s->fe[i].body);
	}
	free(s->fe);
	for (i = 0; i < s->nbe; i++) {
		free(s->be[i].name);
		free(s->be[i].path);
		free(s->be[i].matcher);
	}
	free(s->be);
	for (i = 0; i < s->nt; i++) {
		free(s->t[i].tg_arn);
		free(s->t[i].id);
		free(s->t[i].addr);
		free(s->t[i].direct);
		free(s->t[i].backend);
		free(s->t[i].server);
	}
	free(s->t);
	memset(s, 0, sizeof(*s));
}

static char *tg_backend(struct sw_elbv2 *elb, const char *tg_arn)
{
	struct elb_obj *tg = find_obj(elb, K_TG, tg_arn);
	struct sw_buf b = SW_BUF_INIT;
	if (!tg)
		return NULL;
	backend_name(tg->hex, &b);
	return sw_buf_detach(&b, NULL);
}

static void snap_conditions(json_t *conds, struct snap_rule *r)
{
	json_t *cond, *v;
	size_t i, j;
	json_array_foreach(conds, i, cond) {
		const char *field = json_string_value(json_object_get(cond, "Field"));
		int host = field && !strcmp(field, "host-header");
		json_array_foreach(json_object_get(cond, "Values"), j, v)
			sw_strvec_push(host ? &r->hosts : &r->paths, json_string_value(v));
	}
}

/* Copy what the router needs (engine lock held). models: also frontends and backends. */
static void take_snapshot(struct sw_elbv2 *elb, struct snapshot *s, int models)
{
	struct sw_buf name = SW_BUF_INIT;
	size_t i, j, n;

	s->gen = elb->gen;
	if (models) {
		s->fe = xcalloc(elb->nobjs + 1, sizeof(*s->fe));
		s->be = xcalloc(elb->nobjs + 1, sizeof(*s->be));
		for (i = 0; i < elb->nobjs; i++) {
			struct elb_obj *o = &elb->objs[i];
			json_t *doc = doc_of(o);
			if (o->kind == K_TG) {
				struct snap_backend *b = &s->be[s->nbe++];
				const char *port = doc_str(o, "HealthCheckPort");
				backend_name(o->hex, &name);
				b->name = xstrdup(name.ptr);
				b->path = xstrdup(doc_str(o, "HealthCheckPath"));
				b->matcher = xstrdup(json_string_value(json_object_get(json_object_get(doc, "Matcher"),
										       "HttpCode")));
				b->check.enabled = json_is_true(json_object_get(doc, "HealthCheckEnabled"));
				b->check.path = b->path;
				b->check.matcher = b->matcher;
				b->check.port = port && strcmp(port, "traffic-port") ? atoi(port) : 0;
				b->check.interval_ms = (int)json_integer_value(json_object_get(doc, "HealthCheckIntervalSeconds")) * 1000;
				b->check.timeout_ms = (int)json_integer_value(json_object_get(doc, "HealthCheckTimeoutSeconds")) * 1000;
				b->check.healthy_threshold = (int)json_integer_value(json_object_get(doc, "HealthyThresholdCount"));
				b->check.unhealthy_threshold = (int)json_integer_value(json_object_get(doc, "UnhealthyThresholdCount"));
			} else if (o->kind == K_LISTENER) {
				struct snap_frontend *f = &s->fe[s->nfe++];
				json_t *act = json_array_get(json_object_get(doc, "DefaultActions"), 0);
				json_t *fr = json_object_get(act, "FixedResponseConfig");
				struct elb_obj **rules = rules_of(elb, o->arn, &n);
				sw_buf_reset(&name);
				sw_buf_addf(&name, "l-%s", o->hex);
				f->name = xstrdup(name.ptr);
				f->port = (int)json_integer_value(json_object_get(doc, "Port"));
				f->default_backend = tg_backend(elb, action_tg(json_object_get(doc, "DefaultActions")));
				f->status = fr ? atoi(json_string_value(json_object_get(fr, "StatusCode"))) : 503;
				if (json_object_get(fr, "ContentType"))
					f->type = xstrdup(json_string_value(json_object_get(fr, "ContentType")));
				if (json_object_get(fr, "MessageBody"))
					f->body = xstrdup(json_string_value(json_object_get(fr, "MessageBody")));
				f->rules = xcalloc(n + 1, sizeof(*f->rules));
				for (j = 0; j < n; j++) {
					struct snap_rule *r = &f->rules[f->nrules];
					r->backend = tg_backend(elb, action_tg(json_object_get(doc_of(rules[j]), "Actions")));
					if (!r->backend)
						continue;
					sw_strvec_init(&r->hosts);
					sw_strvec_init(&r->paths);
					snap_conditions(json_object_get(doc_of(rules[j]), "Conditions"), r);
					f->nrules++;
				}
				free(rules);
			}
		}
	}
	s->t = xcalloc(elb->ntargets + 1, sizeof(*s->t));
	for (i = 0; i < elb->ntargets; i++) {
		struct elb_target *t = &elb->targets[i];
		struct snap_target *c = &s->t[s->nt];
		c->backend = tg_backend(elb, t->tg_arn);
		if (!c->backend)
			continue;
		server_name(t->id, t->port, &name);
		c->server = xstrdup(name.ptr);
		c->tg_arn = xstrdup(t->tg_arn);
		c->id = xstrdup(t->id);
		c->addr = xstrdup(t->addr);
		c->direct = t->direct ? xstrdup(t->direct) : NULL;
		c->port = t->port;
		c->draining = t->draining;
		c->applied = t->applied;
		c->applied_draining = t->applied_draining;
		c->drain_until = t->drain_until;
		s->nt++;
	}
	sw_buf_release(&name);
}

struct applied {
	unsigned long gen;
	int have_gen;
	struct sw_strvec frontends, backends;
};

/* Declare frontends, backends and rules (no lock held). 0 when all of it applied. */
static int apply_models(struct sw_elbv2 *elb, struct snapshot *s, struct applied *a)
{
	struct sw_strvec fes = SW_STRVEC_INIT, bes = SW_STRVEC_INIT;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < s->nbe; i++) {
		struct sw_router_backend b = { s->be[i].name, s->be[i].check };
		if (sw_router_set_backend(elb->router, &b) < 0) {
			sw_log_warn("elbv2: router backend %s: %s", b.name, sw_error_last());
			ret = SW_ERROR;
			continue;
		}
		sw_strvec_push(&bes, b.name);
	}
	for (i = 0; i < s->nfe; i++) {
		struct snap_frontend *f = &s->fe[i];
		struct sw_router_frontend fe = { f->name, f->port, f->default_backend, f->status, f->type, f->body };
		struct sw_router_rule *rules = xcalloc(f->nrules + 1, sizeof(*rules));
		if (sw_router_set_frontend(elb->router, &fe) < 0) {
			sw_log_warn("elbv2: router listener %s (port %d): %s", f->name, f->port, sw_error_last());
			ret = SW_ERROR;
			free(rules);
			continue;
		}
		sw_strvec_push(&fes, f->name);
		for (j = 0; j < f->nrules; j++) {
			rules[j].hosts = f->rules[j].hosts.v;
			rules[j].nhosts = f->rules[j].hosts.nr;
			rules[j].paths = f->rules[j].paths.v;
			rules[j].npaths = f->rules[j].paths.nr;
			rules[j].backend = f->rules[j].backend;
		}
		if (sw_router_set_rules(elb->router, f->name, rules, f->nrules) < 0) {
			sw_log_warn("elbv2: router rules of %s: %s", f->name, sw_error_last());
			ret = SW_ERROR;
		}
		free(rules);
	}
	/* what is gone: listeners first (they reference backends), then target groups */
	for (i = 0; i < a->frontends.nr; i++) {
		int keep = 0;
		for (j = 0; j < fes.nr; j++)
			keep |= !strcmp(fes.v[j], a->frontends.v[i]);
		if (!keep && sw_router_remove_frontend(elb->router, a->frontends.v[i]) < 0) {
			sw_log_warn("elbv2: router: %s", sw_error_last());
			sw_strvec_push(&fes, a->frontends.v[i]);
			ret = SW_ERROR;
		}
	}
	for (i = 0; i < a->backends.nr; i++) {
		int keep = 0;
		for (j = 0; j < bes.nr; j++)
			keep |= !strcmp(bes.v[j], a->backends.v[i]);
		if (!keep && sw_router_remove_backend(elb->router, a->backends.v[i]) < 0) {
			sw_log_warn("elbv2: router: %s", sw_error_last());
			sw_strvec_push(&bes, a->backends.v[i]);
			ret = SW_ERROR;
		}
	}
	sw_strvec_clear(&a->frontends);
	sw_strvec_clear(&a->backends);
	a->frontends = fes;
	a->backends = bes;
	return ret;
}

struct result {
	char *tg_arn, *id;
	int port;
	int applied, applied_draining;
	int have_health;
	struct sw_router_health h;
	int removed;
};

/*
 * Can the router reach a container directly ("ip:port")? A connect that succeeds or is
 * refused says the address is routable from here; a timeout or an unreachable network
 * (Docker in a VM, rootless Docker) says use the published port instead.
 */
static int direct_reachable(const char *direct, char *ip, size_t iplen, int *port)
{
	const char *colon = direct ? strrchr(direct, ':') : NULL;
	struct sockaddr_in sa;
	struct pollfd pfd;
	int fd, ok = 0, err = 0;
	socklen_t len = sizeof(err);

	if (!colon || (size_t)(colon - direct) >= iplen)
		return 0;
	memcpy(ip, direct, (size_t)(colon - direct));
	ip[colon - direct] = '\0';
	*port = atoi(colon + 1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)*port);
	if (*port < 1 || *port > 65535 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ok = 1;
	} else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 500) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0)
			ok = err == 0 || err == ECONNREFUSED;
	} else {
		ok = errno == ECONNREFUSED;
	}
	close(fd);
	return ok;
}

/* Targets onto the router and health back (no lock held). */
static void apply_targets(struct sw_elbv2 *elb, struct snapshot *s, struct result *res)
{
	struct sw_strvec read = SW_STRVEC_INIT;
	double now = now_s();
	size_t i, j;

	for (i = 0; i < s->nt; i++) {
		struct snap_target *t = &s->t[i];
		struct result *r = &res[i];
		r->tg_arn = t->tg_arn;
		r->id = t->id;
		r->port = t->port;
		r->applied = t->applied;
		r->applied_draining = t->applied_draining;
		if (!t->draining && (!t->applied || t->applied_draining)) {
			char ip[64];
			int port = t->port;
			const char *addr = t->addr;
			if (direct_reachable(t->direct, ip, sizeof(ip), &port))
				addr = ip;
			else
				port = t->port;
			if (sw_router_server_add(elb->router, t->backend, t->server, addr, port) < 0) {
				sw_log_warn("elbv2: router: add %s/%s: %s", t->backend, t->server, sw_error_last());
				continue;
			}
			r->applied = 1;
			r->applied_draining = 0;
		} else if (t->draining && t->applied && !t->applied_draining) {
			if (sw_router_server_drain(elb->router, t->backend, t->server) < 0) {
				sw_log_warn("elbv2: router: drain %s/%s: %s", t->backend, t->server, sw_error_last());
				continue;
			}
			r->applied_draining = 1;
		}
	}
	/* health, one read per backend */
	for (i = 0; i < s->nt; i++) {
		struct sw_router_health *h = NULL;
		size_t n = 0, k;
		int seen = 0;
		for (j = 0; j < read.nr; j++)
			seen |= !strcmp(read.v[j], s->t[i].backend);
		if (seen || !res[i].applied)
			continue;
		sw_strvec_push(&read, s->t[i].backend);
		if (sw_router_backend_health(elb->router, s->t[i].backend, &h, &n) < 0) {
			sw_log_warn("elbv2: router: health of %s: %s", s->t[i].backend, sw_error_last());
			continue;
		}
		for (j = 0; j < s->nt; j++) {
			if (strcmp(s->t[j].backend, s->t[i].backend) || !res[j].applied)
				continue;
			for (k = 0; k < n; k++)
				if (!strcmp(h[k].server, s->t[j].server)) {
					res[j].h = h[k];
					res[j].h.server = NULL;
					res[j].have_health = 1;
				}
		}
		sw_router_health_free(h, n);
	}
	/* deregistrations: done when nothing is in flight, or at the end of the delay */
	for (i = 0; i < s->nt; i++) {
		struct snap_target *t = &s->t[i];
		int late = now >= t->drain_until;
		if (!t->draining)
			continue;
		if (!res[i].applied) {
			res[i].removed = 1;
			continue;
		}
		if (!res[i].applied_draining || (!late && (!res[i].have_health || res[i].h.sessions > 0)))
			continue;
		switch (sw_router_server_remove(elb->router, t->backend, t->server, late)) {
		case 1:
			res[i].removed = 1;
			break;
		case 0:
			break;
		default:
			sw_log_warn("elbv2: router: remove %s/%s: %s", t->backend, t->server, sw_error_last());
		}
	}
	sw_strvec_clear(&read);
}

/* Write the results back (engine lock held). Returns 1 when a target's health changed. */
static int store_results(struct sw_elbv2 *elb, struct snapshot *s, struct result *res)
{
	struct sw_buf desc = SW_BUF_INIT;
	size_t i;
	int changed = 0;

	for (i = 0; i < s->nt; i++) {
		struct elb_target *t = find_target(elb, res[i].tg_arn, res[i].id, res[i].port);
		struct elb_obj *tg = find_obj(elb, K_TG, res[i].tg_arn);
		enum sw_run_target_health before, after;
		const char *st, *why;
		if (!t || !tg)
			continue;
		before = describe_health(elb, tg, t, &st, &why, &desc);
		if (res[i].removed) {
			if (t->draining) {
				remove_target(elb, t);
				changed = 1;
			} else {
				t->applied = 0; /* registered again meanwhile: add it back */
			}
			continue;
		}
		/* a change of draining since the snapshot: keep the flags so it is redone */
		if (t->draining == s->t[i].draining) {
			t->applied = res[i].applied;
			t->applied_draining = res[i].applied_draining;
		}
		if (res[i].have_health) {
			t->have_health = 1;
			t->rstate = res[i].h.state;
			memcpy(t->check_status, res[i].h.check_status, sizeof(t->check_status));
			t->check_code = res[i].h.check_code;
			t->sessions = res[i].h.sessions;
		}
		after = describe_health(elb, tg, t, &st, &why, &desc);
		if (before != after) {
			changed = 1;
			sw_log_info("elbv2: target %s:%d of %s: %s -> %s%s%s (HAProxy: %s %d)", t->id, t->port,
				    doc_str(tg, "TargetGroupName"), sw_run_target_health_name(before),
				    sw_run_target_health_name(after), why ? " " : "", why ? why : "", t->check_status,
				    t->check_code);
		}
	}
	sw_buf_release(&desc);
	return changed;
}

static void *elb_main(void *arg)
{
	struct sw_elbv2 *elb = arg;
	struct sw_engine *e = elb->e;
	struct applied a;
	long long last_alive = 0;

	memset(&a, 0, sizeof(a));
	sw_strvec_init(&a.frontends);
	sw_strvec_init(&a.backends);
	/* sw_elbv2_start declared the model before starting the router */
	pthread_mutex_lock(&e->lock);
	a.gen = elb->gen;
	a.have_gen = 1;
	{
		size_t i;
		struct sw_buf b = SW_BUF_INIT;
		for (i = 0; i < elb->nobjs; i++) {
			if (elb->objs[i].kind == K_TG) {
				backend_name(elb->objs[i].hex, &b);
				sw_strvec_push(&a.backends, b.ptr);
			} else if (elb->objs[i].kind == K_LISTENER) {
				sw_buf_reset(&b);
				sw_buf_addf(&b, "l-%s", elb->objs[i].hex);
				sw_strvec_push(&a.frontends, b.ptr);
			}
		}
		sw_buf_release(&b);
	}
	pthread_mutex_unlock(&e->lock);

	for (;;) {
		struct snapshot s;
		struct result *res;
		int changed, models, busy;
		struct timespec ts;
		long long now_ms;

		memset(&s, 0, sizeof(s));
		pthread_mutex_lock(&e->lock);
		models = !a.have_gen || a.gen != elb->gen;
		take_snapshot(elb, &s, models);
		busy = elb->ntargets > 0;
		pthread_mutex_unlock(&e->lock);

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now_ms - last_alive >= TICK_IDLE_MS) {
			last_alive = now_ms;
			if (sw_router_check_alive(elb->router) < 0)
				sw_log_error("elbv2: router: %s", sw_error_last());
		}
		if (models) {
			if (apply_models(elb, &s, &a) == 0) {
				a.gen = s.gen;
				a.have_gen = 1;
			} else {
				a.have_gen = 0;
			}
		}
		res = xcalloc(s.nt + 1, sizeof(*res));
		apply_targets(elb, &s, res);
		pthread_mutex_lock(&e->lock);
		changed = store_results(elb, &s, res);
		pthread_mutex_unlock(&e->lock);
		free(res);
		snapshot_release(&s);
		if (changed)
			sw_run_balancer_changed(e);

		pthread_mutex_lock(&elb->wake_lock);
		if (!elb->wake && !elb->stop) {
			struct timespec until;
			int wait_ms = busy || !a.have_gen ? TICK_ACTIVE_MS : TICK_IDLE_MS;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&elb->wake_cond, &elb->wake_lock, &until);
		}
		elb->wake = 0;
		if (elb->stop) {
			pthread_mutex_unlock(&elb->wake_lock);
			break;
		}
		pthread_mutex_unlock(&elb->wake_lock);
	}
	sw_strvec_clear(&a.frontends);
	sw_strvec_clear(&a.backends);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------------- */

static int load(struct sw_elbv2 *elb)
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
		add_obj(elb, k, (const char *)sqlite3_column_text(st, 0), doc, sqlite3_column_double(st, 2));
	}
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "load load balancers");
	sqlite3_finalize(st);
	if (ret < 0)
		return ret;
	if (sw_store_prepare(db, &st, "SELECT tg_arn, id, port, addr, draining, registered_at, drain_until, direct "
			     "FROM elb_targets ORDER BY registered_at") < 0)
		return SW_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct elb_target *t;
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
		t->rstate = SW_ROUTER_INITIAL;
	}
	if (rc != SQLITE_DONE)
		ret = sw_store_error(db, "load targets");
	sqlite3_finalize(st);
	return ret;
}

static int env_int(const char *name, int dflt, int lo, int hi, int *out)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n;
	if (!v || !*v) {
		*out = dflt;
		return 0;
	}
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi)
		return sw_error_code(SW_EINVAL, "%s=%s: expected a number from %d to %d", name, v, lo, hi);
	*out = (int)n;
	return 0;
}

/* The built-in load balancer and its listener on the router port, made once. */
static int ensure_builtin(struct sw_elbv2 *elb)
{
	struct elb_obj *lb = NULL, *l;
	size_t i;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == K_LB && builtin(&elb->objs[i]))
			lb = &elb->objs[i];
	if (!lb) {
		lb = create_lb(elb, DEFAULT_LB_NAME, NULL);
		json_object_set_new(lb->st, "builtin", json_true());
		if (save_obj(elb, lb) < 0)
			return SW_ERROR;
	}
	for (i = 0; i < elb->nobjs; i++) {
		l = &elb->objs[i];
		if (l->kind == K_LISTENER && builtin(l)) {
			/* SLIPWAY_ROUTER_PORT may have changed since */
			if (json_integer_value(json_object_get(doc_of(l), "Port")) != elb->router_port) {
				json_object_set_new(doc_of(l), "Port", json_integer(elb->router_port));
				return save_obj(elb, l);
			}
			return 0;
		}
	}
	{
		json_t *actions = json_pack("[{s:s, s:{s:s, s:s}}]", "Type", "fixed-response", "FixedResponseConfig",
					    "StatusCode", "404", "ContentType", "text/html");
		lb = NULL;
		for (i = 0; i < elb->nobjs && !lb; i++)
			if (elb->objs[i].kind == K_LB && builtin(&elb->objs[i]))
				lb = &elb->objs[i];
		l = create_listener(elb, lb, elb->router_port, actions, NULL);
		json_decref(actions);
		json_object_set_new(l->st, "builtin", json_true());
		return save_obj(elb, l);
	}
}

int sw_elbv2_new(struct sw_elbv2 **out, struct sw_engine *e)
{
	struct sw_elbv2 *elb = NULL;
	struct sw_router_options ro = { 0 };
	struct sw_buf b = SW_BUF_INIT;
	int threads = 0, ret = SW_ERROR;

	*out = NULL;
	elb = xcalloc(1, sizeof(*elb));
	elb->e = e;
	pthread_mutex_init(&elb->wake_lock, NULL);
	pthread_cond_init(&elb->wake_cond, NULL);
	if (env_int("SLIPWAY_ROUTER_PORT", 5481, 1, 65535, &elb->router_port) < 0 ||
	    env_int("SLIPWAY_ROUTER_THREADS", 0, 0, 64, &threads) < 0)
		goto cleanup;
	elb->listen = xstrdup(getenv("SLIPWAY_ROUTER_LISTEN") && *getenv("SLIPWAY_ROUTER_LISTEN") ?
			      getenv("SLIPWAY_ROUTER_LISTEN") : "127.0.0.1");
	sw_buf_addf(&b, "i-%.17s", e->instance_id ? e->instance_id : "0");
	elb->ec2_id = sw_buf_detach(&b, NULL);
	elb->target_addr = xstrdup(e->cfg.bind_ip && strcmp(e->cfg.bind_ip, "0.0.0.0") ? e->cfg.bind_ip : "127.0.0.1");
	ro.dir = e->cfg.state_dir;
	ro.listen_addr = elb->listen;
	ro.nbthread = threads;
	if (sw_router_new(&elb->router, &ro) < 0)
		goto cleanup;
	pthread_mutex_lock(&e->lock);
	ret = load(elb);
	if (ret == 0)
		ret = ensure_builtin(elb);
	pthread_mutex_unlock(&e->lock);
	if (ret < 0)
		goto cleanup;
	sw_engine_elbv2_api.ctx = elb;
	*out = elb;
	elb = NULL;
	ret = 0;

cleanup:
	if (ret < 0)
		sw_error_prefix("elbv2");
	sw_elbv2_free(elb);
	sw_buf_release(&b);
	return ret;
}

int sw_elbv2_start(struct sw_elbv2 *elb)
{
	struct snapshot s;
	struct applied a;
	struct result *res;
	int ret;

	/* the whole model first, so that adopting a running HAProxy keeps every target's state */
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	sw_strvec_init(&a.frontends);
	sw_strvec_init(&a.backends);
	pthread_mutex_lock(&elb->e->lock);
	take_snapshot(elb, &s, 1);
	pthread_mutex_unlock(&elb->e->lock);
	ret = apply_models(elb, &s, &a);
	res = xcalloc(s.nt + 1, sizeof(*res));
	if (ret == 0) {
		size_t i;
		for (i = 0; i < s.nt; i++) {
			char ip[64];
			int port = s.t[i].port;
			if (s.t[i].draining && s.t[i].drain_until <= now_s())
				continue;
			if (direct_reachable(s.t[i].direct, ip, sizeof(ip), &port))
				sw_router_server_add(elb->router, s.t[i].backend, s.t[i].server, ip, port);
			else
				sw_router_server_add(elb->router, s.t[i].backend, s.t[i].server, s.t[i].addr, s.t[i].port);
		}
		for (i = 0; i < s.nt; i++)
			if (s.t[i].draining && s.t[i].drain_until > now_s())
				sw_router_server_drain(elb->router, s.t[i].backend, s.t[i].server);
		ret = sw_router_start(elb->router);
	}
	if (ret == 0) {
		size_t i;
		pthread_mutex_lock(&elb->e->lock);
		for (i = 0; i < s.nt; i++) {
			struct elb_target *t = find_target(elb, s.t[i].tg_arn, s.t[i].id, s.t[i].port);
			if (t && (!t->draining || t->drain_until > now_s())) {
				t->applied = 1;
				t->applied_draining = t->draining;
			}
		}
		pthread_mutex_unlock(&elb->e->lock);
	}
	free(res);
	snapshot_release(&s);
	sw_strvec_clear(&a.frontends);
	sw_strvec_clear(&a.backends);
	if (ret < 0)
		return sw_error_prefix("elbv2");
	if (pthread_create(&elb->th, NULL, elb_main, elb) != 0)
		return sw_error("elbv2: cannot start its thread");
	elb->started = 1;
	sw_log_info("elbv2: router on http://%s:%d (HAProxy, state in %s)", elb->listen, elb->router_port,
		    elb->e->cfg.state_dir);
	return 0;
}

void sw_elbv2_stop(struct sw_elbv2 *elb)
{
	if (!elb || !elb->started)
		return;
	pthread_mutex_lock(&elb->wake_lock);
	elb->stop = 1;
	pthread_cond_signal(&elb->wake_cond);
	pthread_mutex_unlock(&elb->wake_lock);
	pthread_join(elb->th, NULL);
	elb->started = 0;
}

void sw_elbv2_stop_router(struct sw_elbv2 *elb)
{
	if (elb && elb->router)
		sw_router_stop(elb->router, 10000);
}

void sw_elbv2_free(struct sw_elbv2 *elb)
{
	size_t i;
	if (!elb)
		return;
	sw_elbv2_stop(elb);
	if (sw_engine_elbv2_api.ctx == elb)
		sw_engine_elbv2_api.ctx = NULL;
	for (i = 0; i < elb->nobjs; i++) {
		free(elb->objs[i].arn);
		free(elb->objs[i].hex);
		json_decref(elb->objs[i].st);
	}
	free(elb->objs);
	for (i = 0; i < elb->ntargets; i++) {
		free(elb->targets[i].tg_arn);
		free(elb->targets[i].id);
		free(elb->targets[i].addr);
		free(elb->targets[i].direct);
	}
	free(elb->targets);
	sw_router_free(elb->router);
	free(elb->listen);
	free(elb->ec2_id);
	free(elb->target_addr);
	pthread_mutex_destroy(&elb->wake_lock);
	pthread_cond_destroy(&elb->wake_cond);
	free(elb);
}
