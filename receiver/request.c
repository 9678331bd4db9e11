#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "receiver/request.h"
#include "receiver/auth.h"
#include "receiver/reply.h"
#include "common/error.h"
#include "common/number.h"
#include "common/banned.h"

int sw_request_split(const char *path, char *store, size_t storelen, const char **seg, int maxseg)
{
	size_t len = strlen(path);
	int n = 0;
	char *p;

	if (len >= storelen)
		return -1;
	memcpy(store, path, len + 1);
	if (!*store)
		return 0;
	for (p = store;;) {
		char *slash = strchr(p, '/');
		if (n == maxseg)
			return -1;
		if (slash)
			*slash = '\0';
		if (!*p)
			return -1;
		seg[n++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	return n;
}

int sw_request_id(const char *s, long long *id)
{
	return sw_number_parse(s, 1, SW_NUMBER_ID_MAX, id);
}

const char *sw_request_arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

int sw_request_flag(struct MHD_Connection *c, const char *name)
{
	const char *v = sw_request_arg(c, name);
	return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

json_t *sw_request_object(struct MHD_Connection *c, const struct sw_buf *body, enum MHD_Result *r, unsigned *status)
{
	json_t *in = body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(in)) {
		json_decref(in);
		*r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want a JSON object as the body");
		return NULL;
	}
	return in;
}

int sw_request_authenticate(sqlite3 *db, struct MHD_Connection *c, struct sw_principal *p)
{
	return sw_request_authenticate_header(db, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
									  MHD_HTTP_HEADER_AUTHORIZATION), p);
}

int sw_request_authenticate_header(sqlite3 *db, const char *h, struct sw_principal *p)
{
	struct sw_buf token = SW_BUF_INIT;
	int r;

	if (!h)
		return sw_error_code(SW_EAUTH, "authentication required: use an API token (as the password)");
	r = sw_auth_parse_header(h, &token);
	if (r == 0)
		r = sw_auth_check(db, token.ptr, p);   /* "bad token", "token revoked", "token expired" */
	sw_buf_release(&token);
	return r;
}

int sw_request_from_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

void sw_request_peer(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}
