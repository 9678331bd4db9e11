#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/buf.h"
#include "common/time.h"
#include "common/banned.h"

static int min_level = -1;

void sw_log_set_level(enum sw_log_level level)
{
	min_level = (int)level;
}

static int current_level(void)
{
	if (min_level < 0) {
		const char *e = getenv("SLIPWAY_LOG");
		min_level = SW_LOG_INFO;
		if (e && !strcmp(e, "debug"))
			min_level = SW_LOG_DEBUG;
		else if (e && !strcmp(e, "warn"))
			min_level = SW_LOG_WARN;
		else if (e && !strcmp(e, "error"))
			min_level = SW_LOG_ERROR;
	}
	return min_level;
}

/* b's bytes onto out, control characters as \xNN: one event is one line, whatever a URL held. */
static void add_escaped(struct sw_buf *out, const struct sw_buf *b)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < b->len; i++) {
		unsigned char ch = (unsigned char)b->ptr[i];
		if (ch < 0x20 || ch == 0x7f) {
			sw_buf_adds(out, "\\x");
			sw_buf_addch(out, hex[ch >> 4]);
			sw_buf_addch(out, hex[ch & 15]);
		} else {
			sw_buf_addch(out, ch);
		}
	}
}

void sw_log(enum sw_log_level level, const char *app, long job, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info ", "warn ", "error" };
	struct sw_buf line = SW_BUF_INIT, text = SW_BUF_INIT;
	char stamp[SW_TIME_ISO_SIZE];
	va_list ap;

	if ((int)level < current_level())
		return;
	sw_buf_addf(&line, "%s %s ", sw_time_iso(sw_time_now(), stamp), names[level]);
	if (app && job > 0)
		sw_buf_addf(&text, "%s#%ld ", app, job);
	else if (app)
		sw_buf_addf(&text, "%s ", app);
	va_start(ap, fmt);
	sw_buf_vaddf(&text, fmt, ap);
	va_end(ap);
	sw_buf_rtrim(&text);
	add_escaped(&line, &text);
	sw_buf_addch(&line, '\n');
	(void)!write(2, line.ptr, line.len);
	sw_buf_release(&line);
	sw_buf_release(&text);
}
