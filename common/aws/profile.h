#ifndef SW_AWS_PROFILE_H
#define SW_AWS_PROFILE_H

#include <stddef.h>

/*
 * The AWS shared files, read the way botocore reads them:
 *  - credentials file: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials;
 *    a section per profile: [name];
 *  - config file: $AWS_CONFIG_FILE, else ~/.aws/config; [default] or [profile name]
 *    ([profile default] wins over [default]), [services name] sections whose keys
 *    hold nested "key = value" lines:
 *
 *	[profile dev]
 *	region = eu-west-1
 *	services = local
 *	[services local]
 *	ecs =
 *	  endpoint_url = http://127.0.0.1:5482
 *
 * INI rules (Python configparser, as botocore uses it): "key = value" or "key: value",
 * keys lowercased, values trimmed, '#' and ';' start a comment line (not inline),
 * an indented line continues the previous value; a nested key is stored as
 * "parent.child" ("ecs.endpoint_url"). A leading "~/" in a path is $HOME.
 */

struct sw_aws_ini_entry {
	char *section;
	char *key;
	char *value;
};

/* Caller-owned: SW_AWS_INI_INIT, sw_aws_ini_release() frees. */
struct sw_aws_ini {
	struct sw_aws_ini_entry *v;
	size_t nr, alloc;
	char **sections;    /* every section name seen, in order */
	size_t nr_sections, alloc_sections;
};
#define SW_AWS_INI_INIT { NULL, 0, 0, NULL, 0, 0 }

/*
 * Parse text (len bytes) into ini (added to what it holds). origin names the text in
 * messages ("~/.aws/config"). Returns 0, or SW_EINVAL with "origin:LINE: why".
 */
int sw_aws_ini_parse(struct sw_aws_ini *ini, const char *text, size_t len, const char *origin);

/* Read and parse path (at most 1 MiB). A missing file is not an error (ini stays empty). */
int sw_aws_ini_load(struct sw_aws_ini *ini, const char *path);

/* The value of key in section (key lowercase; "parent.child" for nested), or NULL. */
const char *sw_aws_ini_get(const struct sw_aws_ini *ini, const char *section, const char *key);
int sw_aws_ini_has_section(const struct sw_aws_ini *ini, const char *section);

void sw_aws_ini_release(struct sw_aws_ini *ini);

/* One profile of the shared files. Caller-owned: sw_aws_profile_load() fills it,
 * sw_aws_profile_release() frees. */
struct sw_aws_profile {
	char *name;              /* the profile in use */
	int explicit_name;       /* 1 when named by the caller or $AWS_PROFILE, 0 for "default" */
	char *credentials_path;  /* expanded paths of the two files */
	char *config_path;
	struct sw_aws_ini credentials;
	struct sw_aws_ini config;
	char *config_section;    /* "profile NAME" or "default": the config section used */
};

/*
 * Load both files for profile name (NULL: $AWS_PROFILE, else $AWS_DEFAULT_PROFILE,
 * else "default"). A missing file or profile is not an error here (the chain decides);
 * a malformed file is: SW_EINVAL, "~/.aws/config:7: ...". p is always left releasable.
 */
int sw_aws_profile_load(struct sw_aws_profile *p, const char *name);
void sw_aws_profile_release(struct sw_aws_profile *p);

/* 1 when the profile appears in either file. */
int sw_aws_profile_exists(const struct sw_aws_profile *p);

/* key from the profile's section of the config file, or NULL. */
const char *sw_aws_profile_get(const struct sw_aws_profile *p, const char *key);
/* key from the profile's section of the credentials file, or NULL. */
const char *sw_aws_profile_credential(const struct sw_aws_profile *p, const char *key);
/*
 * key for one service from the [services NAME] section the profile names
 * ("services = NAME"): sw_aws_profile_service_get(p, "ecs", "endpoint_url"). NULL if none.
 */
const char *sw_aws_profile_service_get(const struct sw_aws_profile *p, const char *service_key,
				       const char *key);

/* Expand a leading "~/" with $HOME; the caller frees the result. */
char *sw_aws_expand_home(const char *path);

#endif
