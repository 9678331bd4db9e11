#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "releaser/certs.h"
#include "releaser/domains.h"
#include "releaser/review.h"
#include "releaser/route.h"
#include "common/error.h"
#include "common/json.h"
#include "common/store.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/tlscert.h"
#include "common/xalloc.h"
#include "common/banned.h"

static void base64(struct sw_buf *out, const char *data, size_t len)
{
	unsigned char *b = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock(b, (const unsigned char *)data, (int)len);
	sw_buf_add(out, (const char *)b, (size_t)n);
	free(b);
}

/* Is host one of app's: its own, or one of its domains? */
static int host_of_app(const struct sw_runenv *e, const char *app, const char *host, struct sw_buf *own)
{
	struct sw_strvec d = SW_STRVEC_INIT;
	size_t i;
	int yes;

	sw_review_host_label(e->db, app, own);
	sw_buf_addf(own, ".%s", e->settings->apps_domain);
	yes = !strcmp(own->ptr, host);
	sw_domains_of(e->db, app, &d);
	for (i = 0; i < d.nr && !yes; i++)
		yes = !strcmp(d.v[i], host);
	sw_strvec_clear(&d);
	return yes;
}

/* The ARN of host's certificate (app's), appended to arn: 1 found, 0 none, negative on error. */
static int row_of(sqlite3 *db, const char *app, const char *host, struct sw_buf *arn)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;
	if (sw_store_prepare(db, &st, "SELECT arn FROM certs WHERE host = ?1 AND app = ?2") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sw_buf_adds(arn, (const char *)sqlite3_column_text(st, 0));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = sw_store_error(db, "certs");
	}
	sqlite3_finalize(st);
	return ret;
}

/* Certificate arn off listener (when given) and out of ACM; failures are the caller's to report. */
static int drop(const struct sw_runenv *e, const char *listener, const char *arn)
{
	json_t *p;
	int ret = 0;
	if (listener && *listener) {
		p = json_pack("{s:s, s:[{s:s}]}", "ListenerArn", listener, "Certificates", "CertificateArn", arn);
		ret = sw_runenv_call(e, "elbv2", "RemoveListenerCertificates", p, NULL, NULL, NULL);
		json_decref(p);
	}
	p = json_pack("{s:s}", "CertificateArn", arn);
	if (ret == 0)
		ret = sw_runenv_call(e, "acm", "DeleteCertificate", p, NULL, NULL, NULL);
	json_decref(p);
	return ret;
}

/* Import cert (leaf, then chain) and key into ACM: its ARN appended to arn. */
static int import(const struct sw_runenv *e, const char *cert, const char *key, struct sw_buf *arn)
{
	struct sw_buf c = SW_BUF_INIT, k = SW_BUF_INIT, ch = SW_BUF_INIT, chain = SW_BUF_INIT;
	const char *end = strstr(cert, "-----END CERTIFICATE-----");
	json_t *p, *resp = NULL;
	int ret;

	/* the leaf alone (up to its END line); the rest of the file is its chain */
	base64(&c, cert, end ? (size_t)(end - cert) + strlen("-----END CERTIFICATE-----") : strlen(cert));
	base64(&k, key, strlen(key));
	sw_tlscert_chain(cert, strlen(cert), &chain);
	/* no Tags: they would need acm:AddTagsToCertificate too; the certs table says whose it is */
	p = json_pack("{s:s, s:s}", "Certificate", c.ptr, "PrivateKey", k.ptr);
	if (chain.len) {
		base64(&ch, chain.ptr, chain.len);
		json_object_set_new(p, "CertificateChain", json_string(ch.ptr));
	}
	ret = sw_runenv_call(e, "acm", "ImportCertificate", p, &resp, NULL, NULL);
	if (ret == 0 && !sw_json_str(resp, "CertificateArn"))
		ret = sw_error("ImportCertificate answered no CertificateArn");
	if (ret == 0)
		sw_buf_adds(arn, sw_json_str(resp, "CertificateArn"));
	json_decref(p);
	json_decref(resp);
	sw_buf_release(&c);
	sw_buf_release(&k);
	sw_buf_release(&ch);
	sw_buf_release(&chain);
	return ret;
}

int sw_certs_add(const struct sw_runenv *e, const char *app, const char *host_in, const char *cert, const char *key)
{
	struct sw_buf host = SW_BUF_INIT, own = SW_BUF_INIT, listener = SW_BUF_INIT, arn = SW_BUF_INIT,
		      old = SW_BUF_INIT;
	struct sw_tlscert_info info;
	sqlite3_stmt *st = NULL;
	json_t *p = NULL;
	size_t i;
	int ret;

	sw_tlscert_info_init(&info);
	for (i = 0; host_in[i] && i < 300; i++)
		sw_buf_addch(&host, host_in[i] >= 'A' && host_in[i] <= 'Z' ? (char)(host_in[i] + 32) : host_in[i]);
	if (!host_of_app(e, app, host.ptr, &own)) {
		ret = sw_error_code(SW_EINVAL, "%.60s is not a host of %s (its own is %s; add a domain with domains:add)",
				    host.ptr, app, own.ptr);
		goto cleanup;
	}
	if ((ret = sw_tlscert_check(cert, strlen(cert), key, strlen(key), sw_time_now(), &info)) < 0)
		goto cleanup;
	if (!sw_tlscert_matches_host(cert, strlen(cert), host.ptr)) {
		struct sw_buf names = SW_BUF_INIT;
		for (i = 0; i < info.names.nr; i++)
			sw_buf_addf(&names, "%s%s", i ? ", " : "", info.names.v[i]);
		ret = sw_error_code(SW_EINVAL, "the certificate is not valid for %s (it names %s)", host.ptr,
				    names.len ? names.ptr : "no host");
		sw_buf_release(&names);
		goto cleanup;
	}
	if ((ret = sw_route_https_listener(e, &listener, NULL)) <= 0) {
		if (ret == 0)
			ret = sw_error_code(SW_EINVAL, "the load balancer has no HTTPS listener to serve certificates on");
		goto cleanup;
	}
	if ((ret = row_of(e->db, app, host.ptr, &old)) < 0)
		goto cleanup;
	if ((ret = import(e, cert, key, &arn)) < 0) {
		sw_error_prefix("ACM");
		goto cleanup;
	}
	p = json_pack("{s:s, s:[{s:s}]}", "ListenerArn", listener.ptr, "Certificates", "CertificateArn", arn.ptr);
	if ((ret = sw_runenv_call(e, "elbv2", "AddListenerCertificates", p, NULL, NULL, NULL)) < 0) {
		struct sw_buf why = SW_BUF_INIT;
		sw_buf_adds(&why, sw_error_last());
		drop(e, NULL, arn.ptr);   /* nothing changed */
		ret = sw_error("load balancer: %s", why.ptr);
		sw_buf_release(&why);
		goto cleanup;
	}
	if ((ret = sw_store_prepare(e->db, &st, "INSERT INTO certs (host, app, arn, not_after, created_at) "
				    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(host) DO UPDATE SET app = excluded.app, "
				    "arn = excluded.arn, not_after = excluded.not_after, created_at = excluded.created_at")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, host.ptr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, arn.ptr, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, info.not_after);
	sqlite3_bind_double(st, 5, sw_time_now());
	if ((ret = sw_store_step_done(e->db, st, "certs")) < 0)
		goto cleanup;
	if (old.len && strcmp(old.ptr, arn.ptr))   /* the one it replaces */
		drop(e, listener.ptr, old.ptr);
cleanup:
	json_decref(p);
	sw_tlscert_info_release(&info);
	sw_buf_release(&host);
	sw_buf_release(&own);
	sw_buf_release(&listener);
	sw_buf_release(&arn);
	sw_buf_release(&old);
	return ret;
}

int sw_certs_remove(const struct sw_runenv *e, const char *app, const char *host_in)
{
	struct sw_buf host = SW_BUF_INIT, arn = SW_BUF_INIT, listener = SW_BUF_INIT;
	size_t i;
	int ret;

	for (i = 0; host_in[i] && i < 300; i++)
		sw_buf_addch(&host, host_in[i] >= 'A' && host_in[i] <= 'Z' ? (char)(host_in[i] + 32) : host_in[i]);
	if ((ret = row_of(e->db, app, host.ptr, &arn)) <= 0) {
		if (ret == 0)
			ret = sw_error_code(SW_ENOTFOUND, "%.60s has no certificate of %s", host.ptr, app);
		goto cleanup;
	}
	if ((ret = sw_route_https_listener(e, &listener, NULL)) < 0 || (ret = drop(e, listener.ptr, arn.ptr)) < 0)
		goto cleanup;
	ret = sw_store_exec_text(e->db, "DELETE FROM certs WHERE host = ?", host.ptr, "certs");
	ret = ret < 0 ? ret : 0;
cleanup:
	sw_buf_release(&host);
	sw_buf_release(&arn);
	sw_buf_release(&listener);
	return ret;
}

json_t *sw_certs_list_json(sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;
	json_t *out = json_array();
	int rc;

	if (sw_store_prepare(db, &st, "SELECT host, arn, not_after FROM certs WHERE app = ?1 ORDER BY host") < 0) {
		json_decref(out);
		return NULL;
	}
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, json_pack("{s:s, s:s, s:f}", "host", (const char *)sqlite3_column_text(st, 0),
						     "arn", (const char *)sqlite3_column_text(st, 1), "not_after",
						     sqlite3_column_double(st, 2)));
	if (rc != SQLITE_DONE) {
		sw_store_error(db, "certs");
		json_decref(out);
		out = NULL;
	}
	sqlite3_finalize(st);
	return out;
}

int sw_certs_forget_app(const struct sw_runenv *e, const char *app)
{
	json_t *list = sw_certs_list_json(e->db, app), *c;
	size_t i;
	int ret = list ? 0 : SW_ERROR;

	json_array_foreach(list, i, c)
		if (ret == 0)
			ret = sw_certs_remove(e, app, sw_json_str(c, "host"));
	json_decref(list);
	return ret;
}
