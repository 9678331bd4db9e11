#ifndef SW_REGISTRY_H
#define SW_REGISTRY_H

#include "receiver/config.h"

/*
 * Where builds push their images, and with what credentials. This is the ONE place
 * that knows: today the local registry of scripts/up (htpasswd user "AWS", the
 * password in $SLIPWAY_HOME/registry/password); when the releaser switches to ECR,
 * GetAuthorizationToken's "AWS:<password>" replaces the file here and nowhere else.
 */
struct sw_registry_auth {
	char *registry;   /* "host:port" */
	char *user;       /* NULL: the registry takes pushes without auth */
	char *password;
};

#define SW_REGISTRY_AUTH_INIT { NULL, NULL, NULL }

/* Fill auth (the caller releases it). 0, or negative when the password file is unreadable. */
int sw_registry_credentials(const struct sw_config *c, struct sw_registry_auth *auth);
void sw_registry_auth_release(struct sw_registry_auth *auth);

#endif
