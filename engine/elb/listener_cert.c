#include <string.h>

#include "engine/acm/acm.h"
#include "engine/elb/elbv2.h"
#include "engine/elb/object.h"
#include "common/json.h"
#include "common/banned.h"

/* ALB's quota: certificates per load balancer (the default one not counted). */
#define MAX_CERTIFICATES 25

/* The HTTPS listener named in the call, or NULL with the call failed. */
static struct sw_elb_object *https_listener(struct sw_engine_call *c)
{
	struct sw_elb_object *l;
	const char *proto;
	if (sw_elb_call_need(c, "ListenerArn") < 0)
		return NULL;
	l = sw_elb_object_find(c->ctx, SW_ELB_LISTENER, sw_elb_in_str(c, "ListenerArn"));
	if (!l) {
		SW_ELB_FAIL(c, "ListenerNotFound", "One or more listeners not found");
		return NULL;
	}
	proto = sw_elb_object_str(l, "Protocol");
	if (!proto || strcmp(proto, "HTTPS")) {
		SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Listener '%s' is not an HTTPS listener: it takes no "
			    "certificates", l->arn);
		return NULL;
	}
	return l;
}

/* The index of arn in list, or -1. */
static int index_of(json_t *list, const char *arn)
{
	json_t *v;
	size_t i;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), arn))
			return (int)i;
	return -1;
}

static const char *default_arn(struct sw_elb_object *l)
{
	return sw_json_str(json_array_get(json_object_get(sw_elb_object_doc(l), "Certificates"), 0), "CertificateArn");
}

int sw_elb_op_add_listener_certificates(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *l = https_listener(c);
	struct sw_buf path = SW_BUF_INIT;
	json_t *certs = sw_elb_in(c, "Certificates"), *list, *v, *out;
	size_t i;
	int ret = -1;

	if (!l || sw_elb_call_need(c, "Certificates") < 0)
		return -1;
	if (!json_is_array(json_object_get(l->st, "certificates")))
		json_object_set_new(l->st, "certificates", json_array());
	list = json_object_get(l->st, "certificates");
	/* all checked before any is added: a refused call changes nothing */
	json_array_foreach(certs, i, v) {
		const char *arn = sw_json_str(v, "CertificateArn");
		if (!arn || !sw_acm_pem_path(elb->e, arn, &path)) {
			ret = SW_ELB_FAIL(c, "CertificateNotFound", "Certificate '%s' not found", arn ? arn : "");
			goto cleanup;
		}
	}
	if (json_array_size(list) + json_array_size(certs) > MAX_CERTIFICATES) {
		ret = SW_ELB_FAIL(c, "TooManyCertificates", "You've reached the limit on the number of certificates per "
				  "load balancer");
		goto cleanup;
	}
	out = json_array();
	json_array_foreach(certs, i, v) {
		const char *arn = sw_json_str(v, "CertificateArn");
		if (strcmp(arn, default_arn(l) ? default_arn(l) : "") && index_of(list, arn) < 0)
			json_array_append_new(list, json_string(arn));
		json_array_append_new(out, json_pack("{s:s, s:b}", "CertificateArn", arn, "IsDefault", 0));
	}
	if (sw_elb_object_save(elb, l) < 0) {
		json_decref(out);
		ret = sw_elb_call_db_error(c);
		goto cleanup;
	}
	sw_elb_object_changed(elb);
	json_object_set_new(c->out, "Certificates", out);
	ret = 0;
cleanup:
	sw_buf_release(&path);
	return ret;
}

int sw_elb_op_remove_listener_certificates(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *l = https_listener(c);
	json_t *certs = sw_elb_in(c, "Certificates"), *list, *v;
	size_t i;

	if (!l || sw_elb_call_need(c, "Certificates") < 0)
		return -1;
	list = json_object_get(l->st, "certificates");
	json_array_foreach(certs, i, v) {
		const char *arn = sw_json_str(v, "CertificateArn");
		if (arn && default_arn(l) && !strcmp(arn, default_arn(l)))
			return SW_ELB_FAIL(c, "OperationNotPermitted", "The default certificate of a listener cannot be "
					   "removed: modify the listener instead");
	}
	json_array_foreach(certs, i, v) {
		int at = index_of(list, sw_json_str_or(v, "CertificateArn", ""));
		if (at >= 0)
			json_array_remove(list, (size_t)at);
	}
	if (sw_elb_object_save(elb, l) < 0)
		return sw_elb_call_db_error(c);
	sw_elb_object_changed(elb);
	return 0;
}

int sw_elb_op_describe_listener_certificates(struct sw_engine_call *c)
{
	struct sw_elb_object *l = https_listener(c);
	json_t *all, *v, *slice = NULL;
	size_t i;
	int ret;

	if (!l)
		return -1;
	all = json_array();
	if (default_arn(l))
		json_array_append_new(all, json_pack("{s:s, s:b}", "CertificateArn", default_arn(l), "IsDefault", 1));
	json_array_foreach(json_object_get(l->st, "certificates"), i, v)
		json_array_append_new(all, json_pack("{s:s, s:b}", "CertificateArn", json_string_value(v), "IsDefault", 0));
	if ((ret = sw_elb_call_page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "Certificates", slice);
	json_decref(all);
	return ret;
}
