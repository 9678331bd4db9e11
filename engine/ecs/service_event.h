#ifndef SW_ENGINE_ECS_SERVICE_EVENT_H
#define SW_ENGINE_ECS_SERVICE_EVENT_H

#include <jansson.h>

#include "engine/engine.h"

/*
 * Service events, in ECS's own message forms ("(service web) has reached a steady
 * state."), newest first, at most SW_ECS_SERVICE_EVENTS_MAX kept per service (events
 * table). Callers hold the engine lock. Each event also goes to the server log.
 */

#define SW_ECS_SERVICE_EVENTS_MAX 100

int sw_ecs_service_event_add(struct sw_engine *e, const struct sw_engine_service *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* [{id, createdAt, message}], newest first (new reference). */
json_t *sw_ecs_service_event_json(struct sw_engine *e, long long service_id);

#endif
