/* The run environment: its cancel token (shielded or not), its injectable clock, sleep and randomness, its reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "releaser/runenv.h"
#include "common/aws/client.h"
#include "common/aws/credentials.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

/* The run environment reads the token: shielded, only a stop cancels it. */
static void runenv_reads_the_token(void **state)
{
	struct sw_cancel c;
	struct sw_runenv e, shielded;
	struct sw_buf who = SW_BUF_INIT;
	(void)state;
	sw_cancel_init(&c);
	memset(&e, 0, sizeof(e));
	e.cancel = &c;
	assert_false(sw_runenv_cancelled(&e));
	sw_cancel_raise(&c, SW_CANCEL_USER, "carol");
	assert_true(sw_runenv_cancelled(&e));
	assert_true(sw_runenv_user_cancel(&e, &who));
	assert_string_equal(who.ptr, "carol");
	sw_runenv_shielded(&e, &shielded);
	assert_false(sw_runenv_cancelled(&shielded));
	assert_false(sw_runenv_user_cancel(&shielded, &who));
	assert_int_equal(sw_runenv_sleep(&shielded, 1), 0);
	assert_int_equal(sw_runenv_sleep(&e, 1), SW_ECANCEL);
	sw_cancel_raise(&c, SW_CANCEL_STOP, NULL);
	assert_true(sw_runenv_cancelled(&shielded));
	assert_false(sw_runenv_user_cancel(&e, &who));
	e.cancel = NULL;
	assert_false(sw_runenv_cancelled(&e));
	sw_buf_release(&who);
}

struct fake_clock {
	long long now;
	long long slept;
	struct sw_cancel *raise_on_sleep;
};

static long long fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static void fake_sleep(void *ctx, long long ms)
{
	struct fake_clock *f = ctx;
	f->now += ms;
	f->slept += ms;
	if (f->raise_on_sleep)
		sw_cancel_raise(f->raise_on_sleep, SW_CANCEL_DEADLINE, NULL);
}

static unsigned fake_random(void *ctx)
{
	(void)ctx;
	return 4;   /* chosen by a fair dice roll */
}

/* The clock, sleep and randomness are the env's when given, the real ones otherwise. */
static void clock_sleep_random(void **state)
{
	struct fake_clock f = { 1795687201250LL, 0, NULL };
	struct sw_cancel c;
	struct sw_runenv e;
	long long before, now;
	(void)state;

	memset(&e, 0, sizeof(e));
	before = sw_time_now_ms();
	now = sw_runenv_now(&e);
	assert_true(now >= before && now - before < 5000);

	e.now_ms = fake_now;
	e.sleep_ms = fake_sleep;
	e.random = fake_random;
	e.clock_ctx = &f;
	assert_int_equal(sw_runenv_now(&e), 1795687201250LL);
	assert_true(sw_runenv_seconds(&e) == 1795687201.25);
	assert_int_equal(sw_runenv_sleep(&e, 1500), 0);
	assert_int_equal(f.slept, 1500);
	assert_int_equal(sw_runenv_now(&e), 1795687202750LL);
	assert_int_equal(sw_runenv_random(&e), 4);

	/* a cancel raised while asleep is seen when it wakes */
	sw_cancel_init(&c);
	e.cancel = &c;
	f.raise_on_sleep = &c;
	assert_int_equal(sw_runenv_sleep(&e, 10), SW_ECANCEL);
	assert_string_equal(sw_error_last(), "cancelled");
}

static int collect(void *ctx, const char *line)
{
	struct sw_buf *b = ctx;
	sw_buf_addf(b, "%s|", line);
	return !strcmp(line, "stop") ? -1 : 0;
}

/* Reports go to the env's callback, whose answer comes back (< 0: stop); a cancelled env calls no AWS. */
static void reports_and_cancelled_calls(void **state)
{
	struct sw_buf lines = SW_BUF_INIT, code = SW_BUF_INIT, token = SW_BUF_INIT;
	struct sw_cancel c;
	struct sw_runenv e;
	json_t *resp = (json_t *)&e, *req = json_object();
	int throttled = -1;
	(void)state;

	memset(&e, 0, sizeof(e));
	e.report = collect;
	e.report_ctx = &lines;
	assert_int_equal(sw_runenv_report(&e, "v%d is live", 3), 0);
	assert_true(sw_runenv_report(&e, "stop") < 0);
	assert_string_equal(lines.ptr, "v3 is live|stop|");

	sw_cancel_init(&c);
	sw_cancel_raise(&c, SW_CANCEL_STOP, NULL);
	e.cancel = &c;   /* e.aws is NULL: reaching the client would crash */
	sw_buf_adds(&code, "old");
	assert_int_equal(sw_runenv_call(&e, "ecs", "ListClusters", NULL, &resp, &code, &throttled), SW_ECANCEL);
	assert_null(resp);
	assert_string_equal(code.ptr, "");
	assert_int_equal(throttled, 0);

	/* a paged call sends the token it has and keeps the next page's (none after a failure) */
	sw_buf_adds(&token, "page-2");
	assert_int_equal(sw_runenv_paged_call(&e, "ecs", "ListTasks", req, &token, &resp), SW_ECANCEL);
	assert_string_equal(sw_json_str(req, "nextToken"), "page-2");
	assert_int_equal(token.len, 0);
	json_decref(req);
	sw_buf_release(&lines);
	sw_buf_release(&code);
	sw_buf_release(&token);
}

/* A loopback TCP port nobody listens on (the kernel picks it). */
static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * A deploy's call to an endpoint nobody listens on (the engine restarting) is asked
 * again until the env's patience is spent (on the env's clock), then fails saying who
 * did not answer and for how long; the time waited is counted for the watcher.
 */
static void endpoint_that_does_not_answer(void **state)
{
	struct fake_clock f = { 1795687201250LL, 0, NULL };
	struct sw_aws_client_options o;
	struct sw_aws_credentials_options co;
	struct sw_aws_client *aws = NULL;
	struct sw_runenv e;
	struct sw_buf url = SW_BUF_INIT;
	long long waited = 0;
	json_t *resp = NULL;
	int port;
	(void)state;

	port = free_port();
	sw_buf_addf(&url, "http://127.0.0.1:%d", port);
	memset(&o, 0, sizeof(o));
	memset(&co, 0, sizeof(co));
	co.access_key_id = "AKIDEXAMPLE";
	co.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	o.credentials_options = &co;
	o.region = "us-east-1";
	o.endpoint_url = url.ptr;
	o.retry.max_attempts = 1;
	assert_int_equal(sw_aws_client_new(&aws, &o), 0);
	memset(&e, 0, sizeof(e));
	e.aws = aws;
	e.now_ms = fake_now;
	e.sleep_ms = fake_sleep;
	e.clock_ctx = &f;
	e.patience_ms = 30000;
	e.unreachable_ms = &waited;
	assert_int_equal(sw_runenv_call(&e, "ecs", "ListClusters", NULL, &resp, NULL, NULL), SW_EUNAVAIL);
	assert_null(resp);
	assert_true(f.slept > 28000 && f.slept <= 30000);
	assert_int_equal(waited, f.slept);
	assert_non_null(strstr(sw_error_last(), "the engine stopped: slipway-engine did not answer at http://127.0.0.1:"));
	assert_non_null(strstr(sw_error_last(), "s (ecs ListClusters: cannot connect to http://127.0.0.1:"));
	/* the slot's code too: a caller that prefixes the line still returns SW_EUNAVAIL */
	assert_int_equal(sw_error_last_code(), SW_EUNAVAIL);
	assert_int_equal(sw_error_prefix("web"), SW_EUNAVAIL);

	/* without patience: the client's own attempts only */
	f.slept = 0;
	e.patience_ms = 0;
	assert_true(sw_runenv_call(&e, "ecs", "ListClusters", NULL, &resp, NULL, NULL) < 0);
	assert_int_equal(f.slept, 0);
	assert_null(strstr(sw_error_last(), "the engine stopped"));
	sw_aws_client_free(aws);
	sw_buf_release(&url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runenv_reads_the_token),
		cmocka_unit_test(clock_sleep_random),
		cmocka_unit_test(reports_and_cancelled_calls),
		cmocka_unit_test(endpoint_that_does_not_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
