#ifndef SW_STRVEC_H
#define SW_STRVEC_H

#include <stddef.h>

/*
 * A NULL-terminated vector of owned strings (git's strvec): argv and env lists,
 * header lists. v is never NULL and v[nr] == NULL. sw_strvec_clear() frees the
 * strings and the array and re-inits; sw_strvec_detach() hands the array (and its
 * strings) to the caller, who frees each string and then the array.
 */
struct sw_strvec {
	const char **v;
	size_t nr;
	size_t alloc;
};

extern const char *sw_strvec_empty[];
#define SW_STRVEC_INIT { sw_strvec_empty, 0, 0 }

void sw_strvec_init(struct sw_strvec *sv);
const char *sw_strvec_push(struct sw_strvec *sv, const char *s);
const char *sw_strvec_pushf(struct sw_strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_strvec_pushl(struct sw_strvec *sv, ...); /* NULL-terminated list */
void sw_strvec_pushv(struct sw_strvec *sv, const char *const *items);
void sw_strvec_pop(struct sw_strvec *sv);
void sw_strvec_clear(struct sw_strvec *sv);
const char **sw_strvec_detach(struct sw_strvec *sv);

#endif
