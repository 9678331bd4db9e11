#ifndef SW_GITREF_H
#define SW_GITREF_H

#include <stddef.h>

/*
 * Git ref updates as pre-receive reads them ("<old-sha> <new-sha> <refname>"), and
 * the refs slipway gives a meaning to. Pure string code: no repository is opened.
 * Used by the hook (what was pushed) and by slipwayd (what a job request names).
 */

#define SW_GITREF_MAX 1024   /* longest ref name accepted */

/* What a pushed ref means to slipway. */
enum sw_gitref_kind {
	SW_GITREF_DEPLOY,   /* refs/heads/main or refs/heads/master: builds (and later deploys) */
	SW_GITREF_BRANCH,   /* any other refs/heads/... */
	SW_GITREF_TAG,      /* refs/tags/... */
	SW_GITREF_OTHER,    /* anything else under refs/ */
};

struct sw_gitref_update {
	char old_sha[65];   /* lowercase hex, 40 (SHA-1) or 64 (SHA-256) digits */
	char new_sha[65];   /* all zeros: the ref is being deleted */
	char *ref;          /* owned; freed by sw_gitref_update_release() */
	enum sw_gitref_kind kind;
	int is_delete;      /* new_sha is all zeros */
	int is_create;      /* old_sha is all zeros */
};

#define SW_GITREF_UPDATE_INIT { "", "", NULL, SW_GITREF_OTHER, 0, 0 }

/*
 * Parse one line "<old> <new> <ref>" (without its newline). 0, or SW_EINVAL with a
 * one-line message ("bad ref update line", "invalid ref name: ..."). u must be
 * initialised; on failure it is left released.
 */
int sw_gitref_parse_update(struct sw_gitref_update *u, const char *line, size_t len);
void sw_gitref_update_release(struct sw_gitref_update *u);

/* 1 when s is exactly 40 or 64 lowercase hex digits. */
int sw_gitref_is_sha(const char *s);
/* 1 when sha is all '0' (git's null id). */
int sw_gitref_is_null(const char *sha);

/* 1 when ref is a well-formed full ref name (git check-ref-format rules, under refs/). */
int sw_gitref_name_valid(const char *ref);

enum sw_gitref_kind sw_gitref_classify(const char *ref);

/* The branch name of refs/heads/NAME (a pointer into ref), or NULL for other refs. */
const char *sw_gitref_branch(const char *ref);

/*
 * 1 when tag (the name under refs/tags/) is one slipway gives its releases: "vN" for an
 * app's own, "review/<name>/vN" for a review app's (N digits).
 */
int sw_gitref_release_tag(const char *tag);

/*
 * Whether slipway takes this ref update from a push (the hook asks before anything else):
 * 0, or SW_EINVAL with one line saying why not. Refused: deleting main/master; creating,
 * moving or deleting a release tag (sw_gitref_release_tag: those are slipway's, written
 * when a release goes live); a branch git's own porcelain would not make ("HEAD", a name
 * starting with '-'). Other tags and refs are stored as pushed.
 */
int sw_gitref_check_push(const struct sw_gitref_update *u);

#endif
