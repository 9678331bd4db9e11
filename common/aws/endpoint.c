#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/aws/endpoint.h"
#include "common/env.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

const struct sw_aws_service sw_aws_services[SW_AWS_NR_SERVICES + 1] = {
	{ "ecs", "ECS", "ECS", "ecs", "ecs", "ecs", SW_AWS_JSON,
	  "AmazonEC2ContainerServiceV20141113", "2014-11-13", NULL },
	{ "ecr", "ECR", "ECR", "ecr", "api.ecr", "ecr", SW_AWS_JSON,
	  "AmazonEC2ContainerRegistry_V20150921", "2015-09-21", NULL },
	{ "elbv2", "Elastic Load Balancing v2", "ELASTIC_LOAD_BALANCING_V2", "elastic_load_balancing_v2",
	  "elasticloadbalancing", "elasticloadbalancing", SW_AWS_QUERY, NULL, "2015-12-01", &sw_aws_elbv2_model },
	{ "logs", "CloudWatch Logs", "CLOUDWATCH_LOGS", "cloudwatch_logs", "logs", "logs", SW_AWS_JSON,
	  "Logs_20140328", "2014-03-28", NULL },
	{ "cloudformation", "CloudFormation", "CLOUDFORMATION", "cloudformation", "cloudformation",
	  "cloudformation", SW_AWS_QUERY, NULL, "2010-05-15", &sw_aws_cloudformation_model },
	/* regional endpoints (sts.<region>.amazonaws.com), the SDKs' default since 2024 */
	{ "sts", "STS", "STS", "sts", "sts", "sts", SW_AWS_QUERY, NULL, "2011-06-15", &sw_aws_sts_model },
	/* certificates (certs:add imports them; the engine keeps an ACM store of its own) */
	{ "acm", "ACM", "ACM", "acm", "acm", "acm", SW_AWS_JSON, "CertificateManager", "2015-12-08", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, SW_AWS_JSON, NULL, NULL, NULL },
};

const struct sw_aws_service *sw_aws_service_find(const char *name)
{
	const struct sw_aws_service *s;
	if (!name)
		return NULL;
	for (s = sw_aws_services; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

int sw_aws_region_resolve(struct sw_buf *out, const struct sw_aws_profile *p)
{
	const char *r = sw_env_str("AWS_REGION");
	const char *from = "AWS_REGION";
	const char *c;

	if (!r) {
		r = sw_env_str("AWS_DEFAULT_REGION");
		from = "AWS_DEFAULT_REGION";
	}
	if (!r && p) {
		r = sw_aws_profile_get(p, "region");
		from = "the profile's region";
		if (r && !*r)
			r = NULL;
	}
	if (!r)
		return sw_error_code(SW_ENOTFOUND, "no AWS region: set AWS_REGION (or region in the %s profile of %s)",
				     p && p->name ? p->name : "default", p && p->config_path ? p->config_path : "~/.aws/config");
	for (c = r; *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-'))
			return sw_error_code(SW_EINVAL, "bad AWS region '%s' (from %s)", r, from);
	if (strlen(r) > 63)
		return sw_error_code(SW_EINVAL, "bad AWS region (from %s): too long", from);
	sw_buf_adds(out, r);
	return 0;
}

int sw_aws_url_split(const char *url, char **host, char **path, int *https)
{
	const char *rest, *slash, *h;
	char *lc;
	size_t hlen;
	int tls;

	*host = *path = NULL;
	if (!strncasecmp(url, "http://", 7)) {
		tls = 0;
		rest = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		tls = 1;
		rest = url + 8;
	} else {
		return sw_error_code(SW_EINVAL, "'%s' is not an http:// or https:// URL", url);
	}
	for (h = url; *h; h++)
		if ((unsigned char)*h <= ' ' || *h == 0x7f)
			return sw_error_code(SW_EINVAL, "URL '%s' holds a space or control character", url);
	if (strpbrk(rest, "?#"))
		return sw_error_code(SW_EINVAL, "URL '%s' must not have a query or fragment", url);
	slash = strchr(rest, '/');
	hlen = slash ? (size_t)(slash - rest) : strlen(rest);
	if (!hlen || memchr(rest, '@', hlen))
		return sw_error_code(SW_EINVAL, "URL '%s' has no host (or has user info)", url);
	/* drop the scheme's default port, as botocore's _host_from_url does */
	if (hlen > 3 && !tls && !memcmp(rest + hlen - 3, ":80", 3))
		hlen -= 3;
	else if (hlen > 4 && tls && !memcmp(rest + hlen - 4, ":443", 4))
		hlen -= 4;
	*host = xstrndup(rest, hlen);
	for (lc = *host; *lc; lc++)
		*lc = (char)tolower((unsigned char)*lc);
	*path = xstrdup(slash ? slash : "/");
	if (https)
		*https = tls;
	return 0;
}

static int set_endpoint(struct sw_aws_endpoint *out, const char *url, const char *source)
{
	struct sw_buf u = SW_BUF_INIT;
	int ret;

	sw_buf_adds(&u, url);
	while (u.len > 0 && u.ptr[u.len - 1] == '/')
		sw_buf_setlen(&u, u.len - 1);
	ret = sw_aws_url_split(u.ptr, &out->host, &out->path, NULL);
	if (ret < 0) {
		sw_buf_release(&u);
		return sw_error_prefix("endpoint from %s", source);
	}
	out->url = sw_buf_detach(&u, NULL);
	out->source = source;
	return 0;
}

static int truthy(const char *v)
{
	return v && !strcasecmp(v, "true");
}

int sw_aws_endpoint_resolve(struct sw_aws_endpoint *out, const struct sw_aws_service *svc,
			    const char *region, const struct sw_aws_profile *p, const char *explicit_url)
{
	struct sw_buf name = SW_BUF_INIT, url = SW_BUF_INIT;
	const char *v;
	int ignore;
	int ret;

	memset(out, 0, sizeof(*out));
	if (explicit_url && *explicit_url)
		return set_endpoint(out, explicit_url, "explicit");

	v = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	ignore = v ? truthy(v) : truthy(sw_aws_profile_get(p, "ignore_configured_endpoint_urls"));
	if (!ignore) {
		sw_buf_addf(&name, "AWS_ENDPOINT_URL_%s", svc->env_suffix);
		if ((v = sw_env_str(name.ptr))) {
			/* the source string must outlive name: use a static one per service */
			static const char *const srcs[] = { "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_ECR",
							     "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
							     "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
							     "AWS_ENDPOINT_URL_CLOUDFORMATION", "AWS_ENDPOINT_URL_STS" };
			const char *src = "AWS_ENDPOINT_URL_<SERVICE>";
			size_t i;
			for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
				if (!strcmp(srcs[i], name.ptr))
					src = srcs[i];
			ret = set_endpoint(out, v, src);
			goto cleanup;
		}
		if ((v = sw_env_str("AWS_ENDPOINT_URL"))) {
			ret = set_endpoint(out, v, "AWS_ENDPOINT_URL");
			goto cleanup;
		}
		if (p && (v = sw_aws_profile_get(p, "services")) && *v) {
			struct sw_buf section = SW_BUF_INIT;
			sw_buf_addf(&section, "services %s", v);
			if (!sw_aws_ini_has_section(&p->config, section.ptr)) {
				ret = sw_error_code(SW_EINVAL,
						    "%s: the profile %s uses services section '%s', which does not exist",
						    p->config_path, p->name, v);
				sw_buf_release(&section);
				goto cleanup;
			}
			sw_buf_release(&section);
			if ((v = sw_aws_profile_service_get(p, svc->config_key, "endpoint_url")) && *v) {
				ret = set_endpoint(out, v, "services section");
				goto cleanup;
			}
		}
		if (p && (v = sw_aws_profile_get(p, "endpoint_url")) && *v) {
			ret = set_endpoint(out, v, "profile endpoint_url");
			goto cleanup;
		}
	}
	if (!region || !*region) {
		ret = sw_error_code(SW_EINVAL, "%s: no region to build the endpoint from", svc->name);
		goto cleanup;
	}
	sw_buf_addf(&url, "https://%s.%s.amazonaws.com%s", svc->endpoint_prefix, region,
		    !strncmp(region, "cn-", 3) ? ".cn" : "");
	ret = set_endpoint(out, url.ptr, "default");
cleanup:
	sw_buf_release(&name);
	sw_buf_release(&url);
	if (ret < 0)
		sw_aws_endpoint_release(out);
	return ret;
}

void sw_aws_endpoint_release(struct sw_aws_endpoint *e)
{
	free(e->url);
	free(e->host);
	free(e->path);
	memset(e, 0, sizeof(*e));
}
