#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/acm/acm.h"
#include "engine/api/awsjson.h"
#include "engine/api/call.h"
#include "common/aws/models.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/tlscert.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define PEM_MAX (256 * 1024)

static void store_dir(const struct sw_engine *e, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/acm", e->cfg.state_dir);
}

/* The id of arn when it is one of this engine's certificate ARNs ([0-9a-f-] only), else NULL. */
static const char *arn_id(const struct sw_engine *e, const char *arn, struct sw_buf *tmp)
{
	const char *id;
	size_t i;
	sw_buf_reset(tmp);
	sw_engine_arn(e, tmp, "acm", "certificate/");
	if (!arn || strncmp(arn, tmp->ptr, tmp->len))
		return NULL;
	id = arn + tmp->len;
	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') || id[i] == '-'))
			return NULL;
	return i > 0 && i <= 64 ? id : NULL;
}

static void file_of(const struct sw_engine *e, const char *id, const char *ext, struct sw_buf *out)
{
	store_dir(e, out);
	sw_buf_addf(out, "/%s.%s", id, ext);
}

int sw_acm_pem_path(const struct sw_engine *e, const char *arn, struct sw_buf *out)
{
	struct sw_buf tmp = SW_BUF_INIT;
	const char *id = arn_id(e, arn, &tmp);
	struct stat st;
	int ok = 0;
	sw_buf_reset(out);
	if (id) {
		file_of(e, id, "pem", out);
		ok = stat(out->ptr, &st) == 0;
	}
	sw_buf_release(&tmp);
	return ok;
}

/* sw_file_write_atomic(), its error line prefixed "acm: ". */
static int write_atomic(const char *path, const char *data, size_t len)
{
	if (sw_file_write_atomic(path, data, len) < 0)
		return sw_error_prefix("acm");
	return 0;
}

/* Store a checked certificate under id: the PEM for HAProxy, then its description. */
static int store(struct sw_engine *e, const char *id, const char *cert, size_t cert_len, const char *chain,
		 const char *key, const struct sw_tlscert_info *info, struct sw_buf *arn)
{
	struct sw_buf dir = SW_BUF_INIT, path = SW_BUF_INIT, pem = SW_BUF_INIT;
	char *text = NULL;
	json_t *doc = NULL, *sans = json_array();
	size_t i;
	int ret;

	store_dir(e, &dir);
	if (mkdir(dir.ptr, 0700) < 0 && errno != EEXIST) {
		ret = sw_error_errno("acm: mkdir %s", dir.ptr);
		goto cleanup;
	}
	sw_buf_reset(arn);
	sw_engine_arn(e, arn, "acm", "certificate/%s", id);
	sw_buf_add(&pem, cert, cert_len);
	if (pem.len && pem.ptr[pem.len - 1] != '\n')
		sw_buf_addch(&pem, '\n');
	if (chain && *chain)
		sw_buf_addf(&pem, "%s%s", chain, chain[strlen(chain) - 1] == '\n' ? "" : "\n");
	sw_buf_adds(&pem, key);
	file_of(e, id, "pem", &path);
	if ((ret = write_atomic(path.ptr, pem.ptr, pem.len)) < 0)
		goto cleanup;
	for (i = 0; i < info->names.nr; i++)
		json_array_append_new(sans, json_string(info->names.v[i]));
	doc = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:f, s:f, s:f, s:s, s:s, s:s, s:s, s:[]}",
			"CertificateArn", arn->ptr, "DomainName", info->names.nr ? info->names.v[0] : info->subject,
			"SubjectAlternativeNames", sans, "Serial", info->serial, "Subject", info->subject,
			"Issuer", info->issuer, "ImportedAt", sw_time_now(), "NotBefore", info->not_before,
			"NotAfter", info->not_after, "KeyAlgorithm", info->key_algorithm, "Status", "ISSUED",
			"Type", "IMPORTED", "RenewalEligibility", "INELIGIBLE", "InUseBy");
	text = json_dumps(doc, JSON_COMPACT);
	file_of(e, id, "json", &path);
	ret = write_atomic(path.ptr, text, strlen(text));
cleanup:
	free(text);
	json_decref(doc);
	json_decref(sans);
	sw_buf_release(&dir);
	sw_buf_release(&path);
	sw_buf_release(&pem);
	return ret;
}

/* A blob member (base64 in JSON 1.1) decoded into out: 0, or -1 with the call failed. */
static int blob(struct sw_engine_call *c, const char *name, int need, struct sw_buf *out)
{
	const char *b64 = sw_engine_api_call_str(c, name);
	size_t n = b64 ? strlen(b64) : 0;
	unsigned char *raw;
	int len;

	if (!b64 || !n) {
		if (!need)
			return 0;
		return sw_engine_api_call_fail(c, 400, "ValidationException", "1 validation error detected: Value null at "
					       "'%c%s' failed to satisfy constraint: Member must not be null", name[0] + 32,
					       name + 1);
	}
	if (n > PEM_MAX * 2 || n % 4)
		return sw_engine_api_call_fail(c, 400, "ValidationException", "%s is not valid base64", name);
	raw = xmalloc(n / 4 * 3 + 1);
	len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	if (len < 0) {
		free(raw);
		return sw_engine_api_call_fail(c, 400, "ValidationException", "%s is not valid base64", name);
	}
	while (n && b64[--n] == '=' && len > 0)   /* EVP_DecodeBlock counts the padding as zero bytes */
		len--;
	sw_buf_add(out, (const char *)raw, (size_t)len);
	free(raw);
	return 0;
}

static int op_import(struct sw_engine_call *c)
{
	struct sw_buf cert = SW_BUF_INIT, key = SW_BUF_INIT, chain = SW_BUF_INIT, id = SW_BUF_INIT, arn = SW_BUF_INIT,
		      tmp = SW_BUF_INIT;
	struct sw_tlscert_info info;
	const char *given = sw_engine_api_call_str(c, "CertificateArn");
	int ret = -1;

	sw_tlscert_info_init(&info);
	if (blob(c, "Certificate", 1, &cert) < 0 || blob(c, "PrivateKey", 1, &key) < 0 ||
	    blob(c, "CertificateChain", 0, &chain) < 0)
		goto cleanup;
	if (given) {   /* a re-import keeps the ARN */
		const char *gid = arn_id(c->e, given, &tmp);
		if (!gid || !sw_acm_pem_path(c->e, given, &tmp)) {
			ret = sw_engine_api_call_fail(c, 400, "ResourceNotFoundException", "Could not find certificate %s.",
						      given);
			goto cleanup;
		}
		sw_buf_adds(&id, gid);
	} else {
		sw_engine_uuid(&id);
	}
	if (sw_tlscert_check(cert.ptr, cert.len, key.ptr, key.len, sw_time_now(), &info) < 0) {
		ret = sw_engine_api_call_fail(c, 400, "ValidationException", "%s", sw_error_last());
		goto cleanup;
	}
	if (store(c->e, id.ptr, cert.ptr, cert.len, chain.ptr, key.ptr, &info, &arn) < 0) {
		ret = SW_FAIL_SERVER(c, "%s", sw_error_last());
		goto cleanup;
	}
	json_object_set_new(c->out, "CertificateArn", json_string(arn.ptr));
	ret = 0;
cleanup:
	sw_engine_secret_release(&key);
	sw_buf_release(&cert);
	sw_buf_release(&chain);
	sw_buf_release(&id);
	sw_buf_release(&arn);
	sw_buf_release(&tmp);
	sw_tlscert_info_release(&info);
	return ret;
}

/* The description of arn (new reference), or NULL with the call failed. */
static json_t *load_doc(struct sw_engine_call *c, const char *arn)
{
	struct sw_buf tmp = SW_BUF_INIT, path = SW_BUF_INIT;
	const char *id = arn_id(c->e, arn, &tmp);
	json_t *doc = NULL;

	if (!arn)
		sw_engine_api_call_fail(c, 400, "ValidationException", "1 validation error detected: Value null at "
					"'certificateArn' failed to satisfy constraint: Member must not be null");
	else if (!id)
		sw_engine_api_call_fail(c, 400, "InvalidArnException", "The ARN %s is not valid.", arn);
	else {
		file_of(c->e, id, "json", &path);
		doc = json_load_file(path.ptr, 0, NULL);
		if (!doc)
			sw_engine_api_call_fail(c, 400, "ResourceNotFoundException", "Could not find certificate %s.", arn);
	}
	sw_buf_release(&tmp);
	sw_buf_release(&path);
	return doc;
}

static int op_describe(struct sw_engine_call *c)
{
	json_t *doc = load_doc(c, sw_engine_api_call_str(c, "CertificateArn"));
	if (!doc)
		return -1;
	json_object_set_new(c->out, "Certificate", doc);
	return 0;
}

static int op_delete(struct sw_engine_call *c)
{
	const char *arn = sw_engine_api_call_str(c, "CertificateArn");
	struct sw_buf tmp = SW_BUF_INIT, path = SW_BUF_INIT;
	json_t *doc = load_doc(c, arn);

	if (!doc)
		return -1;
	json_decref(doc);
	file_of(c->e, arn_id(c->e, arn, &tmp), "json", &path);
	unlink(path.ptr);
	file_of(c->e, arn_id(c->e, arn, &tmp), "pem", &path);
	unlink(path.ptr);
	sw_buf_release(&tmp);
	sw_buf_release(&path);
	return 0;
}

static int op_list(struct sw_engine_call *c)
{
	struct sw_buf dir = SW_BUF_INIT, path = SW_BUF_INIT;
	json_t *list = json_array();
	DIR *d;
	struct dirent *de;

	store_dir(c->e, &dir);
	if ((d = opendir(dir.ptr))) {
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);
			json_t *doc;
			if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
				continue;
			sw_buf_reset(&path);
			sw_buf_addf(&path, "%s/%s", dir.ptr, de->d_name);
			if (!(doc = json_load_file(path.ptr, 0, NULL)))
				continue;
			json_array_append_new(list, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}",
				"CertificateArn", json_object_get(doc, "CertificateArn"),
				"DomainName", json_object_get(doc, "DomainName"),
				"SubjectAlternativeNameSummaries", json_object_get(doc, "SubjectAlternativeNames"),
				"Status", json_object_get(doc, "Status"), "Type", json_object_get(doc, "Type"),
				"NotAfter", json_object_get(doc, "NotAfter")));
			json_decref(doc);
		}
		closedir(d);
	}
	json_object_set_new(c->out, "CertificateSummaryList", list);
	sw_buf_release(&dir);
	sw_buf_release(&path);
	return 0;
}

int sw_acm_import_file(struct sw_engine *e, const char *path, const char *id, struct sw_buf *arn)
{
	struct sw_buf pem = SW_BUF_INIT, chain = SW_BUF_INIT;
	struct sw_tlscert_info info;
	const char *key;
	FILE *f = fopen(path, "re");
	char tmp[4096];
	size_t n;
	int ret = SW_EINVAL;

	sw_tlscert_info_init(&info);
	if (!f)
		return sw_error_errno("router TLS certificate %s", path);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0 && pem.len < PEM_MAX)
		sw_buf_add(&pem, tmp, n);
	fclose(f);
	key = strstr(pem.ptr, "-----BEGIN PRIVATE KEY-----");
	if (!key)
		key = strstr(pem.ptr, "-----BEGIN RSA PRIVATE KEY-----");
	if (!key)
		key = strstr(pem.ptr, "-----BEGIN EC PRIVATE KEY-----");
	if (!key) {
		sw_error("router TLS certificate %s: no private key in it (want certificate, chain, key)", path);
		goto cleanup;
	}
	if (sw_tlscert_check(pem.ptr, (size_t)(key - pem.ptr), key, strlen(key), sw_time_now(), &info) < 0) {
		sw_error_prefix("router TLS certificate %s", path);
		goto cleanup;
	}
	sw_tlscert_chain(pem.ptr, (size_t)(key - pem.ptr), &chain);
	{
		/* the leaf alone: up to its END line */
		const char *end = strstr(pem.ptr, "-----END CERTIFICATE-----");
		size_t leaf = end ? (size_t)(end - pem.ptr) + strlen("-----END CERTIFICATE-----") : 0;
		ret = store(e, id, pem.ptr, leaf, chain.ptr, key, &info, arn);
	}
cleanup:
	sw_engine_secret_release(&pem);
	sw_buf_release(&chain);
	sw_tlscert_info_release(&info);
	return ret;
}

/* The text of a PEM file (at most PEM_MAX) into out: 0, or -1. */
static int slurp(const char *path, struct sw_buf *out)
{
	FILE *f = fopen(path, "re");
	char tmp[4096];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0 && out->len < PEM_MAX)
		sw_buf_add(out, tmp, n);
	fclose(f);
	return 0;
}

int sw_acm_file_names(const char *path, const char *host)
{
	struct sw_buf pem = SW_BUF_INIT;
	int yes = slurp(path, &pem) == 0 && sw_tlscert_matches_host(pem.ptr, pem.len, host);
	sw_engine_secret_release(&pem);
	return yes;
}

int sw_acm_issued_path(const struct sw_engine *e, const char *host, struct sw_buf *out)
{
	struct sw_buf dir = SW_BUF_INIT, ca = SW_BUF_INIT, pem = SW_BUF_INIT;
	struct stat st;
	size_t i;
	int ret = 0;

	sw_buf_reset(out);
	if (!e->cfg.router_tls_ca || !*host || strlen(host) > 253)
		return 0;
	for (i = 0; host[i]; i++)   /* a plain host name (it names a file) */
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= '0' && host[i] <= '9') || host[i] == '-' ||
		      (host[i] == '.' && i > 0 && host[i - 1] != '.')))
			return 0;
	store_dir(e, &dir);
	sw_buf_adds(&dir, "/issued");
	sw_buf_addf(out, "%s/%s.pem", dir.ptr, host);
	if (stat(out->ptr, &st) == 0)
		return 1;
	store_dir(e, &ca);
	mkdir(ca.ptr, 0700);
	mkdir(dir.ptr, 0700);
	sw_buf_reset(&ca);
	if (slurp(e->cfg.router_tls_ca, &ca) < 0 || sw_tlscert_issue(ca.ptr, ca.len, host, sw_time_now(), 397, &pem) < 0 ||
	    write_atomic(out->ptr, pem.ptr, pem.len) < 0)
		sw_log_warn("acm: no certificate issued for %s: %s", host, sw_error_last());
	else
		ret = 1;
	sw_engine_secret_release(&ca);
	sw_engine_secret_release(&pem);
	sw_buf_release(&dir);
	return ret;
}

static const struct sw_engine_api_op acm_ops[] = {
	{ "ImportCertificate", op_import, 1 },
	{ "DescribeCertificate", op_describe, 1 },
	{ "DeleteCertificate", op_delete, 1 },
	{ "ListCertificates", op_list, 1 },
	{ NULL, NULL, 0 },
};

struct sw_engine_api sw_acm_api = {
	"acm", &sw_aws_acm_model, SW_SIGV4_JSON, acm_ops, "ValidationException", NULL, sw_engine_api_json_serve,
	sw_engine_api_json_error,
};
