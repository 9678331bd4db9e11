#ifndef SW_ENGINE_ECR_ECR_API_H
#define SW_ENGINE_ECR_ECR_API_H

#include "engine/api/awsjson.h"

/*
 * The ECR API (JSON 1.1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*) as a
 * view of the local registry (registry.h): CreateRepository, DescribeRepositories,
 * DescribeImages, ListImages, BatchGetImage, BatchDeleteImage, GetAuthorizationToken.
 * repositoryUri is <registry host>/<name>, so `docker push` to it lands in the
 * registry; the authorization token is base64("AWS:<registry password>").
 */
extern const struct sw_engine_api sw_engine_ecr_api;

#endif
