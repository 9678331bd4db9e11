#ifndef SW_ENGINE_RUN_WATCHER_H
#define SW_ENGINE_RUN_WATCHER_H

#include "engine/engine.h"

/*
 * The watcher: one thread following Docker's /events stream, filtered to this
 * engine's containers (label slipway.engine=<instance>) and to the events that
 * matter (start, die, oom, destroy, health_status). Each one marks the task's
 * container dirty and wakes the scheduler, which has it inspected: no polling of
 * containers. The stream is reopened every few minutes (with `since`, so nothing is
 * missed) and after any error, with a backoff of at most 2 s; while it is down, the
 * scheduler's resync catches up. A stream cut because Docker stopped marks Docker
 * down (runtime.h: tasks wait for it until a resync finds it back).
 */
int sw_run_watcher_start(struct sw_engine *e);

#endif
