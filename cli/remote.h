#ifndef SW_CLI_REMOTE_H
#define SW_CLI_REMOTE_H

#include "common/buf.h"

/*
 * Which app a command is about when no -a is given: the git remotes of the current
 * directory that point at this slipwayd (as `heroku` finds its app), e.g.
 *	deploy  http://127.0.0.1:5480/hello.git       → hello
 *	origin  git@github.com:me/hello.git           (another server: ignored)
 */

/* A URL taken apart; every field lowercased where case does not matter. */
struct sw_cli_url {
	char scheme[8];     /* "http" / "https" */
	char host[256];     /* without brackets for IPv6; "localhost" is taken as "127.0.0.1" */
	int port;           /* the default port of the scheme when none is written */
	char path[512];     /* "/" or "/prefix/hello.git", without query or fragment */
};

/*
 * Parse an http(s) URL (user info is skipped). 0, or SW_EINVAL for anything else
 * (ssh remotes, file paths, bad ports, oversized parts). Pure.
 */
int sw_cli_url_parse(const char *url, struct sw_cli_url *out);

/* Same scheme, host and port. Pure. */
int sw_cli_url_same_server(const struct sw_cli_url *a, const struct sw_cli_url *b);

/*
 * The app a remote URL names on server: remote must be on the same server, its path
 * the server's path prefix followed by "<app>.git" or "<app>" (a trailing "/" is
 * fine), app a valid name. 0 with app filled, SW_ENOTFOUND when the remote is not
 * one of server's apps. Pure.
 */
int sw_cli_remote_app(const char *server_url, const char *remote_url, struct sw_buf *app);

/* 1 when name is a valid app name (3-30 of a-z 0-9 -, starting with a letter). */
int sw_cli_app_name_valid(const char *name);

/* 1 when name may name an app given with -a: 3-63 (a review app's "APP-<slug>" too). */
int sw_cli_app_ref_valid(const char *name);

/*
 * The app of the current directory's git remotes on server_url: 0 with app set;
 * SW_ENOTFOUND ("no app given: ...") when none points there, or SW_EINVAL when
 * remotes name several different apps (listing them). Runs `git config`.
 */
int sw_cli_remote_find(const char *server_url, struct sw_buf *app);

#endif
