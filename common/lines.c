#include <string.h>

#include "common/lines.h"
#include "common/banned.h"

static int deliver(struct sw_lines *l)
{
	int r;
	if (l->partial.len && l->partial.ptr[l->partial.len - 1] == '\r')
		sw_buf_setlen(&l->partial, l->partial.len - 1);
	r = l->on_line(l->ctx, l->partial.ptr, l->partial.len);
	sw_buf_reset(&l->partial);
	return r;
}

int sw_lines_feed(struct sw_lines *l, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		int r;

		if (!l->skipping) {
			size_t room = l->max_line - l->partial.len;
			size_t add = take < room ? take : room;
			sw_buf_add(&l->partial, data, add);
			if (add < take) {
				/* over-long: deliver what fits now, drop the rest of the line */
				if ((r = deliver(l)) < 0)
					return r;
				l->skipping = 1;
			}
		}
		if (nl) {
			if (!l->skipping && (r = deliver(l)) < 0)
				return r;
			l->skipping = 0;
			take++;
		}
		data += take;
		n -= take;
	}
	return 0;
}

int sw_lines_finish(struct sw_lines *l)
{
	int r = 0;
	if (l->partial.len && !l->skipping)
		r = deliver(l);
	l->skipping = 0;
	sw_buf_reset(&l->partial);
	return r;
}

void sw_lines_release(struct sw_lines *l)
{
	sw_buf_release(&l->partial);
}
