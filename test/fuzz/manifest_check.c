#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test/fuzz/manifest_check.h"
#include "test/fuzz/fuzz.h"
#include "common/banned.h"

void fuzz_manifest_check(const struct sw_manifest *m)
{
	struct sw_manifest back = SW_MANIFEST_INIT;
	json_t *once, *twice;
	size_t i;

	if (!m->healthcheck_path || !m->nr || m->nr > SW_MANIFEST_MAX_PROCESSES)
		fuzz_fail("accepted manifest with %zu processes, healthcheck_path %p", m->nr,
			  (void *)m->healthcheck_path);
	for (i = 0; i < m->nr; i++)
		if (sw_manifest_check_name(m->procs[i].name) < 0)
			fuzz_fail("accepted process name '%s'", m->procs[i].name);
	once = sw_manifest_to_json(m);
	if (!once)
		fuzz_fail("manifest does not make JSON");
	if (sw_manifest_from_json(&back, once) < 0)
		fuzz_fail("manifest JSON does not read back");
	twice = sw_manifest_to_json(&back);
	if (!json_equal(once, twice)) {
		char *a = json_dumps(once, JSON_COMPACT), *b = json_dumps(twice, JSON_COMPACT);
		fuzz_fail("manifest JSON changes on the way back: %s -> %s", a, b);
	}
	json_decref(once);
	json_decref(twice);
	sw_manifest_release(&back);
}
