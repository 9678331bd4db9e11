#ifndef SW_PUSH_TARGET_H
#define SW_PUSH_TARGET_H

/*
 * Where a build pushes its image, and with what credentials. The releaser chooses
 * (releaser.h: sw_releaser_push_target): with ECS configured, the app's ECR repository
 * and GetAuthorizationToken's "AWS:<password>" (ecr.h); otherwise the local registry
 * of scripts/up, htpasswd user "AWS" with the password in $SLIPWAY_HOME/registry/password
 * (no file: a registry without auth).
 */
struct sw_push_target {
	char *registry;   /* "host:port" */
	char *user;       /* NULL: the registry takes pushes without auth */
	char *password;
};

#define SW_PUSH_TARGET_INIT { NULL, NULL, NULL }

/*
 * The local registry at registry ("host:port") with the password file under home. t is
 * released first and filled (the caller releases it). 0, or negative with one line when
 * the password file is unreadable, empty or too long.
 */
int sw_push_target_local(const char *home, const char *registry, struct sw_push_target *t);
void sw_push_target_release(struct sw_push_target *t);

#endif
