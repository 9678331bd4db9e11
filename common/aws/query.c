#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/aws/query.h"
#include "common/aws/sigv4.h"
#include "common/error.h"
#include "common/http.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_DEPTH 32

/* A member's or an operation's shape (NULL: none), and its type (a structure when none). */
static const struct sw_aws_shape *shape_of(const struct sw_aws_model *m, unsigned ref)
{
	return sw_aws_model_shape(m, ref);
}

static unsigned type_of(const struct sw_aws_model *m, unsigned ref)
{
	const struct sw_aws_shape *s = shape_of(m, ref);
	return s ? s->type : SW_AWS_T_STRUCTURE;
}

static const char *type_name(unsigned type)
{
	switch (type) {
	case SW_AWS_T_STRING: return "a string";
	case SW_AWS_T_INTEGER: case SW_AWS_T_LONG: return "an integer";
	case SW_AWS_T_BOOLEAN: return "a boolean";
	case SW_AWS_T_DOUBLE: return "a number";
	case SW_AWS_T_TIMESTAMP: return "a timestamp string";
	case SW_AWS_T_BLOB: return "a base64 string";
	case SW_AWS_T_STRUCTURE: return "an object";
	case SW_AWS_T_LIST: return "an array";
	default: return "an object (map)";
	}
}

/* ---- JSON -> form ------------------------------------------------------------- */

static void add_pair(struct sw_buf *out, const char *key, const char *value)
{
	if (out->len)
		sw_buf_addch(out, '&');
	sw_sigv4_uri_encode(out, key, strlen(key), 0);
	sw_buf_addch(out, '=');
	sw_sigv4_uri_encode(out, value, strlen(value), 0);
}

static int encode_value(struct sw_buf *out, const struct sw_aws_model *m, const char *op, const char *prefix,
			const char *path, const json_t *v, unsigned ref, int depth);

static int encode_scalar(struct sw_buf *out, const char *op, const char *prefix, const char *path, const json_t *v,
			 unsigned type)
{
	char num[64];
	switch (type) {
	case SW_AWS_T_STRING:
	case SW_AWS_T_TIMESTAMP:
	case SW_AWS_T_BLOB:
		if (!json_is_string(v))
			break;
		add_pair(out, prefix, json_string_value(v));
		return 0;
	case SW_AWS_T_INTEGER:
	case SW_AWS_T_LONG:
		if (!json_is_integer(v))
			break;
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		add_pair(out, prefix, num);
		return 0;
	case SW_AWS_T_BOOLEAN:
		if (!json_is_boolean(v))
			break;
		add_pair(out, prefix, json_is_true(v) ? "true" : "false");
		return 0;
	case SW_AWS_T_DOUBLE:
		if (!json_is_number(v))
			break;
		snprintf(num, sizeof(num), "%.17g", json_number_value(v));
		add_pair(out, prefix, num);
		return 0;
	}
	return sw_error_code(SW_EINVAL, "%s: parameter %s must be %s", op, path, type_name(type));
}

static int encode_value(struct sw_buf *out, const struct sw_aws_model *m, const char *op, const char *prefix,
			const char *path, const json_t *v, unsigned ref, int depth)
{
	const struct sw_aws_shape *s = shape_of(m, ref);
	unsigned type = type_of(m, ref);
	struct sw_buf key = SW_BUF_INIT, sub = SW_BUF_INIT;
	int ret = 0;

	if (depth > MAX_DEPTH)
		return sw_error_code(SW_EINVAL, "%s: parameters nested too deep", op);
	if (type < SW_AWS_T_STRUCTURE)
		return encode_scalar(out, op, prefix, path, v, type);
	if (!s || type == SW_AWS_T_DOCUMENT)
		return sw_error("%s: model error at %s", op, path);

	if (type == SW_AWS_T_STRUCTURE) {
		const char *k;
		json_t *mv;
		if (!json_is_object(v))
			return sw_error_code(SW_EINVAL, "%s: parameter %s must be %s", op, path, type_name(type));
		json_object_foreach((json_t *)v, k, mv) {
			const struct sw_aws_member *mem = NULL;
			unsigned i;
			for (i = 0; i < s->nr_members; i++)
				if (!strcmp(s->members[i].name, k))
					mem = &s->members[i];
			sw_buf_reset(&key);
			sw_buf_reset(&sub);
			sw_buf_addf(&sub, "%s%s%s", path, *path ? "." : "", k);
			if (!mem) {
				ret = sw_error_code(SW_EINVAL, "%s: unknown parameter '%s'", op, sub.ptr);
				goto cleanup;
			}
			if (json_is_null(mv))
				continue;
			sw_buf_addf(&key, "%s%s%s", prefix, *prefix ? "." : "", mem->xml_name);
			if ((ret = encode_value(out, m, op, key.ptr, sub.ptr, mv, mem->shape, depth + 1)) < 0)
				goto cleanup;
		}
	} else if (type == SW_AWS_T_LIST) {
		size_t i;
		json_t *item;
		if (!json_is_array(v))
			return sw_error_code(SW_EINVAL, "%s: parameter %s must be %s", op, path, type_name(type));
		if (!json_array_size(v))
			add_pair(out, prefix, ""); /* botocore sends an empty list as "Name=" */
		json_array_foreach(v, i, item) {
			sw_buf_reset(&key);
			sw_buf_reset(&sub);
			if (s->flattened)
				sw_buf_addf(&key, "%s.%zu", prefix, i + 1);
			else
				sw_buf_addf(&key, "%s.%s.%zu", prefix, s->members[0].xml_name, i + 1);
			sw_buf_addf(&sub, "%s[%zu]", path, i);
			if ((ret = encode_value(out, m, op, key.ptr, sub.ptr, item, s->members[0].shape, depth + 1)) < 0)
				goto cleanup;
		}
	} else {
		const char *k;
		json_t *mv;
		size_t n = 0;
		if (!json_is_object(v))
			return sw_error_code(SW_EINVAL, "%s: parameter %s must be %s", op, path, type_name(type));
		json_object_foreach((json_t *)v, k, mv) {
			const char *entry = s->flattened ? "" : "entry.";
			n++;
			sw_buf_reset(&key);
			sw_buf_addf(&key, "%s.%s%zu.%s", prefix, entry, n, s->members[0].xml_name);
			add_pair(out, key.ptr, k);
			sw_buf_reset(&key);
			sw_buf_reset(&sub);
			sw_buf_addf(&key, "%s.%s%zu.%s", prefix, entry, n, s->members[1].xml_name);
			sw_buf_addf(&sub, "%s.%s", path, k);
			if ((ret = encode_value(out, m, op, key.ptr, sub.ptr, mv, s->members[1].shape, depth + 1)) < 0)
				goto cleanup;
		}
	}
cleanup:
	sw_buf_release(&key);
	sw_buf_release(&sub);
	return ret;
}

int sw_aws_query_encode(struct sw_buf *out, const struct sw_aws_model *m, const char *operation,
			const json_t *params)
{
	const struct sw_aws_operation *op = sw_aws_model_operation(m, operation);
	struct sw_buf body = SW_BUF_INIT;
	int ret;

	if (!op)
		return sw_error_code(SW_EINVAL, "%s has no operation '%s'", m->service, operation ? operation : "");
	if (params && !json_is_object(params))
		return sw_error_code(SW_EINVAL, "%s: the parameters must be a JSON object", operation);
	add_pair(&body, "Action", op->name);
	add_pair(&body, "Version", m->api_version);
	if (params && (ret = encode_value(&body, m, op->name, "", "", params, op->input, 0)) < 0) {
		sw_buf_release(&body);
		return ret;
	}
	if (out->len)
		sw_buf_addch(out, '&');
	sw_buf_add(out, body.ptr, body.len);
	sw_buf_release(&body);
	return 0;
}

/* ---- XML -> JSON -------------------------------------------------------------- */

static int name_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	const xmlNode *c;
	for (c = n ? n->children : NULL; c; c = c->next)
		if (name_is(c, name))
			return c;
	return NULL;
}

static char *text_of(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	char *r = xstrdup(t ? (const char *)t : "");
	xmlFree(t);
	return r;
}

static json_t *decode_node(const struct sw_aws_model *m, const xmlNode *n, unsigned ref, int depth);

/* A scalar's text (an XML element's, a form value) as JSON of the model's type; NULL when it is not one. */
static json_t *scalar_of(const char *t, unsigned type)
{
	char *end;
	switch (type) {
	case SW_AWS_T_INTEGER:
	case SW_AWS_T_LONG: {
		long long v;
		errno = 0;
		v = strtoll(t, &end, 10);
		if (!errno && end != t && !*end)
			return json_integer(v);
		break;
	}
	case SW_AWS_T_BOOLEAN:
		if (!strcmp(t, "true"))
			return json_true();
		if (!strcmp(t, "false"))
			return json_false();
		break;
	case SW_AWS_T_DOUBLE: {
		double d = strtod(t, &end);
		if (end != t && !*end)
			return json_real(d);
		break;
	}
	default:
		return json_string(t);
	}
	return NULL;
}

static json_t *decode_scalar(const xmlNode *n, unsigned type)
{
	char *t = text_of(n);
	json_t *j = scalar_of(t, type);

	if (!j)
		sw_error("<%s> holds '%s', not %s", (const char *)n->name, t, type_name(type));
	free(t);
	return j;
}

/* Decode the members of structure s found among n's children into obj. */
static int decode_members(const struct sw_aws_model *m, const xmlNode *n, const struct sw_aws_shape *s, json_t *obj,
			  int depth)
{
	const xmlNode *c;
	for (c = n->children; c; c = c->next) {
		const struct sw_aws_member *mem = NULL;
		const struct sw_aws_shape *ls;
		unsigned i;
		json_t *v;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < s->nr_members; i++)
			if (!strcmp(s->members[i].xml_name, (const char *)c->name))
				mem = &s->members[i];
		if (!mem)
			continue; /* a newer service may send members this model does not know */
		ls = shape_of(m, mem->shape);
		if (type_of(m, mem->shape) == SW_AWS_T_LIST && ls && ls->flattened) {
			json_t *arr = json_object_get(obj, mem->name);
			if (!arr) {
				arr = json_array();
				json_object_set_new(obj, mem->name, arr);
			}
			v = decode_node(m, c, ls->members[0].shape, depth + 1);
			if (!v)
				return SW_ERROR;
			json_array_append_new(arr, v);
			continue;
		}
		v = decode_node(m, c, mem->shape, depth + 1);
		if (!v)
			return SW_ERROR;
		json_object_set_new(obj, mem->name, v);
	}
	return 0;
}

static json_t *decode_node(const struct sw_aws_model *m, const xmlNode *n, unsigned ref, int depth)
{
	const struct sw_aws_shape *s = shape_of(m, ref);
	unsigned type = type_of(m, ref);
	const xmlNode *c;
	json_t *j;

	if (depth > MAX_DEPTH) {
		sw_error("XML nested too deep");
		return NULL;
	}
	if (type < SW_AWS_T_STRUCTURE)
		return decode_scalar(n, type);
	if (!s || type == SW_AWS_T_DOCUMENT) {
		sw_error("model error");
		return NULL;
	}
	if (type == SW_AWS_T_STRUCTURE) {
		j = json_object();
		if (decode_members(m, n, s, j, depth) < 0) {
			json_decref(j);
			return NULL;
		}
		return j;
	}
	if (type == SW_AWS_T_LIST) {
		j = json_array();
		for (c = n->children; c; c = c->next) {
			json_t *v;
			if (!name_is(c, s->members[0].xml_name))
				continue;
			v = decode_node(m, c, s->members[0].shape, depth + 1);
			if (!v) {
				json_decref(j);
				return NULL;
			}
			json_array_append_new(j, v);
		}
		return j;
	}
	j = json_object();
	for (c = n->children; c; c = c->next) {
		const xmlNode *k, *v;
		char *key;
		json_t *val;
		if (c->type != XML_ELEMENT_NODE || (!s->flattened && !name_is(c, "entry")))
			continue;
		k = child(c, s->members[0].xml_name);
		v = child(c, s->members[1].xml_name);
		if (!k || !v)
			continue;
		key = text_of(k);
		val = decode_node(m, v, s->members[1].shape, depth + 1);
		if (!val) {
			free(key);
			json_decref(j);
			return NULL;
		}
		json_object_set_new(j, key, val);
		free(key);
	}
	return j;
}

static xmlDoc *parse_xml(const char *xml, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return NULL;
	/* no network, no entity substitution, no DTD loading */
	return xmlReadMemory(xml, (int)len, "aws.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

int sw_aws_query_decode(json_t **out, const struct sw_aws_model *m, const char *operation,
			const char *xml, size_t len, struct sw_buf *request_id)
{
	const struct sw_aws_operation *op = sw_aws_model_operation(m, operation);
	xmlDoc *doc = NULL;
	const xmlNode *root, *result, *meta;
	json_t *j = NULL;
	int ret = SW_ERROR;

	*out = NULL;
	if (!op)
		return sw_error_code(SW_EINVAL, "%s has no operation '%s'", m->service, operation ? operation : "");
	doc = parse_xml(xml, len);
	if (!doc) {
		sw_error("%s %s: the answer is not XML", m->service, operation);
		goto cleanup;
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		sw_error("%s %s: empty XML answer", m->service, operation);
		goto cleanup;
	}
	meta = child(root, "ResponseMetadata");
	if (request_id && meta && child(meta, "RequestId")) {
		char *t = text_of(child(meta, "RequestId"));
		sw_buf_adds(request_id, t);
		free(t);
	}
	result = op->result_wrapper ? child(root, op->result_wrapper) : root;
	if (!result) {
		/* an operation with an empty result may omit the wrapper */
		j = json_object();
	} else {
		j = decode_node(m, result, op->output, 0);
		if (!j) {
			sw_error_prefix("%s %s answer", m->service, operation);
			goto cleanup;
		}
	}
	*out = j;
	j = NULL;
	ret = 0;
cleanup:
	json_decref(j);
	if (doc)
		xmlFreeDoc(doc);
	return ret;
}

int sw_aws_query_decode_error(const char *xml, size_t len, struct sw_buf *code, struct sw_buf *message,
			      struct sw_buf *request_id)
{
	xmlDoc *doc = parse_xml(xml, len);
	const xmlNode *root, *err, *n;
	int ret = SW_ERROR;

	if (!doc)
		return SW_ERROR;
	root = xmlDocGetRootElement(doc);
	err = child(root, "Error");
	if (!err)
		err = child(child(root, "Errors"), "Error");
	if (err && (n = child(err, "Code"))) {
		char *t = text_of(n);
		if (code)
			sw_buf_adds(code, t);
		free(t);
		if (message && (n = child(err, "Message"))) {
			t = text_of(n);
			sw_buf_adds(message, t);
			free(t);
		}
		ret = 0;
	}
	n = child(root, "RequestId");
	if (!n)
		n = child(root, "RequestID");
	if (!n)
		n = child(child(root, "ResponseMetadata"), "RequestId");
	if (request_id && n) {
		char *t = text_of(n);
		sw_buf_adds(request_id, t);
		free(t);
	}
	xmlFreeDoc(doc);
	return ret;
}

/* ---- form -> JSON (server side) ----------------------------------------------- */

/* application/x-www-form-urlencoded decoding ('+' is a space). */
static char *form_decode(const char *s, size_t n)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_http_urldecode(&b, s, n, 1);
	return sw_buf_detach(&b, NULL);
}

static json_t *scalar_from_text(const char *key, const char *t, unsigned type)
{
	json_t *j = scalar_of(t, type);

	if (j)
		return j;
	sw_error_code(SW_EINVAL, "Value '%s' at '%s' failed to satisfy constraint: Member must be %s", t, key,
		      type_name(type));
	return NULL;
}

static int parse_index(const char *s, size_t *out)
{
	char *end;
	unsigned long v;
	if (!*s || *s == '0')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 10000)
		return -1;
	*out = v;
	return 0;
}

/*
 * Place value at the dotted key path (split into parts) below container, typed by ref.
 * Lists are built as arrays with null holes, compacted at the end.
 */
static int place(const struct sw_aws_model *m, json_t *container, unsigned ref, char **parts, size_t nparts,
		 const char *key, const char *value)
{
	const struct sw_aws_shape *s = shape_of(m, ref);
	unsigned type = type_of(m, ref);
	json_t *slot;

	if (!s || type == SW_AWS_T_DOCUMENT)
		return sw_error_code(SW_EINVAL, "parameter '%s' is not valid", key);
	if (type == SW_AWS_T_STRUCTURE) {
		const struct sw_aws_member *mem = NULL;
		const struct sw_aws_shape *ms;
		unsigned i;
		for (i = 0; i < s->nr_members; i++)
			if (!strcmp(s->members[i].xml_name, parts[0]))
				mem = &s->members[i];
		if (!mem)
			return sw_error_code(SW_EINVAL, "unknown parameter '%s'", key);
		if (nparts == 1) {
			json_t *v;
			if (type_of(m, mem->shape) == SW_AWS_T_LIST && !*value) {
				if (!json_object_get(container, mem->name))
					json_object_set_new(container, mem->name, json_array());
				return 0;
			}
			if (type_of(m, mem->shape) >= SW_AWS_T_STRUCTURE)
				return sw_error_code(SW_EINVAL, "parameter '%s' needs members", key);
			v = scalar_from_text(key, value, type_of(m, mem->shape));
			if (!v)
				return SW_EINVAL;
			json_object_set_new(container, mem->name, v);
			return 0;
		}
		ms = shape_of(m, mem->shape);
		if (type_of(m, mem->shape) < SW_AWS_T_STRUCTURE || !ms)
			return sw_error_code(SW_EINVAL, "parameter '%s' is not valid", key);
		slot = json_object_get(container, mem->name);
		if (!slot) {
			slot = type_of(m, mem->shape) == SW_AWS_T_LIST ? json_array() : json_object();
			json_object_set_new(container, mem->name, slot);
		}
		return place(m, slot, mem->shape, parts + 1, nparts - 1, key, value);
	}
	if (type == SW_AWS_T_LIST) {
		size_t idx;
		const struct sw_aws_member *el = &s->members[0];
		size_t skip = s->flattened ? 0 : 1;
		if (!json_is_array(container) || nparts < 1 + skip ||
		    (skip && strcmp(parts[0], el->xml_name)) || parse_index(parts[skip], &idx) < 0)
			return sw_error_code(SW_EINVAL, "parameter '%s' is not valid", key);
		while (json_array_size(container) < idx)
			json_array_append_new(container, json_null());
		if (nparts == 1 + skip) {
			json_t *v;
			if (type_of(m, el->shape) >= SW_AWS_T_STRUCTURE)
				return sw_error_code(SW_EINVAL, "parameter '%s' needs members", key);
			v = scalar_from_text(key, value, type_of(m, el->shape));
			if (!v)
				return SW_EINVAL;
			json_array_set_new(container, idx - 1, v);
			return 0;
		}
		if (type_of(m, el->shape) < SW_AWS_T_STRUCTURE)
			return sw_error_code(SW_EINVAL, "parameter '%s' is not valid", key);
		slot = json_array_get(container, idx - 1);
		if (json_is_null(slot)) {
			slot = type_of(m, el->shape) == SW_AWS_T_LIST ? json_array() : json_object();
			json_array_set_new(container, idx - 1, slot);
		}
		return place(m, slot, el->shape, parts + 1 + skip, nparts - 1 - skip, key, value);
	}
	/* map: [entry.]N.key / [entry.]N.value[...]; built as an object of index -> {k, v} first */
	{
		size_t idx;
		size_t skip = s->flattened ? 0 : 1;
		char ibuf[32];
		json_t *e;
		if (!json_is_object(container) || nparts < 2 + skip || (skip && strcmp(parts[0], "entry")) ||
		    parse_index(parts[skip], &idx) < 0)
			return sw_error_code(SW_EINVAL, "parameter '%s' is not valid", key);
		snprintf(ibuf, sizeof(ibuf), "\x01%zu", idx);
		e = json_object_get(container, ibuf);
		if (!e) {
			e = json_object();
			json_object_set_new(container, ibuf, e);
		}
		if (!strcmp(parts[skip + 1], s->members[0].xml_name) && nparts == 2 + skip) {
			json_object_set_new(e, "k", json_string(value));
			return 0;
		}
		if (!strcmp(parts[skip + 1], s->members[1].xml_name)) {
			if (nparts == 2 + skip) {
				json_t *v;
				if (type_of(m, s->members[1].shape) >= SW_AWS_T_STRUCTURE)
					return sw_error_code(SW_EINVAL, "parameter '%s' needs members", key);
				v = scalar_from_text(key, value, type_of(m, s->members[1].shape));
				if (!v)
					return SW_EINVAL;
				json_object_set_new(e, "v", v);
				return 0;
			}
			slot = json_object_get(e, "v");
			if (!slot) {
				slot = type_of(m, s->members[1].shape) == SW_AWS_T_LIST ? json_array() : json_object();
				json_object_set_new(e, "v", slot);
			}
			return place(m, slot, s->members[1].shape, parts + skip + 2, nparts - skip - 2, key, value);
		}
		return sw_error_code(SW_EINVAL, "parameter '%s' is not valid", key);
	}
}

/* Drop list holes and turn map index objects into real maps. */
static json_t *finish(const struct sw_aws_model *m, json_t *v, unsigned ref)
{
	const struct sw_aws_shape *s = shape_of(m, ref);
	unsigned type = type_of(m, ref);

	if (!s || !v || type < SW_AWS_T_STRUCTURE || type == SW_AWS_T_DOCUMENT)
		return v;
	if (type == SW_AWS_T_STRUCTURE) {
		const char *k;
		json_t *mv;
		unsigned i;
		json_object_foreach(v, k, mv) {
			for (i = 0; i < s->nr_members; i++)
				if (!strcmp(s->members[i].name, k))
					finish(m, mv, s->members[i].shape);
		}
	} else if (type == SW_AWS_T_LIST) {
		size_t i = 0;
		while (i < json_array_size(v)) {
			if (json_is_null(json_array_get(v, i))) {
				json_array_remove(v, i);
				continue;
			}
			finish(m, json_array_get(v, i), s->members[0].shape);
			i++;
		}
	} else {
		json_t *real = json_object();
		const char *k;
		json_t *e;
		json_object_foreach(v, k, e) {
			json_t *key = json_object_get(e, "k"), *val = json_object_get(e, "v");
			if (json_is_string(key) && val)
				json_object_set(real, json_string_value(key), finish(m, val, s->members[1].shape));
		}
		json_object_clear(v);
		json_object_update(v, real);
		json_decref(real);
	}
	return v;
}

int sw_aws_query_parse_params(char **action, json_t **params, const struct sw_aws_model *m,
			      const char *body, size_t len)
{
	const struct sw_aws_operation *op = NULL;
	json_t *obj = json_object();
	char *act = NULL;
	size_t pos;
	int pass, ret = 0;

	*action = NULL;
	*params = NULL;
	/* pass 0 finds Action, pass 1 places the parameters */
	for (pass = 0; pass < 2 && ret == 0; pass++) {
		pos = 0;
		while (pos < len && ret == 0) {
			const char *p = body + pos;
			const char *amp = memchr(p, '&', len - pos);
			size_t n = amp ? (size_t)(amp - p) : len - pos;
			const char *eq = memchr(p, '=', n);
			char *key, *value;
			pos += n + (amp ? 1 : 0);
			if (!n)
				continue;
			key = form_decode(p, eq ? (size_t)(eq - p) : n);
			value = eq ? form_decode(eq + 1, n - (size_t)(eq - p) - 1) : xstrdup("");
			if (pass == 0) {
				if (!strcmp(key, "Action")) {
					free(act);
					act = xstrdup(value);
				}
			} else if (strcmp(key, "Action") && strcmp(key, "Version")) {
				char *parts[MAX_DEPTH];
				size_t np = 0;
				char *dup = xstrdup(key), *s = dup;
				while (np < MAX_DEPTH) {
					char *dot = strchr(s, '.');
					parts[np++] = s;
					if (!dot)
						break;
					*dot = '\0';
					s = dot + 1;
				}
				ret = place(m, obj, op->input, parts, np, key, value);
				free(dup);
			}
			free(key);
			free(value);
		}
		if (pass == 0) {
			if (!act || !*act) {
				ret = sw_error_code(SW_ENOTFOUND, "no Action in the request");
			} else if (!(op = sw_aws_model_operation(m, act))) {
				ret = sw_error_code(SW_ENOTFOUND, "Could not find operation %s for version %s", act,
						    m->api_version);
			}
		}
	}
	if (ret < 0) {
		json_decref(obj);
		free(act);
		return ret;
	}
	*params = finish(m, obj, op->input);
	*action = act;
	return 0;
}

/* ---- JSON -> XML (server side) ------------------------------------------------ */

static void xml_escape(struct sw_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sw_buf_adds(out, "&amp;"); break;
		case '<': sw_buf_adds(out, "&lt;"); break;
		case '>': sw_buf_adds(out, "&gt;"); break;
		case '"': sw_buf_adds(out, "&quot;"); break;
		case '\'': sw_buf_adds(out, "&apos;"); break;
		case '\r': sw_buf_adds(out, "&#13;"); break;
		default: sw_buf_addch(out, *s); break;
		}
	}
}

static int render_value(struct sw_buf *out, const struct sw_aws_model *m, const char *name, const json_t *v,
			unsigned ref, int depth);

static int render_inner(struct sw_buf *out, const struct sw_aws_model *m, const json_t *v, unsigned ref,
			int depth)
{
	const struct sw_aws_shape *s = shape_of(m, ref);
	unsigned type = type_of(m, ref);
	char num[64];

	if (depth > MAX_DEPTH)
		return sw_error("result nested too deep");
	switch (type) {
	case SW_AWS_T_STRING:
	case SW_AWS_T_TIMESTAMP:
	case SW_AWS_T_BLOB:
		if (!json_is_string(v))
			return sw_error_code(SW_EINVAL, "result value must be %s", type_name(type));
		xml_escape(out, json_string_value(v));
		return 0;
	case SW_AWS_T_INTEGER:
	case SW_AWS_T_LONG:
		if (!json_is_integer(v))
			return sw_error_code(SW_EINVAL, "result value must be an integer");
		sw_buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case SW_AWS_T_BOOLEAN:
		if (!json_is_boolean(v))
			return sw_error_code(SW_EINVAL, "result value must be a boolean");
		sw_buf_adds(out, json_is_true(v) ? "true" : "false");
		return 0;
	case SW_AWS_T_DOUBLE:
		if (!json_is_number(v))
			return sw_error_code(SW_EINVAL, "result value must be a number");
		snprintf(num, sizeof(num), "%.17g", json_number_value(v));
		sw_buf_adds(out, num);
		return 0;
	}
	if (!s || type == SW_AWS_T_DOCUMENT)
		return sw_error("model error");
	if (type == SW_AWS_T_STRUCTURE) {
		unsigned i;
		const char *k;
		json_t *mv;
		if (!json_is_object(v))
			return sw_error_code(SW_EINVAL, "result value must be an object");
		json_object_foreach((json_t *)v, k, mv) {
			const struct sw_aws_member *mem = NULL;
			const struct sw_aws_shape *ls;
			for (i = 0; i < s->nr_members; i++)
				if (!strcmp(s->members[i].name, k))
					mem = &s->members[i];
			if (!mem)
				return sw_error_code(SW_EINVAL, "result member '%s' is not in the model", k);
			if (json_is_null(mv))
				continue;
			ls = shape_of(m, mem->shape);
			if (ls && ls->type == SW_AWS_T_LIST && ls->flattened) {
				size_t j;
				json_t *item;
				json_array_foreach(mv, j, item)
					if (render_value(out, m, mem->xml_name, item, ls->members[0].shape, depth + 1) < 0)
						return SW_EINVAL;
				continue;
			}
			if (render_value(out, m, mem->xml_name, mv, mem->shape, depth + 1) < 0)
				return sw_error_prefix("%s", k);
		}
		return 0;
	}
	if (type == SW_AWS_T_LIST) {
		size_t j;
		json_t *item;
		if (!json_is_array(v))
			return sw_error_code(SW_EINVAL, "result value must be an array");
		json_array_foreach(v, j, item)
			if (render_value(out, m, s->members[0].xml_name, item, s->members[0].shape, depth + 1) < 0)
				return SW_EINVAL;
		return 0;
	}
	{
		const char *k;
		json_t *mv;
		if (!json_is_object(v))
			return sw_error_code(SW_EINVAL, "result value must be an object (map)");
		json_object_foreach((json_t *)v, k, mv) {
			sw_buf_adds(out, "<entry><");
			sw_buf_adds(out, s->members[0].xml_name);
			sw_buf_addch(out, '>');
			xml_escape(out, k);
			sw_buf_addf(out, "</%s>", s->members[0].xml_name);
			if (render_value(out, m, s->members[1].xml_name, mv, s->members[1].shape, depth + 1) < 0)
				return SW_EINVAL;
			sw_buf_adds(out, "</entry>");
		}
		return 0;
	}
}

static int render_value(struct sw_buf *out, const struct sw_aws_model *m, const char *name, const json_t *v,
			unsigned ref, int depth)
{
	sw_buf_addf(out, "<%s>", name);
	if (render_inner(out, m, v, ref, depth) < 0)
		return SW_EINVAL;
	sw_buf_addf(out, "</%s>", name);
	return 0;
}

int sw_aws_query_render(struct sw_buf *out, const struct sw_aws_model *m, const char *operation,
			const json_t *result, const char *request_id)
{
	const struct sw_aws_operation *op = sw_aws_model_operation(m, operation);
	struct sw_buf body = SW_BUF_INIT;
	json_t *empty = NULL;
	int ret = 0;

	if (!op)
		return sw_error_code(SW_EINVAL, "%s has no operation '%s'", m->service, operation ? operation : "");
	if (!result)
		result = empty = json_object();
	sw_buf_addf(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"%s\">", op->name,
		    m->xml_namespace ? m->xml_namespace : "");
	if (op->result_wrapper) {
		sw_buf_addf(&body, "<%s>", op->result_wrapper);
		ret = render_inner(&body, m, result, op->output, 0);
		sw_buf_addf(&body, "</%s>", op->result_wrapper);
	}
	sw_buf_adds(&body, "<ResponseMetadata><RequestId>");
	xml_escape(&body, request_id ? request_id : "");
	sw_buf_addf(&body, "</RequestId></ResponseMetadata></%sResponse>\n", op->name);
	if (ret == 0)
		sw_buf_add(out, body.ptr, body.len);
	else
		sw_error_prefix("%s %s result", m->service, op->name);
	sw_buf_release(&body);
	json_decref(empty);
	return ret;
}

void sw_aws_query_render_error(struct sw_buf *out, const struct sw_aws_model *m, const char *type,
			       const char *code, const char *message, const char *request_id)
{
	sw_buf_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"%s\"><Error><Type>",
		    m && m->xml_namespace ? m->xml_namespace : "");
	xml_escape(out, type ? type : "Sender");
	sw_buf_adds(out, "</Type><Code>");
	xml_escape(out, code ? code : "InternalFailure");
	sw_buf_adds(out, "</Code><Message>");
	xml_escape(out, message ? message : "");
	sw_buf_adds(out, "</Message></Error><RequestId>");
	xml_escape(out, request_id ? request_id : "");
	sw_buf_adds(out, "</RequestId></ErrorResponse>\n");
}
