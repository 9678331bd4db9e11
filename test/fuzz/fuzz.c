#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test/fuzz/fuzz.h"
#include "common/xalloc.h"
#include "common/banned.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1);   /* jansson's own seed comes from /dev/urandom: the same hashes every run */
	return 0;
}

unsigned fuzz_byte(struct fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static char *copy(const uint8_t *p, size_t n)
{
	char *s = xmalloc(n + 1);
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *fuzz_field(struct fuzz_input *in, size_t *len)
{
	const uint8_t *nul = in->n ? memchr(in->p, '\0', in->n) : NULL;
	size_t n = nul ? (size_t)(nul - in->p) : in->n;
	char *s = copy(in->p, n);

	in->p += n;
	in->n -= n;
	if (nul) {
		in->p++;
		in->n--;
	}
	if (len)
		*len = n;
	return s;
}

char *fuzz_rest(struct fuzz_input *in, size_t *len)
{
	char *s = copy(in->p, in->n);

	if (len)
		*len = in->n;
	in->p += in->n;
	in->n = 0;
	return s;
}

char *fuzz_bytes(struct fuzz_input *in, size_t *len)
{
	char *s = xmalloc(in->n ? in->n : 1);

	if (in->n)
		memcpy(s, in->p, in->n);
	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return s;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: wrong answer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
