#ifndef SW_CLI_OUTPUT_H
#define SW_CLI_OUTPUT_H

#include <stdio.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * How every slipway command talks to people (shared by all cli/cmd_*.c; use it so the
 * CLI looks like one program):
 *  - tables with aligned columns (sw_cli_table), relative times ("5m ago"),
 *    durations ("3m05s", common/time.h's sw_time_format_brief());
 *  - colour only when the stream is a terminal and NO_COLOR is unset (TERM != dumb);
 *  - `--json` prints the API's JSON as it came (sw_cli_print_json);
 *  - a spinner on stderr (terminal only) while a command waits, cleared before any
 *    output line (sw_cli_spinner_*, sw_cli_out_line).
 * Pure parts (table layout, times) have no I/O and are unit-tested.
 */

/* ---- colour ---- */
enum sw_cli_style {
	SW_CLI_PLAIN = 0,
	SW_CLI_GREEN,     /* succeeded, live, delivered */
	SW_CLI_RED,       /* failed, rolled back, cancelled */
	SW_CLI_YELLOW,    /* queued, running, deploying, pending */
	SW_CLI_BOLD,
	SW_CLI_DIM,
	SW_CLI_CYAN,
};

/* 1 when output to fd should be coloured (a terminal, NO_COLOR unset, TERM not "dumb"). */
int sw_cli_color_on(int fd);

/* Append text to out, wrapped in style's escape codes when color is set. */
void sw_cli_paint(struct sw_buf *out, int color, enum sw_cli_style style, const char *text);

/* The style for a status word: "succeeded" green, "failed" red, "running" yellow, ... */
enum sw_cli_style sw_cli_status_style(const char *status);

/* ---- tables ---- */
struct sw_cli_table {
	size_t ncols;
	char **cells;              /* rows × ncols, row 0 the headers */
	enum sw_cli_style *styles;
	size_t nrows, alloc;
};

/* Columns from a NULL-terminated list of header names. */
void sw_cli_table_init(struct sw_cli_table *t, const char *header, ...);
void sw_cli_table_release(struct sw_cli_table *t);

/* Add a row of ncols cells (NULL cells print as ""). Cells are copied. */
void sw_cli_table_add(struct sw_cli_table *t, const char *first, ...);
/* Style of one cell of the last row added (col from 0). */
void sw_cli_table_style(struct sw_cli_table *t, size_t col, enum sw_cli_style style);

/*
 * Render: headers (bold when color), columns padded to their widest cell (display
 * width: UTF-8 code points), two spaces between, no trailing spaces, control
 * characters in cells shown as '?'. The last column is not padded.
 */
void sw_cli_table_render(const struct sw_cli_table *t, int color, struct sw_buf *out);
/* Render to stdout (coloured when stdout is a terminal). "(none)" for an empty table
 * when empty_note is NULL, else empty_note. */
void sw_cli_table_print(const struct sw_cli_table *t, const char *empty_note);

/* Display width of s (UTF-8 code points, control characters count 1). */
size_t sw_cli_width(const char *s);

/* ---- times (ISO times, durations and the clock: common/time.h) ---- */
/* "just now", "12s ago", "5m ago", "3h ago", "2d ago", "in 5m"; then > 30 days: the date. */
void sw_cli_reltime(double then, double now, struct sw_buf *out);
/* Relative time of an ISO string from the API ("" for null / unparsable). */
void sw_cli_reltime_iso(const char *iso, struct sw_buf *out);

/* ---- JSON ---- */
/* Print o indented to stdout with a newline. 0, or 1 when stdout failed. */
int sw_cli_print_json(const json_t *o);
/* Print o compact, one line (ndjson). */
int sw_cli_print_json_line(const json_t *o);
/*
 * Printing a followed stream (events, logs) with sw_cli_api_ndjson(): ctx is a
 * struct sw_cli_lines. Per object: nothing for a keepalive ({}); {"warning": ...} on
 * stderr as "slipway <command>: <warning>"; with json the object as one line, else
 * the line format() writes into out. Returns 0 (go on).
 */
struct sw_cli_command;
struct sw_cli_lines {
	const struct sw_cli_command *cmd;
	int json;
	int color;
	void (*format)(const json_t *o, int color, struct sw_buf *out);
};
int sw_cli_print_line(void *ctx, const json_t *o);

/* ---- waiting ---- */
/*
 * A spinner on stderr ("⠋ waiting for build 12 (14s)"), only when stderr is a terminal:
 * drawn after 0.5 s without output, redrawn 10 times a second, cleared by
 * sw_cli_out_line() / sw_cli_spinner_stop(). One at a time; start replaces the message.
 */
void sw_cli_spinner_start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sw_cli_spinner_stop(void);

/* Write one line (adds "\n") to stdout, clearing the spinner first. Thread-safe. */
void sw_cli_out_line(const char *line, size_t len);

#endif
