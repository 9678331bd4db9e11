/*
 * Release tags in a real bare repository (libgit2) and a real database: a live release is
 * tagged vN on its commit once the commit is there, once; a stray vN is replaced; a
 * release whose commit is not there yet waits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include <cmocka.h>

#include "releaser/tags.h"
#include "releaser/release.h"
#include "releaser/tables.h"
#include "common/proc.h"
#include "common/store.h"
#include "common/banned.h"

struct fixture {
	char dir[64];
	char repos[96];
	sqlite3 *db;
	git_repository *repo;
};

static int setup(void **state)
{
	const char *const migrations[] = { sw_tables_migration(1), sw_tables_migration(2), NULL };
	struct fixture *f = calloc(1, sizeof(*f));
	char path[160];

	git_libgit2_init();
	snprintf(f->dir, sizeof(f->dir), "/tmp/sw-test-tags.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->repos, sizeof(f->repos), "%s/repos", f->dir);
	snprintf(path, sizeof(path), "%s/hello.git", f->repos);
	if (git_repository_init(&f->repo, path, 1) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/slipwayd.db", f->dir);
	if (sw_store_open(&f->db, path, migrations) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct sw_proc p = SW_PROC_INIT;
	sw_store_close(f->db);
	git_repository_free(f->repo);
	sw_strvec_pushl(&p.args, "rm", "-rf", f->dir, NULL);
	sw_proc_run(&p, NULL, NULL);
	sw_proc_release(&p);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

/* A commit (no ref) holding one file; its id in sha. */
static void commit(git_repository *repo, const char *text, char sha[GIT_OID_HEXSZ + 1])
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid blob, tree_id, id;

	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "index.html", &blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_commit_create(&id, repo, NULL, sig, sig, NULL, text, tree, 0, NULL), 0);
	git_oid_tostr(sha, GIT_OID_HEXSZ + 1, &id);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
}

/* Release vN of app on commit sha, taken live. */
static void live_release(sqlite3 *db, const char *app, const char *sha)
{
	struct sw_release r;
	sw_release_init(&r);
	r.app = strdup(app);
	r.description = strdup("deploy");
	r.commit = strdup(sha);
	r.created_by = strdup("admin");
	r.created_at = 1700000000;
	assert_int_equal(sw_release_insert(db, &r), 0);
	assert_int_equal(sw_release_set_status(db, &r, SW_RELEASE_DEPLOYING, 1700000001), 0);
	assert_int_equal(sw_release_set_status(db, &r, SW_RELEASE_LIVE, 1700000002), 0);
	sw_release_release(&r);
}

/* The commit tag name points at (peeled), or "" when there is no such tag. */
static void tag_target(git_repository *repo, const char *name, char out[GIT_OID_HEXSZ + 1])
{
	git_object *o = NULL;
	out[0] = '\0';
	if (git_revparse_single(&o, repo, name) == 0) {
		git_object *c = NULL;
		if (git_object_peel(&c, o, GIT_OBJECT_COMMIT) == 0)
			git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_object_id(c));
		git_object_free(c);
	}
	git_object_free(o);
	git_error_clear();
}

static int tagged(sqlite3 *db, const char *app, int version)
{
	struct sw_release r;
	int t;
	sw_release_init(&r);
	assert_int_equal(sw_release_load(db, app, version, &r), 0);
	t = r.tagged;
	sw_release_release(&r);
	return t;
}

static void live_releases_are_tagged_once(void **state)
{
	struct fixture *f = *state;
	char c1[GIT_OID_HEXSZ + 1], c2[GIT_OID_HEXSZ + 1], at[GIT_OID_HEXSZ + 1];
	git_object *tag = NULL;

	commit(f->repo, "one", c1);
	live_release(f->db, "hello", c1);
	live_release(f->db, "other", c1);   /* no repository: left alone */
	assert_int_equal(sw_tags_pending(f->db, f->repos), 1);
	tag_target(f->repo, "v1", at);
	assert_string_equal(at, c1);
	assert_int_equal(git_revparse_single(&tag, f->repo, "refs/tags/v1"), 0);
	assert_int_equal(git_object_type(tag), GIT_OBJECT_TAG);   /* annotated */
	git_object_free(tag);
	assert_int_equal(tagged(f->db, "hello", 1), 1);
	assert_int_equal(tagged(f->db, "other", 1), 0);
	assert_int_equal(sw_tags_pending(f->db, f->repos), 0);   /* once */

	/* v2's commit has not landed yet: it waits, then is tagged when it has */
	live_release(f->db, "hello", "0123456789012345678901234567890123456789");
	assert_int_equal(sw_tags_pending(f->db, f->repos), 0);
	assert_int_equal(tagged(f->db, "hello", 2), 0);
	tag_target(f->repo, "v2", at);
	assert_string_equal(at, "");

	/* a stray v3 on another commit is replaced by the release's */
	commit(f->repo, "two", c2);
	{
		git_object *target = NULL;
		git_oid id;
		assert_int_equal(git_revparse_single(&target, f->repo, c1), 0);
		assert_int_equal(git_tag_create_lightweight(&id, f->repo, "v3", target, 0), 0);
		git_object_free(target);
	}
	live_release(f->db, "hello", c2);
	assert_int_equal(sw_tags_pending(f->db, f->repos), 1);
	tag_target(f->repo, "v3", at);
	assert_string_equal(at, c2);
	assert_int_equal(tagged(f->db, "hello", 3), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(live_releases_are_tagged_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
