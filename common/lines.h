#ifndef SW_LINES_H
#define SW_LINES_H

#include <stddef.h>

#include "common/buf.h"

/*
 * Split a byte stream into lines (Docker's JSON lines, a child's output, a build log)
 * with a bound on line length. Feed it chunks; on_line gets each complete line without
 * its "\n" (and without a trailing "\r"), NUL-terminated. A line longer than max_line
 * is delivered cut at max_line bytes and the rest of it dropped, so memory stays bounded.
 *
 *	struct sw_lines l = SW_LINES_INIT(on_line, ctx, 64 * 1024);
 *	sw_lines_feed(&l, data, n) ...;  sw_lines_finish(&l);  sw_lines_release(&l);
 */
typedef int (*sw_lines_fn)(void *ctx, const char *line, size_t len);

struct sw_lines {
	sw_lines_fn on_line;
	void *ctx;
	size_t max_line;
	int skipping;          /* inside an over-long line: drop until "\n" */
	struct sw_buf partial;
};

#define SW_LINES_INIT(fn, ctx, max) { (fn), (ctx), (max), 0, SW_BUF_INIT }

/* 0, or the first negative value on_line returned (feeding then stops). */
int sw_lines_feed(struct sw_lines *l, const char *data, size_t n);
/* Deliver a last line that had no "\n". */
int sw_lines_finish(struct sw_lines *l);
void sw_lines_release(struct sw_lines *l);

#endif
