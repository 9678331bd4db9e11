#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/api/access.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define INI_MAX (64 * 1024)

static void trim(char **s, char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
		(*e)--;
}

int sw_engine_api_access_ini_get(const char *path, const char *section, const char *key, struct sw_buf *out)
{
	struct sw_buf text = SW_BUF_INIT;
	char chunk[4096];
	char *line, *next;
	int in_section = 0;
	int fd, ret = SW_ENOTFOUND;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sw_error_errno("open %s", path);
	sw_buf_init(&text, INI_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (sw_buf_add(&text, chunk, (size_t)n) < 0) {
			close(fd);
			sw_buf_release(&text);
			return sw_error_code(SW_ETOOBIG, "%s: larger than %d bytes", path, INI_MAX);
		}
	}
	close(fd);
	for (line = text.ptr; line && *line; line = next) {
		char *end = strchr(line, '\n');
		char *eq;
		next = end ? end + 1 : NULL;
		if (!end)
			end = line + strlen(line);
		trim(&line, &end);
		if (line == end || *line == '#' || *line == ';')
			continue;
		if (*line == '[' && end[-1] == ']') {
			char *s = line + 1, *e = end - 1;
			trim(&s, &e);
			in_section = (size_t)(e - s) == strlen(section) && !strncmp(s, section, (size_t)(e - s));
			continue;
		}
		if (!in_section || !(eq = memchr(line, '=', (size_t)(end - line))))
			continue;
		{
			char *ks = line, *ke = eq, *vs = eq + 1, *ve = end;
			trim(&ks, &ke);
			trim(&vs, &ve);
			if ((size_t)(ke - ks) == strlen(key) && !strncmp(ks, key, (size_t)(ke - ks))) {
				sw_buf_reset(out);
				sw_buf_add(out, vs, (size_t)(ve - vs));
				ret = 0;
				break;
			}
		}
	}
	sw_buf_release(&text);
	if (ret == SW_ENOTFOUND)
		sw_error_code(SW_ENOTFOUND, "%s: no %s in [%s]", path, key, section);
	return ret;
}

static int write_new_file(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text), off = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return sw_error_errno("create %s", path);
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return sw_error_errno("write %s", path);
		}
		off += (size_t)n;
	}
	if (close(fd) < 0)
		return sw_error_errno("close %s", path);
	return 0;
}

static int hexval(char ch)
{
	return ch >= 'a' ? ch - 'a' + 10 : ch - '0';
}

static void random_key(struct sw_buf *out, const char *prefix, size_t n, const char *alphabet)
{
	struct sw_buf hex = SW_BUF_INIT;
	size_t i, alen = strlen(alphabet);
	sw_engine_random_hex(&hex, n);
	sw_buf_adds(out, prefix);
	for (i = 0; i < n; i++)
		sw_buf_addch(out, alphabet[(hexval(hex.ptr[2 * i]) * 16 + hexval(hex.ptr[2 * i + 1])) % alen]);
	sw_buf_release(&hex);
}

int sw_engine_api_access_setup(struct sw_engine_api_access *a, const struct sw_engine_config *c)
{
	struct sw_buf path = SW_BUF_INIT, id = SW_BUF_INIT, secret = SW_BUF_INIT, text = SW_BUF_INIT;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	a->region = xstrdup(c->region);
	if (c->access_key_id) {
		a->access_key_id = xstrdup(c->access_key_id);
		a->secret_access_key = xstrdup(c->secret_access_key);
		goto cleanup;
	}
	if (mkdir(c->aws_dir, 0700) < 0 && errno != EEXIST) {
		ret = sw_error_errno("mkdir %s", c->aws_dir);
		goto cleanup;
	}
	sw_buf_addf(&path, "%s/credentials", c->aws_dir);
	if (sw_engine_api_access_ini_get(path.ptr, "slipway", "aws_access_key_id", &id) < 0 ||
	    sw_engine_api_access_ini_get(path.ptr, "slipway", "aws_secret_access_key", &secret) < 0) {
		if (access(path.ptr, F_OK) == 0) {
			ret = sw_error("%s exists without profile [slipway] (aws_access_key_id, "
				       "aws_secret_access_key): add it, or set SLIPWAY_ENGINE_ACCESS_KEY_ID", path.ptr);
			goto cleanup;
		}
		sw_buf_reset(&id);
		sw_buf_reset(&secret);
		random_key(&id, "AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
		random_key(&secret, "", 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
		sw_buf_addf(&text, "[slipway]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id.ptr, secret.ptr);
		if ((ret = write_new_file(path.ptr, text.ptr, 0600)) < 0)
			goto cleanup;
		/* someone may have written it first: read back what is there */
		if ((ret = sw_engine_api_access_ini_get(path.ptr, "slipway", "aws_access_key_id", &id)) < 0 ||
		    (ret = sw_engine_api_access_ini_get(path.ptr, "slipway", "aws_secret_access_key", &secret)) < 0)
			goto cleanup;
		sw_log_info("wrote new credentials (profile slipway) to %s", path.ptr);
	}
	sw_buf_reset(&path);
	sw_buf_addf(&path, "%s/config", c->aws_dir);
	sw_buf_reset(&text);
	sw_buf_addf(&text, "[profile slipway]\nregion = %s\nendpoint_url = http://127.0.0.1:%d\n", c->region, c->port);
	if ((ret = write_new_file(path.ptr, text.ptr, 0644)) < 0)
		goto cleanup;
	a->access_key_id = sw_buf_detach(&id, NULL);
	a->secret_access_key = sw_buf_detach(&secret, NULL);

cleanup:
	sw_buf_release(&path);
	sw_buf_release(&id);
	sw_buf_release(&secret);
	sw_buf_release(&text);
	if (ret < 0)
		sw_engine_api_access_release(a);
	return ret;
}

void sw_engine_api_access_release(struct sw_engine_api_access *a)
{
	free(a->access_key_id);
	if (a->secret_access_key)
		memset(a->secret_access_key, 0, strlen(a->secret_access_key));
	free(a->secret_access_key);
	free(a->region);
	memset(a, 0, sizeof(*a));
}

static int lookup(void *ctx, const char *access_key_id, struct sw_buf *secret, struct sw_buf *token)
{
	const struct sw_engine_api_access *a = ctx;
	if (!a->access_key_id || strcmp(access_key_id, a->access_key_id))
		return SW_ENOTFOUND;
	sw_buf_adds(secret, a->secret_access_key);
	return 0;
}

int sw_engine_api_access_check(const struct sw_engine_api_access *a, const struct sw_engine_api *api,
			       const struct sw_engine_request *req, struct sw_engine_response *res)
{
	struct sw_sigv4_verifier v = { 0 };
	struct sw_sigv4_request r = { 0 };
	struct sw_sigv4_verdict verdict;
	int ret;

	v.protocol = api->protocol;
	v.region = a->region;
	v.service = api->model->signing_name;
	v.now = time(NULL);
	v.flags = SW_SIGV4_PATH_DECODED;
	v.lookup = lookup;
	v.lookup_ctx = (void *)a;
	r.method = req->method;
	r.path = req->path;
	r.query = req->query;
	r.headers = req->headers;
	r.nr_headers = req->nr_headers;
	r.body = req->body;
	r.body_len = req->body_len;
	sw_sigv4_verdict_init(&verdict);
	ret = sw_sigv4_verify(&v, &r, &verdict);
	if (ret < 0) {
		if (verdict.status) {
			api->error(api, req, res, verdict.status, verdict.code, verdict.message.ptr);
		} else {
			api->error(api, req, res, 400, api->protocol == SW_SIGV4_QUERY ? "IncompleteSignature" :
				   "IncompleteSignatureException", sw_error_last());
		}
		ret = SW_EAUTH;
	}
	sw_sigv4_verdict_release(&verdict);
	return ret;
}
