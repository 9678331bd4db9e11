#ifndef SW_DOCKERFILE_H
#define SW_DOCKERFILE_H

#include <stddef.h>

/*
 * What a Dockerfile may not do on slipway's builder. Docker's classic builder fetches an
 * ADD <url> itself, from the Docker engine on this machine: the URL could name a service
 * that listens on the server's loopback only (the engine's API, the registry, another
 * app's port), and its answer would end up in the image. So a build whose Dockerfile ADDs
 * from a URL is refused before it starts (a RUN step that downloads runs in the build
 * container, on Docker's bridge, where the host's loopback is not reachable).
 *
 * The Dockerfile is read the way Docker reads it: the escape parser directive, line
 * continuations (with comment and empty lines inside them), instructions in any case,
 * ONBUILD ADD, the JSON form, flags (--chown, --checksum, ...). Conservatively: every
 * line counts, heredoc bodies too (the classic builder has no heredocs: it reads them as
 * instructions); a source with a variable is expanded with the ARG and ENV values the
 * Dockerfile sets (an ARG without a default is empty: slipway passes no build arguments),
 * and refused when a variable it names is not set there (a base image's ENV could make it
 * a URL).
 */

/* 0 when text[0..len) ADDs from no URL, else SW_EINVAL with "Dockerfile line N: ..." in one line. */
int sw_dockerfile_check(const char *text, size_t len);

#endif
