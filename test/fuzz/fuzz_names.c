/*
 * Names that come from outside: app names and the repository path of a git request
 * (receiver/app.c), pushed ref updates and ref names (common/gitref.c), review app slugs
 * made from branch names (releaser/review.c), API paths, ids, Authorization headers, times
 * and durations (receiver/request.c, receiver/auth.c, common/time.c), process type and
 * config var names. Input: a
 * selector byte (0 app, 1 ref, 2 slug, 3 request), a parameter byte (slug: its maximum),
 * then the text.
 */
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/fuzz.h"
#include "common/buf.h"
#include "common/gitref.h"
#include "common/time.h"
#include "receiver/app.h"
#include "receiver/auth.h"
#include "receiver/request.h"
#include "releaser/appconfig.h"
#include "releaser/manifest.h"
#include "releaser/review.h"
#include "common/banned.h"

static void app(const char *s)
{
	char name[SW_APP_REF_MAX + 1];
	const char *rest = NULL;

	if (sw_app_name_valid(s) && !sw_app_ref_valid(s))
		fuzz_fail("app name '%s' is no app ref", s);
	if (sw_app_parse_git_path(s, name, &rest) == 0) {
		if (!sw_app_ref_valid(name) || !rest || rest < s || rest > s + strlen(s))
			fuzz_fail("git path '%s' gave app '%s'", s, name);
	}
	(void)sw_manifest_check_name(s);
	(void)sw_appconfig_check_name(s);
}

static void ref(const char *s, size_t len)
{
	struct sw_gitref_update u = SW_GITREF_UPDATE_INIT;
	const char *branch;

	if (sw_gitref_parse_update(&u, s, len) == 0) {
		if (!u.ref || !sw_gitref_is_sha(u.old_sha) || !sw_gitref_is_sha(u.new_sha) ||
		    !sw_gitref_name_valid(u.ref))
			fuzz_fail("update line '%s' accepted with ref '%s'", s, u.ref ? u.ref : "(null)");
		(void)sw_gitref_check_push(&u);
		sw_gitref_update_release(&u);
	}
	if (sw_gitref_name_valid(s)) {
		(void)sw_gitref_classify(s);
		if ((branch = sw_gitref_branch(s)) && (branch < s || branch > s + strlen(s)))
			fuzz_fail("branch of '%s' outside it", s);
	}
	if (!strncmp(s, "refs/tags/", 10))
		(void)sw_gitref_release_tag(s + 10);
}

static void slug(const char *branch, unsigned max)
{
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT;

	sw_review_slug(branch, max % (SW_REVIEW_SLUG_MAX + 1), &a);
	sw_review_slug_hashed(branch, max & 3, max % (SW_REVIEW_SLUG_MAX + 1), &b);
	if (!sw_review_slug_valid(a.ptr) || !sw_review_slug_valid(b.ptr))
		fuzz_fail("branch '%s' made slugs '%s' and '%s'", branch, a.ptr, b.ptr);
	/* the review app's name: an app's (at most 30) + "-" + the slug */
	sw_buf_reset(&b);
	sw_buf_addf(&b, "abcdefghijklmnopqrstuvwxyz0123-%s", a.ptr);
	if (a.len <= SW_REVIEW_SLUG_MAX && !sw_app_ref_valid(b.ptr))
		fuzz_fail("review app name '%s' is no app ref", b.ptr);
	sw_buf_release(&a);
	sw_buf_release(&b);
}

static void request(const char *s)
{
	char store[256];
	const char *seg[8];
	struct sw_buf token = SW_BUF_INIT;
	long long id = 0, ms = 0;
	double t = 0;
	int n = sw_request_split(s, store, sizeof(store), seg, 8), i;

	for (i = 0; i < n; i++)
		if (!*seg[i] || strchr(seg[i], '/'))
			fuzz_fail("path '%s' split into segment '%s'", s, seg[i]);
	if (sw_request_id(s, &id) == 0 && id <= 0)
		fuzz_fail("id '%s' is %lld", s, id);
	/* query arguments and settings: times (?since=), durations (deadline=, idle, timeouts) */
	if (sw_time_parse_duration(s, SW_DURATION_BARE_DAYS, &ms) == 0 && ms < 0)
		fuzz_fail("duration '%s' is %lld ms", s, ms);
	(void)sw_time_parse_duration(s, 0, &ms);
	(void)sw_time_parse_iso(s, &t);
	(void)sw_auth_parse_header(s, &token);
	sw_buf_release(&token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned sel = fuzz_byte(&in), param = fuzz_byte(&in);
	size_t len;
	char *s = fuzz_rest(&in, &len);

	switch (sel % 4) {
	case 0: app(s); break;
	case 1: ref(s, len); break;
	case 2: slug(s, param); break;
	default: request(s); break;
	}
	free(s);
	return 0;
}
