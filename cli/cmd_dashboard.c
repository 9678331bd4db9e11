/*
 * dashboard: a one-time sign-in link for the web dashboard (receiver/dashboard.h):
 * POST /dashboard/tickets with this CLI's token, print the link, and open it in a
 * browser where there is a display to open one on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/proc.h"
#include "common/banned.h"

#define OPENER_WAIT_MS 3000

/* Open url with the first opener there is (xdg-open, sensible-browser): 0 when one started. */
static int open_browser(const char *url)
{
	static const char *const openers[] = { "xdg-open", "sensible-browser", NULL };
	int i, waited, code = 0;

	for (i = 0; openers[i]; i++) {
		struct sw_proc p = SW_PROC_INIT;
		sw_strvec_pushl(&p.args, openers[i], url, NULL);
		p.out = SW_PROC_NULL;
		p.err = SW_PROC_NULL;
		p.new_pgroup = 1;
		if (sw_proc_start(&p) < 0) {
			sw_proc_release(&p);
			continue;
		}
		/* an opener that hands the link over exits at once; one that runs the browser
		 * itself is left to it */
		for (waited = 0; waited < OPENER_WAIT_MS; waited += 100) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			if (sw_proc_poll(&p, &code) != 0)
				break;
			nanosleep(&ts, NULL);
		}
		sw_proc_release(&p);
		if (waited >= OPENER_WAIT_MS || code == 0)
			return 0;
	}
	return -1;
}

int sw_cli_cmd_dashboard(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf url = SW_BUF_INIT;
	json_t *out = NULL;
	int json = 0, no_open = 0, ret;
	const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), { "--no-open", 0, NULL, &no_open, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if ((ret = sw_cli_setup(cmd, &c, NULL, NULL)) ||
	    (ret = sw_cli_call(cmd, &c, "POST", "/dashboard/tickets", NULL, &out)))
		goto cleanup;
	sw_buf_addf(&url, "%s%s", c.url, sw_json_str_or(out, "path", "/"));
	if (json) {
		json_object_set_new(out, "url", json_string(url.ptr));
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	printf("%s\n", url.ptr);
	fprintf(stderr, "Open it within %llds: it signs this browser in once, as your token's user.\n",
		(long long)sw_json_int(out, "expires_in", 60));
	if (!no_open && ((display && *display) || (wayland && *wayland)) && open_browser(url.ptr) < 0)
		fprintf(stderr, "(no xdg-open or sensible-browser to open it with)\n");
cleanup:
	json_decref(out);
	sw_buf_release(&url);
	sw_cli_client_release(&c);
	return ret;
}
