#!/usr/bin/env python3
"""Write the rollout scenarios (*.json here) that test/unit/releaser/test_rollout.c replays.

Each scenario is a recorded sequence of what slipway's rollout watcher reads from ECS
(DescribeServices / UpdateService, DescribeTasks, DescribeContainerInstances responses,
shaped per botocore's ecs 2014-11-13 model) and ELBv2 (DescribeTargetHealth output), with
the lines the pusher must see and the verdict after each poll. The shapes are checked
against botocore by test/integration/releaser/test_fixture_shapes.py.

Run it again after changing a scenario: python3 make_fixtures.py
"""
import json
import os

REGION, ACCOUNT = "us-east-1", "000000000000"
T0 = 1700000000.0                      # the rollout starts here (seconds)
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
CI = f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/default/5f9a0b1c2d3e4f5061728394a5b6c7d8"
EC2 = "i-0123456789abcdef0"


def td(family, rev):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{rev}"


def task_arn(tid):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/{tid}"


def deployment(did, status, taskdef, desired, running, pending=0, state="IN_PROGRESS", reason=None,
               created=T0, failed=0):
    d = {
        "id": did, "status": status, "taskDefinition": taskdef, "desiredCount": desired,
        "pendingCount": pending, "runningCount": running, "failedTasks": failed,
        "createdAt": created, "updatedAt": created + 1, "launchType": "EC2",
    }
    if state is None:          # a service without the circuit breaker reports no rolloutState
        return d
    d["rolloutState"] = state
    d["rolloutStateReason"] = reason or {
        "IN_PROGRESS": "ECS deployment %s in progress." % did,
        "COMPLETED": "ECS deployment %s completed." % did,
        "FAILED": "ECS deployment circuit breaker: tasks failed to start.",
    }[state]
    return d


def event(eid, at, msg):
    return {"id": eid, "createdAt": at, "message": msg}


def service(name, taskdef, desired, deployments, events, status="ACTIVE", running=None, pending=0):
    return {
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/default/{name}",
        "serviceName": name, "clusterArn": CLUSTER, "status": status,
        "desiredCount": desired,
        "runningCount": sum(d["runningCount"] for d in deployments) if running is None else running,
        "pendingCount": pending, "launchType": "EC2", "taskDefinition": taskdef,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200, "minimumHealthyPercent": 100,
        },
        "deployments": deployments,
        "events": sorted(events, key=lambda e: -e["createdAt"]),   # newest first, as ECS
        "createdAt": T0 - 3600, "schedulingStrategy": "REPLICA",
    }


def describe(*services, failures=()):
    return {"services": list(services), "failures": list(failures)}


def task(tid, taskdef, started_by, last, started=None, stopped=None, stop_code=None, reason=None,
         exit_code=None, health="UNKNOWN", host_port=32768, container_reason=None):
    c = {
        "containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/default/{tid}/c",
        "taskArn": task_arn(tid), "name": "web", "lastStatus": last, "healthStatus": health,
        "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 8080, "hostPort": host_port,
                             "protocol": "tcp"}] if last == "RUNNING" else [],
    }
    if exit_code is not None:
        c["exitCode"] = exit_code
    if container_reason:
        c["reason"] = container_reason
    t = {
        "taskArn": task_arn(tid), "clusterArn": CLUSTER, "taskDefinitionArn": taskdef,
        "containerInstanceArn": CI, "lastStatus": last,
        "desiredStatus": "STOPPED" if last == "STOPPED" else "RUNNING",
        "startedBy": started_by, "group": "service:hello-web", "launchType": "EC2",
        "healthStatus": health, "containers": [c], "createdAt": (started or T0) - 1,
        "version": 3,
    }
    if started:
        t["startedAt"] = started
    if stopped:
        t["stoppedAt"] = stopped
        t["stoppingAt"] = stopped - 1
        t["executionStoppedAt"] = stopped - 1
    if stop_code:
        t["stopCode"] = stop_code
    if reason:
        t["stoppedReason"] = reason
    return t


def tasks(*ts):
    return {"tasks": list(ts), "failures": []}


def instances(remaining_mb, registered_mb=2048):
    return {"containerInstances": [{
        "containerInstanceArn": CI, "ec2InstanceId": EC2, "status": "ACTIVE", "agentConnected": True,
        "runningTasksCount": 2, "pendingTasksCount": 0,
        "registeredResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": registered_mb}],
        "remainingResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": remaining_mb}],
    }], "failures": []}


def targets(*ts):
    return {"TargetHealthDescriptions": [
        {"Target": {"Id": i, "Port": p}, "HealthCheckPort": str(p), "TargetHealth": {"State": s}}
        for (i, p, s) in ts]}


def ms(seconds):
    return int(round(seconds * 1000))


OLD, NEW = td("hello-web", 1), td("hello-web", 2)
OLD_EV = event("e0", T0 - 600, "(service hello-web) has reached a steady state.")

scenarios = {}

# 1. A rolling update of 2 tasks that goes live; events printed once each, oldest first.
e1 = event("e1", T0 + 1, "(service hello-web) has started 2 tasks: (task aaa) (task bbb).")
e2 = event("e2", T0 + 6, "(service hello-web) has stopped 2 running tasks: (task ooo) (task ppp).")
e3 = event("e3", T0 + 9, "(service hello-web) (deployment ecs-svc/222) deployment completed.")
e4 = event("e4", T0 + 9.5, "(service hello-web) has reached a steady state.")
scenarios["live"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 2, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 0.2), "update_service": {"service": service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 0),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])},
         "lines": ["web: 0 of 2 new tasks healthy, 2 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 2), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 1, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV, e1])),
         "lines": [e1["message"], "web: 1 of 2 new tasks healthy, 2 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 4), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 1, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV, e1])),
         "lines": [], "verdict": "waiting"},
        {"now": ms(T0 + 7), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 2),
            deployment("ecs-svc/111", "ACTIVE", OLD, 0, 0, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV, e1, e2])),
         "lines": [e2["message"], "web: 2 of 2 new tasks healthy, 0 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 10), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 2, state="COMPLETED")],
            [OLD_EV, e1, e2, e3, e4])),
         "lines": [e3["message"], e4["message"]], "verdict": "live"},
    ],
}

# 2. The circuit breaker fails our deployment and ECS rolls back: a failure, never live.
cb1 = event("c1", T0 + 30, "(service hello-web) (deployment ecs-svc/222) deployment failed: tasks failed to start.")
cb2 = event("c2", T0 + 30.5, "(service hello-web) rolling back to deployment ecs-svc/111.")
scenarios["circuit_breaker"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 1, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 1, 0, pending=1, failed=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])),
         "lines": ["web: 0 of 1 new task healthy, 1 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 31), "services": describe(service("hello-web", OLD, 1, [
            deployment("ecs-svc/333", "PRIMARY", OLD, 1, 1, created=T0 + 30),
            deployment("ecs-svc/222", "ACTIVE", NEW, 0, 0, state="FAILED", failed=3)],
            [OLD_EV, cb1, cb2])),
         "lines": [cb1["message"], cb2["message"]],
         "verdict": "failed", "why": "ecs_failed", "rolled_back": "ecs-svc/333",
         "reason": "web: ECS deployment circuit breaker: tasks failed to start."},
    ],
}

# 3. Tasks that start, then crash: the watcher fails after 3, before the circuit breaker does.
#    Stops that are not the release's fault (scale-in, a stop before the rollout) do not count.
crash = dict(stop_code="EssentialContainerExited", reason="Essential container in task exited", exit_code=1)
scenarios["crash_loop"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 2, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 2),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1),
             task("old", NEW, "ecs-svc/222", "STOPPED", started=T0 - 100, stopped=T0 - 50, **crash),
             task("zzz", OLD, "ecs-svc/111", "STOPPED", started=T0 - 100, stopped=T0 + 1, **crash))},
         "lines": ["web: 2 of 2 new tasks healthy, 2 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 3), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 1, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "STOPPED", started=T0 + 1, stopped=T0 + 2, **crash),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1),
             task("ccc", NEW, "ecs-svc/222", "STOPPED", started=T0 + 2, stopped=T0 + 2.5,
                  stop_code="ServiceSchedulerInitiated",
                  reason="Scaling activity initiated by (deployment ecs-svc/222)"))},
         "lines": ["web: 1 of 2 new tasks healthy, 2 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 5), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 0, pending=2),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "STOPPED", started=T0 + 1, stopped=T0 + 2, **crash),
             task("bbb", NEW, "ecs-svc/222", "STOPPED", started=T0 + 1, stopped=T0 + 4, **crash),
             task("ddd", NEW, "ecs-svc/222", "STOPPED", started=T0 + 3, stopped=T0 + 4.5,
                  stop_code="ServiceSchedulerInitiated",
                  reason="Task failed container health checks", exit_code=137))},
         "lines": ["web: 0 of 2 new tasks healthy, 2 old running"], "verdict": "failed", "why": "crashed",
         "reason": "web: 3 new tasks stopped (last: Task failed container health checks (exit code 137))"},
    ],
}

# 4. Asking for more than the cluster holds: "unable to place", no progress → never converging.
un = event("u1", T0 + 2, "(service hello-web) was unable to place a task because no container instance "
           "met all of its requirements. The closest matching (container-instance 5f9a0b1c2d3e4f5061728394a5b6c7d8) "
           "has insufficient memory available. For more information, see the Troubleshooting section of the "
           "Amazon ECS Developer Guide.")
st1 = event("s1", T0 + 1, "(service hello-web) has started 1 tasks: (task aaa).")
scenarios["no_capacity"] = {
    "started_at": ms(T0), "stall_ms": 30000,
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 4, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 3), "services": describe(service("hello-web", NEW, 4, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 4, 1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV, st1, un])),
         "instances": instances(512, registered_mb=2048),
         "lines": [st1["message"], un["message"], "web: 1 of 4 new tasks healthy, 2 old running"],
         "verdict": "waiting"},
        {"now": ms(T0 + 20), "services": describe(service("hello-web", NEW, 4, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 4, 1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV, st1, un])),
         "instances": instances(512, registered_mb=2048),
         "lines": [], "verdict": "waiting"},
        {"now": ms(T0 + 33.5), "services": describe(service("hello-web", NEW, 4, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 4, 1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 2, 2, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV, st1, un])),
         "instances": instances(512, registered_mb=2048),
         "lines": [], "verdict": "failed", "why": "no_capacity",
         "reason": "web needs 4 \u00d7 512 MB; the cluster has room for 2 beside the 2 old tasks still running"},
    ],
}

# 5. Nothing certain, nothing finished: the deadline decides.
scenarios["deadline"] = {
    "started_at": ms(T0), "deadline_ms": 60000,
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 2, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 5), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 1, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])),
         "lines": ["web: 1 of 2 new tasks healthy, 1 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 60), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 1, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)],
            [OLD_EV])),
         "lines": [], "verdict": "failed", "why": "deadline",
         "reason": "web: not live after 1m00s (1 of 2 new tasks healthy, 1 old running)"},
    ],
}

# 6. Two processes in one poll (batched DescribeServices); the worker's service was deleted.
WNEW = td("hello-worker", 5)
scenarios["missing_service"] = {
    "started_at": ms(T0),
    "processes": [
        {"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 1, "memory": 512},
        {"process": "worker", "service": "hello-worker", "taskdef": WNEW, "desired": 1, "memory": 256}],
    "steps": [
        {"now": ms(T0 + 2), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 1, 1, state="COMPLETED")], [OLD_EV]),
            failures=[{"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/default/hello-worker", "reason": "MISSING"}]),
         "lines": ["web: 1 of 1 new task healthy, 0 old running"], "verdict": "failed", "why": "gone",
         "reason": "worker: service hello-worker does not exist"},
    ],
}

# 7. Scale only (no new task definition): the old COMPLETED deployment is not proof;
#    live once every task runs and its container health check passes.
scenarios["scale_only"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 3, "memory": 512,
                   "container_health": True}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-web", NEW, 3, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 3, 1, pending=2, state="COMPLETED", created=T0 - 100)],
            [OLD_EV])),
         "tasks": {"web": tasks(task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 - 90, health="HEALTHY"))},
         "lines": ["web: 1 of 3 new tasks healthy, 0 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 4), "services": describe(service("hello-web", NEW, 3, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 3, 3, state="COMPLETED", created=T0 - 100)],
            [OLD_EV])),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 - 90, health="HEALTHY"),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 3, health="UNKNOWN", host_port=32770),
             task("ccc", NEW, "ecs-svc/222", "RUNNING", started=T0 + 3, health="HEALTHY", host_port=32771))},
         "lines": ["web: 2 of 3 new tasks healthy, 0 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 6), "services": describe(service("hello-web", NEW, 3, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 3, 3, state="COMPLETED", created=T0 - 100)],
            [OLD_EV])),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 - 90, health="HEALTHY"),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 3, health="HEALTHY", host_port=32770),
             task("ccc", NEW, "ecs-svc/222", "RUNNING", started=T0 + 3, health="HEALTHY", host_port=32771))},
         "lines": ["web: 3 of 3 new tasks healthy, 0 old running"], "verdict": "live"},
    ],
}

# 8. Load balanced: running is not healthy until the target is; the only deployment,
#    IN_PROGRESS, with every target healthy, is live.
scenarios["targets"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 2, "memory": 512,
                   "load_balanced": True}],
    "steps": [
        {"now": ms(T0 + 0.5), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 1, pending=1)], [])),
         "instances": instances(1024),
         "tasks": {"web": tasks(task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 + 0.4, host_port=32768))},
         "targets": {"web": targets((EC2, 32768, "initial"))},
         "lines": ["web: 0 of 2 new tasks healthy, 0 old running"], "verdict": "waiting"},
        # one more task running, none healthy yet: the line would read the same, so it is not repeated
        {"now": ms(T0 + 1), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 2)], [])),
         "instances": instances(1024),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1, host_port=32768),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1, host_port=32769))},
         "targets": {"web": targets((EC2, 32768, "initial"), (EC2, 32769, "initial"),
                                    (EC2, 32700, "draining"))},
         "lines": [], "verdict": "waiting"},
        {"now": ms(T0 + 3), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 2)], [])),
         "instances": instances(1024),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1, host_port=32768),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1, host_port=32769))},
         "targets": {"web": targets((EC2, 32768, "healthy"), ("i-0ffffffffffffffff", 32769, "healthy"))},
         "lines": ["web: 1 of 2 new tasks healthy, 0 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 5), "services": describe(service("hello-web", NEW, 2, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 2, 2)], [])),
         "instances": instances(1024),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1, host_port=32768),
             task("bbb", NEW, "ecs-svc/222", "RUNNING", started=T0 + 1, host_port=32769))},
         "targets": {"web": targets((EC2, 32768, "healthy"), (EC2, 32769, "healthy"))},
         "lines": ["web: 2 of 2 new tasks healthy, 0 old running"], "verdict": "live"},
    ],
}

# 9. A stale read right after UpdateService (the old deployment still PRIMARY), then ours.
#    Another deployment of the same task definition (forceNewDeployment) is followed.
#    Without a health signal, RUNNING is not healthy enough: COMPLETED decides.
scenarios["stale_then_forced"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 1, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-web", OLD, 1, [
            deployment("ecs-svc/111", "PRIMARY", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)], [OLD_EV])),
         "lines": ["web: 0 of 1 new task healthy, 1 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 2), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 1, 0, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)], [OLD_EV])),
         "lines": [], "verdict": "waiting"},
        {"now": ms(T0 + 4), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/444", "PRIMARY", NEW, 1, 1, created=T0 + 3),
            deployment("ecs-svc/222", "ACTIVE", NEW, 0, 0),
            deployment("ecs-svc/111", "ACTIVE", OLD, 0, 0, state="COMPLETED", created=T0 - 3600)], [OLD_EV])),
         "lines": ["web: 1 of 1 new task healthy, 0 old running"], "verdict": "waiting"},
        # the only deployment, running = desired, but no health signal: ECS's COMPLETED decides
        {"now": ms(T0 + 6), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/444", "PRIMARY", NEW, 1, 1, created=T0 + 3)], [OLD_EV])),
         "lines": [], "verdict": "waiting"},
        {"now": ms(T0 + 9), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/444", "PRIMARY", NEW, 1, 1, state="COMPLETED", created=T0 + 3)], [OLD_EV])),
         "lines": [], "verdict": "live"},
    ],
}

# 10. Someone else's deployment replaces ours mid-rollout (another task definition).
OTHER = td("hello-web", 3)
scenarios["superseded"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 1, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-web", NEW, 1, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 1, 0, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)], [OLD_EV])),
         "lines": ["web: 0 of 1 new task healthy, 1 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 3), "services": describe(service("hello-web", OTHER, 1, [
            deployment("ecs-svc/555", "PRIMARY", OTHER, 1, 0, created=T0 + 2),
            deployment("ecs-svc/222", "ACTIVE", NEW, 1, 0, pending=1),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)], [OLD_EV])),
         "lines": [], "verdict": "failed", "why": "ecs_failed", "rolled_back": "ecs-svc/555",
         "reason": "web: deployment ecs-svc/222 was replaced by ecs-svc/555 (hello-web:3)"},
    ],
}

# 11. A draining service.
scenarios["draining"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 1, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-web", NEW, 0, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 0, 0)], [OLD_EV], status="DRAINING")),
         "lines": [], "verdict": "failed", "why": "gone", "reason": "web: service hello-web is DRAINING"},
    ],
}

# 12. A service that reports no rolloutState: the only deployment with running = desired is live.
scenarios["no_rollout_state"] = {
    "started_at": ms(T0),
    "processes": [{"process": "worker", "service": "hello-worker", "taskdef": WNEW, "desired": 2, "memory": 256}],
    "steps": [
        {"now": ms(T0 + 1), "services": describe(service("hello-worker", WNEW, 2, [
            deployment("ecs-svc/7", "PRIMARY", WNEW, 2, 1, pending=1, state=None),
            deployment("ecs-svc/6", "ACTIVE", td("hello-worker", 4), 1, 1, state=None, created=T0 - 60)], [])),
         "lines": ["worker: 1 of 2 new tasks healthy, 1 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 3), "services": describe(service("hello-worker", WNEW, 2, [
            deployment("ecs-svc/7", "PRIMARY", WNEW, 2, 2, state=None)], [])),
         "lines": ["worker: 2 of 2 new tasks healthy, 0 old running"], "verdict": "live"},
    ],
}

# 13. ECS's circuit breaker rolls back (and drops our deployment) before the watcher counted
#     crash_limit crashes: the reason names what the tasks died of, not just "replaced".
scenarios["cb_after_crashes"] = {
    "started_at": ms(T0),
    "processes": [{"process": "web", "service": "hello-web", "taskdef": NEW, "desired": 1, "memory": 512}],
    "steps": [
        {"now": ms(T0 + 0.3), "update_service": {"service": service("hello-web", NEW, 1, [
            deployment("ecs-svc/222", "PRIMARY", NEW, 1, 0),
            deployment("ecs-svc/111", "ACTIVE", OLD, 1, 1, state="COMPLETED", created=T0 - 3600)], [OLD_EV])},
         "lines": ["web: 0 of 1 new task healthy, 1 old running"], "verdict": "waiting"},
        {"now": ms(T0 + 2), "services": describe(service("hello-web", OLD, 1, [
            deployment("ecs-svc/333", "PRIMARY", OLD, 1, 1, state="COMPLETED", created=T0 + 1.5)],
            [OLD_EV, cb1, cb2])),
         "tasks": {"web": tasks(
             task("aaa", NEW, "ecs-svc/222", "STOPPED", started=T0 + 0.5, stopped=T0 + 0.6, **crash),
             task("bbb", NEW, "ecs-svc/222", "STOPPED", started=T0 + 1, stopped=T0 + 1.1, **crash))},
         "lines": [cb1["message"], cb2["message"]], "verdict": "failed", "why": "ecs_failed",
         "rolled_back": "ecs-svc/333",
         "reason": "web: 2 new tasks stopped (last: Essential container in task exited (exit code 1))"},
    ],
}

here = os.path.dirname(os.path.abspath(__file__))
for name, sc in scenarios.items():
    with open(os.path.join(here, name + ".json"), "w") as f:
        json.dump(sc, f, indent=1, ensure_ascii=False)
        f.write("\n")
print("wrote", len(scenarios), "scenarios")
