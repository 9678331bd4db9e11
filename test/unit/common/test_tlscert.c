/* TLS certificates: issued from a CA made by openssl, checked against their key, a host and the clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/tlscert.h"
#include "common/error.h"
#include "common/proc.h"
#include "common/time.h"
#include "common/banned.h"

/* A CA's certificate and key (PEM) from the openssl program. */
static void make_ca(struct sw_buf *out)
{
	struct sw_proc p = SW_PROC_INIT;
	sw_strvec_pushl(&p.args, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
			"-nodes", "-subj", "/CN=test CA", "-days", "30", "-keyout", "/dev/stdout", "-out", "/dev/stdout",
			NULL);
	p.err = SW_PROC_NULL;
	assert_int_equal(sw_proc_run(&p, out, NULL), 0);
	sw_proc_release(&p);
}

static void issued_and_checked(void **state)
{
	struct sw_buf ca = SW_BUF_INIT, pem = SW_BUF_INIT;
	struct sw_tlscert_info info;
	const char *key, *ca_key;
	double now = sw_time_now();

	(void)state;
	make_ca(&ca);
	assert_int_equal(sw_tlscert_issue(ca.ptr, ca.len, "web.localhost", now, 30, &pem), 0);
	key = strstr(pem.ptr, "-----BEGIN PRIVATE KEY-----");
	ca_key = strstr(ca.ptr, "-----BEGIN PRIVATE KEY-----");
	assert_non_null(key);
	assert_non_null(ca_key);

	sw_tlscert_info_init(&info);
	assert_int_equal(sw_tlscert_check(pem.ptr, (size_t)(key - pem.ptr), key, strlen(key), now, &info), 0);
	assert_string_equal(info.subject, "web.localhost");
	assert_string_equal(info.issuer, "test CA");
	assert_string_equal(info.key_algorithm, "EC_prime256v1");
	assert_int_equal(info.names.nr, 1);
	assert_string_equal(info.names.v[0], "web.localhost");
	assert_true(info.not_after > now + 29 * 86400.0);
	sw_tlscert_info_release(&info);

	assert_int_equal(sw_tlscert_matches_host(pem.ptr, pem.len, "web.localhost"), 1);
	assert_int_equal(sw_tlscert_matches_host(pem.ptr, pem.len, "api.localhost"), 0);

	/* refused: another key, the clock past its end or before its start, not PEM */
	assert_int_equal(sw_tlscert_check(pem.ptr, (size_t)(key - pem.ptr), ca_key, strlen(ca_key), now, NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "the key does not match the certificate");
	assert_int_equal(sw_tlscert_check(pem.ptr, pem.len, NULL, 0, now + 40 * 86400.0, NULL), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "the certificate has expired (on "));
	assert_int_equal(sw_tlscert_check(pem.ptr, pem.len, NULL, 0, now - 86400.0, NULL), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "the certificate is not valid yet (from "));
	assert_int_equal(sw_tlscert_check("hello", 5, NULL, 0, now, NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "the certificate is not a PEM certificate");
	sw_buf_release(&ca);
	sw_buf_release(&pem);
}

static void chain_after_the_leaf(void **state)
{
	struct sw_buf chain = SW_BUF_INIT;
	const char *two = "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n"
			  "-----BEGIN CERTIFICATE-----\nBB\n-----END CERTIFICATE-----\n";
	(void)state;
	sw_tlscert_chain(two, strlen(two), &chain);
	assert_string_equal(chain.ptr, "-----BEGIN CERTIFICATE-----\nBB\n-----END CERTIFICATE-----\n");
	sw_buf_reset(&chain);
	sw_tlscert_chain(two, strlen(two) / 2, &chain);
	assert_string_equal(chain.ptr, "");
	sw_buf_release(&chain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(issued_and_checked),
		cmocka_unit_test(chain_after_the_leaf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
