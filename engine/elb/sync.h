#ifndef SW_ENGINE_ELB_SYNC_H
#define SW_ENGINE_ELB_SYNC_H

#include "engine/elb/elb.h"

/*
 * The elb thread: the model onto the router. Each round copies the model out (under
 * the engine lock, snapshot.h), declares to the router what changed — frontends,
 * backends and rules (a reload for new target groups and listeners), targets added,
 * drained, removed (runtime only) — reads target health back from HAProxy (one
 * `show stat` per backend, over one connection), completes deregistrations (at once
 * when the target has no current session and nothing queued, as ALB ends one with no
 * in-flight request and no active connection; else when that is so, or at the end of
 * the deregistration delay) and writes the results back (under the lock), telling the
 * scheduler when a target's health changed (sw_run_balancer_changed). It runs every
 * 50 ms while a target changes state (added, checked on its way in or out of service,
 * draining), every second while targets exist, every 10 s at idle, and at once when
 * woken (sw_elb_wake); each round checks that HAProxy still runs (launched again at once
 * when it died, its servers UP as last read) and removes router servers that are no
 * target of the model.
 *
 * Targets that ECS registers are this machine's instance id and the task's host port,
 * as on AWS; the router dials the container's own address behind that port when it is
 * reachable from here (bridge network), so Docker's userland proxy is not a second
 * proxy on the path, and falls back to the published port otherwise.
 */

/*
 * Declare the whole model to the router, start (or adopt) HAProxy with it, so that
 * adopting a running one keeps every target's state, read every target's health back
 * from it (an engine restart does not make a serving target "initial" again), then
 * start the thread.
 */
int sw_elb_sync_start(struct sw_elb *elb);

/* Stop the thread (HAProxy keeps running). */
void sw_elb_sync_stop(struct sw_elb *elb);

#endif
