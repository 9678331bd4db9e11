#ifndef SW_ENGINE_ENGINE_CONFIG_H
#define SW_ENGINE_ENGINE_CONFIG_H

/*
 * slipway-engine's configuration: everything comes from the environment (DESIGN.md's
 * conventions), read once at start by sw_engine_config_load(). Times are kept in
 * milliseconds; the environment gives them in seconds (fractions allowed: "0.5").
 *
 *   SLIPWAY_HOME                    state root (default ~/.slipway); the engine keeps
 *                                   $SLIPWAY_HOME/engine/engine.db
 *   SLIPWAY_ENGINE_PORT             listen port on 127.0.0.1 (5482)
 *   SLIPWAY_ENGINE_LISTEN           listen address (127.0.0.1)
 *   SLIPWAY_ENGINE_REGION           region in ARNs and the SigV4 scope (AWS_REGION, else us-east-1)
 *   SLIPWAY_ENGINE_ACCOUNT          account id in ARNs (000000000000)
 *   SLIPWAY_REGISTRY_PORT           the local registry (5000); ECR is backed by it
 *   SLIPWAY_ENGINE_REGISTRY_PASSWORD_FILE  its htpasswd password for user AWS
 *                                   ($SLIPWAY_HOME/registry/password; absent: no auth)
 *   SLIPWAY_ENGINE_MEMORY_MB        the container instance's memory (the machine's)
 *   SLIPWAY_ENGINE_CPU_UNITS        its CPU units (1024 per core)
 *   SLIPWAY_ENGINE_STABLE_SECONDS   a RUNNING task without health checks counts as healthy
 *                                   after this long (40); behind a load balancer its
 *                                   target's health decides instead
 *   SLIPWAY_ENGINE_EVENT_SECONDS    minimum interval between two identical service
 *                                   events ("unable to place", throttled starts) (60)
 *   SLIPWAY_ENGINE_STEADY_SECONDS   a steady service repeats "has reached a steady
 *                                   state." this often (21600, ECS's 6 hours)
 *   SLIPWAY_ENGINE_RESYNC_SECONDS   full comparison with Docker's container list (60)
 *   SLIPWAY_ENGINE_STOPPED_TTL_SECONDS  stopped tasks stay describable this long (3600)
 *   SLIPWAY_ENGINE_INACTIVE_TTL_SECONDS deleted (INACTIVE) services stay describable (3600)
 *   SLIPWAY_ENGINE_STOP_TIMEOUT     default seconds between SIGTERM and SIGKILL (30)
 *   SLIPWAY_ENGINE_BACKOFF_MAX_SECONDS  cap of the launch backoff of a service whose
 *                                   tasks keep failing (300)
 *   SLIPWAY_ENGINE_LB_POLL_SECONDS  how often target health is read while a service
 *                                   with loadBalancers has tasks (2)
 *   SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS  how long one minute of a deployment's bake
 *                                   times lasts (60; tests shorten it: 1)
 *   SLIPWAY_ENGINE_WORKERS          threads running Docker operations (3)
 *   SLIPWAY_ENGINE_BIND_IP          host address of published ports (127.0.0.1)
 *   SLIPWAY_ENGINE_THROTTLE_RATE    requests per second before ThrottlingException;
 *                                   0 = off (default)
 *   SLIPWAY_ENGINE_THROTTLE_BURST   bucket size (2 × rate, at least 1)
 *   SLIPWAY_ENGINE_ACCESS_KEY_ID / SLIPWAY_ENGINE_SECRET_ACCESS_KEY
 *                                   the one accepted key; default: profile "slipway" of
 *                                   $SLIPWAY_HOME/aws/credentials (created when absent)
 *   SLIPWAY_ENGINE_MAX_BODY         request body cap in bytes (1048576)
 *   SLIPWAY_ENGINE_CLIENT_CONNECTIONS  connections one client address may hold (128 of 512)
 *   SLIPWAY_ENGINE_HEADER_TIMEOUT   seconds a connection has for a request's headers,
 *                                   however slowly they come (15; common/connguard.h)
 *   SLIPWAY_ROUTER_PORT             the router's (the built-in load balancer's) port (5481)
 *   SLIPWAY_ROUTER_LISTEN           the address its listeners bind (127.0.0.1)
 *   SLIPWAY_ROUTER_THREADS          HAProxy's threads (0: HAProxy's default)
 *   SLIPWAY_ROUTER_TLS_PORT         the built-in HTTPS listener's port (5484)
 *   SLIPWAY_ROUTER_TLS_CERT         its default certificate: a PEM file (certificate, chain, key;
 *                                   default $SLIPWAY_HOME/tls/router.pem, which scripts/up makes);
 *                                   none there: no HTTPS listener; a file named here that is
 *                                   not there stops the engine with one line
 *   SLIPWAY_ROUTER_TLS_CA           a local CA (its certificate and key, PEM; default
 *                                   $SLIPWAY_HOME/tls/ca-sign.pem, which scripts/up makes):
 *                                   the router issues from it a certificate for each host its
 *                                   HTTPS listener routes that no certificate names (TLS
 *                                   clients refuse a wildcard over one label: *.localhost)
 *   DOCKER_HOST                     the Docker engine (common/docker.h)
 */
struct sw_engine_config {
	char *home;
	char *state_dir;         /* $SLIPWAY_HOME/engine */
	char *db_path;
	char *listen;
	int port;
	char *region;
	char *account;
	int registry_port;
	char *registry_host;     /* "127.0.0.1:5000" */
	char *registry_password_file;
	char *aws_dir;           /* $SLIPWAY_HOME/aws */
	long long memory_mb;
	long long cpu_units;
	long long stable_ms;
	long long event_ms;
	long long steady_ms;
	long long resync_ms;
	long long stopped_ttl_ms;
	long long inactive_ttl_ms;
	long long stop_timeout_s;
	long long backoff_max_ms;
	long long lb_poll_ms;
	long long bake_minute_ms;
	int workers;
	char *bind_ip;
	double throttle_rate;
	double throttle_burst;
	char *access_key_id;     /* NULL: from the credentials file */
	char *secret_access_key;
	long long max_body;
	long long client_connections;
	long long header_timeout_ms;
	int router_port;
	char *router_listen;
	int router_threads;
	int router_tls_port;
	char *router_tls_cert;   /* NULL: no built-in HTTPS listener */
	char *router_tls_ca;     /* NULL: no certificates issued */
};

/*
 * Fill c from the environment. Returns 0, or SW_EINVAL naming the variable that does
 * not parse. c is the caller's; sw_engine_config_release() frees its strings.
 */
int sw_engine_config_load(struct sw_engine_config *c);
void sw_engine_config_release(struct sw_engine_config *c);

#endif
