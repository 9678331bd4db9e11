#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/aws/stack.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_RECORD 4096

int sw_aws_stack_name_valid(const char *name)
{
	const char *p;
	if (!name || !isalpha((unsigned char)name[0]) || strlen(name) > 128)
		return 0;
	for (p = name; *p; p++)
		if (!(isascii((unsigned char)*p) && (isalnum((unsigned char)*p) || *p == '-')))
			return 0;
	return 1;
}

int sw_aws_stack_status_usable(const char *status)
{
	static const char *const usable[] = {
		"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
		"IMPORT_ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
		"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", NULL,
	};
	const char *const *u;
	for (u = usable; status && *u; u++)
		if (!strcmp(*u, status))
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* The one line for a stack that is not usable. */
static int refuse(const json_t *stack, const char *name)
{
	const char *status = sw_json_str_or(stack, "StackStatus", "?");
	const char *reason = sw_json_str(stack, "StackStatusReason");

	if (!strcmp(status, "ROLLBACK_COMPLETE"))
		return sw_error("CloudFormation stack '%s' is ROLLBACK_COMPLETE: its creation failed and CloudFormation "
				"rolled it back; delete it with `aws cloudformation delete-stack --stack-name %s` and run "
				"slipway aws:bootstrap again", name, name);
	if (ends_with(status, "_FAILED"))
		return sw_error("CloudFormation stack '%s' is %s%s%s", name, status, reason ? ": " : "", reason ? reason : "");
	if (!strncmp(status, "DELETE_", 7))
		return sw_error("CloudFormation stack '%s' is %s: it is being deleted or is gone", name, status);
	if (ends_with(status, "_IN_PROGRESS"))
		return sw_error("CloudFormation stack '%s' is %s: wait until it is done (aws cloudformation "
				"describe-stacks --stack-name %s)", name, status, name);
	return sw_error("CloudFormation stack '%s' is %s", name, status);
}

int sw_aws_stack_outputs_from(const json_t *answer, const char *name, const char *region, json_t **out)
{
	const json_t *stacks = json_object_get(answer, "Stacks"), *stack = NULL, *o;
	size_t i;
	json_t *outputs;

	*out = NULL;
	json_array_foreach(stacks, i, o) {
		const char *n = sw_json_str(o, "StackName");
		if (n && !strcmp(n, name))
			stack = o;
	}
	if (!stack)
		return sw_error_code(SW_ENOTFOUND, "CloudFormation stack '%s' not found in %s: create it with "
				     "`slipway aws:bootstrap --stack %s`", name, region ? region : "this region", name);
	if (!sw_aws_stack_status_usable(sw_json_str(stack, "StackStatus")))
		return refuse(stack, name);
	outputs = json_object();
	json_array_foreach(json_object_get(stack, "Outputs"), i, o) {
		const char *k = sw_json_str(o, "OutputKey"), *v = sw_json_str(o, "OutputValue");
		if (k && v)
			json_object_set_new(outputs, k, json_string(v));
	}
	*out = outputs;
	return 0;
}

int sw_aws_stack_outputs(struct sw_aws_client *aws, const char *name, json_t **out)
{
	struct sw_aws_result res;
	json_t *params;
	const char *region = sw_aws_client_region(aws);
	int ret;

	*out = NULL;
	if (!sw_aws_stack_name_valid(name))
		return sw_error_code(SW_EINVAL, "'%s' is not a CloudFormation stack name (a letter, then letters, "
				     "digits and '-', at most 128)", name ? name : "");
	sw_aws_result_init(&res);
	params = json_pack("{s:s}", "StackName", name);
	ret = sw_aws_call(aws, "cloudformation", "DescribeStacks", params, &res);
	if (ret < 0 && !strcmp(res.error_code.ptr, "ValidationError") && strstr(res.error_message.ptr, "does not exist"))
		ret = sw_error_code(SW_ENOTFOUND, "CloudFormation stack '%s' not found in %s: create it with "
				    "`slipway aws:bootstrap --stack %s`", name, region, name);
	else if (ret == 0)
		ret = sw_aws_stack_outputs_from(res.response, name, region, out);
	json_decref(params);
	sw_aws_result_release(&res);
	return ret;
}

void sw_aws_stack_record_path(const char *home, struct sw_buf *out)
{
	sw_buf_addf(out, "%s/aws/stack.env", home);
}

int sw_aws_stack_record_write(const char *home, const char *name, const char *region)
{
	struct sw_buf dir = SW_BUF_INIT, path = SW_BUF_INIT, tmp = SW_BUF_INIT, text = SW_BUF_INIT;
	int fd = -1, ret = 0;

	if (!sw_aws_stack_name_valid(name) || !region || strpbrk(region, "\n\r"))
		return sw_error_code(SW_EINVAL, "stack record: bad stack name or region");
	sw_buf_addf(&dir, "%s/aws", home);
	if (mkdir(home, 0700) < 0 && errno != EEXIST) {
		ret = sw_error_errno("mkdir %s", home);
		goto cleanup;
	}
	if (mkdir(dir.ptr, 0700) < 0 && errno != EEXIST) {
		ret = sw_error_errno("mkdir %s", dir.ptr);
		goto cleanup;
	}
	sw_aws_stack_record_path(home, &path);
	sw_buf_addf(&tmp, "%s.%ld.tmp", path.ptr, (long)getpid());
	sw_buf_addf(&text, "# written by slipway aws:bootstrap: the stack slipwayd reads its settings from\n"
		    "SLIPWAY_STACK=%s\nAWS_REGION=%s\n", name, region);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = sw_error_errno("open %s", tmp.ptr);
		goto cleanup;
	}
	if (write(fd, text.ptr, text.len) != (ssize_t)text.len || fsync(fd) < 0) {
		ret = sw_error_errno("write %s", tmp.ptr);
		goto cleanup;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = sw_error_errno("close %s", tmp.ptr);
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp.ptr, path.ptr) < 0)
		ret = sw_error_errno("rename %s", path.ptr);
cleanup:
	if (fd >= 0)
		close(fd);
	if (ret < 0 && tmp.len)
		unlink(tmp.ptr);
	sw_buf_release(&dir);
	sw_buf_release(&path);
	sw_buf_release(&tmp);
	sw_buf_release(&text);
	return ret;
}

/* "KEY=value" lines: the value of key, or NULL (the caller frees). */
static char *line_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return xstrndup(p + klen + 1, n - klen - 1);
		p += n + (p[n] == '\n');
	}
	return NULL;
}

int sw_aws_stack_record_read(const char *home, char **name, char **region)
{
	struct sw_buf path = SW_BUF_INIT, text;
	char chunk[1024];
	ssize_t n;
	int fd, ret = 0;

	*name = *region = NULL;
	sw_buf_init(&text, MAX_RECORD);
	sw_aws_stack_record_path(home, &path);
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? sw_error_code(SW_ENOTFOUND, "no stack record at %s", path.ptr)
				      : sw_error_errno("open %s", path.ptr);
		goto cleanup;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (sw_buf_add(&text, chunk, (size_t)n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "%s: larger than %d bytes", path.ptr, MAX_RECORD);
			break;
		}
	if (n < 0)
		ret = sw_error_errno("read %s", path.ptr);
	close(fd);
	if (ret < 0)
		goto cleanup;
	*name = line_value(text.ptr, "SLIPWAY_STACK");
	*region = line_value(text.ptr, "AWS_REGION");
	if (*name && !sw_aws_stack_name_valid(*name)) {
		ret = sw_error_code(SW_EINVAL, "%s: SLIPWAY_STACK '%s' is not a stack name", path.ptr, *name);
		free(*name);
		free(*region);
		*name = *region = NULL;
	}
cleanup:
	sw_buf_release(&path);
	sw_buf_release(&text);
	return ret;
}
