/*
 * slipway-context REPO COMMIT: write the build context of COMMIT (the tar stream the
 * builder uploads to Docker, .dockerignore applied) to stdout. For the benchmark
 * (scripts/bench/context) and for looking at what a build will see:
 *	slipway-context /srv/slipway/apps/hello.git 4f2a1c9... | tar tv
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/context.h"
#include "common/error.h"
#include "common/banned.h"

static void on_warn(void *ctx, const char *line)
{
	fprintf(stderr, "slipway-context: %s\n", line);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sw_error_errno("write to stdout");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sw_context_opts opts = { 0 };
	struct sw_context *c = NULL;
	const char *piece;
	ssize_t n;
	int ret = 1;

	if (argc != 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: slipway-context REPO COMMIT > context.tar\n");
		return 2;
	}
	if (isatty(1)) {
		fprintf(stderr, "slipway-context: stdout is a terminal; redirect it (> context.tar or | tar tv)\n");
		return 2;
	}
	opts.repo_path = argv[1];
	opts.commit = argv[2];
	opts.warn = on_warn;
	if (sw_context_new(&c, &opts) < 0)
		goto done;
	/* headers and whole files as the context hands them out: no copy on our side */
	while ((n = sw_context_next(c, &piece)) > 0)
		if (write_all(1, piece, (size_t)n) < 0)
			goto done;
	if (n == 0)
		ret = 0;
done:
	if (ret)
		fprintf(stderr, "slipway-context: %s\n", sw_error_last());
	sw_context_free(c);
	return ret;
}
