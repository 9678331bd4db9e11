#include <string.h>

#include <git2.h>

#include "releaser/manifest.h"
#include "builder/context.h"
#include "common/error.h"
#include "common/banned.h"

/*
 * Reading the manifest from a pushed commit's tree: which file decides (manifest.h's
 * order), handed to the parser of its format (manifest.c, compose.c).
 */

static const char *const compose_names[] = {
	"docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml", NULL
};

/*
 * The content of the root entry name of tree: 1 and *out filled, 0 when absent,
 * negative on error (not a regular file, too big).
 */
static int read_root_file(git_repository *repo, git_tree *tree, const char *name,
			  struct sw_buf *out)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, name);
	git_blob *blob = NULL;
	int ret;

	if (!e)
		return 0;
	if (sw_context_not_regular(e))   /* a symlink is never followed */
		return sw_error_code(SW_EINVAL, "%s at the root is %s, not a regular file", name,
				     sw_context_not_regular(e));
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
		return sw_error("%s: %s", name, git_error_last() ? git_error_last()->message : "cannot read");
	if (git_blob_rawsize(blob) > SW_MANIFEST_MAX_FILE) {
		ret = sw_error_code(SW_ETOOBIG, "%s is larger than %d KB", name, SW_MANIFEST_MAX_FILE / 1024);
	} else {
		sw_buf_reset(out);
		sw_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		ret = 1;
	}
	git_blob_free(blob);
	return ret;
}

int sw_manifest_read(struct sw_manifest *m, git_repository *repo, const char *commit)
{
	git_oid oid;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	struct sw_buf dockerfile = SW_BUF_INIT, text = SW_BUF_INIT;
	const char *name;
	int ret = SW_ERROR, i, have;

	if (git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&c, repo, &oid) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		ret = sw_error("cannot read commit %.12s: %s", commit,
			       git_error_last() ? git_error_last()->message : "unknown error");
		goto cleanup;
	}
	/* "Dockerfile", else Docker's lowercase fallback, as the builder finds it */
	name = sw_context_dockerfile_name(tree);
	if ((have = read_root_file(repo, tree, name ? name : "Dockerfile", &dockerfile)) < 0) {
		ret = have;
		goto cleanup;
	}
	if (!have) {
		ret = sw_error_code(SW_ENOTFOUND, "no Dockerfile at the root of %.7s", commit);
		goto cleanup;
	}
	if (memchr(dockerfile.ptr, '\0', dockerfile.len)) {
		ret = sw_error_code(SW_EINVAL, "Dockerfile: not a text file");
		goto cleanup;
	}
	for (i = 0; compose_names[i]; i++) {
		if ((have = read_root_file(repo, tree, compose_names[i], &text)) < 0) {
			ret = have;
			goto cleanup;
		}
		if (have) {
			ret = sw_manifest_parse_compose(m, compose_names[i], text.ptr, text.len, dockerfile.ptr);
			goto cleanup;
		}
	}
	if ((have = read_root_file(repo, tree, "Procfile", &text)) < 0) {
		ret = have;
		goto cleanup;
	}
	if (have)
		ret = sw_manifest_parse_procfile(m, "Procfile", text.ptr, text.len, dockerfile.ptr);
	else
		ret = sw_manifest_parse_dockerfile(m, dockerfile.ptr);

cleanup:
	sw_buf_release(&dockerfile);
	sw_buf_release(&text);
	git_tree_free(tree);
	git_commit_free(c);
	return ret;
}
