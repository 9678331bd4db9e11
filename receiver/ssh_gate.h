#ifndef SW_SSH_GATE_H
#define SW_SSH_GATE_H

#include "receiver/app.h"
#include "receiver/server.h"

/*
 * git over SSH, slipwayd's side. OpenSSH's sshd (scripts/sshd starts one of slipway's
 * own) authenticates a key by asking slipway-keys (receiver/ssh/keys.c), which asks this
 * gate whose key it is; the key's forced command is slipway-ssh (receiver/ssh/command.c),
 * which hands the session's stdin, stdout and stderr to this gate. The gate checks the
 * key's user's role and runs git-receive-pack or git-upload-pack on the app's repository
 * with those as its stdio and the environment of an HTTPS push (the same pre-receive
 * hook, so the same streamed progress and verdict), then says how git exited.
 *
 * The gate is a unix socket (SLIPWAY_SSH_SOCKET), one request per connection, a JSON
 * line each way; only root and the SSH user (SW_SSH_GATE_USER, whom sshd runs both
 * programs as) may connect (SO_PEERCRED):
 *   {"op": "keys", "type": "ssh-ed25519", "key": "AAAA..."}
 *       → {"user": "alice", "fingerprint": "SHA256:..."} or {"user": null}
 *   {"op": "git", "key": "SHA256:...", "command": "git-receive-pack 'hello.git'",
 *    "protocol": "version=2"}  with stdin, stdout, stderr attached (SCM_RIGHTS)
 *       → {"error": "one line"} (nothing ran), or {"exit": N} once git is done
 */

#define SW_SSH_GATE_USER "git"
#define SW_SSH_GATE_MAX_LINE 8192

/*
 * SSH_ORIGINAL_COMMAND: git-receive-pack or git-upload-pack of '/APP.git' or 'APP.git'
 * (git's own quoting), nothing else. 0 with app and *receive, or SW_EINVAL with one line.
 */
int sw_ssh_gate_parse_command(const char *command, char app[SW_APP_REF_MAX + 1], int *receive);

/* Listen on s->cfg->ssh_socket (nothing when it is not set) and serve it in a thread. */
int sw_ssh_gate_start(struct sw_server *s);
void sw_ssh_gate_stop(void);

#endif
