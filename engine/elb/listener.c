#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "engine/acm/acm.h"
#include "engine/elb/elbv2.h"
#include "common/json.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

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
 * A rule's redirect action, normalised into *norm: to HTTPS on a port, host, path and
 * query kept (what an app's HTTP to HTTPS redirect is); else the call failed.
 */
static int redirect_check(struct sw_engine_call *c, json_t *a, json_t **norm)
{
	json_t *rc = json_object_get(a, "RedirectConfig");
	const char *proto = sw_json_str(rc, "Protocol"), *port = sw_json_str(rc, "Port");
	const char *code = sw_json_str(rc, "StatusCode"), *host = sw_json_str(rc, "Host");
	const char *path = sw_json_str(rc, "Path"), *query = sw_json_str(rc, "Query");
	char *end = NULL;
	long p = port ? strtol(port, &end, 10) : 0;

	if (!code || (strcmp(code, "HTTP_301") && strcmp(code, "HTTP_302")))
		return SW_ELB_FAIL(c, "ValidationError", "A redirect's status code must be HTTP_301 or HTTP_302");
	if (!proto || strcmp(proto, "HTTPS") || !port || !end || *end || p < 1 || p > 65535 ||
	    (host && strcmp(host, "#{host}")) || (path && strcmp(path, "/#{path}")) ||
	    (query && strcmp(query, "#{query}")))
		return SW_ELB_FAIL(c, "InvalidLoadBalancerAction", "slipway-engine redirects to HTTPS on a port, keeping "
				   "host, path and query (Protocol HTTPS, Port N)");
	*norm = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "Type", "redirect", "RedirectConfig",
			  "Protocol", "HTTPS", "Port", port, "Host", "#{host}", "Path", "/#{path}", "Query", "#{query}",
			  "StatusCode", code);
	return 0;
}

/*
 * Check and normalise one action list (as ALB answers it). for_rule: rules take
 * forward actions, and redirects to HTTPS.
 */
int sw_elb_listener_actions_check(struct sw_engine_call *c, json_t *actions, int for_rule, json_t **out)
{
	json_t *a, *norm = NULL;
	const char *type;

	*out = NULL;
	if (!json_is_array(actions) || json_array_size(actions) == 0)
		return SW_ELB_FAIL(c, "ValidationError", "At least one action must be specified");
	if (json_array_size(actions) > 1)
		return SW_ELB_FAIL(c, "InvalidLoadBalancerAction", "slipway-engine supports one action per %s",
				   for_rule ? "rule" : "listener");
	a = json_array_get(actions, 0);
	type = sw_json_str(a, "Type");
	if (!type)
		return SW_ELB_FAIL(c, "ValidationError", "1 validation error detected: Value null at 'actions.1.member.type' "
				   "failed to satisfy constraint: Member must not be null");
	if (!strcmp(type, "forward")) {
		const char *tg = sw_json_str(a, "TargetGroupArn");
		json_t *fc = json_object_get(a, "ForwardConfig");
		json_t *tgs = json_object_get(fc, "TargetGroups"), *item;
		size_t i;

		long long w[2] = { 0, 0 };
		const char *arns[2] = { NULL, NULL };
		size_t n = 0;

		json_array_foreach(tgs, i, item) {
			const char *arn = sw_json_str(item, "TargetGroupArn");
			json_t *jw = json_object_get(item, "Weight");
			if (!arn)
				return SW_ELB_FAIL(c, "ValidationError", "A target group ARN must be specified for each "
						   "target group of a forward configuration");
			if (n && !strcmp(arns[0], arn))
				return SW_ELB_FAIL(c, "ValidationError", "Target group '%s' is specified more than once", arn);
			if (n == 2)
				return SW_ELB_FAIL(c, "InvalidLoadBalancerAction", "slipway-engine forwards to at most two "
						   "target groups per action");
			if (jw && (json_integer_value(jw) < 0 || json_integer_value(jw) > 999))
				return SW_ELB_FAIL(c, "ValidationError", "Target group weight must be between 0 and 999");
			arns[n] = arn;
			w[n++] = jw ? json_integer_value(jw) : 1;
		}
		if (n == 2 && !for_rule)
			return SW_ELB_FAIL(c, "InvalidLoadBalancerAction", "slipway-engine weighs target groups in "
					   "listener rules only");
		if (n == 2 && tg)
			return SW_ELB_FAIL(c, "ValidationError", "You cannot specify both a target group ARN and a forward "
					   "configuration with more than one target group");
		if (n == 2 && w[0] + w[1] == 0)
			return SW_ELB_FAIL(c, "ValidationError", "At least one target group of a forward action must have "
					   "a weight above 0");
		if (tg && n == 1 && strcmp(tg, arns[0]))
			return SW_ELB_FAIL(c, "ValidationError", "You cannot specify both a target group ARN and a forward "
					   "configuration with a different target group");
		if (!tg)
			tg = arns[0];
		if (!tg)
			return SW_ELB_FAIL(c, "ValidationError", "A target group ARN must be specified for a forward action");
		if (!sw_elb_object_find(c->ctx, SW_ELB_TG, tg) || (n == 2 && !sw_elb_object_find(c->ctx, SW_ELB_TG, arns[1])))
			return SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
		if (n == 2)   /* weighted: ALB answers the forward configuration alone */
			norm = json_pack("{s:s, s:{s:[{s:s, s:I}, {s:s, s:I}], s:{s:b}}}", "Type", "forward",
					 "ForwardConfig", "TargetGroups", "TargetGroupArn", arns[0], "Weight", w[0],
					 "TargetGroupArn", arns[1], "Weight", w[1], "TargetGroupStickinessConfig", "Enabled", 0);
		else
			norm = json_pack("{s:s, s:s, s:{s:[{s:s, s:i}], s:{s:b}}}", "Type", "forward", "TargetGroupArn", tg,
					 "ForwardConfig", "TargetGroups", "TargetGroupArn", tg, "Weight", 1,
					 "TargetGroupStickinessConfig", "Enabled", 0);
	} else if (!strcmp(type, "fixed-response")) {
		json_t *fr = json_object_get(a, "FixedResponseConfig");
		const char *code = sw_json_str(fr, "StatusCode");
		const char *ctype = sw_json_str(fr, "ContentType");
		const char *body = sw_json_str(fr, "MessageBody");
		static const char *const types[] = { "text/plain", "text/css", "text/html",
						     "application/javascript", "application/json", NULL };
		int i, ok = !ctype;

		if (for_rule)
			return SW_ELB_FAIL(c, "InvalidLoadBalancerAction", "slipway-engine supports fixed-response as a "
					   "listener's default action only; rules forward");
		if (!code || strlen(code) != 3 || (code[0] != '2' && code[0] != '4' && code[0] != '5') ||
		    code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9')
			return SW_ELB_FAIL(c, "ValidationError", "Fixed response status code must be 2XX, 4XX or 5XX");
		for (i = 0; ctype && types[i]; i++)
			if (!strcmp(types[i], ctype))
				ok = 1;
		if (!ok)
			return SW_ELB_FAIL(c, "ValidationError", "Fixed response content type '%s' is not valid", ctype);
		if (body && strlen(body) > 1024)
			return SW_ELB_FAIL(c, "ValidationError", "Fixed response message body cannot exceed 1024 characters");
		norm = json_pack("{s:s, s:{s:s}}", "Type", "fixed-response", "FixedResponseConfig", "StatusCode", code);
		if (ctype)
			json_object_set_new(json_object_get(norm, "FixedResponseConfig"), "ContentType", json_string(ctype));
		if (body)
			json_object_set_new(json_object_get(norm, "FixedResponseConfig"), "MessageBody", json_string(body));
	} else if (!strcmp(type, "redirect") && for_rule) {
		if (redirect_check(c, a, &norm) < 0)
			return -1;
	} else {
		return SW_ELB_FAIL(c, "InvalidLoadBalancerAction", "Action type '%s' is not supported by slipway-engine", type);
	}
	if (json_object_get(a, "Order"))
		json_object_set(norm, "Order", json_object_get(a, "Order"));
	*out = json_pack("[o]", norm);
	return 0;
}

struct sw_elb_object *sw_elb_listener_create(struct sw_elb *elb, struct sw_elb_object *lb, int port, json_t *actions,
					     json_t *tags)
{
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT, rule = SW_BUF_INIT;
	struct sw_elb_object *o;
	json_t *doc, *st;

	sw_elb_arn_hex(&hex);
	sw_elb_arn_new(elb, &arn, "listener/app/%s/%s/%s", sw_elb_object_str(lb, "LoadBalancerName"), lb->hex, hex.ptr);
	sw_elb_arn_hex(&hex);
	sw_elb_arn_new(elb, &rule, "listener-rule/app/%s/%s/%s", sw_elb_object_str(lb, "LoadBalancerName"), lb->hex,
		       strrchr(arn.ptr, '/') + 1);
	sw_buf_addf(&rule, "/%s", hex.ptr);
	doc = json_pack("{s:s, s:s, s:i, s:s, s:O}", "ListenerArn", arn.ptr, "LoadBalancerArn", lb->arn, "Port", port,
			"Protocol", "HTTP", "DefaultActions", actions);
	st = json_pack("{s:o, s:o, s:s}", "doc", doc, "tags", sw_elb_tags_copy(tags), "default_rule", rule.ptr);
	o = sw_elb_object_add(elb, SW_ELB_LISTENER, arn.ptr, st, sw_time_now());
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	sw_buf_release(&rule);
	return o;
}

void sw_elb_listener_set_tls(struct sw_elb_object *l, const char *cert_arn, const char *policy)
{
	json_t *doc = sw_elb_object_doc(l);
	json_object_set_new(doc, "Protocol", json_string("HTTPS"));
	json_object_set_new(doc, "Certificates", json_pack("[{s:s}]", "CertificateArn", cert_arn));
	json_object_set_new(doc, "SslPolicy", json_string(policy ? policy : SW_ELB_DEFAULT_SSL_POLICY));
	if (!json_is_array(json_object_get(l->st, "certificates")))
		json_object_set_new(l->st, "certificates", json_array());
}

void sw_elb_listener_delete(struct sw_elb *elb, struct sw_elb_object *l)
{
	size_t i;
	char *arn = xstrdup(l->arn);
	for (i = elb->nobjs; i-- > 0;)
		if (elb->objs[i].kind == SW_ELB_RULE &&
		    !strcmp(sw_json_str(elb->objs[i].st, "listener"), arn))
			sw_elb_object_remove(elb, &elb->objs[i]);
	l = sw_elb_object_find(elb, SW_ELB_LISTENER, arn);
	if (l)
		sw_elb_object_remove(elb, l);
	free(arn);
}

int sw_elb_op_create_listener(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	const char *proto = sw_elb_in_str(c, "Protocol");
	struct sw_elb_object *lb, *o;
	json_t *actions = NULL;
	const char *cert = NULL;
	int port = (int)json_integer_value(sw_elb_in(c, "Port"));
	size_t i;

	if (sw_elb_call_need(c, "LoadBalancerArn") < 0 || sw_elb_call_need(c, "DefaultActions") < 0)
		return -1;
	lb = sw_elb_object_find(elb, SW_ELB_LB, sw_elb_in_str(c, "LoadBalancerArn"));
	if (!lb)
		return SW_ELB_FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
	if (proto && strcmp(proto, "HTTP") && strcmp(proto, "HTTPS"))
		return SW_ELB_FAIL(c, "UnsupportedProtocol", "Protocol '%s' is not supported by slipway-engine's listeners "
				   "(HTTP and HTTPS are)", proto);
	if (proto && !strcmp(proto, "HTTPS")) {
		json_t *certs = sw_elb_in(c, "Certificates");
		struct sw_buf path = SW_BUF_INIT;
		int found;
		cert = sw_json_str(json_array_get(certs, 0), "CertificateArn");
		if (json_array_size(certs) != 1 || !cert)
			return SW_ELB_FAIL(c, "ValidationError", "An HTTPS listener needs exactly one default certificate "
					   "(Certificates.member.1.CertificateArn)");
		found = sw_acm_pem_path(elb->e, cert, &path);
		sw_buf_release(&path);
		if (!found)
			return SW_ELB_FAIL(c, "CertificateNotFound", "Certificate '%s' not found", cert);
	}
	if (!sw_elb_in(c, "Port"))
		return SW_ELB_FAIL(c, "ValidationError", "A listener port must be specified");
	if (port < 1 || port > 65535)
		return SW_ELB_FAIL(c, "ValidationError", "Port must be between 1 and 65535");
	for (i = 0; i < elb->nobjs; i++) {
		struct sw_elb_object *l = &elb->objs[i];
		if (l->kind != SW_ELB_LISTENER || sw_json_int(sw_elb_object_doc(l), "Port", 0) != port)
			continue;
		if (!strcmp(sw_elb_object_str(l, "LoadBalancerArn"), lb->arn))
			return SW_ELB_FAIL(c, "DuplicateListener", "A listener already exists on this port for this load "
					   "balancer '%s'", lb->arn);
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Port %d is used by another load balancer on this "
				   "machine", port);
	}
	if (!port_free(elb->e->cfg.router_listen, port))
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Port %d is in use on this machine", port);
	if (sw_elb_listener_actions_check(c, sw_elb_in(c, "DefaultActions"), 0, &actions) < 0)
		return -1;
	o = sw_elb_listener_create(elb, lb, port, actions, sw_elb_in(c, "Tags"));
	json_decref(actions);
	if (cert)
		sw_elb_listener_set_tls(o, cert, sw_elb_in_str(c, "SslPolicy"));
	if (sw_elb_object_save(elb, o) < 0)
		return sw_elb_call_db_error(c);
	sw_elb_object_changed(elb);
	json_object_set_new(c->out, "Listeners", json_pack("[O]", sw_elb_object_doc(o)));
	return 0;
}

int sw_elb_op_describe_listeners(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	const char *lb = sw_elb_in_str(c, "LoadBalancerArn");
	json_t *arns = sw_elb_in(c, "ListenerArns"), *all = json_array(), *slice = NULL, *v;
	size_t i;
	int ret = 0;

	if (!lb && !json_array_size(arns)) {
		ret = SW_ELB_FAIL(c, "ValidationError", "You must specify either listener ARNs or a load balancer ARN");
		goto cleanup;
	}
	if (lb && !sw_elb_object_find(elb, SW_ELB_LB, lb)) {
		ret = SW_ELB_FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
		goto cleanup;
	}
	json_array_foreach(arns, i, v) {
		struct sw_elb_object *o = sw_elb_object_find(elb, SW_ELB_LISTENER, json_string_value(v));
		if (!o) {
			ret = SW_ELB_FAIL(c, "ListenerNotFound", "One or more listeners not found");
			goto cleanup;
		}
		json_array_append(all, sw_elb_object_doc(o));
	}
	for (i = 0; lb && i < elb->nobjs; i++)
		if (elb->objs[i].kind == SW_ELB_LISTENER && !strcmp(sw_elb_object_str(&elb->objs[i], "LoadBalancerArn"), lb))
			json_array_append(all, sw_elb_object_doc(&elb->objs[i]));
	if ((ret = sw_elb_call_page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "Listeners", slice);
cleanup:
	json_decref(all);
	return ret;
}

int sw_elb_op_delete_listener(struct sw_engine_call *c)
{
	struct sw_elb_object *l;
	if (sw_elb_call_need(c, "ListenerArn") < 0)
		return -1;
	l = sw_elb_object_find(c->ctx, SW_ELB_LISTENER, sw_elb_in_str(c, "ListenerArn"));
	if (!l)
		return SW_ELB_FAIL(c, "ListenerNotFound", "One or more listeners not found");
	if (sw_elb_object_builtin(l))
		return SW_ELB_FAIL(c, "OperationNotPermitted", "The listener '%s' is slipway-engine's router and cannot be "
				   "deleted", l->arn);
	sw_elb_listener_delete(c->ctx, l);
	sw_elb_object_changed(c->ctx);
	return 0;
}
