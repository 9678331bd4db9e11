#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "receiver/cgi.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

static int token_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

void sw_cgi_head_release(struct sw_cgi_head *h)
{
	sw_strvec_clear(&h->headers);
	h->status = 200;
}

static int parse_status(const char *v, size_t n, int *status)
{
	int s = 0;
	size_t i;

	for (i = 0; i < n && i < 3; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		s = s * 10 + (v[i] - '0');
	}
	if (i != 3 || (n > 3 && v[3] != ' ') || s < 100 || s > 599)
		return -1;
	*status = s;
	return 0;
}

int sw_cgi_head_parse(struct sw_cgi_head *h, const char *data, size_t len, size_t *consumed)
{
	struct sw_buf line = SW_BUF_INIT;
	size_t pos = 0;
	int have_status = 0, have_location = 0;
	int ret = 0;

	sw_cgi_head_release(h);
	*consumed = 0;
	for (;;) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n, name_len;
		const char *p, *v;

		if (!nl) {
			if (len >= SW_CGI_MAX_HEAD)
				ret = sw_error_code(SW_ETOOBIG, "CGI response head over %d bytes", SW_CGI_MAX_HEAD);
			break;
		}
		p = data + pos;
		n = (size_t)(nl - p);
		pos += n + 1;
		if (pos > SW_CGI_MAX_HEAD) {
			ret = sw_error_code(SW_ETOOBIG, "CGI response head over %d bytes", SW_CGI_MAX_HEAD);
			break;
		}
		if (n && p[n - 1] == '\r')
			n--;
		if (!n) {
			if (!have_status && have_location)
				h->status = 302;
			*consumed = pos;
			ret = 1;
			break;
		}
		for (name_len = 0; name_len < n && token_char((unsigned char)p[name_len]); name_len++)
			;
		if (!name_len || name_len >= n || p[name_len] != ':') {
			ret = sw_error_code(SW_EINVAL, "malformed CGI header line");
			break;
		}
		for (v = p + name_len + 1; v < p + n && (*v == ' ' || *v == '\t'); v++)
			;
		/* a CR inside a value would end the line early when the header is relayed */
		if (memchr(v, '\0', (size_t)(p + n - v)) || memchr(v, '\r', (size_t)(p + n - v)) ||
		    memchr(p, '\0', name_len)) {
			ret = sw_error_code(SW_EINVAL, "malformed CGI header line");
			break;
		}
		if (name_len == 6 && !strncasecmp(p, "Status", 6)) {
			if (parse_status(v, (size_t)(p + n - v), &h->status) < 0) {
				ret = sw_error_code(SW_EINVAL, "bad CGI Status header");
				break;
			}
			have_status = 1;
			continue;
		}
		if (name_len == 8 && !strncasecmp(p, "Location", 8))
			have_location = 1;
		if (h->headers.nr >= SW_CGI_MAX_HEADERS) {
			ret = sw_error_code(SW_ETOOBIG, "more than %d CGI headers", SW_CGI_MAX_HEADERS);
			break;
		}
		sw_buf_reset(&line);
		sw_buf_add(&line, p, name_len);
		sw_buf_adds(&line, ": ");
		sw_buf_add(&line, v, (size_t)(p + n - v));
		sw_buf_rtrim(&line);
		sw_strvec_push(&h->headers, line.ptr);
	}
	sw_buf_release(&line);
	if (ret <= 0)
		sw_cgi_head_release(h);
	return ret;
}
