/*
 * slipway-ssh: the forced command of every key slipway-keys lets in.
 *
 *   slipway-ssh SOCKET FINGERPRINT     (sshd sets SSH_ORIGINAL_COMMAND, maybe GIT_PROTOCOL)
 *
 * Hands what the client asked (git-receive-pack or git-upload-pack of 'APP.git') and this
 * session's stdin, stdout and stderr to slipwayd's SSH gate (receiver/ssh_gate.h), which
 * checks the key's user's role and runs git on them; exits as git did. A refusal is one
 * line on stderr, "slipway: forbidden: deploy role needed on hello (carol has read)",
 * and exit status 1: a shell, any other command, an interactive login all end so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/ssh/gate_client.h"
#include "common/error.h"
#include "common/banned.h"

int main(int argc, char **argv)
{
	const char *command = getenv("SSH_ORIGINAL_COMMAND");
	const char *protocol = getenv("GIT_PROTOCOL");
	const int fds[3] = { 0, 1, 2 };
	json_t *req = NULL, *ans = NULL;
	const char *error;
	int ret = 1;

	if (argc != 3) {
		fprintf(stderr, "slipway: this key only pushes and fetches with git\n");
		return 1;
	}
	req = json_pack("{s:s,s:s,s:s}", "op", "git", "key", argv[2], "command", command ? command : "");
	if (req && protocol)
		json_object_set_new(req, "protocol", json_string(protocol));
	/* the answer comes when git is done: no deadline here (slipwayd has one) */
	if (!req || sw_ssh_gate_ask(argv[1], req, fds, 3, -1, &ans) < 0) {
		fprintf(stderr, "slipway: %s\n", sw_error_last());
		goto cleanup;
	}
	error = json_string_value(json_object_get(ans, "error"));
	if (error)
		fprintf(stderr, "slipway: %s\n", error);
	else if (json_is_integer(json_object_get(ans, "exit")))
		ret = (int)json_integer_value(json_object_get(ans, "exit"));
cleanup:
	json_decref(req);
	json_decref(ans);
	return ret;
}
