#include <stdarg.h>
#include <stdlib.h>

#include "common/strvec.h"
#include "common/buf.h"
#include "common/xalloc.h"
#include "common/banned.h"

const char *sw_strvec_empty[] = { NULL };

void sw_strvec_init(struct sw_strvec *sv)
{
	sv->v = sw_strvec_empty;
	sv->nr = 0;
	sv->alloc = 0;
}

static const char *push_owned(struct sw_strvec *sv, char *s)
{
	if (sv->v == sw_strvec_empty)
		sv->v = NULL;
	SW_ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = s;
	sv->v[sv->nr] = NULL;
	return s;
}

const char *sw_strvec_push(struct sw_strvec *sv, const char *s)
{
	return push_owned(sv, xstrdup(s));
}

const char *sw_strvec_pushf(struct sw_strvec *sv, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return push_owned(sv, sw_buf_detach(&b, NULL));
}

void sw_strvec_pushl(struct sw_strvec *sv, ...)
{
	va_list ap;
	const char *s;
	va_start(ap, sv);
	while ((s = va_arg(ap, const char *)))
		sw_strvec_push(sv, s);
	va_end(ap);
}

void sw_strvec_pushv(struct sw_strvec *sv, const char *const *items)
{
	for (; *items; items++)
		sw_strvec_push(sv, *items);
}

void sw_strvec_pop(struct sw_strvec *sv)
{
	if (!sv->nr)
		return;
	free((char *)sv->v[--sv->nr]);
	sv->v[sv->nr] = NULL;
}

void sw_strvec_clear(struct sw_strvec *sv)
{
	size_t i;
	if (sv->v != sw_strvec_empty) {
		for (i = 0; i < sv->nr; i++)
			free((char *)sv->v[i]);
		free(sv->v);
	}
	sw_strvec_init(sv);
}

const char **sw_strvec_detach(struct sw_strvec *sv)
{
	const char **r;
	if (sv->v == sw_strvec_empty)
		r = xcalloc(1, sizeof(*r));
	else
		r = sv->v;
	sw_strvec_init(sv);
	return r;
}
