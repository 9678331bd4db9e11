#ifndef SW_XALLOC_H
#define SW_XALLOC_H

#include <stddef.h>

/*
 * Allocation that cannot fail: on exhaustion these print one line and abort().
 * This is the only place in slipway allowed to abort; everything else returns
 * a negative code (common/error.h). The caller frees what they return with free().
 */

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

/* Grow *ptr (of elements of size elem) so that it holds at least nr; *alloc is updated. */
#define SW_ALLOC_GROW(ptr, nr, alloc) \
	do { \
		if ((nr) > (alloc)) { \
			size_t sw_ag_new_ = (alloc) ? (alloc) * 2 : 8; \
			if (sw_ag_new_ < (nr)) \
				sw_ag_new_ = (nr); \
			(ptr) = xrealloc((ptr), sw_ag_new_ * sizeof(*(ptr))); \
			(alloc) = sw_ag_new_; \
		} \
	} while (0)

#endif
