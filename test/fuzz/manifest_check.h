#ifndef SW_FUZZ_MANIFEST_CHECK_H
#define SW_FUZZ_MANIFEST_CHECK_H

#include "releaser/manifest.h"

/*
 * What holds for every manifest a parser accepted (Procfile, Dockerfile, compose):
 * the invariants manifest.h promises, and the JSON stored with each release reads back
 * to the same manifest. A breach aborts (fuzz_fail).
 */
void fuzz_manifest_check(const struct sw_manifest *m);

#endif
