#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/netcheck.h"
#include "common/error.h"
#include "common/banned.h"

#define MAX_HOST 255

struct net4 { uint32_t addr; int bits; const char *kind; };

static const struct net4 refused4[] = {
	{ 0x00000000, 8, "unspecified" },   /* 0.0.0.0/8: "this network", reaches this machine */
	{ 0x7f000000, 8, "loopback" },
	{ 0x0a000000, 8, "private" },
	{ 0xac100000, 12, "private" },
	{ 0xc0a80000, 16, "private" },
	{ 0xa9fe0000, 16, "link-local" },   /* 169.254.169.254: cloud metadata */
	{ 0x64400000, 10, "shared (carrier-grade NAT)" },
	{ 0xc0000000, 24, "reserved" },     /* IETF protocol assignments */
	{ 0xc6120000, 15, "reserved" },     /* benchmarking */
	{ 0xe0000000, 4, "multicast" },
	{ 0xf0000000, 4, "reserved" },      /* and the broadcast address */
};

static int in4(uint32_t a, uint32_t net, int bits)
{
	uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;
	return (a & mask) == (net & mask);
}

static const char *class4(uint32_t a)
{
	size_t i;
	for (i = 0; i < sizeof(refused4) / sizeof(refused4[0]); i++)
		if (in4(a, refused4[i].addr, refused4[i].bits))
			return refused4[i].kind;
	return NULL;
}

/* The IPv4 address an IPv6 one carries (mapped, compatible, NAT64), or 0 with *has 0. */
static uint32_t embedded4(const struct in6_addr *a, int *has)
{
	static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	const unsigned char *b = a->s6_addr;

	*has = IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a) || !memcmp(b, nat64, sizeof(nat64));
	return *has ? (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15] : 0;
}

const char *sw_netcheck_class(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return class4(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		int has = 0;
		uint32_t v4 = embedded4(a, &has);
		if (IN6_IS_ADDR_LOOPBACK(a))
			return "loopback";
		if (IN6_IS_ADDR_UNSPECIFIED(a))
			return "unspecified";
		if (has)
			return class4(v4) ? class4(v4) : NULL;
		if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a))
			return "link-local";
		if ((a->s6_addr[0] & 0xfe) == 0xfc)
			return "unique-local";
		if (IN6_IS_ADDR_MULTICAST(a))
			return "multicast";
		return NULL;
	}
	return "not an IP";
}

/* Does "net/bits" (one entry of allow, n bytes) hold sa? */
static int cidr_holds(const char *entry, size_t n, const struct sockaddr *sa)
{
	char text[80];
	const char *slash;
	unsigned char want[16];
	const unsigned char *have;
	long bits;
	size_t len, i;
	char *end = NULL;
	int family;

	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, entry, n);
	text[n] = '\0';
	if (!strcmp(text, "*"))
		return 1;
	slash = strchr(text, '/');
	if (!slash)
		return 0;
	text[slash - text] = '\0';
	bits = strtol(slash + 1, &end, 10);
	if (!*(slash + 1) || *end)
		return 0;
	if (inet_pton(AF_INET, text, want) == 1) {
		family = AF_INET;
		len = 4;
	} else if (inet_pton(AF_INET6, text, want) == 1) {
		family = AF_INET6;
		len = 16;
	} else {
		return 0;
	}
	if (bits < 0 || bits > (long)len * 8 || sa->sa_family != family)
		return 0;
	have = family == AF_INET ? (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr
				 : ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	for (i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((have[i] & mask) != (want[i] & mask))
			return 0;
	}
	return 1;
}

int sw_netcheck_allowed(const char *allow, const struct sockaddr *sa)
{
	const char *p = allow;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		const char *e = p;
		size_t m = n;
		while (m && (*e == ' ')) {
			e++;
			m--;
		}
		while (m && e[m - 1] == ' ')
			m--;
		if (cidr_holds(e, m, sa))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int sw_netcheck_allow_valid(const char *allow)
{
	const char *p = allow;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		char entry[80], *slash;
		unsigned char buf[16];
		long bits = -1;

		if (n == 0 || n >= sizeof(entry))
			return sw_error_code(SW_EINVAL, "SLIPWAY_WEBHOOK_ALLOW_NETS: want CIDRs like 10.0.0.0/8, comma-separated");
		memcpy(entry, p, n);
		entry[n] = '\0';
		slash = strchr(entry, '/');
		if (slash) {
			*slash = '\0';
			bits = strtol(slash + 1, NULL, 10);
		}
		if (strcmp(entry, "*") && (!slash || !(inet_pton(AF_INET, entry, buf) == 1 ? bits >= 0 && bits <= 32
							   : inet_pton(AF_INET6, entry, buf) == 1 && bits >= 0 && bits <= 128)))
			return sw_error_code(SW_EINVAL, "SLIPWAY_WEBHOOK_ALLOW_NETS: '%s' is not a CIDR like 10.0.0.0/8", entry);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The host and port of an http(s) URL. 0, or SW_EINVAL. */
static int url_host(const char *url, char host[MAX_HOST + 1], char port[8])
{
	const char *p, *end, *colon = NULL;
	size_t n;
	int tls = !strncmp(url, "https://", 8);

	if (!tls && strncmp(url, "http://", 7))
		return sw_error_code(SW_EINVAL, "want an http:// or https:// URL");
	p = url + (tls ? 8 : 7);
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)))
		return sw_error_code(SW_EINVAL, "a webhook URL has no user name or password in it");
	if (*p == '[') {   /* [v6]:port */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return sw_error_code(SW_EINVAL, "bad IPv6 address in the URL");
		n = (size_t)(close - p - 1);
		if (n > MAX_HOST)
			return sw_error_code(SW_EINVAL, "host name too long");
		memcpy(host, p + 1, n);
		host[n] = '\0';
		if (close[1] == ':')
			colon = close + 1;
		else if (close + 1 != end)
			return sw_error_code(SW_EINVAL, "bad IPv6 address in the URL");
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon ? colon : end) - p);
		if (!n || n > MAX_HOST)
			return sw_error_code(SW_EINVAL, "no host in the URL");
		memcpy(host, p, n);
		host[n] = '\0';
	}
	if (colon) {
		n = (size_t)(end - colon - 1);
		if (!n || n > 5 || strspn(colon + 1, "0123456789") < n || atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
			return sw_error_code(SW_EINVAL, "bad port in the URL");
		snprintf(port, 8, "%d", atoi(colon + 1));
	} else {
		snprintf(port, 8, "%s", tls ? "443" : "80");
	}
	return 0;
}

int sw_netcheck_url(const char *url, const char *allow, struct sw_buf *pin)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[MAX_HOST + 1], port[8], text[INET6_ADDRSTRLEN];
	unsigned char bin6[16];
	int rc, ret = 0, resolved = 0, literal;

	sw_buf_reset(pin);
	if (url_host(url, host, port) < 0)
		return SW_EINVAL;
	/* an address in the URL is connected to as it is: nothing to pin */
	literal = inet_pton(AF_INET, host, bin6) == 1 || inet_pton(AF_INET6, host, bin6) == 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return sw_error_code(SW_EUNAVAIL, "cannot resolve %s: %s", host, gai_strerror(rc));
	for (ai = res; ai && !ret; ai = ai->ai_next) {
		const char *kind = sw_netcheck_class(ai->ai_addr);
		const void *bin = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
							   : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		if (!inet_ntop(ai->ai_family, bin, text, sizeof(text)))
			continue;
		resolved++;
		if (kind && !sw_netcheck_allowed(allow, ai->ai_addr))
			ret = sw_error_code(SW_EINVAL, "%s is %s, a %s address: webhooks do not go there (an admin allows"
					    " networks with SLIPWAY_WEBHOOK_ALLOW_NETS)", host, text, kind);
		else if (!pin->len && !literal)
			sw_buf_addf(pin, "%s:%s:%s%s%s", host, port, ai->ai_family == AF_INET6 ? "[" : "", text,
				    ai->ai_family == AF_INET6 ? "]" : "");
	}
	freeaddrinfo(res);
	if (!ret && !resolved)
		ret = sw_error_code(SW_EUNAVAIL, "cannot resolve %s", host);
	if (ret)
		sw_buf_reset(pin);
	return ret;
}

int sw_netcheck_connect_ok(void *allow, const struct sockaddr *sa)
{
	return !sw_netcheck_class(sa) || sw_netcheck_allowed(allow, sa);
}
