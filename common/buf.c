#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

char sw_buf_empty[1];

void sw_buf_init(struct sw_buf *b, size_t cap)
{
	b->alloc = 0;
	b->len = 0;
	b->cap = cap;
	b->ptr = sw_buf_empty;
}

void sw_buf_release(struct sw_buf *b)
{
	size_t cap = b->cap;
	if (b->alloc)
		free(b->ptr);
	sw_buf_init(b, cap);
}

char *sw_buf_detach(struct sw_buf *b, size_t *len_out)
{
	char *r;
	if (len_out)
		*len_out = b->len;
	r = b->alloc ? b->ptr : xstrdup("");
	sw_buf_init(b, b->cap);
	return r;
}

int sw_buf_grow(struct sw_buf *b, size_t extra)
{
	size_t want;

	if (extra > SIZE_MAX / 2 - b->len)
		return sw_error_code(SW_ETOOBIG, "buffer size overflow");
	if (b->cap && b->len + extra > b->cap)
		return sw_error_code(SW_ETOOBIG, "more than %zu bytes", b->cap);
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return 0;
	if (!b->alloc) {
		b->ptr = NULL;
	}
	if (want < b->alloc * 3 / 2)
		want = b->alloc * 3 / 2;
	if (want < 64)
		want = 64;
	b->ptr = xrealloc(b->ptr, want);
	if (!b->alloc)
		b->ptr[0] = '\0';
	b->alloc = want;
	return 0;
}

void sw_buf_setlen(struct sw_buf *b, size_t len)
{
	if (!b->alloc)
		return; /* empty stays the shared "" */
	if (len > b->alloc - 1)
		len = b->alloc - 1;
	b->len = len;
	b->ptr[len] = '\0';
}

int sw_buf_add(struct sw_buf *b, const void *data, size_t n)
{
	int r;
	if (!n)
		return 0;
	if ((r = sw_buf_grow(b, n)) < 0)
		return r;
	memmove(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int sw_buf_adds(struct sw_buf *b, const char *s)
{
	return sw_buf_add(b, s, strlen(s));
}

int sw_buf_addch(struct sw_buf *b, int c)
{
	char ch = (char)c;
	return sw_buf_add(b, &ch, 1);
}

int sw_buf_vaddf(struct sw_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	int r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return sw_error("bad format");
	if ((r = sw_buf_grow(b, (size_t)n)) < 0)
		return r;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sw_buf_addf(struct sw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = sw_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void sw_buf_rtrim(struct sw_buf *b)
{
	size_t n = b->len;
	while (n > 0 && isspace((unsigned char)b->ptr[n - 1]))
		n--;
	sw_buf_setlen(b, n);
}

void sw_buf_consume(struct sw_buf *b, size_t n)
{
	if (n >= b->len) {
		sw_buf_setlen(b, 0);
		return;
	}
	memmove(b->ptr, b->ptr + n, b->len - n);
	sw_buf_setlen(b, b->len - n);
}
