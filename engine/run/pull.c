#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/run/pull.h"
#include "engine/ecr/distribution.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/banned.h"

#define PULL_LINE_MAX (64 * 1024)
#define PULL_RETRY_MS 30000     /* how long a registry that does not answer is asked again */

struct pull {
	struct sw_buf error;
};

static int on_pull_line(void *ctx, const char *line, size_t len)
{
	struct pull *p = ctx;
	json_t *doc = json_loadb(line, len, 0, NULL);
	const char *err = sw_json_str(doc, "error");
	if (!err)   /* a refusal before the stream starts: {"message": "..."} */
		err = sw_json_str(doc, "message");
	if (err && !p->error.len)
		sw_buf_adds(&p->error, err);
	json_decref(doc);
	return 0;
}

static int on_pull_data(void *ctx, const char *data, size_t n)
{
	return sw_lines_feed(ctx, data, n);
}

/* "host:port/repo:tag" -> registry host ("" for Docker Hub names) */
static void registry_of(const char *image, struct sw_buf *out)
{
	const char *slash = strchr(image, '/');
	sw_buf_reset(out);
	if (!slash)
		return;
	if (memchr(image, '.', (size_t)(slash - image)) || memchr(image, ':', (size_t)(slash - image)) ||
	    ((size_t)(slash - image) == 9 && !strncmp(image, "localhost", 9)))
		sw_buf_add(out, image, (size_t)(slash - image));
}

/* Split image into repository and tag or digest (tag "latest" when neither). */
static void split_ref(const char *image, struct sw_buf *repo, struct sw_buf *tag)
{
	const char *at = strchr(image, '@');
	const char *slash = strrchr(image, '/');
	const char *colon;

	sw_buf_reset(repo);
	sw_buf_reset(tag);
	if (at) {
		sw_buf_add(repo, image, (size_t)(at - image));
		sw_buf_adds(tag, at + 1);
		return;
	}
	colon = strrchr(slash ? slash : image, ':');
	if (colon) {
		sw_buf_add(repo, image, (size_t)(colon - image));
		sw_buf_adds(tag, colon + 1);
	} else {
		sw_buf_adds(repo, image);
		sw_buf_adds(tag, "latest");
	}
}

static int is_local_registry(struct sw_engine *e, const char *host)
{
	struct sw_buf alt = SW_BUF_INIT;
	int yes;
	sw_buf_addf(&alt, "localhost:%d", e->cfg.registry_port);
	yes = !strcmp(host, e->cfg.registry_host) || !strcmp(host, alt.ptr);
	sw_buf_release(&alt);
	return yes;
}

static void digest_of(json_t *inspect, const char *repo, struct sw_buf *out)
{
	json_t *rd = json_object_get(inspect, "RepoDigests");
	size_t i, n = strlen(repo);
	sw_buf_reset(out);
	for (i = 0; i < json_array_size(rd); i++) {
		const char *d = json_string_value(json_array_get(rd, i));
		const char *at = d ? strchr(d, '@') : NULL;
		if (!at)
			continue;
		if ((size_t)(at - d) == n && !strncmp(d, repo, n)) {
			sw_buf_adds(out, at + 1);
			return;
		}
		if (!out->len)
			sw_buf_adds(out, at + 1);
	}
}

/* The image's digest when Docker has it: 0, SW_ENOTFOUND, or another negative code. */
static int local_image(const char *image, const char *repo, struct sw_buf *digest)
{
	struct sw_buf path = SW_BUF_INIT;
	json_t *doc = NULL;
	int ret;

	sw_buf_addf(&path, "/images/%s/json", image);
	ret = sw_docker_json("GET", path.ptr, NULL, &doc);
	if (ret >= 0) {
		digest_of(doc, repo, digest);
		ret = 0;
	}
	json_decref(doc);
	sw_buf_release(&path);
	return ret;
}

/* X-Registry-Auth for an image of the local registry (ECR's user AWS); nothing for others. */
static void registry_auth(struct sw_engine *e, const char *image, struct sw_strvec *headers)
{
	struct sw_buf host = SW_BUF_INIT, pw = SW_BUF_INIT, hdr = SW_BUF_INIT;

	registry_of(image, &host);
	if (host.len && is_local_registry(e, host.ptr) && sw_engine_ecr_distribution_password(e, &pw) == 0) {
		json_t *a = json_pack("{s:s, s:s, s:s}", "username", "AWS", "password", pw.ptr, "serveraddress", host.ptr);
		char *text = json_dumps(a, JSON_COMPACT);
		sw_buf_adds(&hdr, "X-Registry-Auth: ");
		sw_engine_base64(&hdr, text, strlen(text), 1);
		sw_strvec_push(headers, hdr.ptr);
		free(text);
		json_decref(a);
	}
	sw_buf_release(&host);
	sw_engine_secret_release(&pw);
	sw_engine_secret_release(&hdr);
}

/* POST /images/create for repo:tag, its progress stream read for an error. */
static int pull(struct sw_engine *e, const char *image, const struct sw_buf *repo, const struct sw_buf *tag)
{
	struct sw_buf path = SW_BUF_INIT, url = SW_BUF_INIT;
	struct sw_http_request req = { 0 };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct pull p = { SW_BUF_INIT };
	struct sw_lines lines = SW_LINES_INIT(on_pull_line, &p, PULL_LINE_MAX);
	int ret;

	sw_buf_adds(&path, "/images/create?fromImage=");
	sw_http_urlencode(&path, repo->ptr, repo->len);
	sw_buf_adds(&path, "&tag=");
	sw_http_urlencode(&path, tag->ptr, tag->len);
	if ((ret = sw_docker_prepare(&req, &url, path.ptr)) < 0)
		goto cleanup;
	registry_auth(e, image, &headers);
	req.method = "POST";
	req.body = "";
	req.body_len = 0;
	req.headers = &headers;
	req.write = on_pull_data;
	req.write_ctx = &lines;
	req.timeout_ms = 30 * 60 * 1000;
	req.low_speed_secs = 120;
	sw_log_info("pulling %s", image);
	ret = sw_http_do(&req, &res);
	sw_lines_finish(&lines);
	if (ret < 0)
		sw_error_prefix("docker pull");
	else if (res.status >= 400 || p.error.len)
		ret = sw_error("%s", p.error.len ? p.error.ptr : "pull failed");

cleanup:
	sw_lines_release(&lines);
	sw_buf_release(&p.error);
	sw_buf_release(&path);
	sw_buf_release(&url);
	sw_strvec_clear(&headers);
	sw_http_response_release(&res);
	return ret;
}

/* Docker's words for a registry it could not reach (a restart of it, not a refusal). */
static int registry_unreachable(const char *msg)
{
	static const char *const words[] = { "connection refused", "connection reset", "i/o timeout",
					     "unexpected EOF", "502 Bad Gateway", "503 Service Unavailable",
					     "504 Gateway Timeout", "500 Internal Server Error", NULL };
	size_t i;
	for (i = 0; words[i]; i++)
		if (strstr(msg, words[i]))
			return 1;
	return 0;
}

int sw_run_pull_image(struct sw_engine *e, const char *image, struct sw_buf *digest)
{
	struct sw_buf repo = SW_BUF_INIT, tag = SW_BUF_INIT;
	long long give_up = sw_time_mono_ms() + PULL_RETRY_MS;
	long pause_ms = 500;
	int ret;

	split_ref(image, &repo, &tag);
	ret = local_image(image, repo.ptr, digest);
	while (ret == SW_ENOTFOUND) {
		/* not here: pull it */
		ret = pull(e, image, &repo, &tag);
		if (ret == 0 && local_image(image, repo.ptr, digest) < 0)
			ret = sw_error("pull of %s finished but the image is not there", image);
		if (ret == 0 || ret == SW_EUNAVAIL || !registry_unreachable(sw_error_last()) || e->stopping ||
		    sw_time_mono_ms() + pause_ms > give_up)
			break;
		sw_log_info("pull of %s: the registry does not answer (%s); trying again", image, sw_error_last());
		{
			struct timespec ts = { (time_t)(pause_ms / 1000), (long)(pause_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		pause_ms = pause_ms * 2 > 4000 ? 4000 : pause_ms * 2;
		ret = SW_ENOTFOUND;
	}
	sw_buf_release(&repo);
	sw_buf_release(&tag);
	return ret;
}
