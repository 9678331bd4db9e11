#include <string.h>
#include <time.h>

#include "engine/elb/elbv2.h"
#include "common/time.h"
#include "common/banned.h"

static json_t *lb_doc(struct sw_elb *elb, const char *arn, const char *name, double created)
{
	struct sw_buf zone = SW_BUF_INIT;
	time_t secs = (time_t)created;
	char t[SW_TIME_ISO_SIZE];
	json_t *doc;
	/* the milliseconds cut, not rounded (created * 1000 could round up by 1 ms) */
	sw_time_iso_ms((long long)secs * 1000 + (int)((created - (double)secs) * 1000) % 1000, t);
	sw_buf_addf(&zone, "%sa", elb->e->cfg.region);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:[{s:s, s:s}], s:[s], s:s}",
			"LoadBalancerArn", arn, "DNSName", "localhost", "CanonicalHostedZoneId", "Z35SXDOTRQ7X7K",
			"CreatedTime", t, "LoadBalancerName", name, "Scheme", "internet-facing",
			"VpcId", SW_ENGINE_VPC_ID, "State", "Code", "active", "Type", "application",
			"AvailabilityZones", "ZoneName", zone.ptr, "SubnetId", SW_ENGINE_SUBNET_ID,
			"SecurityGroups", SW_ENGINE_SECURITY_GROUP_ID, "IpAddressType", "ipv4");
	sw_buf_release(&zone);
	return doc;
}

struct sw_elb_object *sw_elb_loadbalancer_create(struct sw_elb *elb, const char *name, json_t *tags)
{
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT;
	double now = sw_time_now();
	struct sw_elb_object *o;

	sw_elb_arn_hex(&hex);
	sw_elb_arn_new(elb, &arn, "loadbalancer/app/%s/%s", name, hex.ptr);
	o = sw_elb_object_add(elb, SW_ELB_LB, arn.ptr, json_pack("{s:o, s:o}", "doc", lb_doc(elb, arn.ptr, name, now),
								 "tags", sw_elb_tags_copy(tags)), now);
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	return o;
}

int sw_elb_op_create_load_balancer(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	const char *name = sw_elb_in_str(c, "Name"), *type = sw_elb_in_str(c, "Type");
	struct sw_elb_object *o;

	if (sw_elb_call_need(c, "Name") < 0 || sw_elb_call_name_check(c, "Load balancer", name) < 0)
		return -1;
	if (type && strcmp(type, "application"))
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "slipway-engine runs application load balancers only");
	o = sw_elb_object_named(elb, SW_ELB_LB, "LoadBalancerName", name);
	if (!o) {
		o = sw_elb_loadbalancer_create(elb, name, sw_elb_in(c, "Tags"));
		if (sw_elb_object_save(elb, o) < 0)
			return sw_elb_call_db_error(c);
		sw_elb_object_changed(elb);
	}
	json_object_set_new(c->out, "LoadBalancers", json_pack("[O]", sw_elb_object_doc(o)));
	return 0;
}

int sw_elb_op_describe_load_balancers(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	json_t *arns = sw_elb_in(c, "LoadBalancerArns"), *names = sw_elb_in(c, "Names");
	json_t *all = json_array(), *slice = NULL, *v;
	size_t i;
	int ret = 0;

	if (json_array_size(arns) || json_array_size(names)) {
		json_array_foreach(arns, i, v) {
			struct sw_elb_object *o = sw_elb_object_find(elb, SW_ELB_LB, json_string_value(v));
			if (!o) {
				ret = SW_ELB_FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
				goto cleanup;
			}
			json_array_append(all, sw_elb_object_doc(o));
		}
		json_array_foreach(names, i, v) {
			struct sw_elb_object *o = sw_elb_object_named(elb, SW_ELB_LB, "LoadBalancerName", json_string_value(v));
			if (!o) {
				ret = SW_ELB_FAIL(c, "LoadBalancerNotFound", "Load balancers '[%s]' not found",
						  json_string_value(v));
				goto cleanup;
			}
			json_array_append(all, sw_elb_object_doc(o));
		}
	} else {
		for (i = 0; i < elb->nobjs; i++)
			if (elb->objs[i].kind == SW_ELB_LB)
				json_array_append(all, sw_elb_object_doc(&elb->objs[i]));
	}
	if ((ret = sw_elb_call_page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "LoadBalancers", slice);
cleanup:
	json_decref(all);
	return ret;
}

int sw_elb_op_delete_load_balancer(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *lb;
	size_t i;

	if (sw_elb_call_need(c, "LoadBalancerArn") < 0)
		return -1;
	lb = sw_elb_object_find(elb, SW_ELB_LB, sw_elb_in_str(c, "LoadBalancerArn"));
	if (!lb)
		return 0;
	if (sw_elb_object_builtin(lb))
		return SW_ELB_FAIL(c, "OperationNotPermitted", "The load balancer '%s' is slipway-engine's router and cannot "
				   "be deleted", lb->arn);
	for (i = elb->nobjs; i-- > 0;) {
		struct sw_elb_object *l = &elb->objs[i];
		if (l->kind == SW_ELB_LISTENER && !strcmp(sw_elb_object_str(l, "LoadBalancerArn"), lb->arn)) {
			sw_elb_listener_delete(elb, l);
			i = elb->nobjs;
		}
	}
	lb = sw_elb_object_find(elb, SW_ELB_LB, sw_elb_in_str(c, "LoadBalancerArn"));
	if (lb)
		sw_elb_object_remove(elb, lb);
	sw_elb_object_changed(elb);
	return 0;
}
