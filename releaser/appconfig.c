#include <ctype.h>
#include <string.h>

#include "releaser/appconfig.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

int sw_appconfig_check_name(const char *name)
{
	size_t i, n = strlen(name);
	if (!n || n > 255 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		goto bad;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_') || (unsigned char)name[i] > 127)
			goto bad;
	if (!strcmp(name, "PORT") || !strncmp(name, "SLIPWAY_", 8))
		return sw_error_code(SW_EINVAL, "%s is set by slipway itself", name);
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "'%.60s%s' is not a config var name (letters, digits and '_', "
			     "not starting with a digit)", name, n > 60 ? "..." : "");
}

static size_t config_bytes(const json_t *config)
{
	const char *k;
	json_t *v;
	size_t total = 0;
	json_object_foreach((json_t *)config, k, v)
		total += strlen(k) + 1 + json_string_length(v);
	return total;
}

int sw_appconfig_check(const json_t *config)
{
	const char *k;
	json_t *v;
	if (!json_is_object(config))
		return sw_error_code(SW_EINVAL, "config must be an object");
	json_object_foreach((json_t *)config, k, v) {
		if (sw_appconfig_check_name(k) < 0)
			return SW_EINVAL;
		if (!json_is_string(v))
			return sw_error_code(SW_EINVAL, "config var %s is not a string", k);
	}
	if (config_bytes(config) > SW_APPCONFIG_MAX_BYTES)
		return sw_error_code(SW_ETOOBIG, "config vars take more than %d KB", SW_APPCONFIG_MAX_BYTES / 1024);
	return 0;
}

static void summarize(struct sw_buf *summary, const char *verb, const char *const *names, size_t n)
{
	size_t i;
	if (!summary)
		return;
	sw_buf_addf(summary, "%s ", verb);
	for (i = 0; i < n; i++)
		sw_buf_addf(summary, "%s%s", i ? ", " : "", names[i]);
}

int sw_appconfig_set(json_t *config, const char *const *args, size_t n, struct sw_buf *summary)
{
	json_t *next = NULL;
	const char **names = NULL;
	size_t i, j;
	int changed = 0, ret;

	if (!n)
		return sw_error_code(SW_EINVAL, "nothing to set: give NAME=value ...");
	names = xcalloc(n, sizeof(*names));
	next = json_deep_copy(config);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(args[i], '=');
		char *name;
		json_t *old, *value;
		if (!eq) {
			ret = sw_error_code(SW_EINVAL, "'%.60s': expected NAME=value", args[i]);
			goto cleanup;
		}
		name = xstrndup(args[i], (size_t)(eq - args[i]));
		if (sw_appconfig_check_name(name) < 0) {
			free(name);
			ret = SW_EINVAL;
			goto cleanup;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(names[j], name)) {
				ret = sw_error_code(SW_EINVAL, "%s is given twice", name);
				free(name);
				goto cleanup;
			}
		if (!(value = json_string(eq + 1))) {
			ret = sw_error_code(SW_EINVAL, "the value of %s is not valid UTF-8", name);
			free(name);
			goto cleanup;
		}
		old = json_object_get(next, name);
		if (!old || strcmp(json_string_value(old), eq + 1))
			changed++;
		json_object_set_new(next, name, value);
		names[i] = name;
	}
	if ((ret = sw_appconfig_check(next)) < 0)
		goto cleanup;
	json_object_update(config, next);
	summarize(summary, "set", names, n);
	ret = changed;
cleanup:
	for (i = 0; i < n; i++)
		free((char *)names[i]);
	free(names);
	json_decref(next);
	return ret;
}

int sw_appconfig_unset(json_t *config, const char *const *names, size_t n, struct sw_buf *summary)
{
	size_t i;
	if (!n)
		return sw_error_code(SW_EINVAL, "nothing to unset: give NAME ...");
	for (i = 0; i < n; i++) {
		if (sw_appconfig_check_name(names[i]) < 0)
			return SW_EINVAL;
		if (!json_object_get(config, names[i]))
			return sw_error_code(SW_ENOTFOUND, "%s is not set", names[i]);
	}
	for (i = 0; i < n; i++)
		json_object_del(config, names[i]);
	summarize(summary, "unset", names, n);
	return (int)n;
}
