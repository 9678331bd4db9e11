#include <stdlib.h>
#include <string.h>

#include "common/gitref.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

int sw_gitref_is_sha(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 40 || n == 64;
}

int sw_gitref_is_null(const char *sha)
{
	if (!*sha)
		return 0;
	for (; *sha; sha++)
		if (*sha != '0')
			return 0;
	return 1;
}

/* One path component of a ref (git's check_refname_component). */
static int component_valid(const char *c, size_t n)
{
	size_t i;

	if (!n || c[0] == '.')
		return 0;
	if (n >= 5 && !memcmp(c + n - 5, ".lock", 5))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (ch < 0x20 || ch == 0x7f || ch == ' ' || ch == '~' || ch == '^' || ch == ':' ||
		    ch == '?' || ch == '*' || ch == '[' || ch == '\\')
			return 0;
		if (ch == '.' && i + 1 < n && c[i + 1] == '.')
			return 0;
		if (ch == '@' && i + 1 < n && c[i + 1] == '{')
			return 0;
	}
	return 1;
}

int sw_gitref_name_valid(const char *ref)
{
	size_t len = strlen(ref);
	const char *p = ref;

	if (len > SW_GITREF_MAX || strncmp(ref, "refs/", 5) || !strcmp(ref, "@"))
		return 0;
	if (ref[len - 1] == '.' || ref[len - 1] == '/')
		return 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!component_valid(p, n))
			return 0;
		if (!slash)
			break;
		p = slash + 1;
	}
	/* refs/ followed by at least one more component */
	return strchr(ref + 5, '\0') != ref + 5;
}

const char *sw_gitref_branch(const char *ref)
{
	if (strncmp(ref, "refs/heads/", 11) || !ref[11])
		return NULL;
	return ref + 11;
}

/* "v" and one or more digits, the whole of s. */
static int is_version(const char *s)
{
	size_t n;
	if (s[0] != 'v' || !s[1])
		return 0;
	n = strspn(s + 1, "0123456789");
	return !s[1 + n];
}

int sw_gitref_release_tag(const char *tag)
{
	const char *last;
	if (is_version(tag))
		return 1;
	if (strncmp(tag, "review/", 7) || !(last = strrchr(tag, '/')) || last == tag + 6)
		return 0;
	return is_version(last + 1);
}

int sw_gitref_check_push(const struct sw_gitref_update *u)
{
	const char *branch = sw_gitref_branch(u->ref);

	if (u->kind == SW_GITREF_DEPLOY && u->is_delete)
		return sw_error_code(SW_EINVAL, "deleting %s is refused: slipway deploys from it", branch);
	if (u->kind == SW_GITREF_TAG && sw_gitref_release_tag(u->ref + 10))
		return sw_error_code(SW_EINVAL, "tag %s is refused: slipway tags its live releases vN (and "
				     "review/<app>/vN); push your tag under another name", u->ref + 10);
	if (branch && !strcmp(branch, "HEAD"))
		return sw_error_code(SW_EINVAL, "branch HEAD is refused: HEAD names the checked-out commit, "
				     "not a branch");
	if (branch && branch[0] == '-')
		return sw_error_code(SW_EINVAL, "branch %s is refused: a name starting with '-' reads as an "
				     "option", branch);
	return 0;
}

enum sw_gitref_kind sw_gitref_classify(const char *ref)
{
	const char *b = sw_gitref_branch(ref);

	if (b && (!strcmp(b, "main") || !strcmp(b, "master")))
		return SW_GITREF_DEPLOY;
	if (b)
		return SW_GITREF_BRANCH;
	if (!strncmp(ref, "refs/tags/", 10))
		return SW_GITREF_TAG;
	return SW_GITREF_OTHER;
}

static int take_sha(char out[65], const char *p, size_t n)
{
	if (n != 40 && n != 64)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return sw_gitref_is_sha(out) ? 0 : -1;
}

int sw_gitref_parse_update(struct sw_gitref_update *u, const char *line, size_t len)
{
	const char *sp1, *sp2, *end = line + len;

	sw_gitref_update_release(u);
	if (memchr(line, '\0', len))
		return sw_error_code(SW_EINVAL, "bad ref update line (NUL byte)");
	sp1 = memchr(line, ' ', len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
	if (!sp2)
		return sw_error_code(SW_EINVAL, "bad ref update line (want \"<old> <new> <ref>\")");
	if (take_sha(u->old_sha, line, (size_t)(sp1 - line)) < 0 ||
	    take_sha(u->new_sha, sp1 + 1, (size_t)(sp2 - sp1 - 1)) < 0 ||
	    strlen(u->old_sha) != strlen(u->new_sha)) {
		sw_gitref_update_release(u);
		return sw_error_code(SW_EINVAL, "bad ref update line (object ids)");
	}
	u->ref = xstrndup(sp2 + 1, (size_t)(end - sp2 - 1));
	if (!sw_gitref_name_valid(u->ref)) {
		/* said to the pusher and logged: control characters are shown, not sent */
		char *p;
		int r;
		for (p = u->ref; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		r = sw_error_code(SW_EINVAL, "invalid ref name: %.200s", u->ref);
		sw_gitref_update_release(u);
		return r;
	}
	u->kind = sw_gitref_classify(u->ref);
	u->is_delete = sw_gitref_is_null(u->new_sha);
	u->is_create = sw_gitref_is_null(u->old_sha);
	return 0;
}

void sw_gitref_update_release(struct sw_gitref_update *u)
{
	free(u->ref);
	u->ref = NULL;
	u->old_sha[0] = u->new_sha[0] = '\0';
	u->kind = SW_GITREF_OTHER;
	u->is_delete = u->is_create = 0;
}
