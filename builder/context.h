#ifndef SW_CONTEXT_H
#define SW_CONTEXT_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/cancel.h"

/*
 * The build context: a commit's tree as a tar stream, read in pieces, straight from
 * the object database (no checkout, no temp file). The caller pulls bytes with
 * sw_context_read() — from curl's read callback for Docker's POST /build, or in a
 * loop to stdout for slipway-context.
 *
 * The tar (libarchive, pax_restricted: plain ustar headers, a pax "x" header only
 * when a path or link target does not fit ustar or is not ASCII):
 *  - one entry per tree entry in git's order, directories as "dir/" entries;
 *  - regular files 0644, executables 0755, directories 0755, symlinks 0777 as
 *    symlinks (their target as git stores it, never followed);
 *  - uid/gid 0, uname/gname "root", mtime SW_CONTEXT_MTIME for every entry, so the
 *    same tree always gives the same bytes and Docker's build cache keeps hitting;
 *  - submodules (gitlinks) are skipped, with one warning line at the end of the walk;
 *  - .dockerignore at the root applied (builder/dockerignore.h); the Dockerfile
 *    (sw_context_dockerfile()) and .dockerignore at the root are always sent.
 *
 * Memory follows the largest file, not the repository. A blob is read whole,
 * because libgit2 1.5 cannot stream a blob that lives in a pack
 * (git_odb_open_rstream works for loose objects only) and pushes arrive as packs;
 * git archive reads blobs whole too. At any time the context holds the file being
 * sent, the one a read-ahead thread is inflating, and at most 4 MiB of files read
 * ahead: at most twice the largest file plus 4 MiB. The walk runs at most 64
 * entries ahead. Pack files are mapped through libgit2's window cache, which the
 * builder bounds (sw_context_global_init()).
 */

/* 2000-01-01T00:00:00Z. Not 0: zip-based tools (Python wheels) refuse dates before 1980. */
#define SW_CONTEXT_MTIME 946684800

/* One warning line for the pusher (no trailing newline). */
typedef void (*sw_context_warn_fn)(void *ctx, const char *line);

struct sw_context_opts {
	const char *repo_path;       /* a bare repository (or a work tree with .git) */
	const char *object_dir;      /* push quarantine object dir, or NULL */
	const char *alternate_dirs;  /* ':'-separated extra object dirs, or NULL */
	const char *commit;          /* full hex sha of a commit */
	int require_dockerfile;      /* fail unless the tree has a Dockerfile (or dockerfile) at its root */
	sw_context_warn_fn warn;     /* the submodule warning; NULL: dropped */
	void *warn_ctx;
	const struct sw_cancel *cancel;        /* non-zero: the next read fails with SW_ECANCEL */
	int no_prefetch;             /* read every blob on the calling thread (tests) */
};

struct sw_context; /* opaque: sw_context_new / sw_context_free */

/*
 * Process-wide libgit2 settings the builder relies on, applied once (later calls do
 * nothing; sw_context_new() calls it): pack windows of 4 MiB, at most 16 MiB mapped
 * (so reading a large pack does not map all of it), and no re-hashing of every
 * object read (git receive-pack checked the pushed objects on arrival; hashing
 * each blob again would cost more than inflating it).
 */
void sw_context_global_init(void);

/*
 * Open the repository (with the quarantine dirs), find the commit and its tree, read
 * .dockerignore. 0 with *out the caller's (sw_context_free), or a negative code and
 * one line: SW_EINVAL "bad commit id: xyz", SW_ENOTFOUND "commit 77e0c1a not found",
 * SW_ENOTFOUND "no Dockerfile at the root of 77e0c1a", SW_EINVAL ".dockerignore line
 * 3: ...", SW_ERROR "cannot open repository /x: ...".
 */
int sw_context_new(struct sw_context **out, const struct sw_context_opts *opts);

/*
 * The next piece of the tar, without copying: *data points into the context (a
 * header, or a whole file's bytes straight from its blob) and stays valid until the
 * next call. Returns its length (> 0), 0 once the whole tar has been handed out, or
 * a negative code with the reason in the error slot (the same code again on every
 * later call). slipway-context writes these pieces to stdout as they are.
 */
ssize_t sw_context_next(struct sw_context *c, const char **data);

/*
 * The same stream copied into buf, up to n bytes at a time (curl's read callback
 * wants it so): the count, 0 at the end, or negative as above. Use either this or
 * sw_context_next() on one context, not both.
 */
ssize_t sw_context_read(struct sw_context *c, char *buf, size_t n);

/*
 * 0 while reads succeed, else the code sw_context_read() failed with and, in *msg
 * (may be NULL; valid until sw_context_free), its reason.
 */
int sw_context_failure(const struct sw_context *c, const char **msg);

/* 7-character abbreviation of the commit, for messages. */
const char *sw_context_short_id(const struct sw_context *c);

/*
 * The Dockerfile at the root of tree, found the way Docker finds it (moby's
 * builder/remotecontext/detect.go): "Dockerfile", else a lowercase "dockerfile"; NULL
 * when neither is there. A static string. The releaser's manifest reads the same one.
 */
struct git_tree;
const char *sw_context_dockerfile_name(const struct git_tree *tree);

/*
 * NULL when e is a regular file (mode 100644 or 100755), else what it is instead: "a
 * symlink", "a directory", "a submodule". The Dockerfile and the manifest files must be
 * regular: a symlink is never followed. A static string.
 */
struct git_tree_entry;
const char *sw_context_not_regular(const struct git_tree_entry *e);

/*
 * The bytes of the regular file name at the root of the context's tree (at most max) into
 * out (reset first): 0, SW_ENOTFOUND, SW_EINVAL (not a regular file), SW_ETOOBIG.
 */
int sw_context_read_root_file(struct sw_context *c, const char *name, size_t max, struct sw_buf *out);

/* The context's Dockerfile (sw_context_dockerfile_name() of its tree), or NULL. */
const char *sw_context_dockerfile(const struct sw_context *c);

/* Entries sent so far (files, symlinks and directories) and their content bytes. */
void sw_context_stats(const struct sw_context *c, size_t *entries, unsigned long long *bytes);

void sw_context_free(struct sw_context *c);

/*
 * The repository of opts (repo_path, object_dir, alternate_dirs; the rest is ignored)
 * opened the way sw_context_new() opens it, quarantine included, for other readers of
 * the pushed tree (the releaser's manifest). 0 with *out the caller's
 * (git_repository_free), or negative with one line.
 */
struct git_repository;
int sw_context_open_repository(struct git_repository **out, const struct sw_context_opts *opts);

#endif
