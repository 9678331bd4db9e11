#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ecr/distribution.h"
#include "common/xalloc.h"
#include "common/aws/sigv4.h"
#include "common/error.h"
#include "common/banned.h"

#define REGISTRY_BODY_MAX (8u << 20)
#define CATALOG_PAGE 1000
#define CATALOG_MAX 100000
#define PASSWORD_MAX 4096
#define MANIFEST_TYPES "application/vnd.docker.distribution.manifest.v2+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"

int sw_engine_ecr_distribution_password(struct sw_engine *e, struct sw_buf *out)
{
	char chunk[512];
	ssize_t n;
	int fd = open(e->cfg.registry_password_file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sw_error_errno("%s", e->cfg.registry_password_file);
	sw_buf_reset(out);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > PASSWORD_MAX) {
			close(fd);
			return sw_error("%s: too large", e->cfg.registry_password_file);
		}
		sw_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	sw_buf_rtrim(out);
	return 0;
}

int sw_engine_ecr_distribution_credential(struct sw_engine *e, struct sw_buf *out)
{
	struct sw_buf pw = SW_BUF_INIT, cred = SW_BUF_INIT;
	int ret = sw_engine_ecr_distribution_password(e, &pw);

	sw_buf_addf(&cred, "AWS:%s", pw.ptr);
	sw_engine_base64(out, cred.ptr, cred.len, 0);
	sw_engine_secret_release(&pw);
	sw_engine_secret_release(&cred);
	return ret;
}

int sw_engine_ecr_distribution_call(struct sw_engine *e, const char *method, const char *path, const char *accept,
				    const char *content_type, const void *body, size_t body_len,
				    struct sw_http_response *res)
{
	struct sw_http_request req = { 0 };
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf url = SW_BUF_INIT, hdr = SW_BUF_INIT;
	int ret;

	if (!strncmp(path, "http://", 7))
		sw_buf_adds(&url, path);
	else
		sw_buf_addf(&url, "http://%s%s", e->cfg.registry_host, path);
	sw_buf_adds(&hdr, "Authorization: Basic ");
	if (sw_engine_ecr_distribution_credential(e, &hdr) == 0)
		sw_strvec_push(&headers, hdr.ptr);
	if (accept)
		sw_strvec_pushf(&headers, "Accept: %s", accept);
	if (content_type)
		sw_strvec_pushf(&headers, "Content-Type: %s", content_type);
	req.method = method;
	req.url = url.ptr;
	req.headers = &headers;
	req.body = body;
	req.body_len = body_len;
	req.max_body = REGISTRY_BODY_MAX;
	req.timeout_ms = 60000;
	ret = sw_http_do(&req, res);
	if (ret < 0)
		sw_error_prefix("registry %s", e->cfg.registry_host);
	sw_buf_release(&hdr);
	sw_buf_release(&url);
	sw_strvec_clear(&headers);
	return ret;
}

static int registry_json(struct sw_engine *e, const char *path, json_t **out, struct sw_http_response *res)
{
	json_error_t jerr;
	int ret = sw_engine_ecr_distribution_call(e, "GET", path, "application/json", NULL, NULL, 0, res);
	*out = NULL;
	if (ret < 0)
		return ret;
	if (res->status == 401)
		return sw_error_code(SW_EAUTH, "registry %s: authentication failed (password file %s)",
				     e->cfg.registry_host, e->cfg.registry_password_file);
	*out = json_loadb(res->body.ptr, res->body.len, 0, &jerr);
	if (!*out)
		return sw_error("registry %s: %s: bad JSON: %s", e->cfg.registry_host, path, jerr.text);
	return 0;
}

int sw_engine_ecr_distribution_catalog(struct sw_engine *e, json_t **names)
{
	struct sw_buf path = SW_BUF_INIT;
	json_t *all = json_array();
	int ret = 0;

	*names = NULL;
	sw_buf_addf(&path, "/v2/_catalog?n=%d", CATALOG_PAGE);
	for (;;) {
		struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
		const char *link;
		json_t *doc = NULL;
		size_t i;

		ret = registry_json(e, path.ptr, &doc, &res);
		if (ret == 0 && res.status != 200)
			ret = sw_error("registry %s: catalog: HTTP %ld", e->cfg.registry_host, res.status);
		if (ret < 0) {
			json_decref(doc);
			sw_http_response_release(&res);
			break;
		}
		for (i = 0; i < json_array_size(json_object_get(doc, "repositories")); i++)
			json_array_append(all, json_array_get(json_object_get(doc, "repositories"), i));
		json_decref(doc);
		/* Link: </v2/_catalog?last=x&n=1000>; rel="next" */
		link = sw_http_header(&res, "link");
		sw_buf_reset(&path);
		if (link && link[0] == '<' && strchr(link, '>') && json_array_size(all) < CATALOG_MAX)
			sw_buf_add(&path, link + 1, (size_t)(strchr(link, '>') - link - 1));
		sw_http_response_release(&res);
		if (!path.len)
			break;
	}
	sw_buf_release(&path);
	if (ret < 0) {
		json_decref(all);
		return ret;
	}
	*names = all;
	return 0;
}

int sw_engine_ecr_distribution_tags(struct sw_engine *e, const char *repo, json_t **tags)
{
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT;
	json_t *doc = NULL;
	json_t *list;
	int ret;

	*tags = NULL;
	sw_buf_addf(&path, "/v2/%s/tags/list", repo);
	ret = registry_json(e, path.ptr, &doc, &res);
	if (ret == 0 && res.status == 404) {
		*tags = json_array();
	} else if (ret == 0 && res.status != 200) {
		ret = sw_error("registry %s: tags of %s: HTTP %ld", e->cfg.registry_host, repo, res.status);
	} else if (ret == 0) {
		list = json_object_get(doc, "tags");
		*tags = json_is_array(list) ? json_incref(list) : json_array();
	}
	json_decref(doc);
	sw_http_response_release(&res);
	sw_buf_release(&path);
	return ret;
}

int sw_engine_ecr_distribution_create(struct sw_engine *e, const char *repo)
{
	static const char marker[] = "{\"slipway\":\"repository\"}";
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT, loc = SW_BUF_INIT;
	char digest[65];
	const char *location;
	int ret;

	sw_buf_addf(&path, "/v2/%s/blobs/uploads/", repo);
	ret = sw_engine_ecr_distribution_call(e, "POST", path.ptr, NULL, NULL, "", 0, &res);
	if (ret < 0)
		goto cleanup;
	location = sw_http_header(&res, "location");
	if (res.status != 202 || !location) {
		ret = sw_error("registry %s: cannot start an upload to %s (HTTP %ld)", e->cfg.registry_host, repo,
			       res.status);
		goto cleanup;
	}
	if (!strncmp(location, "http://", 7) || !strncmp(location, "https://", 8))
		sw_buf_adds(&loc, location);
	else
		sw_buf_addf(&loc, "http://%s%s", e->cfg.registry_host, location);
	sw_sigv4_sha256_hex(marker, sizeof(marker) - 1, digest);
	sw_buf_addf(&loc, "%sdigest=sha256:%s", strchr(loc.ptr, '?') ? "&" : "?", digest);
	sw_http_response_release(&res);
	ret = sw_engine_ecr_distribution_call(e, "PUT", loc.ptr, NULL, "application/octet-stream", marker, sizeof(marker) - 1,
					      &res);
	if (ret == 0 && res.status != 201)
		ret = sw_error("registry %s: upload to %s: HTTP %ld", e->cfg.registry_host, repo, res.status);
cleanup:
	sw_http_response_release(&res);
	sw_buf_release(&path);
	sw_buf_release(&loc);
	return ret;
}

void sw_engine_ecr_manifest_release(struct sw_engine_ecr_manifest *m)
{
	free(m->digest);
	free(m->media_type);
	free(m->body);
	json_decref(m->doc);
	memset(m, 0, sizeof(*m));
}

/* GET the manifest of repo at reference (tag or digest). 0 (m->status says found), or negative. */
int sw_engine_ecr_distribution_manifest(struct sw_engine *e, const char *repo, const char *reference, const char *accept,
					struct sw_engine_ecr_manifest *m)
{
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT;
	const char *d, *ct;
	int ret;

	memset(m, 0, sizeof(*m));
	sw_buf_addf(&path, "/v2/%s/manifests/%s", repo, reference);
	ret = sw_engine_ecr_distribution_call(e, "GET", path.ptr, accept ? accept : MANIFEST_TYPES, NULL, NULL, 0, &res);
	if (ret == 0) {
		m->status = res.status;
		if (res.status == 200) {
			char hex[65];
			d = sw_http_header(&res, "docker-content-digest");
			ct = sw_http_header(&res, "content-type");
			if (d) {
				m->digest = xstrdup(d);
			} else {
				struct sw_buf b = SW_BUF_INIT;
				sw_sigv4_sha256_hex(res.body.ptr, res.body.len, hex);
				sw_buf_addf(&b, "sha256:%s", hex);
				m->digest = sw_buf_detach(&b, NULL);
			}
			m->media_type = xstrdup(ct ? ct : "application/vnd.docker.distribution.manifest.v2+json");
			m->body = sw_buf_detach(&res.body, NULL);
			m->doc = json_loads(m->body, 0, NULL);
		}
	}
	sw_http_response_release(&res);
	sw_buf_release(&path);
	return ret;
}
