#ifndef SW_BUF_H
#define SW_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The one growable buffer (git's strbuf, curl's dynbuf). Invariants:
 *  - ptr is never NULL and always NUL-terminated (ptr[len] == '\0');
 *  - cap, when non-zero, bounds len: an add that would pass it fails with
 *    SW_ETOOBIG and leaves the buffer unchanged. Use a cap for every byte that
 *    comes from outside (clients, git, Docker, AWS).
 *
 * Lifecycle: SW_BUF_INIT or sw_buf_init(); sw_buf_release() frees and re-inits;
 * sw_buf_detach() is the only hand-over: the caller then owns (and free()s) the string.
 */
struct sw_buf {
	size_t alloc;
	size_t len;
	size_t cap;
	char *ptr;
};

extern char sw_buf_empty[];
#define SW_BUF_INIT { 0, 0, 0, sw_buf_empty }

/* cap: maximum len in bytes, 0 for none. */
void sw_buf_init(struct sw_buf *b, size_t cap);
void sw_buf_release(struct sw_buf *b);
char *sw_buf_detach(struct sw_buf *b, size_t *len_out);

/* Make room for extra more bytes (beyond cap: SW_ETOOBIG, nothing changed). */
int sw_buf_grow(struct sw_buf *b, size_t extra);
void sw_buf_setlen(struct sw_buf *b, size_t len);
static inline void sw_buf_reset(struct sw_buf *b) { sw_buf_setlen(b, 0); }

int sw_buf_add(struct sw_buf *b, const void *data, size_t n);
int sw_buf_adds(struct sw_buf *b, const char *s);
int sw_buf_addch(struct sw_buf *b, int c);
int sw_buf_addf(struct sw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sw_buf_vaddf(struct sw_buf *b, const char *fmt, va_list ap);

/* Remove trailing whitespace. */
void sw_buf_rtrim(struct sw_buf *b);
/* Drop the first n bytes. */
void sw_buf_consume(struct sw_buf *b, size_t n);

#endif
