#ifndef SW_CLI_NETRC_H
#define SW_CLI_NETRC_H

#include "common/buf.h"

/*
 * ~/.netrc, where `slipway login` keeps the token so that git over HTTP (libcurl's
 * netrc support: the entry is chosen by host name, without the port) uses it too:
 *
 *	machine 127.0.0.1 login slipway password 3f9a...
 *
 * Tokens are separated by any whitespace; "machine NAME", "default", "login", "password",
 * "account" and "macdef NAME" (whose body runs to the next empty line) are understood.
 * The first entry for a host wins (as curl reads it), then "default".
 */

#define SW_NETRC_MAX (1024 * 1024)   /* a bigger file is not read */

/*
 * Look host up in the netrc text: 0 with login and password filled (either may stay
 * empty), SW_ENOTFOUND when no entry (nor default) matches. Pure.
 */
int sw_netrc_lookup(const char *text, const char *host, struct sw_buf *login, struct sw_buf *password);

/*
 * text with host's entry set to "machine HOST login LOGIN password PASSWORD" (every
 * entry for host replaced by that one line in the place of the first; appended when
 * there was none), the rest kept byte for byte, into out (reset first). SW_EINVAL when
 * a value cannot be written to a netrc (empty, or has whitespace or quotes), or when the
 * entry would not read back (the text ends inside a macdef, or with a keyword missing
 * its value). Pure.
 */
int sw_netrc_set(const char *text, const char *host, const char *login, const char *password, struct sw_buf *out);

/* $NETRC, else $HOME/.netrc, into out (reset first). SW_EINVAL when HOME is not set. */
int sw_netrc_path(struct sw_buf *out);

/* Read the file (bounded); a missing file is an empty text. */
int sw_netrc_read(const char *path, struct sw_buf *text);

/* Replace the file atomically (a temporary file in the same directory, renamed), mode 0600. */
int sw_netrc_write(const char *path, const char *text, size_t len);

#endif
