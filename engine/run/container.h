#ifndef SW_ENGINE_RUN_CONTAINER_H
#define SW_ENGINE_RUN_CONTAINER_H

#include <jansson.h>

#include "engine/state.h"

/*
 * A task's containers in Docker (common/docker.h): what an inspect says about one,
 * recorded onto the state's container, and the calls that act on one (start, kill,
 * remove). Called by the workers (runtime.h) without the engine lock, except
 * sw_run_container_apply().
 */

/* What an inspect read back, as ECS words it. Released with sw_run_container_observed_release(). */
struct sw_run_observed {
	int found;            /* 0: Docker no longer has the container */
	char *status;         /* ECS container status: "PENDING", "RUNNING", "STOPPED" */
	int has_exit;
	int exit_code;
	char *reason;         /* why it stopped (out of memory, Docker's error), or NULL */
	enum sw_engine_health health;
	json_t *bindings;     /* networkBindings */
	char *ip;             /* its address on its Docker network, or NULL */
};

void sw_run_container_observed_release(struct sw_run_observed *o);

/* Inspect container id into o (a container that is gone is STOPPED). 0 or negative. */
int sw_run_container_inspect(const char *id, struct sw_run_observed *o);

/* Record what o saw onto c. With the engine lock held. */
void sw_run_container_apply(struct sw_engine_container *c, struct sw_run_observed *o);

/*
 * method on /containers/<id><suffix> ("/start", "/kill?signal=SIGTERM", "?force=1&v=1");
 * Docker's answer discarded. 0 or negative (SW_ENOTFOUND: no such container).
 */
int sw_run_container_call(const char *method, const char *id, const char *suffix);

#endif
