/*
 * The AWS Query protocol (common/aws/query.c) in both directions: the engine reading an
 * ELBv2 form body (then the client's encoding of those parameters must read back the
 * same), and the client reading the XML answer of an ELBv2, CloudFormation or STS
 * operation (then the engine's rendering of it must read back the same) or an
 * <ErrorResponse>. Input: a selector byte (low two bits: form, answer, error; for an
 * answer the next bits pick the model), for an answer an operation byte, then the body.
 */
#include <stdlib.h>
#include <string.h>

#include "test/fuzz/fuzz.h"
#include "common/aws/query.h"
#include "common/buf.h"
#include "common/banned.h"

static void dump_fail(const char *what, const json_t *a, const json_t *b)
{
	char *x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS), *y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	fuzz_fail("%s: %s -> %s", what, x, y);
}

static void form(const char *body, size_t len)
{
	const struct sw_aws_model *m = &sw_aws_elbv2_model;
	struct sw_buf again = SW_BUF_INIT;
	json_t *params = NULL, *back = NULL;
	char *action = NULL, *action2 = NULL;
	int ret = sw_aws_query_parse_params(&action, &params, m, body, len);

	if (ret < 0) {
		if (action || params)
			fuzz_fail("refused form left action %p params %p", (void *)action, (void *)params);
		return;
	}
	if (!action || !json_is_object(params))
		fuzz_fail("accepted form without an action or parameters");
	if (sw_aws_query_encode(&again, m, action, params) < 0)
		dump_fail("accepted parameters do not encode", params, NULL);
	if (sw_aws_query_parse_params(&action2, &back, m, again.ptr, again.len) < 0 || strcmp(action, action2) ||
	    !json_equal(params, back))
		dump_fail("parameters change on the way back", params, back);
	free(action);
	free(action2);
	json_decref(params);
	json_decref(back);
	sw_buf_release(&again);
}

static void answer(const struct sw_aws_model *m, unsigned op, const char *xml, size_t len)
{
	const char *name = m->operations[op % m->nr_operations].name;
	struct sw_buf rid = SW_BUF_INIT, again = SW_BUF_INIT;
	json_t *out = NULL, *back = NULL;

	if (sw_aws_query_decode(&out, m, name, xml, len, &rid) < 0) {
		if (out)
			fuzz_fail("refused answer left a result");
		goto cleanup;
	}
	if (!json_is_object(out))
		fuzz_fail("accepted answer is no object");
	if (sw_aws_query_render(&again, m, name, out, rid.ptr) < 0)
		dump_fail("decoded answer does not render", out, NULL);
	sw_buf_reset(&rid);
	if (sw_aws_query_decode(&back, m, name, again.ptr, again.len, &rid) < 0 || !json_equal(out, back))
		dump_fail("answer changes on the way back", out, back);
cleanup:
	json_decref(out);
	json_decref(back);
	sw_buf_release(&rid);
	sw_buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sw_aws_model *const models[] = { &sw_aws_elbv2_model, &sw_aws_cloudformation_model,
							     &sw_aws_sts_model };
	struct fuzz_input in = { data, size };
	unsigned sel = fuzz_byte(&in), op = 0;
	struct sw_buf code = SW_BUF_INIT, message = SW_BUF_INIT, rid = SW_BUF_INIT;
	size_t len;
	char *body;

	if ((sel & 3) == 1)
		op = fuzz_byte(&in);
	body = fuzz_bytes(&in, &len);
	switch (sel & 3) {
	case 1:
		answer(models[(sel >> 2) % 3], op, body, len);
		break;
	case 2:
		if (sw_aws_query_decode_error(body, len, &code, &message, &rid) == 0 && !code.len)
			fuzz_fail("an error without a code");
		break;
	default:
		form(body, len);
		break;
	}
	sw_buf_release(&code);
	sw_buf_release(&message);
	sw_buf_release(&rid);
	free(body);
	return 0;
}
