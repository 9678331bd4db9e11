/*
 * The files credentials are read from: ~/.netrc (cli/netrc.c: looked up, and rewritten by
 * `slipway login`, after which the entry must read back), the AWS shared config and
 * credentials files (common/aws/profile.c), and a credential_process setting and its
 * program's output (common/aws/process.c). Input: a selector byte (0 netrc, 1 ini,
 * 2 credential_process), then
 *   0: the host (to a NUL), the netrc text;
 *   1: the file's text;
 *   2: the command line (to a NUL), the program's output.
 */
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/fuzz.h"
#include "cli/netrc.h"
#include "common/aws/creds.h"
#include "common/aws/process.h"
#include "common/aws/profile.h"
#include "common/buf.h"
#include "common/strvec.h"
#include "common/banned.h"

static void netrc(struct fuzz_input *in)
{
	struct sw_buf login = SW_BUF_INIT, password = SW_BUF_INIT, out = SW_BUF_INIT;
	char *host = fuzz_field(in, NULL), *text = fuzz_rest(in, NULL);

	(void)sw_netrc_lookup(text, host, &login, &password);
	if (sw_netrc_set(text, host, "slipway", "3f9a0c", &out) == 0) {
		sw_buf_reset(&login);
		sw_buf_reset(&password);
		if (sw_netrc_lookup(out.ptr, host, &login, &password) != 0 || strcmp(login.ptr, "slipway") ||
		    strcmp(password.ptr, "3f9a0c"))
			fuzz_fail("after login, host '%s' reads login '%s' password '%s' from:\n%s", host, login.ptr,
				  password.ptr, out.ptr);
	}
	sw_buf_release(&login);
	sw_buf_release(&password);
	sw_buf_release(&out);
	free(host);
	free(text);
}

static void ini(struct fuzz_input *in)
{
	struct sw_aws_ini ini = SW_AWS_INI_INIT;
	size_t len, i;
	char *text = fuzz_bytes(in, &len);

	if (sw_aws_ini_parse(&ini, text, len, "~/.aws/config") == 0) {
		for (i = 0; i < ini.nr; i++)
			if (!ini.v[i].section || !ini.v[i].key || !ini.v[i].value ||
			    sw_aws_ini_get(&ini, ini.v[i].section, ini.v[i].key) == NULL)
				fuzz_fail("entry %zu does not read back", i);
		(void)sw_aws_ini_get(&ini, "default", "region");
		(void)sw_aws_ini_get(&ini, "services local", "ecs.endpoint_url");
		(void)sw_aws_ini_has_section(&ini, "profile dev");
	}
	sw_aws_ini_release(&ini);
	free(text);
}

static void process(struct fuzz_input *in)
{
	struct sw_strvec argv = SW_STRVEC_INIT;
	struct sw_aws_creds c;
	char *command = fuzz_field(in, NULL), *output;
	size_t len;

	if (sw_aws_process_split(command, &argv) == 0 && !argv.nr)
		fuzz_fail("'%s' split into no words", command);
	sw_strvec_clear(&argv);
	output = fuzz_bytes(in, &len);
	sw_aws_creds_init(&c);
	if (sw_aws_process_parse(output, len, &c) == 0 && (!c.access_key_id || !c.secret_access_key))
		fuzz_fail("credentials without a key");
	sw_aws_creds_release(&c);
	free(command);
	free(output);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };

	switch (fuzz_byte(&in) % 3) {
	case 0: netrc(&in); break;
	case 1: ini(&in); break;
	default: process(&in); break;
	}
	return 0;
}
