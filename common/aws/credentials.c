#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/aws/credentials.h"
#include "common/aws/provider.h"
#include "common/aws/source.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* botocore's refresh windows, for credentials that live long enough to have them */
#define ADVISORY_REFRESH (15 * 60)
#define MANDATORY_REFRESH (10 * 60)

enum source { SRC_NONE, SRC_STATIC, SRC_ENV, SRC_PROFILE, SRC_CONTAINER, SRC_IMDS };

struct sw_aws_credentials {
	pthread_mutex_t lock;
	char *profile;
	time_t (*now)(void *ctx);
	void *now_ctx;
	char *container_base;
	char *imds_endpoint;
	struct sw_aws_sts_caller sts;
	struct sw_aws_creds cached;
	time_t obtained;          /* when cached was fetched */
	enum source source;
};

static time_t clock_now(const struct sw_aws_credentials *c)
{
	return c->now ? c->now(c->now_ctx) : time(NULL);
}

int sw_aws_credentials_new(struct sw_aws_credentials **out, const struct sw_aws_credentials_options *opt)
{
	struct sw_aws_credentials *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	sw_aws_creds_init(&c->cached);
	if (opt) {
		c->profile = opt->profile ? xstrdup(opt->profile) : NULL;
		c->now = opt->now;
		c->now_ctx = opt->now_ctx;
		c->container_base = opt->container_base ? xstrdup(opt->container_base) : NULL;
		c->imds_endpoint = opt->imds_endpoint ? xstrdup(opt->imds_endpoint) : NULL;
		c->sts = opt->sts;
		if (opt->access_key_id || opt->secret_access_key) {
			if (!opt->access_key_id || !*opt->access_key_id || !opt->secret_access_key ||
			    !*opt->secret_access_key) {
				sw_aws_credentials_free(c);
				*out = NULL;
				return sw_error_code(SW_EINVAL, "static AWS credentials need both a key id and a secret");
			}
			sw_aws_creds_set(&c->cached, opt->access_key_id, opt->secret_access_key, opt->session_token, 0,
					 "static");
			c->source = SRC_STATIC;
		}
	}
	*out = c;
	return 0;
}

void sw_aws_credentials_free(struct sw_aws_credentials *c)
{
	if (!c)
		return;
	sw_aws_creds_release(&c->cached);
	free(c->profile);
	free(c->container_base);
	free(c->imds_endpoint);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void sw_aws_credentials_invalidate(struct sw_aws_credentials *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->source != SRC_STATIC) {
		sw_aws_creds_release(&c->cached);
		c->source = SRC_NONE;
	}
	pthread_mutex_unlock(&c->lock);
}

/* The profile (c's, else $AWS_PROFILE, else default); one named explicitly must exist. */
static int load_profile(struct sw_aws_credentials *c, struct sw_aws_profile *p)
{
	int ret = sw_aws_profile_load(p, c->profile);
	if (ret == 0 && p->explicit_name && !sw_aws_profile_exists(p))
		ret = sw_error_code(SW_ENOTFOUND, "AWS profile '%s' not found in %s or %s", p->name, p->credentials_path,
				    p->config_path);
	return ret;
}

static int from_profile(struct sw_aws_credentials *c, const struct sw_aws_profile *p, struct sw_aws_creds *out,
			struct sw_buf *tried)
{
	struct sw_aws_provider_options o;

	memset(&o, 0, sizeof(o));
	o.sts = c->sts;
	o.container_base = c->container_base;
	o.imds_endpoint = c->imds_endpoint;
	o.now = clock_now(c);
	o.no_env = c->profile != NULL;
	return sw_aws_provider_profile(&o, p, out, tried);
}

/* The whole chain. 0 with out set and *src, or < 0 (error slot set). */
static int resolve_chain(struct sw_aws_credentials *c, struct sw_aws_creds *out, enum source *src)
{
	struct sw_aws_profile p;
	struct sw_buf tried = SW_BUF_INIT;
	int r, ret;

	/* a profile named by the caller wins over the environment's keys (the AWS CLI's --profile) */
	if (c->profile) {
		sw_buf_addf(&tried, "environment (not read: profile '%s' named explicitly)", c->profile);
	} else if ((r = sw_aws_source_env(out, &tried)) <= 0) {
		*src = SRC_ENV;
		sw_buf_release(&tried);
		return r;
	}
	if ((ret = load_profile(c, &p)) < 0)
		goto cleanup;
	if ((r = from_profile(c, &p, out, &tried)) <= 0) {
		*src = SRC_PROFILE;
		ret = r;
		goto cleanup;
	}
	if ((r = sw_aws_source_container(c->container_base, out, &tried)) <= 0) {
		*src = SRC_CONTAINER;
		ret = r;
		goto cleanup;
	}
	if ((r = sw_aws_source_imds(c->imds_endpoint, &p, out, &tried)) <= 0) {
		*src = SRC_IMDS;
		ret = r;
		goto cleanup;
	}
	ret = sw_error_code(SW_ENOTFOUND, "no AWS credentials: %s", tried.ptr);
cleanup:
	sw_aws_profile_release(&p);
	sw_buf_release(&tried);
	return ret;
}

/* Fetch again from the provider the cached credentials came from. */
static int refresh(struct sw_aws_credentials *c, struct sw_aws_creds *out)
{
	struct sw_buf tried = SW_BUF_INIT;
	struct sw_aws_profile p;
	int r;

	if (c->source == SRC_CONTAINER) {
		r = sw_aws_source_container(c->container_base, out, &tried);
	} else if ((r = load_profile(c, &p)) == 0) {
		if (c->source == SRC_PROFILE)
			r = from_profile(c, &p, out, &tried);
		else
			r = sw_aws_source_imds(c->imds_endpoint, &p, out, &tried);
	}
	if (c->source != SRC_CONTAINER)
		sw_aws_profile_release(&p);
	if (r > 0)
		r = sw_error_code(SW_EUNAVAIL, "%s", tried.ptr + strspn(tried.ptr, "; "));
	sw_buf_release(&tried);
	return r;
}

/*
 * How long before exp the cache refreshes (advisory: a failure keeps the old
 * credentials) and must refresh (mandatory: a failure is an error): botocore's 15 and 10
 * minutes, or a half and a third of the credentials' lifetime when that is shorter (STS
 * hands out roles for as little as 15 minutes).
 */
static void windows(const struct sw_aws_credentials *c, time_t *advisory, time_t *mandatory)
{
	time_t life = c->cached.expiration - c->obtained;
	*advisory = life / 2 < ADVISORY_REFRESH ? life / 2 : ADVISORY_REFRESH;
	*mandatory = life / 3 < MANDATORY_REFRESH ? life / 3 : MANDATORY_REFRESH;
}

int sw_aws_credentials_get(struct sw_aws_credentials *c, struct sw_aws_creds *out)
{
	struct sw_aws_creds fresh;
	enum source src = SRC_NONE;
	time_t now, advisory, mandatory;
	int ret = 0;

	sw_aws_creds_init(&fresh);
	pthread_mutex_lock(&c->lock);
	now = clock_now(c);
	if (c->source != SRC_NONE) {
		time_t exp = c->cached.expiration;
		windows(c, &advisory, &mandatory);
		if (!exp || now < exp - advisory)
			goto hand_out;
		if (refresh(c, &fresh) == 0) {
			sw_aws_creds_copy(&c->cached, &fresh);
			c->obtained = now;
			goto hand_out;
		}
		if (now < exp - mandatory) {
			sw_log_warn("AWS credentials (%s) expire at %ld; refresh failed, keeping them: %s",
				    c->cached.source, (long)exp, sw_error_last());
			goto hand_out;
		}
		if (now < exp)
			ret = sw_error_prefix("AWS credentials from %s expire in %lds and could not be refreshed",
					      c->cached.source, (long)(exp - now));
		else
			ret = sw_error_prefix("AWS credentials from %s expired %lds ago and could not be refreshed",
					      c->cached.source, (long)(now - exp));
		sw_aws_creds_release(&c->cached);
		c->source = SRC_NONE;
		goto cleanup;
	}
	if ((ret = resolve_chain(c, &fresh, &src)) < 0)
		goto cleanup;
	sw_aws_creds_copy(&c->cached, &fresh);
	c->obtained = now;
	c->source = src;
hand_out:
	sw_aws_creds_copy(out, &c->cached);
	ret = 0;
cleanup:
	pthread_mutex_unlock(&c->lock);
	sw_aws_creds_release(&fresh);
	return ret;
}
