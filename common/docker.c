#include <stdlib.h>
#include <string.h>

#include "common/docker.h"
#include "common/env.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

int sw_docker_prepare(struct sw_http_request *req, struct sw_buf *url, const char *path)
{
	const char *host = sw_env_str("DOCKER_HOST");

	sw_buf_reset(url);
	if (!host)
		host = "unix:///var/run/docker.sock";
	if (!strncmp(host, "unix://", 7)) {
		req->unix_socket = host + 7;
		sw_buf_adds(url, "http://docker");
	} else if (!strncmp(host, "tcp://", 6)) {
		req->unix_socket = NULL;
		sw_buf_addf(url, "http://%s", host + 6);
	} else {
		return sw_error_code(SW_EINVAL, "DOCKER_HOST=%s: only unix:// and tcp:// are supported", host);
	}
	sw_buf_adds(url, SW_DOCKER_API);
	sw_buf_adds(url, path);
	req->url = url->ptr;
	return 0;
}

int sw_docker_json(const char *method, const char *path, json_t *body, json_t **out)
{
	struct sw_http_request req = { 0 };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf url = SW_BUF_INIT;
	char *text = NULL;
	json_t *doc = NULL;
	json_error_t jerr;
	int ret;

	if (out)
		*out = NULL;
	if ((ret = sw_docker_prepare(&req, &url, path)) < 0)
		goto cleanup;
	req.method = method;
	req.timeout_ms = 120000;
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		req.body = text;
		req.body_len = strlen(text);
		sw_strvec_push(&headers, "Content-Type: application/json");
	}
	req.headers = &headers;
	if ((ret = sw_http_do(&req, &res)) < 0) {
		sw_error_prefix("docker");
		goto cleanup;
	}
	if (res.body.len)
		doc = json_loadb(res.body.ptr, res.body.len, JSON_DECODE_ANY, &jerr);
	if (res.status >= 400) {
		const char *msg = doc ? sw_json_str(doc, "message") : NULL;
		int code = res.status == 404 ? SW_ENOTFOUND : res.status == 409 ? SW_EEXISTS : SW_ERROR;
		ret = sw_error_code(code, "docker: %s", msg ? msg : res.body.len ? res.body.ptr : "error");
		goto cleanup;
	}
	if (res.body.len && !doc) {
		ret = sw_error("docker: %s %s: bad JSON in response: %s", method, path, jerr.text);
		goto cleanup;
	}
	ret = (int)res.status;
	if (out) {
		*out = doc;
		doc = NULL;
	}

cleanup:
	json_decref(doc);
	free(text);
	sw_strvec_clear(&headers);
	sw_buf_release(&url);
	sw_http_response_release(&res);
	return ret;
}
