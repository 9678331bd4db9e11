#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/banned.h"

/* Messages are cut at SW_ERROR_MAX bytes on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define SW_ERROR_MAX 1024

static _Thread_local char slot[SW_ERROR_MAX];
static _Thread_local int slot_code;

static void set_v(int code, const char *suffix, const char *fmt, va_list ap)
{
	char msg[SW_ERROR_MAX];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (suffix)
		snprintf(slot, sizeof(slot), "%s%s", msg, suffix);
	else
		snprintf(slot, sizeof(slot), "%s", msg);
	/* One line: fold any newline the message picked up from a peer. */
	for (n = 0; slot[n]; n++)
		if (slot[n] == '\n' || slot[n] == '\r')
			slot[n] = ' ';
	while (n > 0 && slot[n - 1] == ' ')
		slot[--n] = '\0';
	slot_code = code;
}

int sw_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(SW_ERROR, NULL, fmt, ap);
	va_end(ap);
	return SW_ERROR;
}

int sw_error_code(int code, const char *fmt, ...)
{
	va_list ap;
	if (code >= 0)
		code = SW_ERROR;
	va_start(ap, fmt);
	set_v(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int sw_error_errno(const char *fmt, ...)
{
	char suffix[256];
	int saved = errno;
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(saved));
	va_start(ap, fmt);
	set_v(saved == ENOENT ? SW_ENOTFOUND : SW_ERROR, suffix, fmt, ap);
	va_end(ap);
	return slot_code;
}

int sw_error_prefix(const char *fmt, ...)
{
	char what[SW_ERROR_MAX];
	char old[SW_ERROR_MAX];
	va_list ap;

	if (!slot_code)
		slot_code = SW_ERROR;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", slot);
	if (old[0])
		snprintf(slot, sizeof(slot), "%s: %s", what, old);
	else
		snprintf(slot, sizeof(slot), "%s", what);
	return slot_code;
}

const char *sw_error_last(void)
{
	return slot;
}

int sw_error_last_code(void)
{
	return slot_code;
}

void sw_error_clear(void)
{
	slot[0] = '\0';
	slot_code = 0;
}
