#ifndef SW_DOCKERIGNORE_H
#define SW_DOCKERIGNORE_H

#include <stddef.h>

/*
 * .dockerignore, applied the way the Docker CLI applies it (the Docker daemon does
 * not filter an uploaded tar: the client must). The rules are moby/patternmatcher's:
 *
 *  - reading (ignorefile.ReadAll): a UTF-8 BOM is dropped; lines starting with "#"
 *    are comments; surrounding whitespace is trimmed; empty lines are skipped; a
 *    leading "!" marks an exception; each pattern is cleaned like Go's path.Clean
 *    and one leading "/" is dropped ("/foo" == "foo");
 *  - patterns: "*" any run of characters except "/", "?" one character except "/",
 *    "[a-z]" / "[^a-z]" classes, "\x" the character x, "**" any number of
 *    directories (also none), a trailing "**" everything below;
 *  - a pattern that matches a directory matches everything below it;
 *  - the last pattern that matches decides: a plain pattern excludes, an "!"
 *    pattern includes again;
 *  - the walk does not descend into an excluded directory unless some "!"
 *    pattern starts with that directory's path (sw_dockerignore_descend);
 *  - "Dockerfile" (or the lowercase "dockerfile" that stands in for it) and
 *    ".dockerignore" at the root are always sent (the caller does this; the CLI
 *    appends "!Dockerfile" / "!.dockerignore" for the same effect).
 *
 * Known differences from Go's regexp-based matcher, all on patterns no one writes:
 * "*" and "?" inside a "[...]" class are taken literally (the CLI mangles them),
 * "\x" is always the literal x (Go's regexp reads "\d" inside a pattern as a digit
 * class), and a class range written backwards ("[z-a]") is refused when the file is
 * read rather than at the first match.
 */

struct sw_dockerignore; /* opaque: sw_dockerignore_new / sw_dockerignore_free */

/*
 * Parse the text of a .dockerignore (len bytes, need not be NUL-terminated).
 * *out is the caller's (sw_dockerignore_free). A malformed pattern fails with
 * SW_EINVAL and one line: `.dockerignore line 3: bad pattern "[": syntax error in pattern`.
 */
int sw_dockerignore_new(struct sw_dockerignore **out, const char *text, size_t len);
void sw_dockerignore_free(struct sw_dockerignore *ig);

/* Number of patterns (the size of the match-info arrays below), and whether any is an "!" exception. */
size_t sw_dockerignore_count(const struct sw_dockerignore *ig);
int sw_dockerignore_has_exceptions(const struct sw_dockerignore *ig);

/* The i-th pattern as cleaned (without its "!"), for tests and messages. */
const char *sw_dockerignore_pattern(const struct sw_dockerignore *ig, size_t i, int *exception);

/*
 * Is path (relative, "/"-separated, no leading "./") excluded? 1 excluded, 0 sent.
 * This is patternmatcher's MatchesUsingParentResults: parent is the info array the
 * call for the parent directory filled (sw_dockerignore_count() bytes), or NULL for
 * "unknown" (then every parent directory of path is tried against each pattern, as
 * MatchesOrParentMatches does). info, when not NULL, receives this path's per-pattern
 * results for its children. Never fails: patterns were checked by _new.
 */
int sw_dockerignore_match(const struct sw_dockerignore *ig, const char *path, size_t len,
			  const unsigned char *parent, unsigned char *info);

/*
 * For an excluded directory dir: must the walk still go into it because an "!"
 * pattern starts with "dir/"? 1 yes, 0 no (skip the whole subtree).
 */
int sw_dockerignore_descend(const struct sw_dockerignore *ig, const char *dir, size_t len);

/* Go's path.Clean on s (len bytes), appended to out. Exposed for tests. */
struct sw_buf;
void sw_dockerignore_clean_path(struct sw_buf *out, const char *s, size_t len);

#endif
