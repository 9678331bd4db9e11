#ifndef SW_STRATEGY_H
#define SW_STRATEGY_H

#include <jansson.h>
#include <sqlite3.h>

/*
 * How the web process's new release takes traffic: ECS's deployment strategies
 * (deploymentConfiguration.strategy), set per app
 *   - in the manifest: compose `x-slipway: {strategy: canary, canary_percent: 10,
 *     bake: 2m}`, or a Procfile / Dockerfile `# slipway: strategy=canary bake=2m`;
 *   - with `slipway deploy:settings strategy=blue-green bake=1m` (table
 *     deploy_settings), which wins over the manifest key by key (an operator changes
 *     how the next push goes live without a commit; `key=` gives the key back to the
 *     manifest).
 * Keys and values (one line naming the key and the value when bad, nothing changed):
 *   strategy        rolling (default) | blue-green | linear | canary
 *   bake            how long blue is kept once all traffic is on green: whole minutes
 *                   from 0 to 24h ("2m", "1h", "0"); ECS bakes in minutes
 *   canary_percent  share of traffic the canary gets first: 0.1 to 100 in steps of 0.1 (5)
 *   canary_bake     how long the canary share holds before the rest moves (10m)
 *   step_percent    linear: share moved at each step, 3 to 100 in steps of 0.1 (10)
 *   step_bake       linear: time between steps (6m)
 * Only the web process (behind the load balancer) shifts traffic; the other processes
 * always roll. A settings object is {key: value string}, as given.
 */

/*
 * Is key a strategy key? 1 yes (value valid), 0 not one of ours. With a bad value: SW_EINVAL and one line "<where>: <key> ...".
 */
int sw_strategy_check(const char *where, const char *key, const char *value);

/* 1 when key is one of the keys above. */
int sw_strategy_key(const char *key);

/* Whether settings (manifest ⊕ deploy:settings) ask for traffic shifting. */
int sw_strategy_shifts(const json_t *settings);

/*
 * The effective settings of app: the manifest's (may be NULL) with the app's
 * deploy:settings over them (new reference, {} when none).
 */
json_t *sw_strategy_effective(sqlite3 *db, const char *app, const json_t *manifest);

/*
 * ECS's deploymentConfiguration members for settings: strategy, bakeTimeInMinutes,
 * canaryConfiguration / linearConfiguration (new reference).
 */
json_t *sw_strategy_ecs(const json_t *settings);

/* The longest the strategy's waits take (bake, canary or linear steps), in ms; 0 for rolling. */
long long sw_strategy_wait_ms(const json_t *settings);

/* "canary 10% (bake 2m)", "blue-green (bake 1m)", "rolling": appended to out. */
struct sw_buf;
void sw_strategy_describe(const json_t *settings, struct sw_buf *out);

/* deploy:settings of app: {key: value} (new reference; {} when none), or NULL on error. */
json_t *sw_strategy_settings_load(sqlite3 *db, const char *app);

/*
 * Change app's deploy:settings: each "key=value" of pairs sets a key, "key=" removes
 * it. All are checked first: a bad one is SW_EINVAL with one line and nothing changes.
 */
int sw_strategy_settings_save(sqlite3 *db, const char *app, const char *const *pairs, size_t n);

#endif
