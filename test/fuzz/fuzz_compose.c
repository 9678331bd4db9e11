/*
 * docker-compose.yml as the releaser reads it (releaser/compose.c over libyaml): anchors,
 * merge keys, every service key slipway maps and the ones it refuses. Input: a selector
 * byte; odd: the Dockerfile (to a NUL) comes first, for the web port's EXPOSE; the rest is
 * the compose file.
 */
#include <stdlib.h>

#include "test/fuzz/fuzz.h"
#include "test/fuzz/manifest_check.h"
#include "releaser/manifest.h"
#include "common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct sw_manifest m = SW_MANIFEST_INIT;
	char *dockerfile = (fuzz_byte(&in) & 1) ? fuzz_field(&in, NULL) : NULL, *text;
	size_t len;

	text = fuzz_bytes(&in, &len);
	if (sw_manifest_parse_compose(&m, "docker-compose.yml", text, len, dockerfile) == 0)
		fuzz_manifest_check(&m);
	sw_manifest_release(&m);
	free(text);
	free(dockerfile);
	return 0;
}
