#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tlscert.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_tlscert_info_init(struct sw_tlscert_info *i)
{
	memset(i, 0, sizeof(*i));
	sw_strvec_init(&i->names);
}

void sw_tlscert_info_release(struct sw_tlscert_info *i)
{
	free(i->subject);
	free(i->issuer);
	free(i->serial);
	free(i->key_algorithm);
	sw_strvec_clear(&i->names);
	sw_tlscert_info_init(i);
}

static X509 *read_cert(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	return x;
}

static double asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (double)timegm(&tm);
}

static char *cn_of(const X509_NAME *n)
{
	char tmp[256];
	if (X509_NAME_get_text_by_NID((X509_NAME *)n, NID_commonName, tmp, sizeof(tmp)) < 0)
		return xstrdup("");
	return xstrdup(tmp);
}

static void fill_info(X509 *x, EVP_PKEY *pub, struct sw_tlscert_info *info)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	struct sw_buf serial = SW_BUF_INIT, alg = SW_BUF_INIT;
	int i;

	info->subject = cn_of(X509_get_subject_name(x));
	info->issuer = cn_of(X509_get_issuer_name(x));
	for (i = 0; sn && i < sn->length; i++)
		sw_buf_addf(&serial, "%s%02x", i ? ":" : "", sn->data[i]);
	info->serial = sw_buf_detach(&serial, NULL);
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		sw_buf_addf(&alg, "RSA_%d", EVP_PKEY_get_bits(pub));
	} else {
		char group[64] = "";
		size_t glen = 0;
		EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof(group), &glen);
		sw_buf_addf(&alg, "EC_%s", group[0] ? group : "unknown");
	}
	info->key_algorithm = sw_buf_detach(&alg, NULL);
	for (i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_DNS)
			sw_strvec_push(&info->names, (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	}
	if (!info->names.nr && *info->subject)
		sw_strvec_push(&info->names, info->subject);
	info->not_before = asn1_seconds(X509_get0_notBefore(x));
	info->not_after = asn1_seconds(X509_get0_notAfter(x));
	GENERAL_NAMES_free(sans);
}

int sw_tlscert_check(const char *cert, size_t cert_len, const char *key, size_t key_len, double now,
		     struct sw_tlscert_info *info)
{
	char when[SW_TIME_ISO_SIZE];
	X509 *x = read_cert(cert, cert_len);
	EVP_PKEY *pk = NULL, *pub = NULL;
	BIO *b = NULL;
	int ret = SW_EINVAL;
	double nb, na;

	if (!x) {
		sw_error_code(SW_EINVAL, "the certificate is not a PEM certificate");
		goto cleanup;
	}
	pub = X509_get0_pubkey(x);
	if (key) {
		b = BIO_new_mem_buf(key, (int)key_len);
		pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		ERR_clear_error();
		if (!pk) {
			sw_error_code(SW_EINVAL, "the key is not a PEM private key (unencrypted)");
			goto cleanup;
		}
		if (!pub || EVP_PKEY_eq(pub, pk) != 1) {
			sw_error_code(SW_EINVAL, "the key does not match the certificate");
			goto cleanup;
		}
	}
	nb = asn1_seconds(X509_get0_notBefore(x));
	na = asn1_seconds(X509_get0_notAfter(x));
	if (na <= now) {
		sw_error_code(SW_EINVAL, "the certificate has expired (on %s)", sw_time_iso(na, when));
		goto cleanup;
	}
	if (nb > now) {
		sw_error_code(SW_EINVAL, "the certificate is not valid yet (from %s)", sw_time_iso(nb, when));
		goto cleanup;
	}
	if (info)
		fill_info(x, pub, info);
	ret = 0;
cleanup:
	ERR_clear_error();
	BIO_free(b);
	EVP_PKEY_free(pk);
	X509_free(x);
	return ret;
}

int sw_tlscert_matches_host(const char *cert, size_t cert_len, const char *host)
{
	X509 *x = read_cert(cert, cert_len);
	int ok = x && X509_check_host(x, host, strlen(host), 0, NULL) == 1;
	X509_free(x);
	ERR_clear_error();
	return ok;
}

void sw_tlscert_chain(const char *cert, size_t cert_len, struct sw_buf *out)
{
	static const char end[] = "-----END CERTIFICATE-----";
	const char *p = cert, *stop = cert + cert_len, *e;
	/* after the first END line, the rest from the next BEGIN */
	for (; p + sizeof(end) - 1 <= stop; p++)
		if (!memcmp(p, end, sizeof(end) - 1))
			break;
	if (p + sizeof(end) - 1 > stop)
		return;
	p += sizeof(end) - 1;
	for (e = p; e + 10 <= stop && memcmp(e, "-----BEGIN", 10); e++)
		;
	if (e + 10 <= stop)
		sw_buf_add(out, e, (size_t)(stop - e));
}

/* The CA's certificate and key from one PEM text. */
static int read_ca(const char *pem, size_t len, X509 **ca, EVP_PKEY **key)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	*ca = read_cert(pem, len);
	*key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (!*ca || !*key)
		return sw_error("the CA file holds no %s", *ca ? "private key" : "certificate");
	return 0;
}

static int add_ext(X509 *x, X509 *ca, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int sw_tlscert_issue(const char *ca_pem, size_t ca_len, const char *host, double now, int days, struct sw_buf *out)
{
	X509 *ca = NULL, *x = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	BIO *mem = NULL;
	struct sw_buf san = SW_BUF_INIT;
	unsigned char serial[16];
	time_t t = (time_t)now;
	BIGNUM *bn = NULL;
	char *data;
	long n;
	int ret = SW_ERROR;

	if (read_ca(ca_pem, ca_len, &ca, &ca_key) < 0)
		goto cleanup;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	if (!key || !x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	sw_buf_addf(&san, "DNS:%s", host);
	if (!bn || !X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &t) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &t) ||
	    !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)host, -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    !add_ext(x, ca, NID_subject_alt_name, san.ptr) || !add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, ca, NID_ext_key_usage, "serverAuth") || !X509_sign(x, ca_key, EVP_sha256()))
		goto fail;
	mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_X509(mem, x) || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL))
		goto fail;
	n = BIO_get_mem_data(mem, &data);
	sw_buf_add(out, data, (size_t)n);
	ret = 0;
	goto cleanup;
fail:
	sw_error("cannot issue a certificate for %s (OpenSSL)", host);
cleanup:
	ERR_clear_error();
	BIO_free(mem);
	BN_free(bn);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	sw_buf_release(&san);
	return ret;
}
