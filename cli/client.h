#ifndef SW_CLI_CLIENT_H
#define SW_CLI_CLIENT_H

#include <jansson.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/http.h"

/*
 * The CLI's one way to talk to slipwayd (every cli/cmd_*.c uses it: URL, token and
 * error messages live here and nowhere else).
 *
 *	struct sw_cli_client cl = SW_CLI_CLIENT_INIT;
 *	json_t *out = NULL;
 *	if ((ret = sw_cli_setup(cmd, &cl, NULL, NULL)) ||            // with -a: flag, &app
 *	    (ret = sw_cli_call(cmd, &cl, "GET", "/apps", NULL, &out)))  // one line, exit 1
 *		goto cleanup;
 *	...
 *	json_decref(out);
 *	sw_cli_client_release(&cl);
 *
 * (sw_cli_app_get() is setup + GET /apps/<app>..., sw_cli_app_call() the same with any
 * method; sw_cli_app_show() a whole "[-a APP] [--json]" command around one such GET,
 * sw_cli_app_delete() a whole "NAME [-a APP]" command around one DELETE.)
 *
 * cmd_release.c (the releaser's commands) uses SW_CLI_CLIENT_INIT, sw_cli_client_init(),
 * sw_cli_get() and sw_cli_post_stream(): those stay as they are.
 *
 * Where the server is: $SLIPWAY_URL, else the URL `slipway login` saved
 * ($XDG_CONFIG_HOME/slipway/url, default ~/.config/slipway/url), else
 * http://127.0.0.1:$SLIPWAY_PORT (5480).
 * Which token: $SLIPWAY_TOKEN, else ~/.netrc's entry for the server's host (what
 * `slipway login` writes, and what git uses too), else $SLIPWAY_HOME/admin.token
 * (default ~/.slipway).
 * Errors, one line each (in the error slot; the command prints them):
 *   "cannot reach slipwayd at http://127.0.0.1:5480: connection refused"   SW_EUNAVAIL
 *   "401: bad token (from SLIPWAY_TOKEN)"                                   SW_EAUTH
 *   the server's own {"error": "..."} ("no such app: foo")                  SW_ENOTFOUND for 404,
 *                                                                           SW_EINVAL for 400,
 *                                                                           SW_EEXISTS for 409
 */

struct sw_cli_client {
	char *url;              /* no trailing "/" */
	char *token;            /* NULL when none was found (the first call says so) */
	const char *token_from; /* "SLIPWAY_TOKEN", "~/.netrc", "$SLIPWAY_HOME/admin.token" */
	const struct sw_cancel *cancel; /* non-NULL: calls stop when it is raised (Ctrl-C) */
};

#define SW_CLI_CLIENT_INIT { NULL, NULL, NULL, NULL }

/* Resolve URL and token. 0, or negative with one line (a malformed SLIPWAY_URL or SLIPWAY_PORT). */
int sw_cli_client_init(struct sw_cli_client *c);
/* Free what init made (fine on an SW_CLI_CLIENT_INIT one). */
void sw_cli_client_release(struct sw_cli_client *c);

/*
 * Where `slipway login` keeps the server's URL (in "url"): $XDG_CONFIG_HOME/slipway, else
 * ~/.config/slipway. Into out; empty when neither variable is set.
 */
void sw_cli_config_dir(struct sw_buf *out);

/* The URL only (for login, and app lookup before a token is needed). Into out. */
int sw_cli_server_url(struct sw_buf *out);

/*
 * One JSON call: method, path under /api/v1 ("/apps/hello/builds"; the caller
 * url-encodes what needs it), body (borrowed, may be NULL). 0 with *out (a new
 * reference, may be NULL for an empty body) when the status was 2xx; negative with
 * the message otherwise. *out may be NULL when the caller does not want it.
 */
int sw_cli_api(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body, json_t **out);

/* sw_cli_api(c, "GET", path, NULL, out). */
int sw_cli_get(const struct sw_cli_client *c, const char *path, json_t **out);

/*
 * A streamed call (logs, event tails, command output): the response body goes to
 * write as it comes (after a 2xx status; an error status is turned into the message
 * as above, and write is not called). No overall timeout.
 */
int sw_cli_api_stream(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body,
		      sw_http_write_fn write, void *ctx);

/*
 * An application/x-ndjson answer, one decoded object at a time (empty {} keepalives
 * included): on_line returns 0 to go on, < 0 to stop reading (the call then returns 0).
 * Lines are bounded (1 MiB); one that is not JSON is an error.
 */
typedef int (*sw_cli_line_fn)(void *ctx, const json_t *line);
int sw_cli_api_ndjson(const struct sw_cli_client *c, const char *method, const char *path, const json_t *body,
		      sw_cli_line_fn on_line, void *ctx);

/* sw_cli_api_ndjson(c, "POST", path, body, ...): body is borrowed. */
int sw_cli_post_stream(const struct sw_cli_client *c, const char *path, const json_t *body, sw_cli_line_fn on_line,
		       void *ctx);

/*
 * The app: -a's value when given (checked), else the git remote of this directory
 * pointing at the server (cli/remote.h). 0 with app filled, or negative with one line
 * saying how to pass it.
 */
int sw_cli_client_app(const struct sw_cli_client *c, const char *flag, struct sw_buf *app);


/*
 * The usual start of an app command: sw_cli_client_init() and sw_cli_client_app().
 * 0, or the exit status to return after printing one line: 1 when the client cannot
 * be set up, 2 (with the usage) when no app was given or it is not a valid name.
 * app NULL: the client only (a command that names no app; flag is not looked at).
 */
int sw_cli_setup(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app);

/*
 * sw_cli_api() for a command: 0 with *out as sw_cli_api() sets it, or 1 (the exit
 * status) after printing the error as one line (sw_cli_fail).
 */
int sw_cli_call(const struct sw_cli_command *cmd, const struct sw_cli_client *c, const char *method, const char *path,
		const json_t *body, json_t **out);

/*
 * The usual start of a command that shows something of an app: sw_cli_setup(), then
 * sw_cli_call() GET /apps/<app> followed by what fmt makes ("/releases/%d", "" for the
 * app itself). 0 with app and *out set (*out is the caller's), or the exit status after
 * one line, as sw_cli_setup() and sw_cli_call() give it.
 */
int sw_cli_app_get(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app,
		   json_t **out, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * sw_cli_app_get() with any method and a body (borrowed, may be NULL): sw_cli_setup(),
 * then sw_cli_call() of method on /apps/<app> followed by what fmt makes. 0 with app and
 * *out set (*out is the caller's; out may be NULL), or the exit status after one line.
 */
int sw_cli_app_call(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag, struct sw_buf *app,
		    const char *method, const json_t *body, json_t **out, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/*
 * The end of a command that shows an app's settings or changes them (domains:add too): with body (a new
 * reference, freed here) POST it to /apps/<app><set>, else GET /apps/<app><get>; with
 * json the answer is printed as it came (without its member hide, when not NULL), else
 * show(app, answer, body != NULL) prints it. Returns the exit status.
 */
struct sw_cli_settings {
	const char *get, *set;
	const char *hide;
	void (*show)(const char *app, const json_t *out, int changed);
};
int sw_cli_app_settings(const struct sw_cli_command *cmd, const char *flag, int json, json_t *body,
			const struct sw_cli_settings *s);

/*
 * The end of a command that removes something that belongs to no app: sw_cli_setup()
 * (no app), then sw_cli_call() DELETE path. 0, or the exit status after one line.
 */
int sw_cli_delete(const struct sw_cli_command *cmd, const char *path);

/*
 * A whole "NAME [-a APP]" command that removes one thing of an app: check(NAME) refuses
 * a bad one (NULL: none; 0, or negative with the one line for the usage error), then
 * DELETE /apps/<app><what>/<NAME percent-encoded> (what: "/domains"), and removed(NAME, app)
 * prints what was done. Returns the exit status.
 */
int sw_cli_app_delete(const struct sw_cli_command *cmd, int argc, char **argv, const char *what,
		      int (*check)(const char *name), void (*removed)(const char *name, const char *app));

/*
 * A whole command that shows one GET of an app (usage "[-a APP] [--json]", no
 * arguments): GET /apps/<app><what> ("/releases"); with --json the answer is printed as
 * it came, else show(app, answer) prints it. Returns the exit status.
 */
int sw_cli_app_show(const struct sw_cli_command *cmd, int argc, char **argv, const char *what,
		    void (*show)(const char *app, const json_t *out));

/* The same for what belongs to no app (usage "[--json]"): GET path; show gets app NULL. */
int sw_cli_show(const struct sw_cli_command *cmd, int argc, char **argv, const char *path,
		void (*show)(const char *app, const json_t *out));

/*
 * A whole "NAME [--json]" command that makes something by POSTing {"name": NAME} to
 * path: check(NAME) refuses a bad one (0, or negative with the one line for the usage
 * error); with --json the answer is printed as it came, else created(NAME, answer)
 * prints it. Returns the exit status.
 */
int sw_cli_create(const struct sw_cli_command *cmd, int argc, char **argv, const char *path,
		  int (*check)(const char *name), void (*created)(const char *name, const json_t *out));

/* Path-safe: append s percent-encoded (for query values). */
void sw_cli_urlencode(struct sw_buf *out, const char *s);

#endif
