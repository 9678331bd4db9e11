#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "builder/registry.h"
#include "common/error.h"
#include "common/http.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_MANIFEST (4u << 20)

static const char *const manifest_types =
	"Accept: application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.oci.image.index.v1+json";

static void base64(struct sw_buf *out, const void *data, size_t n, int url)
{
	size_t start = out->len, i;
	size_t enc = 4 * ((n + 2) / 3);

	sw_buf_grow(out, enc);
	EVP_EncodeBlock((unsigned char *)out->ptr + start, data, (int)n);
	sw_buf_setlen(out, start + enc);
	if (!url)
		return;
	for (i = start; i < out->len; i++) {
		if (out->ptr[i] == '+')
			out->ptr[i] = '-';
		else if (out->ptr[i] == '/')
			out->ptr[i] = '_';
	}
}

const char *sw_registry_host(const char *spec)
{
	if (!strncmp(spec, "http://", 7))
		return spec + 7;
	if (!strncmp(spec, "https://", 8))
		return spec + 8;
	return spec;
}

int sw_registry_check(const char *spec)
{
	const char *h, *s;

	if (!spec || !*spec)
		return sw_error_code(SW_EINVAL, "no registry given");
	h = sw_registry_host(spec);
	if (!*h || strlen(h) > 255)
		return sw_error_code(SW_EINVAL, "bad registry \"%.80s\": want host:port", spec);
	for (s = h; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-:[]", *s))
			return sw_error_code(SW_EINVAL, "bad registry \"%.80s\": want host:port", spec);
	return 0;
}

static int is_loopback(const char *host)
{
	size_t n = strcspn(host, ":");
	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5);
	return (n == 9 && !strncmp(host, "localhost", 9)) || !strncmp(host, "127.", 4);
}

static void base_url(const struct sw_registry *r, struct sw_buf *url)
{
	const char *h = sw_registry_host(r->spec);
	if (h != r->spec)
		sw_buf_add(url, r->spec, (size_t)(h - r->spec));
	else
		sw_buf_adds(url, is_loopback(h) ? "http://" : "https://");
	sw_buf_adds(url, h);
}

void sw_registry_docker_auth(const struct sw_registry *r, struct sw_buf *out)
{
	json_t *doc = json_object();
	char *text;

	if (r->user) {
		json_object_set_new(doc, "username", json_string(r->user));
		json_object_set_new(doc, "password", json_string(r->password ? r->password : ""));
		json_object_set_new(doc, "serveraddress", json_string(sw_registry_host(r->spec)));
	}
	text = json_dumps(doc, JSON_COMPACT);
	base64(out, text, strlen(text), 1);
	free(text);
	json_decref(doc);
}

/* Sum of layers[].size of an image manifest; -1 for an index or when absent. */
static long long layer_sizes(const char *body, size_t len)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, 0, &jerr);
	json_t *layers, *layer;
	long long sum = -1;
	size_t i;

	if (!doc)
		return -1;
	layers = json_object_get(doc, "layers");
	if (json_is_array(layers)) {
		sum = 0;
		json_array_foreach(layers, i, layer) {
			json_t *sz = json_object_get(layer, "size");
			if (!json_is_integer(sz)) {
				sum = -1;
				break;
			}
			sum += json_integer_value(sz);
		}
	}
	json_decref(doc);
	return sum;
}

static void sha256_digest(struct sw_buf *out, const char *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	sw_buf_adds(out, "sha256:");
	for (i = 0; i < mdlen; i++)
		sw_buf_addf(out, "%02x", md[i]);
}

int sw_registry_lookup(const struct sw_registry *r, const char *repo, const char *ref,
		       char **digest, long long *size)
{
	struct sw_http_request req = { 0 };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf url = SW_BUF_INIT, auth = SW_BUF_INIT, dg = SW_BUF_INIT;
	const char *host = sw_registry_host(r->spec);
	const char *h;
	int ret;

	if (digest)
		*digest = NULL;
	if (size)
		*size = -1;
	if ((ret = sw_registry_check(r->spec)) < 0)
		return ret;
	base_url(r, &url);
	sw_buf_addf(&url, "/v2/%s/manifests/", repo);
	sw_http_urlencode(&url, ref, strlen(ref));
	sw_strvec_push(&headers, manifest_types);
	if (r->user) {
		struct sw_buf cred = SW_BUF_INIT;
		sw_buf_addf(&cred, "%s:%s", r->user, r->password ? r->password : "");
		sw_buf_adds(&auth, "Authorization: Basic ");
		base64(&auth, cred.ptr, cred.len, 0);
		sw_strvec_push(&headers, auth.ptr);
		sw_buf_release(&cred);
	}
	req.url = url.ptr;
	req.headers = &headers;
	req.max_body = MAX_MANIFEST;
	req.timeout_ms = 30000;
	req.cancel = r->cancel;
	ret = sw_http_do(&req, &res);
	if (ret == SW_ECANCEL) {
		ret = sw_error_code(SW_ECANCEL, "cancelled");
		goto cleanup;
	}
	if (ret == SW_EUNAVAIL) {
		ret = sw_error_code(SW_EUNAVAIL, "cannot reach the registry at %s", host);
		goto cleanup;
	}
	if (ret == SW_ETIMEOUT) {
		ret = sw_error_code(SW_EUNAVAIL, "the registry at %s did not answer within 30 s", host);
		goto cleanup;
	}
	if (ret < 0) {
		ret = sw_error_prefix("registry %s", host);
		goto cleanup;
	}
	if (res.status == 404) {
		ret = 0;
		goto cleanup;
	}
	if (res.status == 401 || res.status == 403) {
		if (r->user)
			ret = sw_error_code(SW_EAUTH, "registry %s refused the credentials of %s (%ld)",
					    host, r->user, res.status);
		else
			ret = sw_error_code(SW_EAUTH, "registry %s wants credentials (%ld): give a user and password",
					    host, res.status);
		goto cleanup;
	}
	if (res.status != 200) {
		size_t n = strcspn(res.body.ptr, "\r\n");
		ret = sw_error("registry %s: GET /v2/%s/manifests/%s answered %ld%s%.*s", host, repo, ref,
			       res.status, n ? ": " : "", (int)(n > 200 ? 200 : n), res.body.ptr);
		goto cleanup;
	}
	h = sw_http_header(&res, "docker-content-digest");
	if (h && !strncmp(h, "sha256:", 7))
		sw_buf_adds(&dg, h);
	else
		sha256_digest(&dg, res.body.ptr, res.body.len);
	if (digest)
		*digest = sw_buf_detach(&dg, NULL);
	if (size)
		*size = layer_sizes(res.body.ptr, res.body.len);
	ret = 1;

cleanup:
	sw_buf_release(&url);
	sw_buf_release(&auth);
	sw_buf_release(&dg);
	sw_strvec_clear(&headers);
	sw_http_response_release(&res);
	return ret;
}
