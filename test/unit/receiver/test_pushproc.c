#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "receiver/pushproc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/proc.h"
#include "common/banned.h"

static int parse(struct sw_http_head *h, const char *s)
{
	return sw_http_head_parse(h, s, strlen(s));
}

static void a_push_head(void **state)
{
	struct sw_http_head h = SW_HTTP_HEAD_INIT;
	const char *s = "POST /hello.git/git-receive-pack HTTP/1.1\r\n"
			"Host: 127.0.0.1:5480\r\n"
			"Authorization: Basic eDp5\r\n"
			"transfer-encoding:  chunked\r\n"
			"\r\n"
			"4\r\n0000\r\n";

	(void)state;
	assert_int_equal(parse(&h, s), 1);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.target, "/hello.git/git-receive-pack");
	assert_int_equal(h.headers.nr, 3);
	assert_string_equal(sw_http_head_get(&h, "Transfer-Encoding"), "chunked");
	assert_string_equal(sw_http_head_get(&h, "authorization"), "Basic eDp5");
	assert_null(sw_http_head_get(&h, "Content-Length"));
	assert_string_equal(s + h.len, "4\r\n0000\r\n");
	sw_http_head_release(&h);
}

static void incomplete_and_malformed_heads(void **state)
{
	struct sw_http_head h = SW_HTTP_HEAD_INIT;
	char *big;

	(void)state;
	assert_int_equal(parse(&h, "POST /a.git/git-receive-pack HTTP/1.1\r\nHost: x\r\n"), 0);
	assert_int_equal(parse(&h, "POST /a.git/git-rec"), 0);
	assert_int_equal(parse(&h, "POST\r\n\r\n"), SW_EINVAL);
	assert_int_equal(parse(&h, "POST /x SPDY/3\r\n\r\n"), SW_EINVAL);
	assert_int_equal(parse(&h, "POST /x HTTP/1.1\r\nno colon here\r\n\r\n"), SW_EINVAL);
	assert_int_equal(parse(&h, "POST /x HTTP/1.1\r\n folded: no\r\n\r\n"), SW_EINVAL);
	big = calloc(1, SW_HTTP_HEAD_MAX + 64);
	memcpy(big, "POST /x HTTP/1.1\r\nA: ", 21);
	memset(big + 21, 'b', SW_HTTP_HEAD_MAX + 40);
	assert_int_equal(sw_http_head_parse(&h, big, SW_HTTP_HEAD_MAX + 61), SW_EINVAL);
	free(big);
	sw_http_head_release(&h);
}

/* A bare repository in a temp dir; its parent (GIT_PROJECT_ROOT) into root. */
static void make_repo(struct sw_buf *root)
{
	char dir[] = "/tmp/sw-pushproc-XXXXXX";
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf repo = SW_BUF_INIT;

	assert_non_null(mkdtemp(dir));
	sw_buf_adds(root, dir);
	sw_buf_addf(&repo, "%s/hello.git", dir);
	sw_strvec_pushl(&p.args, "git", "init", "-q", "--bare", repo.ptr, NULL);
	p.out = SW_PROC_NULL;
	assert_int_equal(sw_proc_run(&p, NULL, NULL), 0);
	sw_proc_release(&p);
	sw_buf_release(&repo);
}

/* Serve request (written whole first) with git http-backend for path; the answer into out. */
static int serve(const char *root, const char *path, const char *request, struct sw_buf *out)
{
	struct sw_strvec env = SW_STRVEC_INIT;
	char tmp[4096];
	ssize_t n;
	int sv[2], r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], request, strlen(request)), (ssize_t)strlen(request));
	sw_strvec_pushf(&env, "GIT_PROJECT_ROOT=%s", root);
	sw_strvec_pushl(&env, "GIT_HTTP_EXPORT_ALL=1", "REQUEST_METHOD=POST", "QUERY_STRING=", "REMOTE_USER=test",
			"REMOTE_ADDR=127.0.0.1", "GIT_CONFIG_NOSYSTEM=1",
			"CONTENT_TYPE=application/x-git-receive-pack-request", NULL);
	sw_strvec_pushf(&env, "PATH_INFO=%s", path);
	r = sw_pushproc_serve(sv[1], &env);
	while ((n = read(sv[0], tmp, sizeof(tmp))) > 0)
		sw_buf_add(out, tmp, (size_t)n);
	close(sv[0]);
	close(sv[1]);
	sw_strvec_clear(&env);
	return r;
}

static void serves_a_chunked_push_with_git(void **state)
{
	struct sw_buf root = SW_BUF_INIT, out = SW_BUF_INIT;
	struct sw_proc rm = SW_PROC_INIT;

	(void)state;
	make_repo(&root);
	/* a push of nothing (a flush packet), chunked in two, after a 100-continue */
	assert_int_equal(serve(root.ptr, "/hello.git/git-receive-pack",
			       "POST /hello.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n2;ext=1\r\n00\r\n2\r\n00\r\n0\r\n\r\n", &out), 0);
	assert_true(!strncmp(out.ptr, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 42));
	assert_non_null(strstr(out.ptr, "Content-Type: application/x-git-receive-pack-result\r\n"));
	assert_non_null(strstr(out.ptr, "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
	assert_string_equal(out.ptr + out.len - 5, "0\r\n\r\n");

	/* git's own refusal goes back with its status */
	sw_buf_reset(&out);
	assert_int_equal(serve(root.ptr, "/nope.git/git-receive-pack",
			       "POST /nope.git/git-receive-pack HTTP/1.1\r\nContent-Length: 4\r\n\r\n0000", &out), 0);
	assert_true(!strncmp(out.ptr, "HTTP/1.1 404 ", 13));

	/* a malformed chunked body: git's input ends early, nothing is answered */
	sw_buf_reset(&out);
	assert_true(serve(root.ptr, "/hello.git/git-receive-pack",
			  "POST /hello.git/git-receive-pack HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &out) < 0);
	assert_int_equal(out.len, 0);

	sw_strvec_pushl(&rm.args, "rm", "-rf", root.ptr, NULL);
	sw_proc_run(&rm, NULL, NULL);
	sw_proc_release(&rm);
	sw_buf_release(&root);
	sw_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_push_head),
		cmocka_unit_test(incomplete_and_malformed_heads),
		cmocka_unit_test(serves_a_chunked_push_with_git),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
