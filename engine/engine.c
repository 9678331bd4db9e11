#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <openssl/evp.h>

#include "engine/engine.h"
#include "common/banned.h"

void sw_engine_wake_locked(struct sw_engine *e)
{
	e->wake_pending = 1;
	pthread_cond_signal(&e->wake);
}

void sw_engine_wake(struct sw_engine *e)
{
	pthread_mutex_lock(&e->lock);
	sw_engine_wake_locked(e);
	pthread_mutex_unlock(&e->lock);
}

static void random_bytes(unsigned char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r <= 0) {
			/* getrandom does not fail on Linux >= 3.17 once seeded; fall back anyway */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			p[got] = (unsigned char)(ts.tv_nsec ^ (ts.tv_nsec >> 8) ^ (long)got);
			got++;
			continue;
		}
		got += (size_t)r;
	}
}

void sw_engine_random_hex(struct sw_buf *out, size_t n)
{
	unsigned char b[64];
	size_t i;
	while (n) {
		size_t k = n > sizeof(b) ? sizeof(b) : n;
		random_bytes(b, k);
		for (i = 0; i < k; i++)
			sw_buf_addf(out, "%02x", b[i]);
		n -= k;
	}
}

void sw_engine_uuid(struct sw_buf *out)
{
	unsigned char b[16];
	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	sw_buf_addf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		    b[13], b[14], b[15]);
}

void sw_engine_random_digits(struct sw_buf *out, size_t n)
{
	unsigned char b[64];
	size_t i;
	if (n > sizeof(b))
		n = sizeof(b);
	random_bytes(b, n);
	for (i = 0; i < n; i++)
		sw_buf_addch(out, '0' + (i == 0 ? 1 + b[i] % 9 : b[i] % 10));
}

void sw_engine_arn(const struct sw_engine *e, struct sw_buf *out, const char *service, const char *fmt, ...)
{
	va_list ap;
	sw_buf_addf(out, "arn:aws:%s:%s:%s:", service, e->cfg.region, e->cfg.account);
	va_start(ap, fmt);
	sw_buf_vaddf(out, fmt, ap);
	va_end(ap);
}

const char *sw_engine_arn_name(const char *s, const char *kind, struct sw_buf *out,
			       struct sw_buf *cluster_out)
{
	const char *res;
	const char *slash;
	size_t klen = strlen(kind);
	int colons = 0;
	const char *p;

	sw_buf_reset(out);
	if (cluster_out)
		sw_buf_reset(cluster_out);
	if (strncmp(s, "arn:", 4)) {
		sw_buf_adds(out, s);
		return out->ptr;
	}
	/* arn:partition:service:region:account:resource */
	for (p = s; *p && colons < 5; p++)
		if (*p == ':')
			colons++;
	if (colons < 5)
		return NULL;
	res = p;
	if (strncmp(res, kind, klen) || res[klen] != '/')
		return NULL;
	res += klen + 1;
	slash = strrchr(res, '/');
	if (slash) {
		if (cluster_out)
			sw_buf_add(cluster_out, res, (size_t)(slash - res));
		res = slash + 1;
	}
	if (!*res)
		return NULL;
	sw_buf_adds(out, res);
	return out->ptr;
}

void sw_engine_base64(struct sw_buf *out, const void *data, size_t len, int url)
{
	size_t n = 4 * ((len + 2) / 3);
	size_t i, start = out->len;
	sw_buf_grow(out, n + 1);
	EVP_EncodeBlock((unsigned char *)out->ptr + out->len, data, (int)len);
	sw_buf_setlen(out, out->len + n);
	if (url)
		for (i = start; i < out->len; i++) {
			if (out->ptr[i] == '+')
				out->ptr[i] = '-';
			else if (out->ptr[i] == '/')
				out->ptr[i] = '_';
		}
}

void sw_engine_secret_release(struct sw_buf *b)
{
	if (b->len)
		memset(b->ptr, 0, b->len);
	sw_buf_release(b);
}
