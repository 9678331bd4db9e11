#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/output.h"
#include "cli/cli.h"
#include "common/env.h"
#include "common/json.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* ---- a command's failures ------------------------------------------------------- */

static void vreport(const struct sw_cli_command *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "slipway %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int sw_cli_usage_error(const struct sw_cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	fputs(cmd->usage, stderr);
	return 2;
}

int sw_cli_fail(const struct sw_cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- colour --------------------------------------------------------------------- */

/* TERM=dumb: a terminal that takes no escape codes (no colour, no spinner). */
static int term_dumb(void)
{
	const char *term = getenv("TERM");
	return term && !strcmp(term, "dumb");
}

int sw_cli_color_on(int fd)
{
	if (sw_env_str("NO_COLOR") || term_dumb())
		return 0;
	return isatty(fd);
}

void sw_cli_paint(struct sw_buf *out, int color, enum sw_cli_style style, const char *text)
{
	static const char *const codes[] = { "", "32", "31", "33", "1", "2", "36" };

	if (!color || style == SW_CLI_PLAIN || (size_t)style >= sizeof(codes) / sizeof(codes[0])) {
		sw_buf_adds(out, text);
		return;
	}
	sw_buf_addf(out, "\033[%sm%s\033[0m", codes[style], text);
}

enum sw_cli_style sw_cli_status_style(const char *s)
{
	if (!s)
		return SW_CLI_PLAIN;
	if (!strcmp(s, "succeeded") || !strcmp(s, "live") || !strcmp(s, "delivered") || !strcmp(s, "RUNNING") ||
	    !strcmp(s, "healthy") || !strcmp(s, "HEALTHY"))
		return SW_CLI_GREEN;
	if (!strcmp(s, "failed") || !strcmp(s, "rolled back") || !strcmp(s, "cancelled") || !strcmp(s, "STOPPED") ||
	    !strcmp(s, "unhealthy") || !strcmp(s, "UNHEALTHY"))
		return SW_CLI_RED;
	if (!strcmp(s, "queued") || !strcmp(s, "running") || !strcmp(s, "deploying") || !strcmp(s, "pending") ||
	    !strcmp(s, "PENDING") || !strcmp(s, "PROVISIONING") || !strcmp(s, "ACTIVATING") ||
	    !strcmp(s, "DEACTIVATING") || !strcmp(s, "STOPPING") || !strcmp(s, "initial") || !strcmp(s, "draining"))
		return SW_CLI_YELLOW;
	return SW_CLI_PLAIN;
}

/* ---- tables --------------------------------------------------------------------- */

static void table_row_grow(struct sw_cli_table *t)
{
	size_t want = (t->nrows + 1) * t->ncols;
	if (want > t->alloc) {
		size_t n = t->alloc ? t->alloc * 2 : t->ncols * 8;
		while (n < want)
			n *= 2;
		t->cells = xrealloc(t->cells, n * sizeof(*t->cells));
		t->styles = xrealloc(t->styles, n * sizeof(*t->styles));
		t->alloc = n;
	}
}

void sw_cli_table_init(struct sw_cli_table *t, const char *header, ...)
{
	va_list ap;
	const char *h;
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	va_start(ap, header);
	for (h = header; h; h = va_arg(ap, const char *))
		t->ncols++;
	va_end(ap);
	if (!t->ncols)
		return;
	table_row_grow(t);
	va_start(ap, header);
	for (h = header; h; h = va_arg(ap, const char *)) {
		t->cells[i] = xstrdup(h);
		t->styles[i++] = SW_CLI_BOLD;
	}
	va_end(ap);
	t->nrows = 1;
}

void sw_cli_table_release(struct sw_cli_table *t)
{
	size_t i;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->styles);
	memset(t, 0, sizeof(*t));
}

void sw_cli_table_add(struct sw_cli_table *t, const char *first, ...)
{
	va_list ap;
	size_t base, i;

	if (!t->ncols)
		return;
	table_row_grow(t);
	base = t->nrows * t->ncols;
	t->cells[base] = xstrdup(first ? first : "");
	t->styles[base] = SW_CLI_PLAIN;
	va_start(ap, first);
	for (i = 1; i < t->ncols; i++) {
		const char *c = va_arg(ap, const char *);
		t->cells[base + i] = xstrdup(c ? c : "");
		t->styles[base + i] = SW_CLI_PLAIN;
	}
	va_end(ap);
	t->nrows++;
}

void sw_cli_table_style(struct sw_cli_table *t, size_t col, enum sw_cli_style style)
{
	if (t->nrows < 2 || col >= t->ncols)
		return;
	t->styles[(t->nrows - 1) * t->ncols + col] = style;
}

size_t sw_cli_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* The cell with control characters replaced (they would break the layout or the terminal). */
static void clean_cell(struct sw_buf *out, const char *s)
{
	sw_buf_reset(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		sw_buf_addch(out, c < 0x20 || c == 0x7f ? '?' : c);
	}
}

void sw_cli_table_render(const struct sw_cli_table *t, int color, struct sw_buf *out)
{
	size_t *width = xcalloc(t->ncols ? t->ncols : 1, sizeof(*width));
	struct sw_buf cell = SW_BUF_INIT, line = SW_BUF_INIT;
	size_t r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t w;
			clean_cell(&cell, t->cells[r * t->ncols + c]);
			w = sw_cli_width(cell.ptr);
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		size_t pending = 0;   /* spaces owed: written only before a non-empty cell */
		sw_buf_reset(&line);
		for (c = 0; c < t->ncols; c++) {
			size_t w;
			clean_cell(&cell, t->cells[r * t->ncols + c]);
			w = sw_cli_width(cell.ptr);
			if (c > 0)
				pending += 2;
			if (cell.len) {
				while (pending) {
					sw_buf_addch(&line, ' ');
					pending--;
				}
				sw_cli_paint(&line, color, t->styles[r * t->ncols + c], cell.ptr);
			}
			if (c + 1 < t->ncols)
				pending += width[c] - w;
		}
		sw_buf_add(out, line.ptr, line.len);
		sw_buf_addch(out, '\n');
	}
	sw_buf_release(&cell);
	sw_buf_release(&line);
	free(width);
}

void sw_cli_table_print(const struct sw_cli_table *t, const char *empty_note)
{
	struct sw_buf b = SW_BUF_INIT;

	if (t->nrows < 2) {
		printf("%s\n", empty_note ? empty_note : "(none)");
		return;
	}
	sw_cli_table_render(t, sw_cli_color_on(1), &b);
	fwrite(b.ptr, 1, b.len, stdout);
	sw_buf_release(&b);
}

/* ---- times ------------------------------------------------------------------------ */

void sw_cli_reltime(double then, double now, struct sw_buf *out)
{
	double d = now - then;
	int future = d < 0;
	long s;

	if (future)
		d = -d;
	s = (long)d;
	if (s < 5 && !future) {
		sw_buf_adds(out, "just now");
		return;
	}
	if (s >= 30L * 86400) {
		char iso[SW_TIME_ISO_SIZE];
		sw_buf_add(out, sw_time_iso(then, iso), 10);   /* the date: "2026-10-18" */
		return;
	}
	if (future)
		sw_buf_adds(out, "in ");
	if (s < 60)
		sw_buf_addf(out, "%lds", s);
	else if (s < 3600)
		sw_buf_addf(out, "%ldm", s / 60);
	else if (s < 86400)
		sw_buf_addf(out, "%ldh", s / 3600);
	else
		sw_buf_addf(out, "%ldd", s / 86400);
	if (!future)
		sw_buf_adds(out, " ago");
}

void sw_cli_reltime_iso(const char *iso, struct sw_buf *out)
{
	double t;
	if (iso && sw_time_parse_iso(iso, &t) == 0)
		sw_cli_reltime(t, sw_time_now(), out);
}

/* ---- JSON ------------------------------------------------------------------------- */

int sw_cli_print_json(const json_t *o)
{
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return 1;
	sw_cli_out_line(text, strlen(text));
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

int sw_cli_print_json_line(const json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return 1;
	sw_cli_out_line(text, strlen(text));
	free(text);
	return 0;
}

int sw_cli_print_line(void *ctx, const json_t *o)
{
	const struct sw_cli_lines *l = ctx;
	struct sw_buf b = SW_BUF_INIT;

	if (!json_object_size(o))
		return 0;   /* a keepalive */
	if (sw_json_str(o, "warning")) {
		fprintf(stderr, "slipway %s: %s\n", l->cmd->name, sw_json_str(o, "warning"));
		return 0;
	}
	if (l->json) {
		sw_cli_print_json_line(o);
		return 0;
	}
	l->format(o, l->color, &b);
	sw_cli_out_line(b.ptr, b.len);
	sw_buf_release(&b);
	return 0;
}

/* ---- spinner ---------------------------------------------------------------------- */

static pthread_mutex_t spin_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t spin_thread;
static int spin_running;     /* the thread exists */
static int spin_stop;
static int spin_shown;       /* something is drawn on stderr now */
static char *spin_msg;
static double spin_started, spin_quiet_since;

static void spin_clear_locked(void)
{
	if (spin_shown) {
		(void)!write(2, "\r\033[K", 4);
		spin_shown = 0;
	}
}

static void *spin_loop(void *arg)
{
	static const char *const frames[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };
	unsigned i = 0;

	(void)arg;
	for (;;) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&spin_mu);
		if (spin_stop) {
			spin_clear_locked();
			pthread_mutex_unlock(&spin_mu);
			return NULL;
		}
		if (spin_msg && sw_time_now() - spin_quiet_since >= 0.5) {
			struct sw_buf b = SW_BUF_INIT;
			sw_buf_addf(&b, "\r\033[K%s %s (%lds)", frames[i++ % 10], spin_msg,
				    (long)(sw_time_now() - spin_started));
			(void)!write(2, b.ptr, b.len);
			sw_buf_release(&b);
			spin_shown = 1;
		}
		pthread_mutex_unlock(&spin_mu);
	}
}

void sw_cli_spinner_start(const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;

	if (!isatty(2) || term_dumb())
		return;
	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&spin_mu);
	free(spin_msg);
	spin_msg = sw_buf_detach(&b, NULL);
	spin_started = spin_quiet_since = sw_time_now();
	if (!spin_running) {
		spin_stop = 0;
		if (pthread_create(&spin_thread, NULL, spin_loop, NULL) == 0)
			spin_running = 1;
	}
	pthread_mutex_unlock(&spin_mu);
}

void sw_cli_spinner_stop(void)
{
	int join;

	pthread_mutex_lock(&spin_mu);
	join = spin_running;
	spin_stop = 1;
	spin_running = 0;
	free(spin_msg);
	spin_msg = NULL;
	spin_clear_locked();
	pthread_mutex_unlock(&spin_mu);
	if (join)
		pthread_join(spin_thread, NULL);
}

void sw_cli_out_line(const char *line, size_t len)
{
	pthread_mutex_lock(&spin_mu);
	spin_clear_locked();
	spin_quiet_since = sw_time_now();
	fwrite(line, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&spin_mu);
}
