#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "releaser/push.h"
#include "builder/context.h"
#include "common/gitref.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_push_init(struct sw_push *p)
{
	memset(p, 0, sizeof(*p));
	p->manifest = (struct sw_manifest)SW_MANIFEST_INIT;
}

void sw_push_release(struct sw_push *p)
{
	free(p->app);
	free(p->repo_app);
	free(p->ref);
	free(p->old_sha);
	free(p->commit);
	free(p->created_by);
	free(p->repo_path);
	free(p->object_dir);
	free(p->alternate_dirs);
	free(p->image);
	free(p->digest);
	sw_manifest_release(&p->manifest);
	sw_push_init(p);
}

void sw_push_set_ref(struct sw_push *p, const char *ref)
{
	free(p->ref);
	p->ref = xstrdup(ref);
	p->branch = sw_gitref_branch(p->ref);
}

int sw_push_read_manifest(struct sw_push *p)
{
	struct sw_context_opts o;
	git_repository *repo = NULL;
	int ret;

	if (p->have_manifest)
		return 0;
	memset(&o, 0, sizeof(o));
	o.repo_path = p->repo_path;
	o.object_dir = p->object_dir;
	o.alternate_dirs = p->alternate_dirs;
	if ((ret = sw_context_open_repository(&repo, &o)) < 0)
		return ret;
	sw_manifest_release(&p->manifest);
	if ((ret = sw_manifest_read(&p->manifest, repo, p->commit)) == 0)
		p->have_manifest = 1;
	git_repository_free(repo);
	return ret;
}
