#ifndef SW_NETCHECK_H
#define SW_NETCHECK_H

#include <sys/socket.h>

#include "common/buf.h"

/*
 * Where a webhook may go: not to this machine or its networks. A URL's host is resolved
 * and every address it has is looked at; loopback (127/8, ::1), link-local (169.254/16,
 * where cloud metadata answers; fe80::/10), private (10/8, 172.16/12, 192.168/16),
 * shared (100.64/10), unique-local (fc00::/7), unspecified, multicast and reserved
 * addresses are refused, IPv4 inside IPv6 (::ffff:a.b.c.d, 64:ff9b::/96) as its IPv4 —
 * unless a network of allow (SLIPWAY_WEBHOOK_ALLOW_NETS: "127.0.0.0/8,fd00::/8", "*" for
 * all) holds it. Deliveries resolve again and connect to the address checked then (DNS
 * cannot change it in between), and the address curl connects to is checked once more.
 */

/* What kind of address sa is when it is one a webhook may not reach ("loopback", ...), else NULL. */
const char *sw_netcheck_class(const struct sockaddr *sa);

/* 1 when allow (may be NULL) has a network holding sa. Malformed entries hold nothing. */
int sw_netcheck_allowed(const char *allow, const struct sockaddr *sa);

/* 0 when allow is a list of CIDRs (or "*"), else SW_EINVAL with one line. */
int sw_netcheck_allow_valid(const char *allow);

/*
 * Resolve url's host (http:// or https://; no user@ in it) and check every address. 0 with
 * pin set to curl's CURLOPT_RESOLVE entry "host:port:address" for the first one (empty
 * for an address written in the URL); SW_EINVAL
 * when url is refused (the line names the address and its kind), SW_EUNAVAIL when the
 * host does not resolve.
 */
int sw_netcheck_url(const char *url, const char *allow, struct sw_buf *pin);

/* The check of a connection's address, as common/http.h's allow_addr takes it (ctx: allow). */
int sw_netcheck_connect_ok(void *allow, const struct sockaddr *sa);

#endif
