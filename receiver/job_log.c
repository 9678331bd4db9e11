#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "receiver/job_parts.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define LOG_LINE_MAX 4096
#define UNWRITTEN_MAX (64 * 1024) /* log lines kept in memory when the log file takes no more */

struct sw_job_follow {
	struct sw_jobs *jobs;
	struct job *job;      /* NULL when the job was already over at open */
	int fd;
	off_t off;
	int follow;
	enum sw_job_file what;
};

void sw_job_file_path(struct sw_buf *out, const struct sw_config *c, long id, enum sw_job_file what)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/%ld.%s", c->builds, id, what == SW_JOB_ROLLOUT ? "rollout" : "log");
}

/* The size of the file fd (0 when unknown). */
static off_t size_of(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 ? st.st_size : 0;
}

void sw_job_log_open(struct sw_jobs *j, struct job *job, int keep)
{
	struct sw_buf path = SW_BUF_INIT;
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (keep ? 0 : O_TRUNC);

	sw_job_log_path(&path, j->cfg, job->id);
	job->log_fd = open(path.ptr, flags, 0600);
	if (job->log_fd < 0)
		sw_log(SW_LOG_WARN, job->push.app, job->id, "cannot open %s: %s", path.ptr, strerror(errno));
	job->log_size = size_of(job->log_fd);
	/* there from the start (empty until the rollout), so followers can open it at once */
	sw_job_file_path(&path, j->cfg, job->id, SW_JOB_ROLLOUT);
	job->rollout_fd = open(path.ptr, flags, 0600);
	job->rollout_size = size_of(job->rollout_fd);
	sw_buf_release(&path);
}

/* $SLIPWAY_HOME/builds/<id>.push */
static void push_path(struct sw_buf *out, const struct sw_config *c, long id)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/%ld.push", c->builds, id);
}

void sw_job_push_save(const struct sw_config *c, long id, const char *object_dir, const char *alternate_dirs)
{
	struct sw_buf p = SW_BUF_INIT;
	json_t *o = json_pack("{s:s?,s:s?}", "object_dir", object_dir, "alternate_dirs", alternate_dirs);

	push_path(&p, c, id);
	if (o && json_dump_file(o, p.ptr, JSON_COMPACT) < 0)
		sw_log(SW_LOG_WARN, NULL, id, "cannot write %s (a restart then cannot resume the build)", p.ptr);
	json_decref(o);
	sw_buf_release(&p);
}

void sw_job_push_load(const struct sw_config *c, long id, struct sw_strvec *store, const char **object_dir,
		      const char **alternate_dirs)
{
	struct sw_buf p = SW_BUF_INIT;
	json_t *o;
	const char *v;

	*object_dir = *alternate_dirs = NULL;
	push_path(&p, c, id);
	o = json_load_file(p.ptr, 0, NULL);
	if ((v = sw_json_str(o, "object_dir")))
		*object_dir = sw_strvec_push(store, v);
	if ((v = sw_json_str(o, "alternate_dirs")))
		*alternate_dirs = sw_strvec_push(store, v);
	json_decref(o);
	sw_buf_release(&p);
}

void sw_job_rollout_record(struct sw_jobs *j, struct job *job, const json_t *record)
{
	char *text = json_dumps(record, JSON_COMPACT);
	struct sw_buf b = SW_BUF_INIT;
	ssize_t w;

	if (!text)
		return;
	sw_buf_addf(&b, "%s\n", text);
	free(text);
	pthread_mutex_lock(&j->mu);
	/* a record is one write of one line: a follower never sees half of one */
	w = job->rollout_fd >= 0 && b.len <= SW_JOB_RECORD_MAX ? write(job->rollout_fd, b.ptr, b.len) : -1;
	if (w == (ssize_t)b.len)
		job->rollout_size += w;
	else if (w > 0) {   /* a full disk cut it: the records after it would not parse */
		close(job->rollout_fd);
		job->rollout_fd = -1;
	}
	pthread_cond_broadcast(&j->changed);
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&b);
}

void sw_job_log_close_locked(struct job *job)
{
	if (job->log_fd >= 0)
		close(job->log_fd);
	job->log_fd = -1;
	if (job->rollout_fd >= 0)
		close(job->rollout_fd);
	job->rollout_fd = -1;
	if (job->unwritten.ptr)
		sw_buf_release(&job->unwritten);
}

/*
 * The log file takes no more (a full disk): the rest of the log stays in memory for
 * the followers (the pusher still sees why the job failed), bounded, with room kept
 * for the last " !     " lines. Holds mu.
 */
static void keep_unwritten_locked(struct job *job, const char *data, size_t n)
{
	size_t limit = UNWRITTEN_MAX - (strncmp(data, " !     ", 7) ? 4 * LOG_LINE_MAX : 0);

	if (!job->unwritten.ptr) {
		sw_log(SW_LOG_WARN, job->push.app, job->id, "cannot write the build log: %s; keeping its last lines in memory",
		       job->log_fd >= 0 ? strerror(errno) : "not open");
		sw_buf_init(&job->unwritten, UNWRITTEN_MAX);
		job->unwritten_at = job->log_size;
	}
	if (job->unwritten.len + n <= limit && sw_buf_add(&job->unwritten, data, n) == 0)
		job->log_size += (off_t)n;
}

void sw_job_log_line_locked(struct sw_jobs *j, struct job *job, const char *line)
{
	struct sw_buf b = SW_BUF_INIT;
	size_t i, n = strlen(line);
	ssize_t w;

	if (n > LOG_LINE_MAX)
		n = LOG_LINE_MAX;
	sw_buf_add(&b, line, n);
	for (i = 0; i < b.len; i++)
		if (b.ptr[i] == '\n' || b.ptr[i] == '\r')
			b.ptr[i] = ' ';
	sw_buf_addch(&b, '\n');
	w = job->log_fd >= 0 && !job->unwritten.ptr ? write(job->log_fd, b.ptr, b.len) : 0;
	if (w > 0)
		job->log_size += w;
	if (w < (ssize_t)b.len)
		keep_unwritten_locked(job, b.ptr + (w > 0 ? w : 0), b.len - (size_t)(w > 0 ? w : 0));
	pthread_cond_broadcast(&j->changed);
	sw_log(SW_LOG_INFO, job->push.app, job->id, "%.*s", (int)(b.len - 1), b.ptr);
	sw_buf_release(&b);
}

void sw_job_log(struct sw_jobs *j, struct job *job, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&j->mu);
	sw_job_log_line_locked(j, job, b.ptr);
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&b);
}

void sw_job_log_append(const struct sw_config *c, long id, const char *line)
{
	struct sw_buf p = SW_BUF_INIT, b = SW_BUF_INIT;
	int fd;

	sw_job_log_path(&p, c, id);
	fd = open(p.ptr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		sw_buf_addf(&b, "%s\n", line);
		(void)!write(fd, b.ptr, b.len);
		close(fd);
	}
	sw_buf_release(&p);
	sw_buf_release(&b);
}

/* ---- followers ---- */

void sw_job_unref_locked(struct job *job)
{
	if (--job->refs > 0)
		return;
	sw_job_log_close_locked(job);
	sw_push_release(&job->push);
	sw_build_result_release(&job->built);
	json_decref(job->request);
	free(job->what);
	free(job);
}


int sw_job_follow_open(struct sw_jobs *j, long id, enum sw_job_file what, int follow, long long from,
		       struct sw_job_follow **out)
{
	struct sw_job_follow *f = xcalloc(1, sizeof(*f));
	struct sw_buf path = SW_BUF_INIT;
	struct job *job;

	*out = NULL;
	f->jobs = j;
	f->follow = follow;
	f->what = what;
	pthread_mutex_lock(&j->mu);
	for (job = j->head; job && job->id != id; job = job->next)
		;
	if (job) {
		job->refs++;
		f->job = job;
	}
	pthread_mutex_unlock(&j->mu);
	sw_job_file_path(&path, j->cfg, id, what);
	f->fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	sw_buf_release(&path);
	if (f->fd < 0) {
		int e = errno;
		sw_job_follow_free(f);
		if (e == ENOENT)
			return sw_error_code(SW_ENOTFOUND, "no %s for that build", what == SW_JOB_LOG ? "log" : "rollout");
		errno = e;
		return sw_error_errno("open the %s of a build", what == SW_JOB_LOG ? "log" : "rollout");
	}
	if (from > 0 && lseek(f->fd, (off_t)from, SEEK_SET) == (off_t)from)
		f->off = (off_t)from;
	*out = f;
	return 0;
}

/* After the end of the log file: the lines kept in memory (keep_unwritten_locked). */
static ssize_t read_unwritten(struct sw_job_follow *f, char *buf, size_t n)
{
	struct job *job = f->job;
	ssize_t r = 0;

	if (!job || f->what != SW_JOB_LOG)
		return 0;
	pthread_mutex_lock(&f->jobs->mu);
	if (job->unwritten.ptr && f->off >= job->unwritten_at &&
	    f->off < job->unwritten_at + (off_t)job->unwritten.len) {
		size_t at = (size_t)(f->off - job->unwritten_at), left = job->unwritten.len - at;
		r = (ssize_t)(n < left ? n : left);
		memcpy(buf, job->unwritten.ptr + at, (size_t)r);
		f->off += r;
	}
	pthread_mutex_unlock(&f->jobs->mu);
	return r;
}

/* How much of the followed file the job has written. Holds mu. */
static off_t size_locked(const struct sw_job_follow *f)
{
	return f->what == SW_JOB_ROLLOUT ? f->job->rollout_size : f->job->log_size;
}

ssize_t sw_job_follow_read(struct sw_job_follow *f, char *buf, size_t n, int timeout_ms)
{
	struct sw_jobs *j = f->jobs;
	struct timespec until;

	if (timeout_ms >= 0)
		sw_time_deadline(&until, CLOCK_MONOTONIC, timeout_ms);
	for (;;) {
		ssize_t r = read(f->fd, buf, n);
		int end = 0;

		if (r > 0) {
			f->off += r;
			return r;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sw_error_errno("read build log");
		}
		if ((r = read_unwritten(f, buf, n)) > 0)
			return r;
		if (!f->follow || !f->job)
			return 0;
		pthread_mutex_lock(&j->mu);
		while (f->job->state != JOB_DONE && size_locked(f) <= f->off && !j->stopping) {
			int w = timeout_ms >= 0 ? pthread_cond_timedwait(&j->changed, &j->mu, &until)
						: pthread_cond_wait(&j->changed, &j->mu);
			if (w == ETIMEDOUT) {
				pthread_mutex_unlock(&j->mu);
				return sw_error_code(SW_ETIMEOUT, "nothing new");
			}
		}
		end = (f->job->state == JOB_DONE || j->stopping) && size_locked(f) <= f->off;
		pthread_mutex_unlock(&j->mu);
		if (end)
			return 0;
	}
}

void sw_job_follow_free(struct sw_job_follow *f)
{
	if (!f)
		return;
	if (f->job) {
		pthread_mutex_lock(&f->jobs->mu);
		sw_job_unref_locked(f->job);
		pthread_mutex_unlock(&f->jobs->mu);
	}
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
