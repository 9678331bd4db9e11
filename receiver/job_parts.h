#ifndef SW_JOB_PARTS_H
#define SW_JOB_PARTS_H

#include <pthread.h>
#include <time.h>
#include <sys/types.h>
#include <jansson.h>
#include <sqlite3.h>

#include "receiver/config.h"
#include "receiver/job.h"
#include "builder/build.h"
#include "releaser/push.h"
#include "common/buf.h"
#include "common/cancel.h"
#include "common/strvec.h"

/*
 * The inside of the job queue (job.h), shared by its files and by no one else:
 *   job.c        the queue: submitting, picking, workers (builds) and the threads
 *                of pushes' releases, the build deadline, cancel, holds, shutdown;
 *   job_run.c    running one job: a push (build, then release) or a release command,
 *                and recording its end;
 *   job_log.c    a job's log: its lines, and the followers reading them;
 *   job_store.c  jobs' rows in the builds table.
 * Each calls only the ones below it in this list.
 */

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	/* what it is */
	long id;                   /* server-wide: the builds table's key, log file names, the server log */
	long number;               /* the app's: #1 is its first job; what people see and type */
	const char *kind;          /* "build" (a push), or a command's: "rollback", "config", "scale" (static) */
	struct sw_push push;       /* a push's app, ref, commit and objects (a command's: app only) */
	int detached;              /* git push -o detach: built from the repository once the ref landed */
	json_t *request;           /* a command's request (releaser/command.h), or NULL */
	char *what;                /* a command's description ("scale web=4"), or NULL */

	/* where it is, under jobs->mu */
	enum job_state state;
	double created;
	double started;
	int refs;                  /* the active list holds one; each follower one */
	struct job *next;

	/* what its build made, for its release (sw_job_run_build -> sw_job_run_release) */
	struct sw_build_result built;

	/* stopping it */
	struct sw_cancel cancel;   /* a user's cancel, the build deadline, slipwayd stopping */
	double build_deadline;     /* monotonic time by which the image build + push must end; 0: not
	                              building (under mu) */
	int in_release;            /* a push past its build, releasing (under mu) */

	/* its log, $SLIPWAY_HOME/builds/<id>.log (under mu) */
	int log_fd;
	off_t log_size;            /* bytes written so far */
	struct sw_buf unwritten;   /* a full disk: the lines (bounded) kept for the followers, from
	                              log offset unwritten_at; ptr NULL until then */
	off_t unwritten_at;

	/* its rollout records, $SLIPWAY_HOME/builds/<id>.rollout, one JSON line a poll (under mu) */
	int rollout_fd;
	off_t rollout_size;
};

struct sw_jobs {
	const struct sw_config *cfg;
	sqlite3 *db;
	pthread_mutex_t mu;
	pthread_cond_t work;         /* a queued job may be runnable, or we stop */
	pthread_cond_t changed;      /* a log grew or a job changed state */
	pthread_cond_t deadlines;    /* a build deadline was set, or we stop */
	struct job *head;            /* queued and running jobs, by id (= arrival) */
	int running;                 /* pushes building on the workers (the build slots taken) */
	int rollouts;                /* pushes' releases running on threads of their own */
	int commands;                /* release commands running on their own threads */
	int stopping;
	pthread_t *workers;
	int nworkers;
	pthread_t watchdog;          /* stops builds past their deadline */
	int has_watchdog;
	struct sw_strvec held;       /* apps being destroyed: no job may start (sw_jobs_hold_app) */
	struct sw_strvec unrecorded; /* a full disk: ids of jobs whose end could not be recorded */
};

/* ---- job_run.c ---- */

/*
 * A push's build, on the calling thread (a build slot): its image built and pushed. 1
 * when its release is to follow (sw_job_run_release(), on any thread: the slot is free
 * again), 0 when the job ended here (failed, cancelled, or built without a releaser),
 * recorded.
 */
int sw_job_run_build(struct sw_jobs *j, struct job *job);

/* The release of a push whose build said 1, to its end, recorded. */
void sw_job_run_release(struct sw_jobs *j, struct job *job);

/*
 * The release of a push, or of a release command (job->what set), a previous slipwayd
 * left in it: the releaser resumes its rollout at start; this waits for its verdict and
 * records it as the job's.
 */
void sw_job_run_resumed_release(struct sw_jobs *j, struct job *job);

/* Run job (a release command) to its end on the calling thread. */
void sw_job_run_command(struct sw_jobs *j, struct job *job);

/* "build 12", or "scale web=4 (job 12)" for a command, appended. */
void sw_job_name(const struct job *job, struct sw_buf *out);

/* ---- job_log.c ---- */

/* $SLIPWAY_HOME/builds/<id>.log (what SW_JOB_LOG), or .rollout (SW_JOB_ROLLOUT), into out (reset first). */
void sw_job_file_path(struct sw_buf *out, const struct sw_config *c, long id, enum sw_job_file what);
#define sw_job_log_path(out, c, id) sw_job_file_path((out), (c), (id), SW_JOB_LOG)

/*
 * Open job's log file (created; truncated unless keep: a job a restart resumes goes on
 * after its lines); a failure is logged, the lines then stay in memory.
 */
void sw_job_log_open(struct sw_jobs *j, struct job *job, int keep);

/*
 * Where a push's objects wait (its quarantine), in builds/<id>.push, so that a
 * restarted slipwayd can build it again while its hook waits. load: the paths (NULL
 * when none) as strings owned by store.
 */
void sw_job_push_save(const struct sw_config *c, long id, const char *object_dir, const char *alternate_dirs);
void sw_job_push_load(const struct sw_config *c, long id, struct sw_strvec *store, const char **object_dir,
		      const char **alternate_dirs);

/* One rollout record (borrowed) into the job's .rollout file, followers woken. Takes mu. */
void sw_job_rollout_record(struct sw_jobs *j, struct job *job, const json_t *record);

/* One line into the job's log (cut, flattened, "\n" added), followers woken, server log too. Holds mu. */
void sw_job_log_line_locked(struct sw_jobs *j, struct job *job, const char *line);

/* The same, taking mu. */
void sw_job_log(struct sw_jobs *j, struct job *job, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Append a line to the log file of a job that is not in memory (recovery). */
void sw_job_log_append(const struct sw_config *c, long id, const char *line);

/* Free what the log holds (at the job's last reference). Holds mu. */
void sw_job_log_close_locked(struct job *job);

/* Drop a reference to job (the queue's or a follower's); the last one frees it. Holds mu. */
void sw_job_unref_locked(struct job *job);

/* ---- job_store.c ---- */

/*
 * Insert the row of a job of kind for req ("build": queued; a command: running from now),
 * numbered after the app's last job (*number). Its id (> 0), or negative with one line.
 */
long sw_job_store_insert(sqlite3 *db, const struct sw_job_request *req, const char *kind, double now, long *number);

/* The job started running at started. */
void sw_job_store_started(sqlite3 *db, const struct job *job);

/*
 * The end of job id: failed with reason in stage ("build": the image build, "release":
 * its release; NULL unknown), or succeeded; res (may be NULL: image, digest, size,
 * reused) is what the build made, recorded whichever way the job ended; release: the
 * release a command made (0 none). 0 or SW_ERROR.
 */
int sw_job_store_finish(sqlite3 *db, long id, const char *reason, const char *stage,
			const struct sw_build_result *res, int release);

/* Mark job id cancelled by by (after sw_job_store_finish). */
void sw_job_store_cancelled(sqlite3 *db, long id, const char *by);

/*
 * Jobs whose end could not be recorded (a full disk): failed now that a write works; the
 * ids recorded are removed from ids (strings). Holds mu.
 */
void sw_job_store_retry_locked(sqlite3 *db, struct sw_strvec *ids);

/*
 * The jobs the store has queued or running, as "<id> <number> <stage> <app>" into out
 * (stage: "release" when the job made a release, else "build"). 0 or SW_ERROR.
 */
int sw_job_store_unfinished(sqlite3 *db, struct sw_strvec *out);

/*
 * What job id was asked to do, as req (its strings owned by store), with its number,
 * kind ("build" or a command's) appended to kind, and when it was created. 0 or
 * negative with one line.
 */
int sw_job_store_request(sqlite3 *db, long id, struct sw_job_request *req, struct sw_strvec *store, long *number,
			 struct sw_buf *kind, double *created);

/*
 * The release job id made (the newest): 0 with its version, status ("deploying",
 * "live", ...) and reason appended, image and digest into res (may be NULL; the caller
 * releases it); SW_ENOTFOUND when it made none.
 */
int sw_job_store_release(sqlite3 *db, const char *app, long id, int *version, struct sw_buf *status,
			 struct sw_buf *reason, struct sw_build_result *res);

/* The app's number of job id (> 0), or SW_ENOTFOUND / SW_ERROR. */
long sw_job_store_number(sqlite3 *db, long id);

/* The recorded state of job id (job.h: sw_jobs_result). */
int sw_job_store_result(sqlite3 *db, long id, struct sw_buf *status, struct sw_buf *reason, int *release);

#endif
