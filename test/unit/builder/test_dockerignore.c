/*
 * .dockerignore matching, case by case. The cases come from moby/patternmatcher's
 * own tests (TestMatches, TestMatch, the exclusion tests, ignorefile's TestReadAll)
 * and from the examples of Docker's documentation (docs.docker.com, "dockerignore
 * file"). Each case is a whole .dockerignore text, a path, and whether that path is
 * left out of the build context.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "builder/dockerignore.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

struct mcase {
	const char *ignore; /* the .dockerignore text */
	const char *path;
	int excluded;
};

#define WHL "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"

/* moby/patternmatcher TestMatches (MatchesOrParentMatches: exact and inexact both match). */
static const struct mcase patternmatcher_cases[] = {
	{ "**", "file", 1 },
	{ "**", "file/", 1 },
	{ "**/", "file", 1 },
	{ "**/", "file/", 1 },
	{ "**", "/", 1 },
	{ "**/", "/", 1 },
	{ "**", "dir/file", 1 },
	{ "**/", "dir/file", 1 },
	{ "**", "dir/file/", 1 },
	{ "**/", "dir/file/", 1 },
	{ "**/**", "dir/file", 1 },
	{ "**/**", "dir/file/", 1 },
	{ "dir/**", "dir/file", 1 },
	{ "dir/**", "dir/file/", 1 },
	{ "dir/**", "dir/dir2/file", 1 },
	{ "dir/**", "dir/dir2/file/", 1 },
	{ "**/dir", "dir", 1 },
	{ "**/dir", "dir/file", 1 },
	{ "**/dir2/*", "dir/dir2/file", 1 },
	{ "**/dir2/*", "dir/dir2/file/", 1 },
	{ "**/dir2/**", "dir/dir2/dir3/file", 1 },
	{ "**/dir2/**", "dir/dir2/dir3/file/", 1 },
	{ "**file", "file", 1 },
	{ "**file", "dir/file", 1 },
	{ "**/file", "dir/file", 1 },
	{ "**file", "dir/dir/file", 1 },
	{ "**/file", "dir/dir/file", 1 },
	{ "**/file*", "dir/dir/file", 1 },
	{ "**/file*", "dir/dir/file.txt", 1 },
	{ "**/file*txt", "dir/dir/file.txt", 1 },
	{ "**/file*.txt", "dir/dir/file.txt", 1 },
	{ "**/file*.txt*", "dir/dir/file.txt", 1 },
	{ "**/**/*.txt", "dir/dir/file.txt", 1 },
	{ "**/**/*.txt2", "dir/dir/file.txt", 0 },
	{ "**/*.txt", "file.txt", 1 },
	{ "**/**/*.txt", "file.txt", 1 },
	{ "a**/*.txt", "a/file.txt", 1 },
	{ "a**/*.txt", "a/dir/file.txt", 1 },
	{ "a**/*.txt", "a/dir/dir/file.txt", 1 },
	{ "a/*.txt", "a/dir/file.txt", 0 },
	{ "a/*.txt", "a/file.txt", 1 },
	{ "a/*.txt**", "a/file.txt", 1 },
	{ "a[b-d]e", "ae", 0 },
	{ "a[b-d]e", "ace", 1 },
	{ "a[b-d]e", "aae", 0 },
	{ "a[^b-d]e", "aze", 1 },
	{ ".*", ".foo", 1 },
	{ ".*", "foo", 0 },
	{ "abc.def", "abcdef", 0 },
	{ "abc.def", "abc.def", 1 },
	{ "abc.def", "abcZdef", 0 },
	{ "abc?def", "abcZdef", 1 },
	{ "abc?def", "abcdef", 0 },
	{ "**/foo/bar", "foo/bar", 1 },
	{ "**/foo/bar", "dir/foo/bar", 1 },
	{ "**/foo/bar", "dir/dir2/foo/bar", 1 },
	{ "abc/**", "abc", 0 },
	{ "abc/**", "abc/def", 1 },
	{ "abc/**", "abc/def/ghi", 1 },
	{ "**/.foo", ".foo", 1 },
	{ "**/.foo", "bar.foo", 0 },
	{ "a(b)c/def", "a(b)c/def", 1 },
	{ "a(b)c/def", "a(b)c/xyz", 0 },
	{ "a.|)$(}+{bc", "a.|)$(}+{bc", 1 },
	{ WHL, WHL, 1 },
	{ "dist/*.whl", WHL, 1 },
	{ "a\\\\", "a\\", 1 },
	{ "a\\*b", "a*b", 1 },
	/* multi-pattern */
	{ "**\n!util/docker/web", "util/docker/web/foo", 0 },
	{ "**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", 1 },
	{ "**\n!" WHL, WHL, 0 },
	{ "**\n!dist/*.whl", WHL, 0 },
	/* the exclusion tests */
	{ "*", "fileutils.go", 1 },
	{ "*.go", "fileutils.go", 1 },
	{ "!fileutils.go\n*.go", "fileutils.go", 1 },
	{ "*.go\n!fileutils.go", "fileutils.go", 0 },
	{ "docs\n!docs/README.md", "docs/README.md", 0 },
	{ "docs/\n!docs/README.md", "docs/README.md", 0 },
	{ "docs/*\n!docs/README.md", "docs/README.md", 0 },
	{ "docs\n!docs/README.md", "docs/other.md", 1 },
};

/* moby/patternmatcher TestMatch (Go's filepath.Match cases). */
static const struct mcase filepath_cases[] = {
	{ "abc", "abc", 1 },
	{ "*", "abc", 1 },
	{ "*c", "abc", 1 },
	{ "a*", "a", 1 },
	{ "a*", "abc", 1 },
	{ "a*", "ab/c", 1 },
	{ "a*/b", "abc/b", 1 },
	{ "a*/b", "a/c/b", 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxe/f", 1 },
	{ "a*b*c*d*e*/f", "axbxcxdxexxx/f", 1 },
	{ "a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0 },
	{ "a*b?c*x", "abxbbxdbxebxczzx", 1 },
	{ "a*b?c*x", "abxbbxdbxebxczzy", 0 },
	{ "ab[c]", "abc", 1 },
	{ "ab[b-d]", "abc", 1 },
	{ "ab[e-g]", "abc", 0 },
	{ "ab[^c]", "abc", 0 },
	{ "ab[^b-d]", "abc", 0 },
	{ "ab[^e-g]", "abc", 1 },
	{ "a\\*b", "a*b", 1 },
	{ "a\\*b", "ab", 0 },
	{ "a?b", "a\xe2\x98\xba" "b", 1 },            /* a☺b: "?" is one character, not one byte */
	{ "a[^a]b", "a\xe2\x98\xba" "b", 1 },
	{ "a???b", "a\xe2\x98\xba" "b", 0 },
	{ "a[^a][^a][^a]b", "a\xe2\x98\xba" "b", 0 },
	{ "[a-\xce\xb6]*", "\xce\xb1", 1 },           /* [a-ζ]* matches α */
	{ "*[a-\xce\xb6]", "A", 0 },
	{ "a?b", "a/b", 0 },
	{ "a*b", "a/b", 0 },
	{ "[\\]a]", "]", 1 },
	{ "[\\-]", "-", 1 },
	{ "[x\\-]", "x", 1 },
	{ "[x\\-]", "-", 1 },
	{ "[x\\-]", "z", 0 },
	{ "[\\-x]", "x", 1 },
	{ "[\\-x]", "-", 1 },
	{ "[\\-x]", "a", 0 },
	{ "*x", "xxx", 1 },
};

/* docs.docker.com, "dockerignore file" examples, and how the file is read. */
static const struct mcase docs_cases[] = {
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "somedir/temporary.txt", 1 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "somedir/temp", 1 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "somedir/subdir/temporary.txt", 1 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "tempa", 1 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "tempb", 1 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "temp", 0 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "temporary.txt", 0 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "a/b/c/temp", 0 },
	{ "# comment\n*/temp*\n*/*/temp*\ntemp?", "# comment", 0 },
	{ "**/*.go", "a/b/c.go", 1 },
	{ "**/*.go", "c.go", 1 },
	{ "**/*.go", "c.gox", 0 },
	{ "*.md\n!README.md", "README.md", 0 },
	{ "*.md\n!README.md", "CHANGES.md", 1 },
	{ "*.md\n!README.md", "docs/CHANGES.md", 0 },
	{ "*.md\n!README*.md\nREADME-secret.md", "README-secret.md", 1 },
	{ "*.md\n!README*.md\nREADME-secret.md", "README-public.md", 0 },
	{ "*.md\n!README*.md\nREADME-secret.md", "other.md", 1 },
	{ "*.md\nREADME-secret.md\n!README*.md", "README-secret.md", 0 },
	/* a pattern naming a directory takes everything below it */
	{ "node_modules", "node_modules/left-pad/index.js", 1 },
	{ "node_modules", "src/node_modules/x.js", 0 },
	{ "**/node_modules", "src/node_modules/x.js", 1 },
	/* "/foo" is "foo": relative to the root of the context */
	{ "/secret.txt", "secret.txt", 1 },
	{ "/secret.txt", "sub/secret.txt", 0 },
	{ "!  /keep\n*", "keep", 1 },   /* the exception comes first, "*" wins after it */
	{ "*\n! /keep", "keep", 0 },
	/* reading: BOM, CRLF, surrounding blanks, "#" only at column 0, cleaning */
	{ "\xef\xbb\xbf*.log", "a.log", 1 },
	{ "*.log\r\n*.tmp\r\n", "b.tmp", 1 },
	{ "   *.bak   ", "x.bak", 1 },
	{ "  # not a comment", "# not a comment", 1 },
	{ "#comment", "#comment", 0 },
	{ "./build//out/", "build/out/app.bin", 1 },
	{ "a/b/../c", "a/c", 1 },
	{ "a/b/../c", "a/b", 0 },
	{ "\n\n\n", "anything", 0 },
	{ "", "anything", 0 },
};

static void run_cases(const struct mcase *cases, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		struct sw_dockerignore *ig = NULL;
		int got;
		if (sw_dockerignore_new(&ig, cases[i].ignore, strlen(cases[i].ignore)) < 0)
			fail_msg("pattern %zu \"%s\" refused: %s", i, cases[i].ignore, sw_error_last());
		got = sw_dockerignore_match(ig, cases[i].path, strlen(cases[i].path), NULL, NULL);
		if (got != cases[i].excluded)
			fail_msg("case %zu: .dockerignore \"%s\", path \"%s\": excluded=%d, want %d", i,
				 cases[i].ignore, cases[i].path, got, cases[i].excluded);
		sw_dockerignore_free(ig);
	}
}

static void moby_patternmatcher(void **state)
{
	run_cases(patternmatcher_cases, sizeof(patternmatcher_cases) / sizeof(patternmatcher_cases[0]));
}

static void go_filepath_match(void **state)
{
	run_cases(filepath_cases, sizeof(filepath_cases) / sizeof(filepath_cases[0]));
}

static void docker_docs(void **state)
{
	run_cases(docs_cases, sizeof(docs_cases) / sizeof(docs_cases[0]));
}

/* Malformed patterns: one line naming the line, nothing built. */
static void bad_patterns(void **state)
{
	static const char *bad[] = {
		"[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "[z-a]", "!", "ok\n! ",
		"ok\n!/",
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sw_dockerignore *ig = (struct sw_dockerignore *)1;
		int r = sw_dockerignore_new(&ig, bad[i], strlen(bad[i]));
		if (r != SW_EINVAL)
			fail_msg("pattern \"%s\" accepted", bad[i]);
		assert_null(ig);
		assert_non_null(strstr(sw_error_last(), ".dockerignore line "));
		assert_null(strchr(sw_error_last(), '\n'));
	}
	/* the error names the line */
	{
		struct sw_dockerignore *ig = NULL;
		const char *text = "# top\n*.log\n\nsrc/[z-a].c\n";
		assert_int_equal(sw_dockerignore_new(&ig, text, strlen(text)), SW_EINVAL);
		assert_string_equal(sw_error_last(), ".dockerignore line 4: bad pattern \"src/[z-a].c\": syntax error in pattern");
	}
}

/* ignorefile.ReadAll: what the file turns into. */
static void read_all(void **state)
{
	static const char text[] = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n";
	static const struct {
		const char *pattern;
		int exception;
	} want[] = {
		{ "test1", 0 }, { "test2", 0 }, { "a/file/here", 0 }, { "lastfile", 0 }, { "inverted/abs/path", 1 },
	};
	struct sw_dockerignore *ig = NULL;
	size_t i;

	assert_int_equal(sw_dockerignore_new(&ig, text, strlen(text)), 0);
	assert_int_equal(sw_dockerignore_count(ig), 5);
	assert_true(sw_dockerignore_has_exceptions(ig));
	for (i = 0; i < 5; i++) {
		int exc = -1;
		assert_string_equal(sw_dockerignore_pattern(ig, i, &exc), want[i].pattern);
		assert_int_equal(exc, want[i].exception);
	}
	assert_null(sw_dockerignore_pattern(ig, 5, NULL));
	sw_dockerignore_free(ig);
}

/*
 * The walk passes each directory's results to its children (MatchesUsingParentResults,
 * what the Docker CLI's tar walk does). It can differ from asking about the full path
 * alone: with "a", "!a/x", "a", the directory a is excluded, but the walk sends a/x
 * (the last "a" is skipped for a, since it already matched, and does not match "a/x").
 */
static void walk_uses_parent_results(void **state)
{
	static const char text[] = "a\n!a/x\na\n";
	struct sw_dockerignore *ig = NULL;
	unsigned char dir_info[3], child[3];

	assert_int_equal(sw_dockerignore_new(&ig, text, strlen(text)), 0);
	assert_int_equal(sw_dockerignore_match(ig, "a", 1, NULL, dir_info), 1);
	assert_int_equal(sw_dockerignore_match(ig, "a/x", 3, dir_info, child), 0);
	assert_int_equal(sw_dockerignore_match(ig, "a/y", 3, dir_info, child), 1);
	/* without the parent's results: every parent is tried, so "a" matches a/x again */
	assert_int_equal(sw_dockerignore_match(ig, "a/x", 3, NULL, NULL), 1);
	sw_dockerignore_free(ig);
}

/* Into an excluded directory only when an exception starts with it (CLI behaviour). */
static void descend_into_excluded(void **state)
{
	struct sw_dockerignore *ig = NULL;
	const char *t1 = "dir\n!dir/keep/me.txt\n";
	const char *t2 = "dir\n!*/keep\n";
	const char *t3 = "dir\n";

	assert_int_equal(sw_dockerignore_new(&ig, t1, strlen(t1)), 0);
	assert_int_equal(sw_dockerignore_descend(ig, "dir", 3), 1);
	assert_int_equal(sw_dockerignore_descend(ig, "dir/keep", 8), 1);
	assert_int_equal(sw_dockerignore_descend(ig, "dir/other", 9), 0);
	assert_int_equal(sw_dockerignore_descend(ig, "di", 2), 0);
	assert_int_equal(sw_dockerignore_match(ig, "dir/keep/me.txt", 15, NULL, NULL), 0);
	assert_int_equal(sw_dockerignore_match(ig, "dir/keep/other.txt", 18, NULL, NULL), 1);
	sw_dockerignore_free(ig);

	/* "!*" + "/keep" does not start with "dir/": the CLI skips dir entirely */
	assert_int_equal(sw_dockerignore_new(&ig, t2, strlen(t2)), 0);
	assert_int_equal(sw_dockerignore_descend(ig, "dir", 3), 0);
	sw_dockerignore_free(ig);

	assert_int_equal(sw_dockerignore_new(&ig, t3, strlen(t3)), 0);
	assert_false(sw_dockerignore_has_exceptions(ig));
	assert_int_equal(sw_dockerignore_descend(ig, "dir", 3), 0);
	sw_dockerignore_free(ig);
}

/* Go's path.Clean, which every pattern goes through. */
static void clean_path(void **state)
{
	static const char *cases[][2] = {
		{ "", "." }, { "abc", "abc" }, { "abc/", "abc" }, { "a//b", "a/b" }, { "./a", "a" },
		{ "a/./b", "a/b" }, { "a/b/..", "a" }, { "a/..", "." }, { "../a", "../a" }, { "../../a/..", "../.." },
		{ "/", "/" }, { "/..", "/" }, { "/../a", "/a" }, { "//a//", "/a" }, { "a/b/../../..", ".." },
		{ "abc/def/../../..", ".." }, { "abc/./../def", "def" }, { ".", "." }, { "**/", "**" },
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_buf b = SW_BUF_INIT;
		sw_dockerignore_clean_path(&b, cases[i][0], strlen(cases[i][0]));
		if (strcmp(b.ptr, cases[i][1]))
			fail_msg("Clean(\"%s\") = \"%s\", want \"%s\"", cases[i][0], b.ptr, cases[i][1]);
		sw_buf_release(&b);
	}
}

/* A hostile pattern against a long path stays linear (no backtracking blow-up). */
static void no_catastrophic_backtracking(void **state)
{
	struct sw_dockerignore *ig = NULL;
	const char *p = "*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/**/**/**/z\n";
	char path[4097];
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(sw_dockerignore_new(&ig, p, strlen(p)), 0);
	assert_int_equal(sw_dockerignore_match(ig, path, strlen(path), NULL, NULL), 0);
	sw_dockerignore_free(ig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(moby_patternmatcher),
		cmocka_unit_test(go_filepath_match),
		cmocka_unit_test(docker_docs),
		cmocka_unit_test(bad_patterns),
		cmocka_unit_test(read_all),
		cmocka_unit_test(walk_uses_parent_results),
		cmocka_unit_test(descend_into_excluded),
		cmocka_unit_test(clean_path),
		cmocka_unit_test(no_catastrophic_backtracking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
