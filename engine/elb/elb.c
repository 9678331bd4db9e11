#include <stdlib.h>
#include <string.h>

#include "engine/acm/acm.h"
#include "engine/elb/elb.h"
#include "engine/elb/elbv2.h"
#include "engine/elb/object.h"
#include "engine/elb/router.h"
#include "engine/elb/sync.h"
#include "engine/elb/target.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define DEFAULT_LB_NAME "slipway"

/* The built-in listener of the given protocol, or NULL. */
static struct sw_elb_object *builtin_listener(struct sw_elb *elb, const char *proto)
{
	size_t i;
	for (i = 0; i < elb->nobjs; i++) {
		struct sw_elb_object *l = &elb->objs[i];
		const char *p = sw_elb_object_str(l, "Protocol");
		if (l->kind == SW_ELB_LISTENER && sw_elb_object_builtin(l) && !strcmp(p ? p : "HTTP", proto))
			return l;
	}
	return NULL;
}

/*
 * The built-in HTTPS listener on SLIPWAY_ROUTER_TLS_PORT, its default certificate the
 * file SLIPWAY_ROUTER_TLS_CERT imported into the ACM store (again at each start: the
 * file may have been renewed); removed when there is no such file any more.
 */
static int ensure_builtin_tls(struct sw_elb *elb, struct sw_elb_object *lb)
{
	struct sw_elb_object *l = builtin_listener(elb, "HTTPS");
	struct sw_buf arn = SW_BUF_INIT;
	int ret = 0;

	if (!elb->e->cfg.router_tls_cert) {
		if (l)
			sw_elb_listener_delete(elb, l);
		return 0;
	}
	if ((ret = sw_acm_import_file(elb->e, elb->e->cfg.router_tls_cert, "router-default", &arn)) < 0)
		goto cleanup;
	if (!l) {
		json_t *actions = json_pack("[{s:s, s:{s:s, s:s}}]", "Type", "fixed-response", "FixedResponseConfig",
					    "StatusCode", "404", "ContentType", "text/html");
		l = sw_elb_listener_create(elb, lb, elb->e->cfg.router_tls_port, actions, NULL);
		json_decref(actions);
		json_object_set_new(l->st, "builtin", json_true());
	}
	json_object_set_new(sw_elb_object_doc(l), "Port", json_integer(elb->e->cfg.router_tls_port));
	sw_elb_listener_set_tls(l, arn.ptr, NULL);
	ret = sw_elb_object_save(elb, l);
cleanup:
	sw_buf_release(&arn);
	return ret;
}

/* The built-in load balancer and its listeners on the router's ports, made once. */
static int ensure_builtin(struct sw_elb *elb)
{
	struct sw_elb_object *lb = NULL, *l;
	size_t i;
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == SW_ELB_LB && sw_elb_object_builtin(&elb->objs[i]))
			lb = &elb->objs[i];
	if (!lb) {
		lb = sw_elb_loadbalancer_create(elb, DEFAULT_LB_NAME, NULL);
		json_object_set_new(lb->st, "builtin", json_true());
		if (sw_elb_object_save(elb, lb) < 0)
			return SW_ERROR;
	}
	if ((l = builtin_listener(elb, "HTTP"))) {
		/* SLIPWAY_ROUTER_PORT may have changed since */
		if (sw_json_int(sw_elb_object_doc(l), "Port", 0) != elb->e->cfg.router_port) {
			json_object_set_new(sw_elb_object_doc(l), "Port", json_integer(elb->e->cfg.router_port));
			if (sw_elb_object_save(elb, l) < 0)
				return SW_ERROR;
		}
	} else {
		json_t *actions = json_pack("[{s:s, s:{s:s, s:s}}]", "Type", "fixed-response", "FixedResponseConfig",
					    "StatusCode", "404", "ContentType", "text/html");
		l = sw_elb_listener_create(elb, lb, elb->e->cfg.router_port, actions, NULL);
		json_decref(actions);
		json_object_set_new(l->st, "builtin", json_true());
		if (sw_elb_object_save(elb, l) < 0)
			return SW_ERROR;
	}
	/* objects may have moved: find the load balancer again */
	for (i = 0, lb = NULL; i < elb->nobjs && !lb; i++)
		if (elb->objs[i].kind == SW_ELB_LB && sw_elb_object_builtin(&elb->objs[i]))
			lb = &elb->objs[i];
	return ensure_builtin_tls(elb, lb);
}

int sw_elb_new(struct sw_elb **out, struct sw_engine *e)
{
	struct sw_elb *elb = NULL;
	struct sw_elb_router_options ro = { 0 };
	struct sw_buf b = SW_BUF_INIT;
	int ret = SW_ERROR;

	*out = NULL;
	elb = xcalloc(1, sizeof(*elb));
	elb->e = e;
	pthread_mutex_init(&elb->wake_lock, NULL);
	pthread_cond_init(&elb->wake_cond, NULL);
	sw_buf_addf(&b, "i-%.17s", e->instance_id ? e->instance_id : "0");
	elb->ec2_id = sw_buf_detach(&b, NULL);
	elb->target_addr = xstrdup(e->cfg.bind_ip && strcmp(e->cfg.bind_ip, "0.0.0.0") ? e->cfg.bind_ip : "127.0.0.1");
	ro.dir = e->cfg.state_dir;
	ro.listen_addr = e->cfg.router_listen;
	ro.nbthread = e->cfg.router_threads;
	if (sw_elb_router_new(&elb->router, &ro) < 0)
		goto cleanup;
	pthread_mutex_lock(&e->lock);
	ret = sw_elb_object_load(elb);
	if (ret == 0)
		ret = sw_elb_target_load(elb);
	if (ret == 0)
		ret = ensure_builtin(elb);
	pthread_mutex_unlock(&e->lock);
	if (ret < 0)
		goto cleanup;
	sw_elb_api.ctx = elb;
	*out = elb;
	elb = NULL;
	ret = 0;

cleanup:
	if (ret < 0)
		sw_error_prefix("elbv2");
	sw_elb_free(elb);
	sw_buf_release(&b);
	return ret;
}

int sw_elb_start(struct sw_elb *elb)
{
	if (sw_elb_sync_start(elb) < 0)
		return SW_ERROR;
	sw_log_info("elbv2: router on http://%s:%d (HAProxy, state in %s)", elb->e->cfg.router_listen,
		    elb->e->cfg.router_port, elb->e->cfg.state_dir);
	if (elb->e->cfg.router_tls_cert)
		sw_log_info("elbv2: router on https://%s:%d (default certificate %s)", elb->e->cfg.router_listen,
			    elb->e->cfg.router_tls_port, elb->e->cfg.router_tls_cert);
	return 0;
}

void sw_elb_stop(struct sw_elb *elb)
{
	if (elb)
		sw_elb_sync_stop(elb);
}

void sw_elb_stop_router(struct sw_elb *elb)
{
	if (elb && elb->router)
		sw_elb_router_stop(elb->router, 10000);
}

void sw_elb_free(struct sw_elb *elb)
{
	size_t i;
	if (!elb)
		return;
	sw_elb_stop(elb);
	if (sw_elb_api.ctx == elb)
		sw_elb_api.ctx = NULL;
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
	sw_elb_router_free(elb->router);
	free(elb->ec2_id);
	free(elb->target_addr);
	pthread_mutex_destroy(&elb->wake_lock);
	pthread_cond_destroy(&elb->wake_cond);
	free(elb);
}
