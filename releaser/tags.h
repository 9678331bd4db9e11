#ifndef SW_TAGS_H
#define SW_TAGS_H

#include <sqlite3.h>

/*
 * Release tags: every live release vN is tagged in its app's repository (annotated, on
 * its commit, the release's description as message), review/<slug>/vN in the parent's
 * repository for a review app (review.h). Done by the releaser's background thread once
 * the commit is in the repository: never from inside pre-receive, where the pushed
 * objects are still quarantined. A stray tag of that name on another commit is replaced
 * (the hook refuses pushes of them); one already right is recorded as done.
 */

/*
 * Tag the live releases of repos/<app>.git whose tag is not recorded yet and whose
 * commit is there. The number tagged, or negative with one line.
 */
int sw_tags_pending(sqlite3 *db, const char *repos);

#endif
