#ifndef SW_ENGINE_LOGS_FILTER_PATTERN_H
#define SW_ENGINE_LOGS_FILTER_PATTERN_H

#include "common/buf.h"
#include "common/strvec.h"

/*
 * FilterLogEvents' filter pattern as plain terms: every term must appear in the
 * message (quoted phrases are one term); "?term" terms are alternatives (one of them
 * must appear); "-term" must not appear. Case-sensitive, as CloudWatch's. Empty:
 * everything. JSON and space-delimited patterns are refused. Caller-owned:
 * SW_LOGS_PATTERN_INIT, sw_logs_pattern_release().
 */
struct sw_logs_pattern {
	struct sw_strvec all, any, none;
};

#define SW_LOGS_PATTERN_INIT { SW_STRVEC_INIT, SW_STRVEC_INIT, SW_STRVEC_INIT }

/* Parse s into p. 0, or -1 with why (the caller's) saying what is wrong. */
int sw_logs_pattern_parse(struct sw_logs_pattern *p, const char *s, struct sw_buf *why);

/* 1 when msg matches p. */
int sw_logs_pattern_match(const struct sw_logs_pattern *p, const char *msg);

void sw_logs_pattern_release(struct sw_logs_pattern *p);

#endif
