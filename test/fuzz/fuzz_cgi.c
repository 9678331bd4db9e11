/*
 * The head of a CGI response (receiver/cgi.c), as git http-backend writes it and slipwayd
 * reads it before relaying the body: the whole input, then the head cut one byte short
 * (which must ask for more) and exactly (which must give the same head). Input: the bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/fuzz.h"
#include "receiver/cgi.h"
#include "common/error.h"
#include "common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_cgi_head h = SW_CGI_HEAD_INIT, again = SW_CGI_HEAD_INIT;
	struct fuzz_input in = { data, size };
	size_t len, consumed = 0, consumed2 = 0, i;
	char *text = fuzz_bytes(&in, &len);
	int ret = sw_cgi_head_parse(&h, text, len, &consumed);

	if (ret == 1) {
		if (consumed == 0 || consumed > len || h.status < 100 || h.status > 999)
			fuzz_fail("head of %zu bytes, status %d", consumed, h.status);
		if (sw_cgi_head_parse(&again, text, consumed - 1, &consumed2) != 0)
			fuzz_fail("a head cut short does not ask for more");
		if (sw_cgi_head_parse(&again, text, consumed, &consumed2) != 1 || consumed2 != consumed ||
		    again.status != h.status || again.headers.nr != h.headers.nr)
			fuzz_fail("the head alone reads differently");
		for (i = 0; i < h.headers.nr; i++)
			if (strcmp(h.headers.v[i], again.headers.v[i]) || strpbrk(h.headers.v[i], "\r\n"))
				fuzz_fail("header '%s'", h.headers.v[i]);
	} else if (ret != 0 && ret != SW_EINVAL && ret != SW_ETOOBIG) {
		fuzz_fail("parse returned %d", ret);
	}
	sw_cgi_head_release(&h);
	sw_cgi_head_release(&again);
	free(text);
	return 0;
}
