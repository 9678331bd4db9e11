/*
 * slipway-keys: sshd's AuthorizedKeysCommand for slipway's own sshd (scripts/sshd).
 *
 *   AuthorizedKeysCommand /path/slipway-keys SOCKET %u %t %k
 *   AuthorizedKeysCommandUser git
 *
 * For the user "git" only: asks slipwayd's SSH gate (SOCKET, receiver/ssh_gate.h) whose
 * key this is, and when it is someone's prints the one authorized_keys line that lets it
 * in, restricted (no pty, no forwarding of any kind, no ~/.ssh/rc) and forced to run
 * slipway-ssh (next to this program) for that key:
 *   restrict,command="/path/slipway-ssh SOCKET SHA256:..." ssh-ed25519 AAAA...
 * Anything else (another login name, an unknown key, slipwayd not answering) prints
 * nothing: sshd then refuses the key. Exit status 0 unless the arguments are wrong.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "receiver/ssh/gate_client.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

#define ANSWER_TIMEOUT_MS 10000

int main(int argc, char **argv)
{
	struct sw_buf self = SW_BUF_INIT;
	char exe[PATH_MAX];
	json_t *req = NULL, *ans = NULL;
	const char *user, *fp, *slash;
	ssize_t n;
	int ret = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: slipway-keys SOCKET LOGIN KEY-TYPE KEY (sshd's AuthorizedKeysCommand)\n");
		return 2;
	}
	if (strcmp(argv[2], "git"))   /* only git@ logs in */
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	sw_buf_add(&self, exe, (size_t)(slash - exe));
	sw_buf_adds(&self, "/slipway-ssh");
	/* the forced command goes through the login shell: words that need no quoting only */
	if (!sw_ssh_gate_shell_safe(self.ptr) || !sw_ssh_gate_shell_safe(argv[1]) || !sw_ssh_gate_shell_safe(argv[3]) ||
	    !sw_ssh_gate_shell_safe(argv[4])) {
		fprintf(stderr, "slipway-keys: a path or key with characters a shell would read\n");
		goto cleanup;
	}
	req = json_pack("{s:s,s:s,s:s}", "op", "keys", "type", argv[3], "key", argv[4]);
	if (!req || sw_ssh_gate_ask(argv[1], req, NULL, 0, ANSWER_TIMEOUT_MS, &ans) < 0) {
		fprintf(stderr, "slipway-keys: %s\n", sw_error_last());
		goto cleanup;
	}
	user = json_string_value(json_object_get(ans, "user"));
	fp = json_string_value(json_object_get(ans, "fingerprint"));
	if (user && fp && sw_ssh_gate_shell_safe(fp))
		printf("restrict,command=\"%s %s %s\" %s %s\n", self.ptr, argv[1], fp, argv[3], argv[4]);
cleanup:
	json_decref(req);
	json_decref(ans);
	sw_buf_release(&self);
	return ret;
}
