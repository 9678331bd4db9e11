/*
 * The build context's tar stream, byte for byte. Each test builds a repository with
 * libgit2 in a temp dir, streams a commit through sw_context_read(), parses the tar
 * here and checks the headers against ones built field by field (POSIX ustar, as
 * libarchive's pax_restricted writer formats numbers: "%06o \0" for mode/uid/gid,
 * "%011o " for size/mtime, checksum "%06o\0 ").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <git2.h>

#include "builder/context.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/proc.h"
#include "common/strvec.h"
#include "common/banned.h"

#define LONGNAME_LEN 120

struct file {
	const char *path;
	unsigned mode; /* git mode */
	const char *data;
};

struct fixture {
	char dir[512];
	git_repository *repo;
};

static struct fixture fx;

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(fx.dir, sizeof(fx.dir), "%s/sw-test-context.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx.dir))
		return -1;
	git_libgit2_init();
	if (git_repository_init(&fx.repo, fx.dir, 1) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct sw_proc p = SW_PROC_INIT;
	git_repository_free(fx.repo);
	git_libgit2_shutdown();
	sw_strvec_pushl(&p.args, "rm", "-rf", fx.dir, NULL);
	sw_proc_run(&p, NULL, NULL);
	sw_proc_release(&p);
	return 0;
}

/* Commit files (nested paths allowed) into repo; the commit's hex id goes to sha. */
static void commit_files(git_repository *repo, const struct file *files, size_t n, char sha[GIT_OID_HEXSZ + 1])
{
	git_index *index = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	size_t i;

	assert_int_equal(git_index_new(&index), 0);
	for (i = 0; i < n; i++) {
		git_index_entry e;
		memset(&e, 0, sizeof(e));
		e.path = files[i].path;
		e.mode = files[i].mode;
		if (files[i].mode == GIT_FILEMODE_COMMIT)
			git_oid_fromstr(&e.id, "1234567890123456789012345678901234567890");
		else
			assert_int_equal(git_blob_create_from_buffer(&e.id, repo, files[i].data, strlen(files[i].data)), 0);
		assert_int_equal(git_index_add(index, &e), 0);
	}
	assert_int_equal(git_index_write_tree_to(&tree_id, index, repo), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, "test", tree, 0, NULL), 0);
	git_oid_tostr(sha, GIT_OID_HEXSZ + 1, &commit_id);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
}

struct warnings {
	int count;
	char last[512];
};

static void on_warn(void *ctx, const char *line)
{
	struct warnings *w = ctx;
	w->count++;
	snprintf(w->last, sizeof(w->last), "%s", line);
}

/* The whole tar of sha, read chunk bytes at a time. */
static void read_tar(const char *repo, const char *sha, size_t chunk, struct sw_buf *out, struct warnings *w)
{
	struct sw_context_opts o = { 0 };
	struct sw_context *c = NULL;
	char *buf = malloc(chunk);
	ssize_t n;

	o.repo_path = repo;
	o.commit = sha;
	o.require_dockerfile = 1;
	o.warn = on_warn;
	o.warn_ctx = w;
	if (sw_context_new(&c, &o) < 0)
		fail_msg("sw_context_new: %s", sw_error_last());
	while ((n = sw_context_read(c, buf, chunk)) > 0)
		sw_buf_add(out, buf, (size_t)n);
	if (n < 0)
		fail_msg("sw_context_read: %s", sw_error_last());
	assert_int_equal(sw_context_read(c, buf, chunk), 0); /* stays at the end */
	sw_context_free(c);
	free(buf);
}

/* --- a small tar reader ------------------------------------------------------ */

struct entry {
	const unsigned char *hdr;  /* the 512-byte ustar header */
	const unsigned char *pax;  /* the data of a preceding pax "x" header, or NULL */
	size_t pax_len;
	const unsigned char *pax_hdr;
	const unsigned char *data;
	size_t size;
	char name[1024];           /* pax path, else prefix/name */
};

static unsigned long long octal(const unsigned char *f, size_t n)
{
	unsigned long long v = 0;
	size_t i;
	for (i = 0; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (unsigned)(f[i] - '0');
	return v;
}

static int zero_block(const unsigned char *p)
{
	size_t i;
	for (i = 0; i < 512; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Split the tar into entries; checks the two zero blocks at the end. */
static size_t parse_tar(const struct sw_buf *tar, struct entry *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)tar->ptr;
	size_t off = 0, n = 0;
	const unsigned char *pax = NULL, *pax_hdr = NULL;
	size_t pax_len = 0;

	assert_int_equal(tar->len % 512, 0);
	while (off + 512 <= tar->len && !zero_block(p + off)) {
		const unsigned char *h = p + off;
		size_t size = (size_t)octal(h + 124, 12);
		off += 512;
		if (h[156] == 'x') {
			pax = p + off;
			pax_len = size;
			pax_hdr = h;
		} else {
			struct entry *e;
			assert_true(n < max);
			e = &out[n++];
			memset(e, 0, sizeof(*e));
			e->hdr = h;
			e->data = p + off;
			e->size = size;
			e->pax = pax;
			e->pax_len = pax_len;
			e->pax_hdr = pax_hdr;
			if (pax) {
				const char *rec = memmem(pax, pax_len, " path=", 6);
				if (rec) {
					const char *end = memchr(rec, '\n', pax_len - (size_t)(rec - (const char *)pax));
					snprintf(e->name, sizeof(e->name), "%.*s", (int)(end - rec - 6), rec + 6);
				}
			}
			if (!e->name[0]) {
				if (h[345])
					snprintf(e->name, sizeof(e->name), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
				else
					snprintf(e->name, sizeof(e->name), "%.100s", (const char *)h);
			}
			pax = NULL;
			pax_len = 0;
			pax_hdr = NULL;
		}
		off += (size + 511) / 512 * 512;
	}
	/* end of archive: two zero blocks, nothing after */
	assert_int_equal(tar->len - off, 1024);
	assert_true(zero_block(p + off) && zero_block(p + off + 512));
	return n;
}

static const struct entry *find(const struct entry *es, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(es[i].name, name))
			return &es[i];
	fail_msg("no entry %s in the tar", name);
	return NULL;
}

/* A ustar header as libarchive's pax_restricted writer formats it, field by field. */
static void want_header(unsigned char h[512], const char *prefix, const char *name, unsigned mode,
			unsigned long long size, char type, const char *linkname)
{
	char field[16];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	memcpy(h + 0, name, strlen(name));                /* name[100] */
	snprintf(field, sizeof(field), "%06o ", mode);     /* mode[8]: 6 digits, space, NUL */
	memcpy(h + 100, field, 8);
	memcpy(h + 108, "000000 \0", 8);                   /* uid */
	memcpy(h + 116, "000000 \0", 8);                   /* gid */
	snprintf(field, sizeof(field), "%011llo ", size);  /* size[12] */
	memcpy(h + 124, field, 12);
	snprintf(field, sizeof(field), "%011o ", (unsigned)SW_CONTEXT_MTIME);
	memcpy(h + 136, field, 12);                        /* mtime[12] */
	h[156] = (unsigned char)type;
	if (linkname)
		memcpy(h + 157, linkname, strlen(linkname)); /* linkname[100] */
	memcpy(h + 257, "ustar\0" "00", 8);                /* magic, version */
	memcpy(h + 265, "root", 4);                        /* uname[32] */
	memcpy(h + 297, "root", 4);                        /* gname[32] */
	memcpy(h + 329, "000000 \0", 8);                   /* devmajor */
	memcpy(h + 337, "000000 \0", 8);                   /* devminor */
	if (prefix)
		memcpy(h + 345, prefix, strlen(prefix));   /* prefix[155] */
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf(field, sizeof(field), "%06o", sum);       /* chksum[8]: 6 digits, NUL, space */
	memcpy(h + 148, field, 6);
	h[154] = '\0';
	h[155] = ' ';
}

static void assert_header(const struct entry *e, const char *prefix, const char *name, unsigned mode,
			  unsigned long long size, char type, const char *linkname)
{
	unsigned char want[512];
	size_t i;
	want_header(want, prefix, name, mode, size, type, linkname);
	for (i = 0; i < 512; i++)
		if (want[i] != e->hdr[i])
			fail_msg("%s: header byte %zu is 0x%02x, want 0x%02x", e->name, i, e->hdr[i], want[i]);
}

/* A pax record "LEN key=value\n" (LEN counts the whole record, its own digits too). */
static void want_record(struct sw_buf *out, const char *key, const char *value)
{
	size_t body = 1 + strlen(key) + 1 + strlen(value) + 1, len = body, digits = 0, x;
	for (;;) {
		for (x = len, digits = 0; x; x /= 10)
			digits++;
		if (body + digits == len)
			break;
		len = body + digits;
	}
	sw_buf_addf(out, "%zu %s=%s\n", len, key, value);
}

/* --- the repository the tests stream ----------------------------------------- */

static char longname[LONGNAME_LEN + 1];
static char splitpath[200];
static char splitdir[61], splitfile[61];

static const char *sample_sha(void)
{
	static char sha[GIT_OID_HEXSZ + 1];
	if (!sha[0]) {
		struct file files[] = {
			{ "Dockerfile", GIT_FILEMODE_BLOB, "FROM scratch\n" },
			{ "run.sh", GIT_FILEMODE_BLOB_EXECUTABLE, "#!/bin/sh\necho hi\n" },
			{ "link", GIT_FILEMODE_LINK, "dir/sub/file.txt" },
			{ "dir/sub/file.txt", GIT_FILEMODE_BLOB, "nested\n" },
			{ longname, GIT_FILEMODE_BLOB, "long\n" },
			{ splitpath, GIT_FILEMODE_BLOB, "split\n" },
			{ "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt", GIT_FILEMODE_BLOB, "utf-8\n" },
			{ "vendor/lib", GIT_FILEMODE_COMMIT, NULL },
			{ "vendor2/lib2", GIT_FILEMODE_COMMIT, NULL },
		};
		memset(longname, 'L', LONGNAME_LEN);
		memset(splitdir, 'd', 60);
		memset(splitfile, 'f', 60);
		snprintf(splitpath, sizeof(splitpath), "%s/%s", splitdir, splitfile);
		commit_files(fx.repo, files, sizeof(files) / sizeof(files[0]), sha);
	}
	return sha;
}

struct streamed {
	struct sw_buf tar;
	struct entry e[64];
	size_t n;
	struct warnings w;
};

static void stream_sample(struct streamed *s, size_t chunk)
{
	memset(s, 0, sizeof(*s));
	sw_buf_init(&s->tar, 0);
	read_tar(fx.dir, sample_sha(), chunk, &s->tar, &s->w);
	s->n = parse_tar(&s->tar, s->e, 64);
}

/* --- tests -------------------------------------------------------------------- */

static void regular_file(void **state)
{
	struct streamed s;
	const struct entry *e;
	stream_sample(&s, 65536);
	e = find(s.e, s.n, "Dockerfile");
	assert_header(e, NULL, "Dockerfile", 0644, 13, '0', NULL);
	assert_null(e->pax);
	assert_memory_equal(e->data, "FROM scratch\n", 13);
	/* padded with zeros to the next block */
	for (size_t i = 13; i < 512; i++)
		assert_int_equal(e->data[i], 0);
	sw_buf_release(&s.tar);
}

static void executable_keeps_its_bit(void **state)
{
	struct streamed s;
	const struct entry *e;
	stream_sample(&s, 65536);
	e = find(s.e, s.n, "run.sh");
	assert_header(e, NULL, "run.sh", 0755, 18, '0', NULL);
	assert_memory_equal(e->data, "#!/bin/sh\necho hi\n", 18);
	sw_buf_release(&s.tar);
}

static void symlink_stays_a_symlink(void **state)
{
	struct streamed s;
	const struct entry *e;
	stream_sample(&s, 65536);
	e = find(s.e, s.n, "link");
	assert_header(e, NULL, "link", 0777, 0, '2', "dir/sub/file.txt");
	sw_buf_release(&s.tar);
}

static void long_path(void **state)
{
	struct streamed s;
	struct sw_buf rec = SW_BUF_INIT;
	const struct entry *e;
	stream_sample(&s, 65536);

	/* a 120-byte name cannot be split into ustar's prefix/name: a pax "path" record */
	e = find(s.e, s.n, longname);
	assert_non_null(e->pax);
	want_record(&rec, "path", longname);
	assert_int_equal(e->pax_len, rec.len);
	assert_memory_equal(e->pax, rec.ptr, rec.len);
	assert_int_equal(e->pax_hdr[156], 'x');
	assert_int_equal(e->hdr[156], '0');
	assert_int_equal(octal(e->hdr + 124, 12), 5);
	assert_memory_equal(e->data, "long\n", 5);

	/* a 121-byte path with a "/" in the right place fits ustar's prefix + name exactly */
	e = find(s.e, s.n, splitpath);
	assert_null(e->pax);
	assert_header(e, splitdir, splitfile, 0644, 6, '0', NULL);
	sw_buf_release(&rec);
	sw_buf_release(&s.tar);
}

static void utf8_name(void **state)
{
	static const char dir[] = "caf\xc3\xa9/";
	static const char path[] = "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt";
	struct streamed s;
	struct sw_buf rec = SW_BUF_INIT;
	const struct entry *e;
	stream_sample(&s, 65536);

	/* non-ASCII: a pax "path" record in UTF-8 (no hdrcharset=BINARY), the ustar name as well */
	e = find(s.e, s.n, path);
	assert_non_null(e->pax);
	want_record(&rec, "path", path);
	assert_int_equal(e->pax_len, rec.len);
	assert_memory_equal(e->pax, rec.ptr, rec.len);
	assert_null(memmem(e->pax, e->pax_len, "hdrcharset", 10));
	assert_header(e, NULL, path, 0644, 6, '0', NULL);

	e = find(s.e, s.n, dir);
	sw_buf_reset(&rec);
	want_record(&rec, "path", dir);
	assert_memory_equal(e->pax, rec.ptr, rec.len);
	assert_header(e, NULL, dir, 0755, 0, '5', NULL);
	sw_buf_release(&rec);
	sw_buf_release(&s.tar);
}

static void nested_dirs_in_git_order(void **state)
{
	struct streamed s;
	const char *want[32];
	char dd[80], ddf[200];
	size_t n = 0, i;

	stream_sample(&s, 65536);
	snprintf(dd, sizeof(dd), "%s/", splitdir);
	want[n++] = "Dockerfile";
	want[n++] = longname;
	want[n++] = "caf\xc3\xa9/";
	want[n++] = "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt";
	want[n++] = dd;
	snprintf(ddf, sizeof(ddf), "%s", splitpath);
	want[n++] = ddf;
	want[n++] = "dir/";
	want[n++] = "dir/sub/";
	want[n++] = "dir/sub/file.txt";
	want[n++] = "link";
	want[n++] = "run.sh";
	want[n++] = "vendor/";
	want[n++] = "vendor2/";
	assert_int_equal(s.n, n);
	for (i = 0; i < n; i++)
		if (strcmp(s.e[i].name, want[i]))
			fail_msg("entry %zu is %s, want %s", i, s.e[i].name, want[i]);
	assert_header(find(s.e, s.n, "dir/"), NULL, "dir/", 0755, 0, '5', NULL);
	assert_header(find(s.e, s.n, "dir/sub/"), NULL, "dir/sub/", 0755, 0, '5', NULL);
	assert_header(find(s.e, s.n, "dir/sub/file.txt"), NULL, "dir/sub/file.txt", 0644, 7, '0', NULL);
	sw_buf_release(&s.tar);
}

static void submodules_one_warning(void **state)
{
	struct streamed s;
	stream_sample(&s, 65536);
	assert_int_equal(s.w.count, 1);
	assert_string_equal(s.w.last, "warning: 2 submodules skipped (not part of the build context): vendor/lib, vendor2/lib2");
	sw_buf_release(&s.tar);
}

/* Pulled a byte, a few bytes or a lot at a time: the same tar. */
static void any_read_size_same_bytes(void **state)
{
	static const size_t sizes[] = { 1, 7, 511, 512, 513, 4096, 1 << 20 };
	struct streamed ref, s;
	size_t i;

	stream_sample(&ref, 65536);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		stream_sample(&s, sizes[i]);
		assert_int_equal(s.tar.len, ref.tar.len);
		assert_memory_equal(s.tar.ptr, ref.tar.ptr, ref.tar.len);
		sw_buf_release(&s.tar);
	}
	sw_buf_release(&ref.tar);
}

static void dockerignore_applied(void **state)
{
	struct file files[] = {
		{ "Dockerfile", GIT_FILEMODE_BLOB, "FROM scratch\n" },
		{ ".dockerignore", GIT_FILEMODE_BLOB,
		  "*.log\nsecret/\n!secret/public.txt\nDockerfile\n.dockerignore\nbuild\n!build/keep/*.txt\n" },
		{ "a.log", GIT_FILEMODE_BLOB, "x" },
		{ "app.txt", GIT_FILEMODE_BLOB, "x" },
		{ "secret/key", GIT_FILEMODE_BLOB, "x" },
		{ "secret/public.txt", GIT_FILEMODE_BLOB, "x" },
		{ "build/out.o", GIT_FILEMODE_BLOB, "x" },
		{ "build/keep/x.txt", GIT_FILEMODE_BLOB, "x" },
		{ "build/keep/y.o", GIT_FILEMODE_BLOB, "x" },
		{ "logs/today.log", GIT_FILEMODE_BLOB, "x" },
	};
	/* Dockerfile and .dockerignore are sent although listed; excluded dirs get no entry */
	static const char *want[] = {
		".dockerignore", "Dockerfile", "app.txt", "build/keep/x.txt", "logs/", "logs/today.log", "secret/public.txt",
	};
	char sha[GIT_OID_HEXSZ + 1];
	struct sw_buf tar = SW_BUF_INIT;
	struct warnings w = { 0 };
	struct entry e[16];
	size_t n, i;

	commit_files(fx.repo, files, sizeof(files) / sizeof(files[0]), sha);
	read_tar(fx.dir, sha, 1000, &tar, &w);
	n = parse_tar(&tar, e, 16);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++)
		if (strcmp(e[i].name, want[i]))
			fail_msg("entry %zu is %s, want %s", i, e[i].name, want[i]);
	assert_int_equal(w.count, 0);
	sw_buf_release(&tar);
}

/* The names of the tar's entries, in order, against want. */
static void want_names(const struct sw_buf *tar, const char *const *want, size_t nwant)
{
	struct entry e[16];
	size_t n = parse_tar(tar, e, 16), i;

	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		if (strcmp(e[i].name, want[i]))
			fail_msg("entry %zu is %s, want %s", i, e[i].name, want[i]);
}

/*
 * Docker's own detection (moby builder/remotecontext/detect.go): "Dockerfile", else a
 * lowercase "dockerfile", which is then sent whatever .dockerignore says. With both,
 * "dockerfile" is a file like any other.
 */
static void lowercase_dockerfile(void **state)
{
	struct file lower[] = {
		{ "dockerfile", GIT_FILEMODE_BLOB, "FROM scratch\n" },
		{ ".dockerignore", GIT_FILEMODE_BLOB, "*file\n" },
		{ "app.txt", GIT_FILEMODE_BLOB, "x" },
	};
	struct file both[] = {
		{ "Dockerfile", GIT_FILEMODE_BLOB, "FROM scratch\n" },
		{ "dockerfile", GIT_FILEMODE_BLOB, "FROM other\n" },
		{ ".dockerignore", GIT_FILEMODE_BLOB, "*file\n" },
	};
	struct file other_case[] = { { "DOCKERFILE", GIT_FILEMODE_BLOB, "FROM scratch\n" } };
	static const char *const want_lower[] = { ".dockerignore", "app.txt", "dockerfile" };
	static const char *const want_both[] = { ".dockerignore", "Dockerfile" };
	struct sw_context_opts o = { 0 };
	struct sw_context *c = NULL;
	struct sw_buf tar = SW_BUF_INIT;
	struct warnings w = { 0 };
	char sha[GIT_OID_HEXSZ + 1], want[100];

	commit_files(fx.repo, lower, 3, sha);
	o.repo_path = fx.dir;
	o.commit = sha;
	o.require_dockerfile = 1;
	assert_int_equal(sw_context_new(&c, &o), 0);
	assert_string_equal(sw_context_dockerfile(c), "dockerfile");
	sw_context_free(c);
	read_tar(fx.dir, sha, 4096, &tar, &w);
	want_names(&tar, want_lower, 3);
	sw_buf_reset(&tar);

	commit_files(fx.repo, both, 3, sha);
	o.commit = sha;
	assert_int_equal(sw_context_new(&c, &o), 0);
	assert_string_equal(sw_context_dockerfile(c), "Dockerfile");
	sw_context_free(c);
	read_tar(fx.dir, sha, 4096, &tar, &w);
	want_names(&tar, want_both, 2);

	/* only those two spellings */
	commit_files(fx.repo, other_case, 1, sha);
	o.commit = sha;
	assert_int_equal(sw_context_new(&c, &o), SW_ENOTFOUND);
	snprintf(want, sizeof(want), "no Dockerfile at the root of %.7s", sha);
	assert_string_equal(sw_error_last(), want);
	sw_buf_release(&tar);
}

static void refused_inputs(void **state)
{
	struct file files[] = { { "README", GIT_FILEMODE_BLOB, "no Dockerfile here\n" } };
	struct file badignore[] = {
		{ "Dockerfile", GIT_FILEMODE_BLOB, "FROM scratch\n" },
		{ ".dockerignore", GIT_FILEMODE_BLOB, "ok\n[\n" },
	};
	struct sw_context_opts o = { 0 };
	struct sw_context *c = (struct sw_context *)1;
	char sha[GIT_OID_HEXSZ + 1];
	char want[700];

	commit_files(fx.repo, files, 1, sha);
	o.repo_path = fx.dir;
	o.commit = sha;
	o.require_dockerfile = 1;
	assert_int_equal(sw_context_new(&c, &o), SW_ENOTFOUND);
	assert_null(c);
	snprintf(want, sizeof(want), "no Dockerfile at the root of %.7s", sha);
	assert_string_equal(sw_error_last(), want);

	o.require_dockerfile = 0; /* slipway-context: any tree */
	assert_int_equal(sw_context_new(&c, &o), 0);
	sw_context_free(c);

	commit_files(fx.repo, badignore, 2, sha);
	o.commit = sha;
	assert_int_equal(sw_context_new(&c, &o), SW_EINVAL);
	assert_string_equal(sw_error_last(), ".dockerignore line 2: bad pattern \"[\": syntax error in pattern");

	o.commit = "HEAD";
	assert_int_equal(sw_context_new(&c, &o), SW_EINVAL);
	o.commit = "0123456789ABCDEF0123456789abcdef01234567";
	assert_int_equal(sw_context_new(&c, &o), SW_EINVAL);
	o.commit = "0000000000000000000000000000000000000000";
	assert_int_equal(sw_context_new(&c, &o), SW_ENOTFOUND);
	snprintf(want, sizeof(want), "commit 0000000 not found in %s", fx.dir);
	assert_string_equal(sw_error_last(), want);
}

/* Objects of a push in quarantine: only found through object_dir / alternate_dirs. */
static void quarantine_objects(void **state)
{
	struct file files[] = { { "Dockerfile", GIT_FILEMODE_BLOB, "FROM quarantine\n" } };
	struct sw_context_opts o = { 0 };
	struct sw_context *c = NULL;
	git_repository *other = NULL;
	char otherdir[600], objects[700], sha[GIT_OID_HEXSZ + 1];
	struct sw_buf tar = SW_BUF_INIT;
	char buf[4096];
	ssize_t n;

	snprintf(otherdir, sizeof(otherdir), "%s/incoming.git", fx.dir);
	assert_int_equal(git_repository_init(&other, otherdir, 1), 0);
	commit_files(other, files, 1, sha);
	git_repository_free(other);
	snprintf(objects, sizeof(objects), "%s/objects", otherdir);

	o.repo_path = fx.dir;
	o.commit = sha;
	o.require_dockerfile = 1;
	assert_int_equal(sw_context_new(&c, &o), SW_ENOTFOUND);

	o.object_dir = objects;
	assert_int_equal(sw_context_new(&c, &o), 0);
	while ((n = sw_context_read(c, buf, sizeof(buf))) > 0)
		sw_buf_add(&tar, buf, (size_t)n);
	assert_int_equal(n, 0);
	assert_non_null(memmem(tar.ptr, tar.len, "FROM quarantine\n", 16));
	sw_context_free(c);

	o.object_dir = NULL;
	o.alternate_dirs = "/nonexistent-a:incoming.git/objects"; /* relative: to the repository */
	assert_int_equal(sw_context_new(&c, &o), 0);
	sw_context_free(c);
	sw_buf_release(&tar);
}

/* Many entries (the walk's ring wraps), files past the read-ahead budget: threads or not, the same bytes. */
static void read_ahead_same_bytes(void **state)
{
	enum { NFILES = 400 };
	static struct file files[NFILES + 1];
	static char names[NFILES][64];
	char *big = malloc(5u << 20), *mid = malloc(700000);
	char sha[GIT_OID_HEXSZ + 1];
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT;
	struct sw_context_opts o = { 0 };
	struct sw_context *c = NULL;
	const char *piece;
	char buf[3000];
	ssize_t n;
	size_t i;

	memset(big, 'b', (5u << 20) - 1);
	big[(5u << 20) - 1] = '\0';
	memset(mid, 'm', 699999);
	mid[699999] = '\0';
	files[0] = (struct file){ "Dockerfile", GIT_FILEMODE_BLOB, "FROM scratch\n" };
	for (i = 0; i < NFILES; i++) {
		snprintf(names[i], sizeof(names[i]), "d%zu/sub%zu/file%03zu.txt", i % 7, i % 3, i);
		files[i + 1].path = names[i];
		files[i + 1].mode = i % 11 == 0 ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
		files[i + 1].data = i == 17 ? big : i % 50 == 3 ? mid : names[i];
	}
	commit_files(fx.repo, files, NFILES + 1, sha);
	o.repo_path = fx.dir;
	o.commit = sha;

	o.no_prefetch = 1;
	assert_int_equal(sw_context_new(&c, &o), 0);
	while ((n = sw_context_read(c, buf, sizeof(buf))) > 0)
		sw_buf_add(&a, buf, (size_t)n);
	assert_int_equal(n, 0);
	sw_context_free(c);

	o.no_prefetch = 0;
	assert_int_equal(sw_context_new(&c, &o), 0);
	while ((n = sw_context_next(c, &piece)) > 0)
		sw_buf_add(&b, piece, (size_t)n);
	assert_int_equal(n, 0);
	sw_context_free(c);

	assert_true(a.len > (5u << 20));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.ptr, b.ptr, a.len);
	sw_buf_release(&a);
	sw_buf_release(&b);
	free(big);
	free(mid);
}

/* Freed in the middle of the stream, with blobs read ahead and in flight: nothing leaks or hangs. */
static void free_midway(void **state)
{
	struct sw_context_opts o = { 0 };
	struct sw_context *c = NULL;
	const char *piece;
	int i;

	o.repo_path = fx.dir;
	o.commit = sample_sha();
	assert_int_equal(sw_context_new(&c, &o), 0);
	for (i = 0; i < 5; i++)
		assert_true(sw_context_next(c, &piece) > 0);
	sw_context_free(c);
}

static void cancel_stops_reading(void **state)
{
	struct sw_context_opts o = { 0 };
	struct sw_context *c = NULL;
	struct sw_cancel cancel;
	char buf[100];

	sw_cancel_init(&cancel);
	o.repo_path = fx.dir;
	o.commit = sample_sha();
	o.cancel = &cancel;
	assert_int_equal(sw_context_new(&c, &o), 0);
	assert_int_equal(sw_context_read(c, buf, sizeof(buf)), 100);
	sw_cancel_raise(&cancel, SW_CANCEL_USER, "alice");
	assert_int_equal(sw_context_read(c, buf, sizeof(buf)), SW_ECANCEL);
	assert_string_equal(sw_error_last(), "cancelled");
	assert_int_equal(sw_context_read(c, buf, sizeof(buf)), SW_ECANCEL);
	assert_int_equal(sw_context_failure(c, NULL), SW_ECANCEL);
	sw_context_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regular_file),
		cmocka_unit_test(executable_keeps_its_bit),
		cmocka_unit_test(symlink_stays_a_symlink),
		cmocka_unit_test(long_path),
		cmocka_unit_test(utf8_name),
		cmocka_unit_test(nested_dirs_in_git_order),
		cmocka_unit_test(submodules_one_warning),
		cmocka_unit_test(any_read_size_same_bytes),
		cmocka_unit_test(dockerignore_applied),
		cmocka_unit_test(lowercase_dockerfile),
		cmocka_unit_test(refused_inputs),
		cmocka_unit_test(quarantine_objects),
		cmocka_unit_test(read_ahead_same_bytes),
		cmocka_unit_test(free_midway),
		cmocka_unit_test(cancel_stops_reading),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
