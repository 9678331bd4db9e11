#ifndef SW_ROLES_H
#define SW_ROLES_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/buf.h"
#include "receiver/app.h"

/*
 * Who may do what, Heroku's way. A user has a role on each app it was given one on
 * (the access table), and a review app has its parent's:
 *   read     apps:info, releases, ps, logs, events, builds
 *   deploy   + git push, rollback, builds:cancel
 *   operate  + config, scale, run, reviews:settings, deploy:settings, webhooks, the app's settings
 * An admin user has admin on the server: every app, apps:create/destroy, users, other
 * users' tokens. A request acts as a principal: the user of its token (or SSH key),
 * limited by the token to one app and/or a lower role when the token says so.
 */
enum sw_role {
	SW_ROLE_NONE = 0,
	SW_ROLE_READ,
	SW_ROLE_DEPLOY,
	SW_ROLE_OPERATE,
	SW_ROLE_ADMIN,
};

#define SW_USER_NAME_MAX 32
#define SW_TOKEN_NAME_MAX 64
#define SW_ACTOR_MAX 128

struct sw_principal {
	char user[SW_USER_NAME_MAX + 1];
	int admin;                          /* the user is a server admin */
	long long token_id;                 /* 0: not a token (an SSH key) */
	char token[SW_TOKEN_NAME_MAX + 1];  /* the token's name, "" for a key */
	char scope_app[SW_APP_REF_MAX + 1]; /* "" unless the token is for this app (and its review apps) only */
	enum sw_role scope_role;            /* SW_ROLE_NONE: the user's own roles */
	char actor[SW_ACTOR_MAX];           /* who acts, as events and records say it (sw_principal_actor) */
};

/* "read", "deploy", "operate", "admin" ("none" for SW_ROLE_NONE). */
const char *sw_role_name(enum sw_role r);

/* The role called s: 0, or SW_EINVAL. with_admin: "admin" is one too. */
int sw_role_parse(const char *s, int with_admin, enum sw_role *out);

/* 1 when name is a user's name: 1-32 of a-z 0-9 . _ -, starting with a letter. */
int sw_user_name_valid(const char *name);

/*
 * Fill p->actor from the rest: "alice" for her first token (named after her) or an SSH
 * key, "alice (token ci)" for any other token.
 */
void sw_principal_actor(struct sw_principal *p);

/* 1 when p's token is limited (to an app or a role): it cannot make tokens or keys. */
int sw_principal_limited(const struct sw_principal *p);

/*
 * p's role on app (a review app has its parent's): admin for an admin user, else the
 * role granted, then cut by the token's app and role. 0 with *out, or SW_ERROR.
 */
int sw_roles_on_app(sqlite3 *db, const struct sw_principal *p, const char *app, enum sw_role *out);

/* p's role on the server: SW_ROLE_ADMIN for an admin's unlimited token, else none. */
enum sw_role sw_roles_on_server(const struct sw_principal *p);

/*
 * May p do what needs role need on app (NULL: on the server)? 1 yes; 0 no, with the one
 * line that says so in why ("deploy role needed on hello (alice has read)"); SW_ERROR.
 */
int sw_roles_check(sqlite3 *db, const struct sw_principal *p, const char *app, enum sw_role need,
		   struct sw_buf *why);

/* Give user role (read, deploy, operate) on app, replacing what it had. 0 or SW_ERROR. */
int sw_roles_grant(sqlite3 *db, const char *app, const char *user, enum sw_role role, const char *by);

/* Take user's role on app away: 1 when it had one, 0 when not, or SW_ERROR. */
int sw_roles_revoke(sqlite3 *db, const char *app, const char *user);

/* {"app", "access": [{"user", "role", "created_at", "created_by"}]} into *out (new), plus the admins. */
int sw_roles_list(sqlite3 *db, const char *app, json_t **out);

/* Remove every role given on app (it is destroyed), or every role of user (NULL app). */
int sw_roles_forget(sqlite3 *db, const char *app, const char *user);

#endif
