#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "releaser/applogs.h"
#include "releaser/names.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_PAGES 50
#define MAX_MESSAGE (16 * 1024)

void sw_applogs_init(struct sw_applogs *l, const struct sw_runenv *e, const char *app, const char *process,
		     int release)
{
	struct sw_buf group = SW_BUF_INIT;

	memset(l, 0, sizeof(*l));
	sw_names_log_group(e, app, &group);
	l->group = sw_buf_detach(&group, NULL);
	l->process = process ? xstrdup(process) : NULL;
	l->release = release;
	sw_strvec_init(&l->at_last);
}

void sw_applogs_release(struct sw_applogs *l)
{
	free(l->group);
	free(l->process);
	sw_strvec_clear(&l->at_last);
	memset(l, 0, sizeof(*l));
}

int sw_applogs_parse_stream(const char *stream, int *version, struct sw_buf *process, struct sw_buf *task)
{
	const char *p = stream, *slash1, *slash2;
	long v = 0;

	sw_buf_reset(process);
	sw_buf_reset(task);
	if (!p || *p != 'v')
		return -1;
	for (p++; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 1000000000L)
			return -1;
	}
	if (*p != '/' || v <= 0)
		return -1;
	slash1 = p;
	slash2 = strchr(slash1 + 1, '/');
	if (!slash2 || slash2 == slash1 + 1 || !slash2[1] || strchr(slash2 + 1, '/'))
		return -1;
	*version = (int)v;
	sw_buf_add(process, slash1 + 1, (size_t)(slash2 - slash1 - 1));
	sw_buf_adds(task, slash2 + 1);
	return 0;
}

static int seen_at_last(const struct sw_applogs *l, const char *id)
{
	size_t i;
	for (i = 0; id && i < l->at_last.nr; i++)
		if (!strcmp(l->at_last.v[i], id))
			return 1;
	return 0;
}

int sw_applogs_read(const struct sw_runenv *e, struct sw_applogs *l, long long from, size_t max,
		    sw_applogs_line_fn line, void *ctx)
{
	struct sw_buf next = SW_BUF_INIT, prefix = SW_BUF_INIT, proc = SW_BUF_INIT, task = SW_BUF_INIT,
		      msg = SW_BUF_INIT, rel = SW_BUF_INIT;
	json_t *req, *resp = NULL, *ev;
	size_t i, got = 0;
	int pages, ret = 0;

	if (l->release && l->process)
		sw_buf_addf(&prefix, "v%d/%s/", l->release, l->process);
	else if (l->release)
		sw_buf_addf(&prefix, "v%d/", l->release);
	for (pages = 0; pages < MAX_PAGES && !sw_runenv_cancelled(e); pages++) {
		req = json_pack("{s:s,s:I,s:i}", "logGroupName", l->group, "startTime", (json_int_t)from, "limit", 1000);
		if (prefix.len)
			json_object_set_new(req, "logStreamNamePrefix", json_string(prefix.ptr));
		ret = sw_runenv_paged_call(e, "logs", "FilterLogEvents", req, &next, &resp);
		json_decref(req);
		if (ret < 0)
			break;
		json_array_foreach(json_object_get(resp, "events"), i, ev) {
			const char *stream = sw_json_str(ev, "logStreamName"), *m = sw_json_str(ev, "message");
			const char *id = sw_json_str(ev, "eventId");
			long long t = sw_json_int(ev, "timestamp", 0);
			char ts[SW_TIME_ISO_SIZE];
			int version = 0;
			size_t n;
			json_t *o;

			if (!m || t < from)
				continue;
			if (t == l->last_ms && seen_at_last(l, id))
				continue;
			if (sw_applogs_parse_stream(stream, &version, &proc, &task) < 0) {
				sw_buf_reset(&proc);
				sw_buf_adds(&proc, stream ? stream : "?");
				sw_buf_reset(&task);
				version = 0;
			}
			if (l->process && strcmp(proc.ptr, l->process))
				continue;
			n = strlen(m);
			while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
				n--;
			sw_buf_reset(&msg);
			sw_buf_add(&msg, m, n > MAX_MESSAGE ? MAX_MESSAGE : n);
			sw_buf_reset(&rel);
			if (version)
				sw_buf_addf(&rel, "v%d", version);
			o = json_pack("{s:s,s:f,s:s,s:s,s:s,s:s}", "ts", sw_time_iso_ms(t, ts), "time", (double)t / 1000.0,
				      "process", proc.ptr, "task", task.ptr, "release", rel.ptr, "message", msg.ptr);
			if (!o)   /* not UTF-8 */
				continue;
			if (!version) {
				json_object_set_new(o, "release", json_null());
				json_object_set_new(o, "task", json_null());
			}
			line(ctx, (double)t / 1000.0, o);
			if (t > l->last_ms) {
				l->last_ms = t;
				sw_strvec_clear(&l->at_last);
			}
			if (t == l->last_ms && id)
				sw_strvec_push(&l->at_last, id);
			got++;
		}
		json_decref(resp);
		resp = NULL;
		if (!next.len || got >= max)
			break;
	}
	json_decref(resp);
	sw_buf_release(&next);
	sw_buf_release(&prefix);
	sw_buf_release(&proc);
	sw_buf_release(&task);
	sw_buf_release(&msg);
	sw_buf_release(&rel);
	return ret;
}
