#ifndef SW_SSH_GATE_CLIENT_H
#define SW_SSH_GATE_CLIENT_H

#include <jansson.h>

/*
 * The side of slipway-keys and slipway-ssh: one request to slipwayd's SSH gate
 * (receiver/ssh_gate.h) on its unix socket, one JSON line back.
 */

/*
 * Send request (a JSON object) to the gate at socket_path, with fds (nfds of them, may
 * be 0) attached, and read its one-line answer into *answer (a new object). 0, or
 * negative with one line. timeout_ms bounds the wait for the answer (< 0: none).
 */
int sw_ssh_gate_ask(const char *socket_path, const json_t *request, const int *fds, int nfds, int timeout_ms,
		    json_t **answer);

/* 1 when s is safe as a word of a shell command line sshd runs (no quoting needed). */
int sw_ssh_gate_shell_safe(const char *s);

#endif
