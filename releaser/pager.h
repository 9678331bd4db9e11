#ifndef SW_PAGER_H
#define SW_PAGER_H

#include <jansson.h>

#include "common/buf.h"
#include "releaser/runenv.h"

/*
 * Every page of an AWS list operation, however long the list: ECS, ECR and CloudWatch
 * Logs pass "nextToken" back and forth, ELBv2 "Marker" in and "NextMarker" out. A list
 * that never ends (a service answering the same token forever) is cut at SW_PAGER_MAX
 * pages with one line.
 */

#define SW_PAGER_MAX 1000

/* One page of the answer (borrowed). Return 0 to go on, non-zero to stop (that value is returned). */
typedef int (*sw_pager_fn)(void *ctx, const json_t *page);

/*
 * Call service's operation with req (borrowed, copied for each page with the token
 * added) until the answer has no next token, handing each answer to fn. 0, fn's non-zero
 * return, or the failed call's negative code (one line in the error slot; code, may be
 * NULL, gets the AWS error code; *throttled, may be NULL, is set when it was throttling),
 * or SW_ETOOBIG after SW_PAGER_MAX pages.
 */
int sw_pager_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *req, sw_pager_fn fn,
		  void *ctx, struct sw_buf *code, int *throttled);

/*
 * The items (strings or objects) of member key of every page, appended to out (a JSON
 * array), for the simple lists: ListTasks' taskArns, ListContainerInstances'
 * containerInstanceArns, ListTaskDefinitions' taskDefinitionArns, ListImages' imageIds.
 * Same returns.
 */
int sw_pager_collect_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *req,
			  const char *key, json_t *out, struct sw_buf *code, int *throttled);

/*
 * An operation that takes at most batch items at a time (DescribeTasks and
 * DescribeContainerInstances: 100) over all of items: req (borrowed) with member key set
 * to each batch, the answers' out_key arrays appended to out. Nothing is called when
 * items is empty. Same returns as sw_pager_call.
 */
int sw_pager_batch_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *req,
			const char *key, const json_t *items, size_t batch, const char *out_key, json_t *out,
			struct sw_buf *code, int *throttled);

#endif
