/*
 * What the embedded engine takes from AWS clients beside the signature: a JSON 1.1 body
 * checked against its operation's input shape in the ECS, ECR or CloudWatch Logs model
 * (engine/api/shape.c), a FilterLogEvents filter pattern (engine/logs/filter_pattern.c),
 * and an ELBv2 listener rule's host and path patterns turned into the router's regular
 * expression, with a target group's health check matcher (engine/elb/router_rule.c,
 * router_model.c). Input: a selector byte (0-2: the model, 3: filter pattern, 4: rule), then
 *   0-2: an operation byte, the JSON body;
 *   3:   the pattern (to a NUL), the log message;
 *   4:   a count byte (hosts: low nibble % 4, paths: high nibble % 4), that many fields
 *        (each to a NUL), then the matcher.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test/fuzz/fuzz.h"
#include "common/aws/model.h"
#include "common/buf.h"
#include "engine/api/shape.h"
#include "engine/elb/router.h"
#include "engine/logs/filter_pattern.h"
#include "common/banned.h"

static void shape(const struct sw_aws_model *m, struct fuzz_input *in)
{
	const char *op = m->operations[fuzz_byte(in) % m->nr_operations].name;
	struct sw_buf why = SW_BUF_INIT;
	size_t len;
	char *body = fuzz_bytes(in, &len);
	/* as the engine decodes a body (engine/api/awsjson.c): duplicates refused, an object wanted */
	json_t *doc = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : json_object();

	if (json_is_object(doc)) {
		int ret = sw_engine_api_shape_validate(m, sw_aws_model_input(m, op), doc, &why);
		if (ret < 0 && !why.len)
			fuzz_fail("%s: refused without a reason", op);
		if (ret == 0 && why.len)
			fuzz_fail("%s: accepted with a reason: %s", op, why.ptr);
	}
	json_decref(doc);
	sw_buf_release(&why);
	free(body);
}

static void filter_pattern(struct fuzz_input *in)
{
	struct sw_logs_pattern p = SW_LOGS_PATTERN_INIT;
	struct sw_buf why = SW_BUF_INIT;
	char *pattern = fuzz_field(in, NULL), *msg = fuzz_rest(in, NULL);

	if (sw_logs_pattern_parse(&p, pattern, &why) == 0) {
		(void)sw_logs_pattern_match(&p, msg);
		(void)sw_logs_pattern_match(&p, pattern);
	} else if (!why.len) {
		fuzz_fail("filter pattern refused without a reason");
	}
	sw_logs_pattern_release(&p);
	sw_buf_release(&why);
	free(pattern);
	free(msg);
}

static void rule(struct fuzz_input *in)
{
	unsigned counts = fuzz_byte(in);
	size_t nhosts = (counts & 15) % 4, npaths = (counts >> 4) % 4, i;
	char *fields[6], *regex = NULL, *matcher;
	struct sw_elb_router_rule r;

	for (i = 0; i < nhosts + npaths; i++)
		fields[i] = fuzz_field(in, NULL);
	matcher = fuzz_rest(in, NULL);
	r.hosts = (const char *const *)fields;
	r.nhosts = nhosts;
	r.paths = (const char *const *)fields + nhosts;
	r.npaths = npaths;
	r.backend = "be";
	if (sw_elb_router_rule_regex(&r, &regex) == 0) {
		/* it becomes one line of a HAProxy map file and a word on its CLI */
		const char *p;
		for (p = regex; *p; p++)
			if (*p <= ' ' || *p >= 0x7f || *p == '\\')
				fuzz_fail("rule regex '%s' has byte 0x%02x", regex, (unsigned char)*p);
	} else if (regex) {
		fuzz_fail("refused rule left a regex");
	}
	(void)sw_elb_router_matcher_valid(matcher);
	for (i = 0; i < nhosts + npaths; i++)
		free(fields[i]);
	free(regex);
	free(matcher);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sw_aws_model *const models[] = { &sw_aws_ecs_model, &sw_aws_ecr_model, &sw_aws_logs_model };
	struct fuzz_input in = { data, size };
	unsigned sel = fuzz_byte(&in) % 5;

	if (sel < 3)
		shape(models[sel], &in);
	else if (sel == 3)
		filter_pattern(&in);
	else
		rule(&in);
	return 0;
}
