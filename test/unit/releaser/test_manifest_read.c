/*
 * The manifest read from a pushed commit in a real repository (libgit2): which root file
 * decides (compose over Procfile over the Dockerfile alone), and what is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "releaser/manifest.h"
#include "common/error.h"
#include "common/banned.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

struct file { const char *path; const char *content; unsigned mode; size_t len; /* 0: strlen */ };

static void make_commit(git_repository *repo, const struct file *files, char out[GIT_OID_HEXSZ + 1])
{
	git_treebuilder *tb = NULL;
	git_oid blob, tree_id, commit_id;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	size_t i;
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	for (i = 0; files[i].path; i++) {
		size_t n = files[i].len ? files[i].len : strlen(files[i].content);
		assert_int_equal(git_blob_create_from_buffer(&blob, repo, files[i].content, n), 0);
		assert_int_equal(git_treebuilder_insert(NULL, tb, files[i].path, &blob,
							files[i].mode ? files[i].mode : GIT_FILEMODE_BLOB), 0);
	}
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "t", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, "m", tree, 0, NULL), 0);
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &commit_id);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
}

static void from_tree(void **state)
{
	char dir[] = "/tmp/sw-manifest-XXXXXX", sha[GIT_OID_HEXSZ + 1];
	git_repository *repo = NULL;
	struct sw_manifest m;
	const struct file procfile_app[] = {
		{ "Dockerfile", "FROM slipway/busybox\n", 0, 0 },
		{ "Procfile", "web: httpd -f -p $PORT\nworker: sleep 1000\n", 0, 0 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file compose_app[] = {
		{ "Dockerfile", "FROM slipway/busybox\nEXPOSE 7000\n", 0, 0 },
		{ "Procfile", "web: ignored\n", 0, 0 },
		{ "compose.yaml", "services:\n  app:\n    build: .\n", 0, 0 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file bare[] = {
		{ "Dockerfile", "FROM slipway/busybox\n", 0, 0 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file none[] = {
		{ "README", "hi\n", 0, 0 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file link[] = {
		{ "Dockerfile", "FROM slipway/busybox\n", 0, 0 },
		{ "Procfile", "other", GIT_FILEMODE_LINK, 0 },
		{ NULL, NULL, 0, 0 },
	};
	static char big[SW_MANIFEST_MAX_FILE + 2];
	const struct file lowercase[] = {
		{ "dockerfile", "FROM slipway/busybox\nEXPOSE 5000\n", 0, 0 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file binary[] = {
		{ "Dockerfile", "FROM x\n\0\x01\x02", 0, 10 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file huge[] = {
		{ "Dockerfile", "FROM slipway/busybox\n", 0, 0 },
		{ "Procfile", big, 0, 0 },
		{ NULL, NULL, 0, 0 },
	};
	const struct file broken[] = {
		{ "Dockerfile", "FROM slipway/busybox\n", 0, 0 },
		{ "docker-compose.yml", "services:\n  web: [\n", 0, 0 },
		{ NULL, NULL, 0, 0 },
	};

	assert_non_null(mkdtemp(dir));
	git_libgit2_init();
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);

	make_commit(repo, procfile_app, sha);
	sw_manifest_init(&m);
	assert_int_equal(sw_manifest_read(&m, repo, sha), 0);
	assert_string_equal(m.source, "Procfile");
	assert_int_equal(m.nr, 2);
	sw_manifest_release(&m);

	make_commit(repo, compose_app, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), 0);
	assert_string_equal(m.source, "compose.yaml");
	assert_int_equal(m.nr, 1);
	assert_string_equal(m.procs[0].name, "app");
	assert_false(m.procs[0].web);  /* no ports: no web process */
	sw_manifest_release(&m);

	make_commit(repo, bare, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), 0);
	assert_string_equal(m.source, "Dockerfile");
	assert_int_equal(sw_manifest_web(&m)->port, SW_MANIFEST_DEFAULT_PORT);
	sw_manifest_release(&m);

	make_commit(repo, none, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), SW_ENOTFOUND);
	{
		char want[64];
		snprintf(want, sizeof(want), "no Dockerfile at the root of %.7s", sha);
		assert_string_equal(sw_error_last(), want);
	}

	make_commit(repo, link, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Procfile at the root is a symlink, not a regular file");

	make_commit(repo, broken, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), SW_EINVAL);
	assert_string_equal(sw_error_last(), "docker-compose.yml:3:1: did not find expected node content "
			    "while parsing a flow node");

	assert_int_equal(sw_manifest_read(&m, repo, "0123456789012345678901234567890123456789"), SW_ERROR);
	assert_null(m.procs);

	/* Docker's lowercase fallback; a Dockerfile that is not text; a file over the limit */
	make_commit(repo, lowercase, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), 0);
	assert_string_equal(m.source, "Dockerfile");
	assert_int_equal(sw_manifest_web(&m)->port, 5000);
	sw_manifest_release(&m);
	make_commit(repo, binary, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), SW_EINVAL);
	assert_string_equal(sw_error_last(), "Dockerfile: not a text file");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	make_commit(repo, huge, sha);
	assert_int_equal(sw_manifest_read(&m, repo, sha), SW_ETOOBIG);
	assert_string_equal(sw_error_last(), "Procfile is larger than 256 KB");

	git_repository_free(repo);
	assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
