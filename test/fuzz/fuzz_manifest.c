/*
 * The Procfile and Dockerfile manifest parsers (releaser/manifest.c), on a pushed tree's
 * files. Input: a selector byte, then
 *   0: the Dockerfile (to a NUL), the Procfile (the rest)
 *   1: the Procfile alone (the rest)
 *   2: the Dockerfile alone (the rest): a Dockerfile-only app, and its EXPOSE port
 *   3: a memory value (`slipway scale`, compose limits) and a process type name
 */
#include <stdlib.h>

#include "test/fuzz/fuzz.h"
#include "test/fuzz/manifest_check.h"
#include "releaser/manifest.h"
#include "common/banned.h"

static void procfile(struct fuzz_input *in, int with_dockerfile)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	char *dockerfile = with_dockerfile ? fuzz_field(in, NULL) : NULL, *text;
	size_t len;

	text = fuzz_bytes(in, &len);
	if (sw_manifest_parse_procfile(&m, "Procfile", text, len, dockerfile) == 0)
		fuzz_manifest_check(&m);
	sw_manifest_release(&m);
	free(text);
	free(dockerfile);
}

static void dockerfile(struct fuzz_input *in)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	char *text = fuzz_rest(in, NULL);
	int port = sw_manifest_dockerfile_port(text);

	if (port < 0 || port > 65535)
		fuzz_fail("EXPOSE port %d", port);
	if (sw_manifest_parse_dockerfile(&m, text) == 0)
		fuzz_manifest_check(&m);
	sw_manifest_release(&m);
	free(text);
}

static void values(struct fuzz_input *in)
{
	char *memory = fuzz_field(in, NULL), *name = fuzz_rest(in, NULL);
	long long mib = 0;

	if (sw_manifest_parse_memory(memory, &mib) == 0 && mib < 0)
		fuzz_fail("memory '%s' is %lld MiB", memory, mib);
	(void)sw_manifest_check_name(name);
	free(memory);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };

	switch (fuzz_byte(&in) % 4) {
	case 0: procfile(&in, 1); break;
	case 1: procfile(&in, 0); break;
	case 2: dockerfile(&in); break;
	default: values(&in); break;
	}
	return 0;
}
