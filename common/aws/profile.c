#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/aws/profile.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_FILE (1u << 20)

static void add_entry(struct sw_aws_ini *ini, const char *section, const char *key, const char *value)
{
	SW_ALLOC_GROW(ini->v, ini->nr + 1, ini->alloc);
	ini->v[ini->nr].section = xstrdup(section);
	ini->v[ini->nr].key = xstrdup(key);
	ini->v[ini->nr].value = xstrdup(value);
	ini->nr++;
}

static struct sw_aws_ini_entry *find_entry(const struct sw_aws_ini *ini, const char *section, const char *key)
{
	size_t i;
	for (i = ini->nr; i-- > 0;)
		if (!strcmp(ini->v[i].section, section) && !strcmp(ini->v[i].key, key))
			return &ini->v[i];
	return NULL;
}

int sw_aws_ini_has_section(const struct sw_aws_ini *ini, const char *section)
{
	size_t i;
	for (i = 0; i < ini->nr_sections; i++)
		if (!strcmp(ini->sections[i], section))
			return 1;
	return 0;
}

const char *sw_aws_ini_get(const struct sw_aws_ini *ini, const char *section, const char *key)
{
	struct sw_aws_ini_entry *e = find_entry(ini, section, key);
	return e ? e->value : NULL;
}

void sw_aws_ini_release(struct sw_aws_ini *ini)
{
	size_t i;
	for (i = 0; i < ini->nr; i++) {
		free(ini->v[i].section);
		free(ini->v[i].key);
		free(ini->v[i].value);
	}
	free(ini->v);
	for (i = 0; i < ini->nr_sections; i++)
		free(ini->sections[i]);
	free(ini->sections);
	memset(ini, 0, sizeof(*ini));
}

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* A finished "key = value" (value may hold "\n"-separated continuation lines). */
static int store_option(struct sw_aws_ini *ini, const char *section, const char *key, struct sw_buf *value,
			const char *origin, int line)
{
	size_t i;
	char *lkey = xstrdup(key);
	int ret = 0;

	for (i = 0; lkey[i]; i++)
		lkey[i] = (char)tolower((unsigned char)lkey[i]);
	if (find_entry(ini, section, lkey)) {
		ret = sw_error_code(SW_EINVAL, "%s:%d: option '%s' in section [%s] already exists", origin, line,
				    lkey, section);
		goto cleanup;
	}
	sw_buf_rtrim(value);
	add_entry(ini, section, lkey, value->ptr);
	/* A value that starts on the next lines is a nested block: "child = value" lines. */
	if (value->len && value->ptr[0] == '\n') {
		const char *p = value->ptr + 1;
		while (*p) {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char *l = trimmed(p, n);
			if (*l) {
				char *eq = strchr(l, '=');
				struct sw_buf full = SW_BUF_INIT;
				char *k, *v;
				if (!eq) {
					free(l);
					ret = sw_error_code(SW_EINVAL, "%s:%d: nested line of '%s' is not 'key = value'",
							    origin, line, lkey);
					goto cleanup;
				}
				*eq = '\0';
				k = trimmed(l, strlen(l));
				v = trimmed(eq + 1, strlen(eq + 1));
				sw_buf_addf(&full, "%s.%s", lkey, k);
				add_entry(ini, section, full.ptr, v);
				sw_buf_release(&full);
				free(k);
				free(v);
			}
			free(l);
			p += n;
			if (*p == '\n')
				p++;
		}
	}
cleanup:
	free(lkey);
	return ret;
}

int sw_aws_ini_parse(struct sw_aws_ini *ini, const char *text, size_t len, const char *origin)
{
	struct sw_buf value = SW_BUF_INIT;
	char *section = NULL, *key = NULL;
	size_t key_indent = 0;
	int key_line = 0, lineno = 0;
	size_t pos = 0;
	int ret = 0;

	while (pos < len) {
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		size_t indent = 0;
		const char *s;
		size_t sn;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n && l[n - 1] == '\r')
			n--;
		if (memchr(l, '\0', n)) {
			ret = sw_error_code(SW_EINVAL, "%s:%d: NUL byte", origin, lineno);
			goto cleanup;
		}
		while (indent < n && (l[indent] == ' ' || l[indent] == '\t'))
			indent++;
		s = l + indent;
		sn = n - indent;
		if (sn && (s[0] == '#' || s[0] == ';'))
			continue;
		if (!sn) {
			if (key)
				sw_buf_addch(&value, '\n');
			continue;
		}
		if (key && indent > key_indent) {
			/* continuation of the current value */
			sw_buf_addch(&value, '\n');
			while (sn && isspace((unsigned char)s[sn - 1]))
				sn--;
			sw_buf_add(&value, s, sn);
			continue;
		}
		if (key) {
			if ((ret = store_option(ini, section, key, &value, origin, key_line)) < 0)
				goto cleanup;
			free(key);
			key = NULL;
			sw_buf_reset(&value);
		}
		if (s[0] == '[') {
			const char *close = memchr(s, ']', sn);
			char *name;
			if (!close || close == s + 1) {
				ret = sw_error_code(SW_EINVAL, "%s:%d: bad section header", origin, lineno);
				goto cleanup;
			}
			name = trimmed(s + 1, (size_t)(close - s - 1));
			if (sw_aws_ini_has_section(ini, name)) {
				ret = sw_error_code(SW_EINVAL, "%s:%d: section [%s] already exists", origin, lineno, name);
				free(name);
				goto cleanup;
			}
			SW_ALLOC_GROW(ini->sections, ini->nr_sections + 1, ini->alloc_sections);
			ini->sections[ini->nr_sections++] = xstrdup(name);
			free(section);
			section = name;
			continue;
		}
		if (!section) {
			ret = sw_error_code(SW_EINVAL, "%s:%d: a line before the first [section]", origin, lineno);
			goto cleanup;
		}
		{
			const char *eq = memchr(s, '=', sn);
			const char *colon = memchr(s, ':', sn);
			const char *sep = eq && (!colon || eq < colon) ? eq : colon;
			if (!sep || sep == s) {
				ret = sw_error_code(SW_EINVAL, "%s:%d: not a [section], 'key = value' or comment", origin,
						    lineno);
				goto cleanup;
			}
			key = trimmed(s, (size_t)(sep - s));
			key_indent = indent;
			key_line = lineno;
			{
				char *v = trimmed(sep + 1, sn - (size_t)(sep + 1 - s));
				sw_buf_adds(&value, v);
				free(v);
			}
		}
	}
	if (key)
		ret = store_option(ini, section, key, &value, origin, key_line);
cleanup:
	free(section);
	free(key);
	sw_buf_release(&value);
	return ret;
}

int sw_aws_ini_load(struct sw_aws_ini *ini, const char *path)
{
	struct sw_buf text;
	char chunk[8192];
	int fd;
	ssize_t n;
	int ret = 0;

	sw_buf_init(&text, MAX_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return sw_error_errno("%s", path);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (sw_buf_add(&text, chunk, (size_t)n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "%s: larger than %u bytes", path, MAX_FILE);
			goto cleanup;
		}
	}
	if (n < 0) {
		ret = sw_error_errno("read %s", path);
		goto cleanup;
	}
	ret = sw_aws_ini_parse(ini, text.ptr, text.len, path);
cleanup:
	close(fd);
	sw_buf_release(&text);
	return ret;
}

char *sw_aws_expand_home(const char *path)
{
	const char *home = sw_env_str("HOME");
	struct sw_buf b = SW_BUF_INIT;

	if (path[0] == '~' && (path[1] == '/' || !path[1]) && home) {
		sw_buf_adds(&b, home);
		sw_buf_adds(&b, path + 1);
		return sw_buf_detach(&b, NULL);
	}
	return xstrdup(path);
}

int sw_aws_profile_load(struct sw_aws_profile *p, const char *name)
{
	const char *v;
	struct sw_buf section = SW_BUF_INIT;
	int ret;

	memset(p, 0, sizeof(*p));
	p->explicit_name = 1;
	if (!name || !*name)
		name = sw_env_str("AWS_PROFILE");
	if (!name)
		name = sw_env_str("AWS_DEFAULT_PROFILE");
	if (!name) {
		name = "default";
		p->explicit_name = 0;
	}
	p->name = xstrdup(name);
	v = sw_env_str("AWS_SHARED_CREDENTIALS_FILE");
	p->credentials_path = sw_aws_expand_home(v ? v : "~/.aws/credentials");
	v = sw_env_str("AWS_CONFIG_FILE");
	p->config_path = sw_aws_expand_home(v ? v : "~/.aws/config");

	if ((ret = sw_aws_ini_load(&p->credentials, p->credentials_path)) < 0)
		return ret;
	if ((ret = sw_aws_ini_load(&p->config, p->config_path)) < 0)
		return ret;

	/* [profile NAME] (also for default, where it wins over [default]) */
	sw_buf_addf(&section, "profile %s", p->name);
	if (!sw_aws_ini_has_section(&p->config, section.ptr) && !strcmp(p->name, "default")) {
		sw_buf_reset(&section);
		sw_buf_adds(&section, "default");
	}
	p->config_section = sw_buf_detach(&section, NULL);
	return 0;
}

void sw_aws_profile_release(struct sw_aws_profile *p)
{
	free(p->name);
	free(p->credentials_path);
	free(p->config_path);
	free(p->config_section);
	sw_aws_ini_release(&p->credentials);
	sw_aws_ini_release(&p->config);
	memset(p, 0, sizeof(*p));
}

int sw_aws_profile_exists(const struct sw_aws_profile *p)
{
	return sw_aws_ini_has_section(&p->credentials, p->name) ||
	       sw_aws_ini_has_section(&p->config, p->config_section);
}

const char *sw_aws_profile_get(const struct sw_aws_profile *p, const char *key)
{
	if (!p || !p->config_section)
		return NULL;
	return sw_aws_ini_get(&p->config, p->config_section, key);
}

const char *sw_aws_profile_credential(const struct sw_aws_profile *p, const char *key)
{
	if (!p || !p->name)
		return NULL;
	return sw_aws_ini_get(&p->credentials, p->name, key);
}

const char *sw_aws_profile_service_get(const struct sw_aws_profile *p, const char *service_key, const char *key)
{
	const char *services = sw_aws_profile_get(p, "services");
	struct sw_buf section = SW_BUF_INIT, k = SW_BUF_INIT;
	const char *v;

	if (!services || !*services)
		return NULL;
	sw_buf_addf(&section, "services %s", services);
	sw_buf_addf(&k, "%s.%s", service_key, key);
	v = sw_aws_ini_get(&p->config, section.ptr, k.ptr);
	sw_buf_release(&section);
	sw_buf_release(&k);
	return v;
}
