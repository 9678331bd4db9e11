#ifndef SW_ENGINE_ECR_ECR_API_H
#define SW_ENGINE_ECR_ECR_API_H

#include "engine/api/awsjson.h"

/*
 * The ECR API (JSON 1.1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*) as a
 * view of the local registry (distribution.h): CreateRepository, DescribeRepositories
 * (repository.c), DescribeImages, ListImages, BatchGetImage, BatchDeleteImage
 * (ecr_image.c), GetAuthorizationToken (ecr_api.c, with the operation table and what the
 * operations share), PutLifecyclePolicy, GetLifecyclePolicy and PutImage (ecr_lifecycle.c). repositoryUri is <registry host>/<name>, so `docker push` to it
 * lands in the registry; the authorization token is base64("AWS:<registry password>").
 * The operations run without the engine lock (they call the registry); they take it
 * for the repositories table.
 */
extern const struct sw_engine_api sw_engine_ecr_api;

/* The registry did not answer: fail the call with a 500 ServerException saying why. -1. */
int sw_engine_ecr_api_registry_error(struct sw_engine_call *call);

/* The registry id ECR answers with: the account. */
const char *sw_engine_ecr_api_registry_id(struct sw_engine_call *call);

/* *exists: whether repository name is in the registry's catalog. 0, or -1 with the call failed. */
int sw_engine_ecr_api_repo_exists(struct sw_engine_call *call, const char *name, int *exists);

/* Fail the call with RepositoryNotFoundException for name. -1. */
int sw_engine_ecr_api_repo_missing(struct sw_engine_call *call, const char *name);

/* *name: the request's repositoryName, which must exist. 0, or -1 with the call failed. */
int sw_engine_ecr_api_repo_need(struct sw_engine_call *call, const char **name);

/* nextToken and maxResults (dflt, at most max) as ECR checks them. 0, or -1 with the call failed. */
int sw_engine_ecr_api_page(struct sw_engine_call *call, long long dflt, long long max, long long *offset,
			   long long *page);

int sw_engine_ecr_op_create_repository(struct sw_engine_call *call);
int sw_engine_ecr_op_describe_repositories(struct sw_engine_call *call);
int sw_engine_ecr_op_describe_images(struct sw_engine_call *call);
int sw_engine_ecr_op_list_images(struct sw_engine_call *call);
int sw_engine_ecr_op_batch_get_image(struct sw_engine_call *call);
int sw_engine_ecr_op_batch_delete_image(struct sw_engine_call *call);
int sw_engine_ecr_op_put_lifecycle_policy(struct sw_engine_call *call);
int sw_engine_ecr_op_get_lifecycle_policy(struct sw_engine_call *call);
int sw_engine_ecr_op_put_image(struct sw_engine_call *call);

#endif
