#include <string.h>
#include <arpa/inet.h>

#include "releaser/domains.h"
#include "common/error.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

static int label_ok(const char *s, size_t n)
{
	size_t i;
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int sw_domains_check(const char *host, const char *apps_domain, struct sw_buf *out)
{
	struct sw_buf h = SW_BUF_INIT;
	unsigned char addr[16];
	const char *p, *dot, *last = NULL;
	size_t i, n = host ? strlen(host) : 0, labels = 0, dn = apps_domain ? strlen(apps_domain) : 0;
	int ret = 0, numeric = 1;

	for (i = 0; i < n && i < 300; i++)
		sw_buf_addch(&h, host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] + 32) : host[i]);
	if (n && (inet_pton(AF_INET, h.ptr, addr) == 1 || inet_pton(AF_INET6, h.ptr, addr) == 1 || strchr(h.ptr, ':'))) {
		ret = sw_error_code(SW_EINVAL, "%.60s is an IP address: a domain is a host name (www.example.com)", h.ptr);
		goto cleanup;
	}
	if (n < 1 || n > 253)
		goto malformed;
	p = h.ptr;
	if (!strncmp(p, "*.", 2))   /* a wildcard, as ALB's host-header conditions take it */
		p += 2;
	for (;;) {
		dot = strchr(p, '.');
		if (!label_ok(p, dot ? (size_t)(dot - p) : strlen(p)))
			goto malformed;
		labels++;
		last = p;
		if (!dot)
			break;
		p = dot + 1;
	}
	for (p = last; *p; p++)
		numeric &= *p >= '0' && *p <= '9';
	if (labels < 2 || numeric)
		goto malformed;
	if (dn && (!strcmp(h.ptr, apps_domain) ||
		   (h.len > dn && h.ptr[h.len - dn - 1] == '.' && !strcmp(h.ptr + h.len - dn, apps_domain)))) {
		ret = sw_error_code(SW_EINVAL, "%s is under the apps domain (%s): slipway names those itself", h.ptr,
				    apps_domain);
		goto cleanup;
	}
	sw_buf_add(out, h.ptr, h.len);
	goto cleanup;
malformed:
	ret = sw_error_code(SW_EINVAL, "'%.60s' is not a host name (want labels of a-z, 0-9 and '-', like www.example.com)",
			    h.ptr);
cleanup:
	sw_buf_release(&h);
	return ret;
}

int sw_domains_owner(sqlite3 *db, const char *host, struct sw_buf *owner)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (sw_store_prepare(db, &st, "SELECT app FROM domains WHERE host = ?1") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sw_buf_adds(owner, (const char *)sqlite3_column_text(st, 0));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = sw_store_error(db, "domains");
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_domains_insert(sqlite3 *db, const char *app, const char *host)
{
	struct sw_buf owner = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int ret = sw_domains_owner(db, host, &owner);

	if (ret < 0)
		goto cleanup;
	if (ret == 1) {
		ret = strcmp(owner.ptr, app) ? sw_error_code(SW_EEXISTS, "%s is already a domain of %s", host, owner.ptr) : 1;
		goto cleanup;
	}
	if ((ret = sw_store_prepare(db, &st, "INSERT INTO domains (host, app, created_at) VALUES (?1, ?2, ?3)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, sw_time_now());
	ret = sw_store_step_done(db, st, "domains");
cleanup:
	sw_buf_release(&owner);
	return ret;
}

int sw_domains_delete(sqlite3 *db, const char *app, const char *host)
{
	int n = sw_store_exec_texts(db, "DELETE FROM domains WHERE host = ?1 AND app = ?2", (const char *[]){ host, app },
				    2, "domains");

	if (n < 0)
		return n;
	return n ? 0 : sw_error_code(SW_ENOTFOUND, "%s is not a domain of %s", host, app);
}

int sw_domains_of(sqlite3 *db, const char *app, struct sw_strvec *hosts)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT host FROM domains WHERE app = ?1 ORDER BY host", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;   /* a database without the table (a test tool's): no domains */
	}
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sw_strvec_push(hosts, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sw_store_error(db, "domains");
}

int sw_domains_forget_app(sqlite3 *db, const char *app)
{
	int n = sw_store_exec_text(db, "DELETE FROM domains WHERE app = ?", app, "domains");
	return n < 0 ? n : 0;
}
