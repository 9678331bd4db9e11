#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include <git2.h>

#include "builder/context.h"
#include "builder/dockerignore.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

/*
 * How the stream is made:
 *
 *   walk (main thread) ──▶ ring of the next RING entries ──▶ emit: header, then the
 *                               ▲ blobs read ahead               file's bytes in place
 *                        prefetch thread (own repository handle)
 *
 * The walk runs ahead of the output by up to RING entries. Inflating their blobs
 * is nearly all the work (zlib), and libgit2 inflates on two repository handles
 * at once, so two threads do it: the prefetch thread takes the next blob nobody
 * has started, and so does the main thread whenever the blob it must send next
 * is still being inflated by the other one. Blobs read ahead and not yet sent
 * stay under PREFETCH_BUDGET bytes (plus the ones being read). The bytes are the
 * same whoever reads what: the order is the walk's.
 */

#define MAX_DOCKERIGNORE (1u << 20)
#define MAX_SUBMODULES_NAMED 3
#define RING 64
#define PREFETCH_BUDGET ((size_t)4 << 20)

/* One directory being walked. */
struct frame {
	git_tree *tree;
	size_t idx, count;
	size_t pathlen;   /* length of "dir/" in c->path (0 at the root) */
	int has_info;     /* the dockerignore results of this directory are in the info pool */
};

enum kind { K_DIR, K_FILE, K_EXEC, K_LINK };
enum fetch { F_NONE, F_WORKER, F_READY, F_FAILED, F_MAIN };

/* One entry to send, walked but not yet sent. */
struct item {
	struct sw_buf path;     /* reused from slot to slot: no allocation per file */
	enum kind kind;
	git_oid oid;
	enum fetch fetch;       /* guarded by c->lock */
	git_odb_object *obj;    /* F_READY: the blob, read by the prefetch thread */
};

enum state { WALKING, CLOSED, FAILED };

struct sw_context {
	git_repository *repo;
	git_odb *odb;
	git_tree *root;
	struct sw_dockerignore *ignore;
	size_t npat;
	char short_id[8];
	const char *dockerfile;   /* "Dockerfile", "dockerfile" or NULL (sw_context_dockerfile_name) */
	sw_context_warn_fn warn;
	void *warn_ctx;
	const struct sw_cancel *cancel;

	/* the walk */
	struct frame *stack;
	size_t depth, alloc;
	unsigned char *info;    /* npat bytes per stack level */
	unsigned char *scratch; /* npat bytes: the current entry's results */
	struct sw_buf path;
	int walked;             /* the walk is over */

	/* entries walked, not yet sent: seq head..tail-1 at ring[seq % RING] */
	struct item ring[RING];
	unsigned long long head, tail;

	/* the prefetch thread */
	pthread_t thread;
	int threaded;             /* the thread runs */
	int sync_init;            /* lock and cond initialised */
	git_repository *wrepo;
	git_odb *wodb;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long long claim; /* next seq the prefetch looks at */
	size_t held;              /* bytes of F_READY blobs */
	int stop;

	/* the entry being sent (the ring's head) */
	int sending;
	git_odb_object *blob;
	const char *data;
	size_t left;            /* its bytes not yet handed out */
	struct sw_buf link;

	/*
	 * libarchive: a ustar writer and a pax_restricted one on the same output
	 * (see write_header), block size 0 so every write comes straight to on_write.
	 * Headers, padding and the end blocks go to the stage; file contents are
	 * not copied: on_write notes where they are (passthrough).
	 */
	struct archive *ustar;
	struct archive *pax;
	struct archive *ar;     /* the writer of the current entry */
	struct archive_entry *entry;
	struct sw_buf stage;
	int stage_out;          /* the stage was handed out: empty it on the next call */
	int passthrough;
	const char *span;
	size_t span_len;
	int discard;            /* closing: libarchive's bytes go nowhere */

	/* sw_context_read()'s position in the current piece */
	const char *cur;
	size_t cur_len;

	size_t submodules;
	struct sw_buf submodule_names;
	size_t entries;
	unsigned long long bytes;
	enum state state;
	int code;
	struct sw_buf err;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale;

static void global_init_once(void)
{
	git_libgit2_init(); /* held for the life of the process: the settings below must stick */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)16 << 20);
	/*
	 * libarchive converts names from the current locale to UTF-8 for pax headers;
	 * in the "C" locale a daemon runs with, any non-ASCII name would come out as
	 * "hdrcharset=BINARY". Git paths are UTF-8: write them under a UTF-8 locale
	 * (per thread, with uselocale(), so nothing else in the process changes).
	 */
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

void sw_context_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

static int fail(struct sw_context *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct sw_context *c, int code, const char *fmt, ...)
{
	va_list ap;
	if (c->state != FAILED) {
		sw_buf_reset(&c->err);
		va_start(ap, fmt);
		sw_buf_vaddf(&c->err, fmt, ap);
		va_end(ap);
		c->code = code < 0 ? code : SW_ERROR;
		c->state = FAILED;
	}
	return sw_error_code(c->code, "%s", c->err.ptr);
}

static const char *git_msg(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown libgit2 error";
}

static int fail_archive(struct sw_context *c, const char *what, const char *path)
{
	const char *m = archive_error_string(c->ar);
	return fail(c, SW_ERROR, "build context: %s %s: %s", what, path, m ? m : "libarchive error");
}

static la_ssize_t on_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct sw_context *c = ctx;

	if (c->discard)
		return (la_ssize_t)n;
	if (c->passthrough && !c->span) {
		c->span = buf;
		c->span_len = n;
	} else {
		sw_buf_add(&c->stage, buf, n);
	}
	return (la_ssize_t)n;
}

/* --- the prefetch thread ------------------------------------------------------ */

static int is_blob(const struct item *it)
{
	return it->kind != K_DIR;
}

/*
 * The next blob nobody is reading yet, within the read-ahead budget, marked as
 * being read (F_WORKER); NULL when there is none. Called with c->lock held.
 */
static struct item *claim_next(struct sw_context *c)
{
	if (c->claim < c->head)
		c->claim = c->head;
	while (c->held < PREFETCH_BUDGET && c->claim < c->tail) {
		struct item *it = &c->ring[c->claim++ % RING];
		if (is_blob(it) && it->fetch == F_NONE) {
			it->fetch = F_WORKER;
			return it;
		}
	}
	return NULL;
}

/* Read a claimed blob with odb (this thread's handle). Called and returns with c->lock held. */
static void read_claimed(struct sw_context *c, git_odb *odb, struct item *it)
{
	git_odb_object *obj = NULL;
	git_oid oid = it->oid;
	int r;

	pthread_mutex_unlock(&c->lock);
	r = git_odb_read(&obj, odb, &oid);
	pthread_mutex_lock(&c->lock);
	if (r < 0) {
		it->fetch = F_FAILED; /* whoever sends it reads it again, for the message */
	} else {
		it->obj = obj;
		it->fetch = F_READY;
		c->held += git_odb_object_size(obj);
	}
	pthread_cond_broadcast(&c->cond);
}

static void *prefetch_main(void *arg)
{
	struct sw_context *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		struct item *it = claim_next(c);
		if (it)
			read_claimed(c, c->wodb, it);
		else
			pthread_cond_wait(&c->cond, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void prefetch_stop(struct sw_context *c)
{
	if (!c->threaded)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->threaded = 0;
}

/*
 * The blob of the head item. Read ahead already: take it. Not started: read it
 * here. Being read by the prefetch thread: read a later one meanwhile (so both
 * threads inflate), then look again.
 */
static int take_blob(struct sw_context *c, struct item *it, git_odb_object **out)
{
	*out = NULL;
	if (c->threaded) {
		pthread_mutex_lock(&c->lock);
		while (it->fetch == F_WORKER) {
			struct item *later = claim_next(c);
			if (later)
				read_claimed(c, c->odb, later);
			else
				pthread_cond_wait(&c->cond, &c->lock);
		}
		if (it->fetch == F_READY) {
			*out = it->obj;
			it->obj = NULL;
			c->held -= git_odb_object_size(*out);
			pthread_cond_broadcast(&c->cond); /* budget freed */
		}
		it->fetch = F_MAIN;
		pthread_mutex_unlock(&c->lock);
		if (*out)
			return 0;
	}
	if (git_odb_read(out, c->odb, &it->oid) < 0)
		return fail(c, SW_ERROR, "build context: cannot read %s: %s", it->path.ptr, git_msg());
	return 0;
}

/* --- the walk ----------------------------------------------------------------- */

static void push_tree(struct sw_context *c, git_tree *tree, size_t pathlen, const unsigned char *info)
{
	struct frame *f;
	size_t old = c->alloc;

	SW_ALLOC_GROW(c->stack, c->depth + 1, c->alloc);
	if (c->npat && c->alloc != old)
		c->info = xrealloc(c->info, c->alloc * c->npat);
	f = &c->stack[c->depth];
	f->tree = tree;
	f->idx = 0;
	f->count = git_tree_entrycount(tree);
	f->pathlen = pathlen;
	f->has_info = info != NULL;
	if (info)
		memcpy(c->info + c->depth * c->npat, info, c->npat);
	c->depth++;
}

static void note_submodule(struct sw_context *c)
{
	c->submodules++;
	if (c->submodules > MAX_SUBMODULES_NAMED)
		return;
	if (c->submodule_names.len)
		sw_buf_adds(&c->submodule_names, ", ");
	sw_buf_add(&c->submodule_names, c->path.ptr, c->path.len);
}

static void warn_submodules(struct sw_context *c)
{
	struct sw_buf line = SW_BUF_INIT;

	if (!c->submodules || !c->warn)
		return;
	sw_buf_addf(&line, "warning: %zu submodule%s skipped (not part of the build context): %s",
		    c->submodules, c->submodules == 1 ? "" : "s", c->submodule_names.ptr);
	if (c->submodules > MAX_SUBMODULES_NAMED)
		sw_buf_addf(&line, " and %zu more", c->submodules - MAX_SUBMODULES_NAMED);
	c->warn(c->warn_ctx, line.ptr);
	sw_buf_release(&line);
}

/*
 * A name with a control character (a newline, an escape) is refused: it would break
 * the lines that name it (to the pusher, in the log) and Docker's own messages.
 */
static int has_control(const char *name)
{
	const unsigned char *p;
	for (p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static int fail_control(struct sw_context *c)
{
	static const char hex[] = "0123456789abcdef";
	struct sw_buf q = SW_BUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < c->path.len && q.len < 200; i++) {
		unsigned char ch = (unsigned char)c->path.ptr[i];
		if (ch == '\\' || ch == '"') {
			sw_buf_addch(&q, '\\');
			sw_buf_addch(&q, (char)ch);
		} else if (ch == '\n' || ch == '\t') {
			sw_buf_adds(&q, ch == '\n' ? "\\n" : "\\t");
		} else if (ch < 0x20 || ch == 0x7f) {
			sw_buf_adds(&q, "\\x");
			sw_buf_addch(&q, hex[ch >> 4]);
			sw_buf_addch(&q, hex[ch & 15]);
		} else {
			sw_buf_addch(&q, (char)ch);
		}
	}
	ret = fail(c, SW_EINVAL, "build context: \"%s%s\" has a control character in its name: rename it, or "
		   "list it in .dockerignore", q.ptr, i < c->path.len ? "..." : "");
	sw_buf_release(&q);
	return ret;
}

/*
 * Walk to the next entry to send and put it in the ring's tail slot (the caller
 * checked there is room). 1 when an entry was added, 0 at the end of the tree,
 * < 0 on failure. Excluded entries and submodules are passed over here.
 */
static int walk_one(struct sw_context *c)
{
	while (c->depth) {
		struct frame *f = &c->stack[c->depth - 1];
		const git_tree_entry *e;
		const char *name;
		git_filemode_t mode;
		struct item *it;
		int excluded = 0;

		if (f->idx >= f->count) {
			git_tree_free(f->tree);
			c->depth--;
			continue;
		}
		e = git_tree_entry_byindex(f->tree, f->idx++);
		name = git_tree_entry_name(e);
		mode = git_tree_entry_filemode(e);
		sw_buf_setlen(&c->path, f->pathlen);
		sw_buf_adds(&c->path, name);

		if (c->npat) {
			int always = c->depth == 1 && ((c->dockerfile && !strcmp(name, c->dockerfile)) ||
							 !strcmp(name, ".dockerignore"));
			const unsigned char *parent = f->has_info ? c->info + (c->depth - 1) * c->npat : NULL;
			excluded = !always &&
				   sw_dockerignore_match(c->ignore, c->path.ptr, c->path.len, parent, c->scratch);
		}
		if (!excluded && has_control(name))
			return fail_control(c);

		if (mode == GIT_FILEMODE_TREE) {
			git_tree *sub = NULL;
			int descend = !excluded || sw_dockerignore_descend(c->ignore, c->path.ptr, c->path.len);

			sw_buf_addch(&c->path, '/');
			if (descend) {
				if (git_tree_lookup(&sub, c->repo, git_tree_entry_id(e)) < 0)
					return fail(c, SW_ERROR, "build context: cannot read directory %s: %s",
						    c->path.ptr, git_msg());
				push_tree(c, sub, c->path.len, c->npat ? c->scratch : NULL);
			}
			if (excluded)
				continue;
		} else if (excluded) {
			continue;
		} else if (mode == GIT_FILEMODE_COMMIT) {
			note_submodule(c);
			continue;
		}

		it = &c->ring[c->tail % RING];
		sw_buf_reset(&it->path);
		sw_buf_add(&it->path, c->path.ptr, c->path.len);
		it->kind = mode == GIT_FILEMODE_TREE ? K_DIR : mode == GIT_FILEMODE_LINK ? K_LINK :
			   mode == GIT_FILEMODE_BLOB_EXECUTABLE ? K_EXEC : K_FILE;
		git_oid_cpy(&it->oid, git_tree_entry_id(e));
		it->fetch = F_NONE;
		it->obj = NULL;
		return 1;
	}
	return 0;
}

/* Walk ahead until the ring is full or the tree is done. */
static int fill_ring(struct sw_context *c)
{
	int added = 0, r = 0;

	if (c->threaded)
		pthread_mutex_lock(&c->lock);
	while (!c->walked && c->tail - c->head < RING) {
		/* the slot is free: the prefetch only looks at head..tail-1 */
		if (c->threaded)
			pthread_mutex_unlock(&c->lock);
		r = walk_one(c);
		if (c->threaded)
			pthread_mutex_lock(&c->lock);
		if (r < 0)
			break;
		if (r == 0) {
			c->walked = 1;
			break;
		}
		c->tail++;
		added = 1;
	}
	if (c->threaded) {
		if (added)
			pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
	return r < 0 ? r : 0;
}

/* --- the tar ------------------------------------------------------------------- */

static void header_common(struct sw_context *c, const char *path, mode_t type, mode_t perm)
{
	archive_entry_clear(c->entry);
	archive_entry_set_pathname(c->entry, path);
	archive_entry_set_filetype(c->entry, type);
	archive_entry_set_perm(c->entry, perm);
	archive_entry_set_uid(c->entry, 0);
	archive_entry_set_gid(c->entry, 0);
	archive_entry_set_uname(c->entry, "root");
	archive_entry_set_gname(c->entry, "root");
	archive_entry_set_mtime(c->entry, SW_CONTEXT_MTIME, 0);
}

/*
 * Can a plain ustar header hold this entry? ASCII path and link target, the path in
 * 100 bytes or split at a "/" into 155 + 100, the target in 100, the size in 11
 * octal digits. pax_restricted writes exactly that header for such an entry (both
 * writers format it with the same libarchive code), but spends three times as long
 * on each one: it clones and converts every entry to find out whether it needs a
 * pax header, and on a repository of small files that is most of the tar's own cost.
 */
static int fits_ustar(const char *path, size_t len, const char *link, unsigned long long size)
{
	size_t i, split = 0;

	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] >= 0x80)
			return 0;
	if (link) {
		size_t n = strlen(link);
		if (n > 100)
			return 0;
		for (i = 0; i < n; i++)
			if ((unsigned char)link[i] >= 0x80)
				return 0;
	}
	if (size >= 077777777777ULL)
		return 0;
	if (len <= 100)
		return 1;
	/* a "/" that ends a prefix of at most 155 bytes and leaves at most 100 for the name */
	for (i = 0; i < len && i <= 155; i++)
		if (path[i] == '/' && i + 1 < len && len - i - 1 <= 100)
			split = i;
	return split > 0;
}

/* Write c->entry's header with the writer it needs (the previous entry's padding first). */
static int write_header(struct sw_context *c, const char *path, size_t len)
{
	const char *link = archive_entry_symlink(c->entry);
	unsigned long long size = (unsigned long long)archive_entry_size(c->entry);
	struct archive *w = fits_ustar(path, len, link, size) ? c->ustar : c->pax;
	int r;

	if (w != c->ar) {
		if (archive_write_finish_entry(c->ar) < ARCHIVE_WARN)
			return fail_archive(c, "cannot finish the entry before", path);
		c->ar = w;
	}
	r = archive_write_header(c->ar, c->entry);
	if (r == ARCHIVE_FAILED && c->ar == c->ustar) {
		/* a limit fits_ustar() did not foresee: pax can say anything */
		c->ar = c->pax;
		r = archive_write_header(c->ar, c->entry);
	}
	if (r < ARCHIVE_WARN)
		return fail_archive(c, "cannot write the header of", path);
	c->entries++;
	return 0;
}

/* Send the ring's head entry: its header, and for a file its blob as c->data/c->left. */
static int emit_head(struct sw_context *c)
{
	struct item *it = &c->ring[c->head % RING];
	git_odb_object *obj = NULL;

	c->sending = 1;
	if (it->kind == K_DIR) {
		header_common(c, it->path.ptr, AE_IFDIR, 0755);
		return write_header(c, it->path.ptr, it->path.len);
	}
	if (take_blob(c, it, &obj) < 0)
		return c->code;
	if (it->kind == K_LINK) {
		sw_buf_reset(&c->link);
		sw_buf_add(&c->link, git_odb_object_data(obj), git_odb_object_size(obj));
		git_odb_object_free(obj);
		header_common(c, it->path.ptr, AE_IFLNK, 0777);
		archive_entry_set_symlink(c->entry, c->link.ptr);
		return write_header(c, it->path.ptr, it->path.len);
	}
	c->blob = obj;
	c->data = git_odb_object_data(obj);
	c->left = git_odb_object_size(obj);
	c->bytes += c->left;
	header_common(c, it->path.ptr, AE_IFREG, it->kind == K_EXEC ? 0755 : 0644);
	archive_entry_set_size(c->entry, (la_int64_t)c->left);
	return write_header(c, it->path.ptr, it->path.len);
}

/* The head entry has been handed out whole: free its blob, free its slot. */
static void done_head(struct sw_context *c)
{
	git_odb_object_free(c->blob);
	c->blob = NULL;
	c->data = NULL;
	c->left = 0;
	c->sending = 0;
	if (c->threaded)
		pthread_mutex_lock(&c->lock);
	c->head++;
	if (c->threaded) {
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
}

static int finish_tar(struct sw_context *c)
{
	/*
	 * The last padding, then the two zero blocks that end a tar, from one writer;
	 * the other writer's end would be a second one: dropped.
	 */
	struct archive *other = c->ar == c->ustar ? c->pax : c->ustar;
	if (archive_write_close(c->ar) < ARCHIVE_WARN)
		return fail_archive(c, "cannot finish the archive after", "the last entry");
	c->discard = 1;
	archive_write_close(other);
	c->discard = 0;
	c->state = CLOSED;
	prefetch_stop(c);
	warn_submodules(c);
	return 0;
}

static ssize_t next_piece(struct sw_context *c, const char **data)
{
	if (c->stage_out) {
		sw_buf_reset(&c->stage);
		c->stage_out = 0;
	}
	for (;;) {
		if (sw_cancel_raised(c->cancel))
			return fail(c, SW_ECANCEL, "cancelled");
		if (c->stage.len) {
			c->stage_out = 1;
			*data = c->stage.ptr;
			return (ssize_t)c->stage.len;
		}
		if (c->left) {
			/* the whole file in one piece, straight from the blob */
			la_ssize_t w;
			c->passthrough = 1;
			c->span = NULL;
			w = archive_write_data(c->ar, c->data, c->left);
			c->passthrough = 0;
			if (w < 0 || (size_t)w != c->left || c->span != c->data || c->span_len != c->left)
				return fail_archive(c, "cannot write", c->ring[c->head % RING].path.ptr);
			c->left = 0;
			*data = c->span;
			return (ssize_t)c->span_len;
		}
		if (c->sending)
			done_head(c);
		if (c->state != WALKING)
			return 0;
		if (fill_ring(c) < 0)
			return c->code;
		if (c->head == c->tail) {
			if (finish_tar(c) < 0)
				return c->code;
			continue;
		}
		if (emit_head(c) < 0)
			return c->code;
	}
}

ssize_t sw_context_next(struct sw_context *c, const char **data)
{
	locale_t old = (locale_t)0;
	ssize_t n;

	if (c->state == FAILED)
		return sw_error_code(c->code, "%s", c->err.ptr);
	if (utf8_locale)
		old = uselocale(utf8_locale);
	n = next_piece(c, data);
	if (utf8_locale)
		uselocale(old);
	if (c->state == FAILED) {
		prefetch_stop(c);
		return sw_error_code(c->code, "%s", c->err.ptr);
	}
	return n;
}

ssize_t sw_context_read(struct sw_context *c, char *buf, size_t n)
{
	size_t done = 0;

	if (sw_cancel_raised(c->cancel))
		fail(c, SW_ECANCEL, "cancelled");
	if (c->state == FAILED)
		return sw_error_code(c->code, "%s", c->err.ptr);
	while (done < n) {
		size_t take;
		if (!c->cur_len) {
			ssize_t got = sw_context_next(c, &c->cur);
			if (got < 0)
				return got;
			if (got == 0)
				break;
			c->cur_len = (size_t)got;
		}
		take = n - done < c->cur_len ? n - done : c->cur_len;
		memcpy(buf + done, c->cur, take);
		done += take;
		c->cur += take;
		c->cur_len -= take;
	}
	return (ssize_t)done;
}

int sw_context_failure(const struct sw_context *c, const char **msg)
{
	if (msg)
		*msg = c->err.ptr;
	return c->state == FAILED ? c->code : 0;
}

const char *sw_context_short_id(const struct sw_context *c)
{
	return c->short_id;
}

const char *sw_context_dockerfile_name(const struct git_tree *tree)
{
	if (git_tree_entry_byname(tree, "Dockerfile"))
		return "Dockerfile";
	if (git_tree_entry_byname(tree, "dockerfile"))
		return "dockerfile";
	return NULL;
}

const char *sw_context_not_regular(const struct git_tree_entry *e)
{
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return NULL;
	case GIT_FILEMODE_LINK:
		return "a symlink";
	case GIT_FILEMODE_TREE:
		return "a directory";
	case GIT_FILEMODE_COMMIT:
		return "a submodule";
	default:
		return "not a file";
	}
}

int sw_context_read_root_file(struct sw_context *c, const char *name, size_t max, struct sw_buf *out)
{
	const git_tree_entry *e = git_tree_entry_byname(c->root, name);
	git_blob *blob = NULL;
	int ret = 0;

	sw_buf_reset(out);
	if (!e)
		return sw_error_code(SW_ENOTFOUND, "no %s at the root of %s", name, c->short_id);
	if (sw_context_not_regular(e))
		return sw_error_code(SW_EINVAL, "the %s at the root of %s is %s, not a regular file", name, c->short_id,
				     sw_context_not_regular(e));
	if (git_blob_lookup(&blob, c->repo, git_tree_entry_id(e)) < 0)
		return sw_error("cannot read %s: %s", name, git_msg());
	if ((size_t)git_blob_rawsize(blob) > max)
		ret = sw_error_code(SW_ETOOBIG, "%s is over %zu bytes", name, max);
	else
		sw_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return ret;
}

const char *sw_context_dockerfile(const struct sw_context *c)
{
	return c->dockerfile;
}

void sw_context_stats(const struct sw_context *c, size_t *entries, unsigned long long *bytes)
{
	if (entries)
		*entries = c->entries;
	if (bytes)
		*bytes = c->bytes;
}

/* --- setting up ---------------------------------------------------------------- */

/* A relative object dir is taken relative to the repository. */
static int add_object_dir(git_odb *odb, const char *repo_path, const char *dir, size_t len)
{
	struct sw_buf path = SW_BUF_INIT;
	int ret = 0;

	if (!len)
		return 0;
	if (dir[0] != '/') {
		sw_buf_adds(&path, repo_path);
		sw_buf_addch(&path, '/');
	}
	sw_buf_add(&path, dir, len);
	if (git_odb_add_disk_alternate(odb, path.ptr) < 0)
		ret = sw_error("cannot use object directory %s: %s", path.ptr, git_msg());
	sw_buf_release(&path);
	return ret;
}

/* The repository and its objects, quarantine included. */
static int open_repo(git_repository **repo, git_odb **odb, const struct sw_context_opts *o)
{
	if (git_repository_open_ext(repo, o->repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return sw_error("cannot open repository %s: %s", o->repo_path, git_msg());
	if (git_repository_odb(odb, *repo) < 0)
		return sw_error("cannot open the objects of %s: %s", o->repo_path, git_msg());
	if (o->object_dir && add_object_dir(*odb, o->repo_path, o->object_dir, strlen(o->object_dir)) < 0)
		return SW_ERROR;
	if (o->alternate_dirs) {
		const char *s = o->alternate_dirs;
		while (*s) {
			const char *colon = strchr(s, ':');
			size_t len = colon ? (size_t)(colon - s) : strlen(s);
			if (add_object_dir(*odb, o->repo_path, s, len) < 0)
				return SW_ERROR;
			s += len + (colon ? 1 : 0);
		}
	}
	return 0;
}

/* For other readers of the pushed tree (the releaser's manifest): see context.h. */
int sw_context_open_repository(git_repository **out, const struct sw_context_opts *opts)
{
	git_odb *odb = NULL;
	int ret;

	*out = NULL;
	if (!opts->repo_path || !*opts->repo_path)
		return sw_error_code(SW_EINVAL, "no repository given");
	sw_context_global_init();
	git_libgit2_init();
	ret = open_repo(out, &odb, opts);
	git_odb_free(odb);
	if (ret < 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	return ret;
}

static int valid_sha(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return i == GIT_OID_HEXSZ;
}

static int read_dockerignore(struct sw_context *c, const git_tree_entry *e)
{
	git_blob *blob = NULL;
	int ret;

	if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE)
		return sw_error_code(SW_EINVAL, ".dockerignore at the root of %s is not a regular file", c->short_id);
	if (git_blob_lookup(&blob, c->repo, git_tree_entry_id(e)) < 0)
		return sw_error("cannot read .dockerignore: %s", git_msg());
	if (git_blob_rawsize(blob) > MAX_DOCKERIGNORE) {
		ret = sw_error_code(SW_ETOOBIG, ".dockerignore is larger than %u bytes", MAX_DOCKERIGNORE);
	} else {
		ret = sw_dockerignore_new(&c->ignore, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		if (!ret)
			c->npat = sw_dockerignore_count(c->ignore);
	}
	git_blob_free(blob);
	return ret;
}

static int open_archive(struct sw_context *c)
{
	c->entry = archive_entry_new();
	c->ustar = archive_write_new();
	c->pax = archive_write_new();
	c->ar = c->ustar;
	if (!c->entry || !c->ustar || !c->pax ||
	    archive_write_set_format_ustar(c->ustar) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(c->pax) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(c->ustar, 0) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(c->pax, 0) != ARCHIVE_OK ||
	    archive_write_open(c->ustar, c, NULL, on_write, NULL) != ARCHIVE_OK ||
	    archive_write_open(c->pax, c, NULL, on_write, NULL) != ARCHIVE_OK)
		return sw_error("cannot set up libarchive: %s",
				c->ustar && c->pax ? archive_error_string(c->pax) : "out of memory");
	return 0;
}

/* A second handle on the repository for the prefetch thread; without one, no prefetch. */
static void start_prefetch(struct sw_context *c, const struct sw_context_opts *o)
{
	if (o->no_prefetch || open_repo(&c->wrepo, &c->wodb, o) < 0) {
		sw_error_clear();
		return;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->sync_init = 1;
	if (pthread_create(&c->thread, NULL, prefetch_main, c) == 0)
		c->threaded = 1;
}

int sw_context_new(struct sw_context **out, const struct sw_context_opts *opts)
{
	struct sw_context *c;
	git_commit *commit = NULL;
	git_tree *root = NULL;
	git_oid oid;
	const git_tree_entry *e;
	size_t i;
	int ret = 0;

	*out = NULL;
	if (!opts->repo_path || !*opts->repo_path)
		return sw_error_code(SW_EINVAL, "no repository given");
	if (!opts->commit || !valid_sha(opts->commit))
		return sw_error_code(SW_EINVAL, "bad commit id \"%.64s\": want 40 lowercase hex digits",
				     opts->commit ? opts->commit : "");

	sw_context_global_init();
	git_libgit2_init();
	c = xcalloc(1, sizeof(*c));
	sw_buf_init(&c->path, 0);
	sw_buf_init(&c->link, 0);
	sw_buf_init(&c->stage, 0);
	sw_buf_init(&c->err, 0);
	sw_buf_init(&c->submodule_names, 0);
	for (i = 0; i < RING; i++)
		sw_buf_init(&c->ring[i].path, 0);
	c->warn = opts->warn;
	c->warn_ctx = opts->warn_ctx;
	c->cancel = opts->cancel;
	memcpy(c->short_id, opts->commit, 7);

	if ((ret = open_repo(&c->repo, &c->odb, opts)) < 0)
		goto cleanup;
	git_oid_fromstr(&oid, opts->commit);
	if (git_commit_lookup(&commit, c->repo, &oid) < 0) {
		ret = sw_error_code(SW_ENOTFOUND, "commit %s not found in %s", c->short_id, opts->repo_path);
		goto cleanup;
	}
	if (git_commit_tree(&c->root, commit) < 0) {
		ret = sw_error("cannot read the tree of %s: %s", c->short_id, git_msg());
		goto cleanup;
	}
	c->dockerfile = sw_context_dockerfile_name(c->root);
	if (opts->require_dockerfile) {
		if (!c->dockerfile) {
			ret = sw_error_code(SW_ENOTFOUND, "no Dockerfile at the root of %s", c->short_id);
			goto cleanup;
		}
		e = git_tree_entry_byname(c->root, c->dockerfile);
		if (sw_context_not_regular(e)) {
			/* a symlink is never followed (it may point anywhere on this machine) */
			ret = sw_error_code(SW_EINVAL, "the %s at the root of %s is %s, not a regular file",
					    c->dockerfile, c->short_id, sw_context_not_regular(e));
			goto cleanup;
		}
	}
	e = git_tree_entry_byname(c->root, ".dockerignore");
	if (e && (ret = read_dockerignore(c, e)) < 0)
		goto cleanup;
	if (c->npat)
		c->scratch = xcalloc(c->npat, 1);
	if ((ret = open_archive(c)) < 0)
		goto cleanup;
	git_tree_dup(&root, c->root);
	push_tree(c, root, 0, NULL);
	start_prefetch(c, opts);
	c->state = WALKING;
	*out = c;
	c = NULL;

cleanup:
	git_commit_free(commit);
	sw_context_free(c);
	return ret;
}

void sw_context_free(struct sw_context *c)
{
	size_t i;

	if (!c)
		return;
	prefetch_stop(c);
	if (c->sync_init) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
	}
	git_odb_free(c->wodb);
	git_repository_free(c->wrepo);
	while (c->depth)
		git_tree_free(c->stack[--c->depth].tree);
	free(c->stack);
	free(c->info);
	free(c->scratch);
	for (i = 0; i < RING; i++) {
		git_odb_object_free(c->ring[i].obj);
		sw_buf_release(&c->ring[i].path);
	}
	git_odb_object_free(c->blob);
	c->discard = 1;
	if (c->ustar)
		archive_write_free(c->ustar); /* closes it too: output dropped */
	if (c->pax)
		archive_write_free(c->pax);
	if (c->entry)
		archive_entry_free(c->entry);
	sw_dockerignore_free(c->ignore);
	git_tree_free(c->root);
	git_odb_free(c->odb);
	git_repository_free(c->repo);
	sw_buf_release(&c->path);
	sw_buf_release(&c->link);
	sw_buf_release(&c->stage);
	sw_buf_release(&c->err);
	sw_buf_release(&c->submodule_names);
	free(c);
	git_libgit2_shutdown();
}
