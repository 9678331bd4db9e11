#ifndef SW_FUZZ_H
#define SW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * What every harness shares: the libFuzzer entry point, and a cursor that cuts one input
 * into the parts a harness needs (a selector byte that picks the parser, then fields).
 * Strings handed out are heap copies of exactly their bytes plus the NUL, so AddressSanitizer
 * sees a read past their end; the caller frees them.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Before the first input: what would make two runs of the same inputs differ is fixed. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

/* The next byte (0 once the input is used up). */
unsigned fuzz_byte(struct fuzz_input *in);

/*
 * The next field: the bytes up to a NUL (which is skipped) or to the end, as a new
 * NUL-terminated string (never NULL; "" once the input is used up). *len (may be NULL)
 * gets its length.
 */
char *fuzz_field(struct fuzz_input *in, size_t *len);

/* The rest of the input as a new NUL-terminated string (it may hold NULs: see *len). */
char *fuzz_rest(struct fuzz_input *in, size_t *len);

/* The rest of the input as a new buffer of exactly *len bytes, no NUL after them
 * (for parsers that take a length: a read past it is caught). */
char *fuzz_bytes(struct fuzz_input *in, size_t *len);

/* The harness found a wrong answer (not a crash): print why and abort, so the input is saved. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
