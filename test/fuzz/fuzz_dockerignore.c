/*
 * .dockerignore (builder/dockerignore.c): the file is parsed into a matcher, then paths are
 * matched as the build context's walk matches them (each directory's per-pattern results
 * handed to its children) and on their own (every parent tried), and excluded directories
 * asked whether the walk must still descend. Input: the .dockerignore text (to a NUL), then
 * paths, one a line.
 */
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/fuzz.h"
#include "builder/dockerignore.h"
#include "common/buf.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* Match path the way the context walk does: component by component, each with its parent's results. */
static void walk(const struct sw_dockerignore *ig, const char *path, size_t len)
{
	size_t npat = sw_dockerignore_count(ig), depth = 0, i;
	unsigned char *info = xcalloc(len + 1, npat ? npat : 1);

	for (i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (i > 0 && path[i - 1] != '/') {
			const unsigned char *parent = depth ? info + (depth - 1) * npat : NULL;
			int excluded = sw_dockerignore_match(ig, path, i, parent, info + depth * npat);
			if (excluded != 0 && excluded != 1)
				fuzz_fail("match returned %d", excluded);
			if (excluded && i < len)
				(void)sw_dockerignore_descend(ig, path, i);
			depth++;
		}
	}
	free(info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct sw_dockerignore *ig = NULL;
	struct sw_buf clean = SW_BUF_INIT;
	size_t len, i;
	char *text = NULL, *paths;

	{
		size_t tlen;
		char *field = fuzz_field(&in, &tlen);
		text = xmalloc(tlen ? tlen : 1);   /* exactly its bytes: the parser takes a length */
		memcpy(text, field, tlen);
		free(field);
		paths = fuzz_rest(&in, &len);
		if (sw_dockerignore_new(&ig, text, tlen) < 0)
			goto cleanup;
	}
	for (i = 0; i < sw_dockerignore_count(ig); i++) {
		int exception = -1;
		const char *p = sw_dockerignore_pattern(ig, i, &exception);
		if (!p || (exception != 0 && exception != 1))
			fuzz_fail("pattern %zu: %p, exception %d", i, (const void *)p, exception);
	}
	{
		const char *line = paths, *end = paths + len;
		while (line < end) {
			const char *eol = memchr(line, '\n', (size_t)(end - line));
			size_t n = (size_t)((eol ? eol : end) - line);
			char *path = xmalloc(n + 1);
			memcpy(path, line, n);
			path[n] = '\0';
			walk(ig, path, n);
			(void)sw_dockerignore_match(ig, path, n, NULL, NULL);
			sw_buf_reset(&clean);
			sw_dockerignore_clean_path(&clean, path, n);
			free(path);
			line = eol ? eol + 1 : end;
		}
	}
cleanup:
	sw_buf_release(&clean);
	sw_dockerignore_free(ig);
	free(paths);
	free(text);
	return 0;
}
