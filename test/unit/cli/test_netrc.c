#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/netrc.h"
#include "common/error.h"
#include "common/banned.h"

static void lookup(const char *text, const char *host, int want, const char *login, const char *password)
{
	struct sw_buf l = SW_BUF_INIT, p = SW_BUF_INIT;
	int r = sw_netrc_lookup(text, host, &l, &p);

	assert_int_equal(r, want);
	if (!want) {
		assert_string_equal(l.ptr, login);
		assert_string_equal(p.ptr, password);
	}
	sw_buf_release(&l);
	sw_buf_release(&p);
}

static void lookups(void **state)
{
	(void)state;
	lookup("", "h", SW_ENOTFOUND, NULL, NULL);
	lookup("machine h login u password p\n", "h", 0, "u", "p");
	lookup("machine a login u1 password p1\nmachine h login u2 password p2\n", "h", 0, "u2", "p2");
	/* any whitespace, several lines per entry, order of login/password free */
	lookup("machine\th\n  password p\n  login u\n", "h", 0, "u", "p");
	/* the first entry for a host wins, as in curl */
	lookup("machine h login a password 1\nmachine h login b password 2\n", "h", 0, "a", "1");
	/* default when nothing else matches; a machine entry after it still wins for its host */
	lookup("machine x login a password 1\ndefault login d password dp\n", "h", 0, "d", "dp");
	lookup("default login d password dp\nmachine h login u password p\n", "h", 0, "u", "p");
	/* a host name is not a prefix match */
	lookup("machine h2 login u password p\n", "h", SW_ENOTFOUND, NULL, NULL);
	/* macdef bodies are skipped (they may contain "machine") */
	lookup("macdef init\nmachine h login evil password bad\n\nmachine h login u password p\n", "h", 0, "u", "p");
	/* account is read past */
	lookup("machine h login u account acct password p\n", "h", 0, "u", "p");
	/* password only */
	lookup("machine h password p\n", "h", 0, "", "p");
}

static void set(const char *text, const char *want)
{
	struct sw_buf out = SW_BUF_INIT;
	assert_int_equal(sw_netrc_set(text, "127.0.0.1", "slipway", "tok", &out), 0);
	assert_string_equal(out.ptr, want);
	sw_buf_release(&out);
}

static void updates(void **state)
{
	struct sw_buf out = SW_BUF_INIT;

	(void)state;
	set("", "machine 127.0.0.1 login slipway password tok\n");
	/* others kept byte for byte; a missing final newline added before ours */
	set("machine a login u password p", "machine a login u password p\nmachine 127.0.0.1 login slipway password tok\n");
	set("# comment-ish\nmachine a\n  login u\n  password p\n",
	    "# comment-ish\nmachine a\n  login u\n  password p\nmachine 127.0.0.1 login slipway password tok\n");
	/* ours replaced in place, and a duplicate removed */
	set("machine a login u password p\nmachine 127.0.0.1 login old password old\nmachine b login v password q\n",
	    "machine a login u password p\nmachine 127.0.0.1 login slipway password tok\nmachine b login v password q\n");
	set("machine 127.0.0.1 login x password 1\nmachine a login u password p\nmachine 127.0.0.1 login y password 2\n",
	    "machine 127.0.0.1 login slipway password tok\nmachine a login u password p\n");
	/* a new machine goes before "default" (which would match first otherwise) */
	set("machine a login u password p\ndefault login d password dp\n",
	    "machine a login u password p\nmachine 127.0.0.1 login slipway password tok\ndefault login d password dp\n");
	/* a host that is a prefix of ours is someone else's */
	set("machine 127.0.0.10 login u password p\n",
	    "machine 127.0.0.10 login u password p\nmachine 127.0.0.1 login slipway password tok\n");
	/* what cannot be written is refused */
	assert_int_equal(sw_netrc_set("", "h", "u", "a b", &out), SW_EINVAL);
	assert_int_equal(sw_netrc_set("", "h", "u", "", &out), SW_EINVAL);
	assert_int_equal(sw_netrc_set("", "h", "u", "\"q\"", &out), SW_EINVAL);
	/* so is an entry that would be read as part of an unfinished end (found by
	 * test/fuzz/fuzz_credentials): a dangling "machine", a macdef with no empty line after it */
	assert_int_equal(sw_netrc_set("c\ru\rmachine\r", "F", "slipway", "3f9a0c", &out), SW_EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(sw_netrc_set("machine a login u password p\nmacdef init\ncd /tmp\n", "h", "u", "p", &out),
			 SW_EINVAL);
	set("machine a login u password p\nmacdef init\ncd /tmp\n\n",
	    "machine a login u password p\nmacdef init\ncd /tmp\n\nmachine 127.0.0.1 login slipway password tok\n");
	/* and the result reads back */
	{
		struct sw_buf l = SW_BUF_INIT, p = SW_BUF_INIT;
		assert_int_equal(sw_netrc_set("default login d password dp\n", "h", "slipway", "t0k", &out), 0);
		assert_int_equal(sw_netrc_lookup(out.ptr, "h", &l, &p), 0);
		assert_string_equal(p.ptr, "t0k");
		sw_buf_release(&l);
		sw_buf_release(&p);
	}
	sw_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups),
		cmocka_unit_test(updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
