#ifndef SW_CGI_H
#define SW_CGI_H

#include <stddef.h>

#include "common/strvec.h"

/*
 * The head of a CGI response (RFC 3875 §6): header lines, then an empty line.
 * "Status: 404 Not Found" sets the status (default 200, or 302 with a Location);
 * every other header is kept as "Name: value". Lines end in "\n" or "\r\n".
 */

#define SW_CGI_MAX_HEAD (64 * 1024)
#define SW_CGI_MAX_HEADERS 64

struct sw_cgi_head {
	int status;
	struct sw_strvec headers;   /* "Name: value", in order, Status excluded */
};

#define SW_CGI_HEAD_INIT { 200, SW_STRVEC_INIT }

/*
 * Parse the head at the start of data[0..len). 1 when complete (*consumed = bytes of
 * the head including the empty line; the body follows), 0 when more bytes are needed,
 * or SW_EINVAL (malformed) / SW_ETOOBIG (head over SW_CGI_MAX_HEAD or too many
 * headers) with a one-line message. h is reset first; release with sw_cgi_head_release().
 */
int sw_cgi_head_parse(struct sw_cgi_head *h, const char *data, size_t len, size_t *consumed);
void sw_cgi_head_release(struct sw_cgi_head *h);

#endif
