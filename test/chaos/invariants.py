"""What must hold after a round of the chaos test (a push or a release command, a component
killed during it, the operator's restart): each check returns [(class, text)] for what
disagreed; an empty list is a pass.

Classes (the report's table groups by them):
    no-verdict        the push or command ended without a verdict line or a clean one-line failure
    hung              the push or command did not end within its time
    unclear-reason    it failed because a component died, and the reason does not say which in words
    verdict-disagrees the verdict says one thing, the records another
    deploying         a release still deploying (or pending) 60 s after the restart
    commit-missing    a live release's commit is not in the app's repository (and is not flagged)
    untagged          a live release has no vN tag on its commit
    main-behind       main on the server is not the commit of the newest pushed release that went live
    ecs-mismatch      ECS's service does not run the live release's task definition, or never settles
    targets-mismatch  ELBv2's healthy targets are not the service's running tasks, or HAProxy's servers not the targets
    router-stale      the router does not answer with the live release's content
    outage            requests through the router failed outside the restart window
    wrong-content     the router answered with content of neither the old nor the new live release
    restart-failed    scripts/up (or dockerd) did not come back
    slipwayd-down     slipwayd's API does not answer after the restart
"""
import re
import time

VERDICT_LIVE = re.compile(r'^-----> v(\d+) is live')
FLAGGED = 'commit not in the repository'


def remote_lines(lines):
    return [l[len('remote: '):].rstrip() for l in lines if l.startswith('remote: ')]


def classify_verdict(act):
    """('live', N) | ('failed', reason) | ('clean', line) | ('none', what was seen last) | ('hung', '')."""
    if act.code is None:
        return 'hung', ''
    lines = [l for _, l in act.lines if l.strip()]
    if act.kind == 'push':
        remote = [l for l in remote_lines(lines) if l.strip()]
        last = remote[-1] if remote else ''
        m = VERDICT_LIVE.match(last)
        if act.code == 0 and m:
            return 'live', int(m.group(1))
        if act.code != 0 and last.startswith(' !     ') and any('[remote rejected]' in l for l in lines):
            return 'failed', last[7:]
        errors = [l for l in lines if l.startswith(('fatal:', 'error:'))]
        if act.code != 0 and not remote and len(errors) == 1 and len(lines) <= 2:
            return 'clean', errors[0]
        if act.code == 0 and not remote:
            return 'live', None    # nothing to deploy
        return 'none', ' / '.join(lines[-3:])
    # the CLI: streamed lines on stdout, the failure's one line "slipway CMD: reason" on stderr
    for l in reversed(lines):
        m = VERDICT_LIVE.match(l)
        if m and act.code == 0:
            return 'live', int(m.group(1))
    last = lines[-1] if lines else ''
    streamed = len(lines) > 1
    if act.code == 1 and re.match(r'^slipway [a-z:]+: ', last):
        reason = last.split(': ', 1)[1]
        lost = 'slipwayd' in reason.split(' (')[0] or 'before the verdict' in reason
        if lost:   # the CLI lost slipwayd, or never reached it
            return ('none', last) if streamed else ('clean', last)
        return 'failed', reason
    if act.code == 0:
        return 'live', None
    return 'none', ' / '.join(lines[-3:])


# A release that failed because a component died says so in words a user knows.
COMPONENT_WORDS = {
    'engine': ('engine restarted', 'engine stopped'),
    'dockerd': ('Docker stopped', 'Docker restarted'),
    'registry': ('registry',),
}


def verdict_check(verdict, action, component):
    kind, what = verdict
    if kind == 'hung':
        return [('hung', 'no end within its time (the push or command was killed)')]
    if kind == 'none':
        return [('no-verdict', f'no verdict; it ended with: {what[-300:]}')]
    words = COMPONENT_WORDS.get(component)
    if kind == 'failed' and action != 'crash' and words and not any(w in what for w in words):
        return [('unclear-reason', f'rejected for a reason that does not say "{words[0]}": {what[:160]}')]
    return []


def wait_until(timeout, fn, interval=0.5):
    """fn() until it returns a true value or timeout: the last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


def live_release(rels):
    live = [r for r in rels if r['status'] == 'live']
    return max(live, key=lambda r: r['version']) if live else None


def unfinished(st, app, t_restart, timeout=60):
    """Releases still deploying (or pending) `timeout` s after the restart; the releases at
    the end (None when slipwayd never answered)."""
    def settled():
        rels = st.releases(app)
        if rels is None:
            return None
        return rels if not [r for r in rels if r['status'] in ('deploying', 'pending')] else None
    left = max(1.0, t_restart + timeout - time.monotonic())
    rels = wait_until(left, settled, 1.0)
    if rels:
        return rels, []
    rels = st.releases(app)
    if rels is None:
        return None, [('slipwayd-down', f'slipwayd does not answer {timeout}s after the restart')]
    stuck = [r for r in rels if r['status'] in ('deploying', 'pending')]
    return rels, [('deploying', f'v{r["version"]} still {r["status"]} {timeout}s after the restart') for r in stuck]


def repo_checks(st, app, rels, seen):
    """Every live release's commit in the repository with its vN tag (or flagged); main at
    the newest pushed release that went live. `seen` holds what was reported already."""
    out = []

    def tagged(r):
        code, sha = st.repo_git(app, 'rev-parse', '-q', '--verify', f'refs/tags/v{r["version"]}^{{commit}}')
        return code == 0 and sha == r['commit']

    live = [r for r in rels if r['status'] == 'live' and r.get('commit')]
    # the tagger runs every 2 s: give it a few rounds
    wait_until(10, lambda: all(tagged(r) or FLAGGED in (r.get('reason') or '') for r in live)
               or not all(st.repo_git(app, 'cat-file', '-e', r['commit'] + '^{commit}')[0] == 0 for r in live), 1.0)
    for r in live:
        if FLAGGED in (r.get('reason') or ''):
            continue
        key = (app, r['version'])
        if key in seen:
            continue
        if st.repo_git(app, 'cat-file', '-e', r['commit'] + '^{commit}')[0] != 0:
            out.append(('commit-missing', f'v{r["version"]} is live but its commit {r["commit"][:7]} is not in '
                        'the repository (and not flagged so)'))
            seen.add(key)
        elif not tagged(r):
            out.append(('untagged', f'v{r["version"]} is live on {r["commit"][:7]} without a v{r["version"]} tag'))
            seen.add(key)
    pushes = [r for r in live if r['kind'] == 'push']
    if pushes:
        newest = max(pushes, key=lambda r: r['version'])
        code, main = st.repo_git(app, 'rev-parse', '-q', '--verify', 'refs/heads/main')
        key = (app, 'main', newest['version'])
        if main != newest['commit'] and FLAGGED not in (newest.get('reason') or '') and key not in seen:
            seen.add(key)
            out.append(('main-behind', f'main is {main[:7] or "missing"} but v{newest["version"]} '
                        f'(pushed {newest["commit"][:7]}) went live'))
    return out


def verdict_agrees(verdict, act_kind, pushed, rels, st, app):
    """The verdict against the records: a push said live vN -> vN live on the pushed commit;
    said rejected -> main did not move to it and no release of it is live."""
    kind, what = verdict
    out = []
    if kind == 'live' and what:
        r = next((r for r in rels if r['version'] == what), None)
        if not r or r['status'] != 'live':
            out.append(('verdict-disagrees', f'the verdict says v{what} is live; the record says '
                        f'{r["status"] if r else "no such release"}'))
    if kind == 'failed' and act_kind == 'push' and pushed:
        main = st.repo_git(app, 'rev-parse', '-q', '--verify', 'refs/heads/main')[1]
        if main == pushed:
            out.append(('verdict-disagrees', f'the push was rejected but main moved to {pushed[:7]}'))
        live = live_release(rels)
        if live and live.get('commit') == pushed and live['kind'] == 'push':
            out.append(('verdict-disagrees', f'the push was rejected ({what[:80]}) but v{live["version"]} '
                        f'of {pushed[:7]} is live'))
    return out


def ecs_checks(st, app, live, timeout=60):
    """The service runs the live release's task definition, in one completed deployment."""
    state = st.release_state(app, live['version'])
    want = (state.get('taskdefs') or {}).get('web')
    ecs = st.client('ecs')
    last = {}

    def settled():
        try:
            s = ecs.describe_services(cluster='default', services=[f'{app}-web'])['services']
        except Exception as e:   # the engine is not back yet
            last['err'] = str(e)[:120]
            return False
        if not s:
            last['err'] = 'no service'
            return False
        s = s[0]
        deps = [(d['status'], d.get('rolloutState'), d['taskDefinition'].rsplit('/', 1)[-1], d['runningCount'],
                 d['desiredCount']) for d in s['deployments']]
        last['svc'] = (s['taskDefinition'].rsplit('/', 1)[-1], deps)
        return (s['taskDefinition'] == want and len(deps) == 1 and deps[0][1] == 'COMPLETED'
                and deps[0][3] == deps[0][4])
    if wait_until(timeout, settled, 1.0):
        return []
    if 'svc' in last:
        return [('ecs-mismatch', f'{app}-web runs {last["svc"][0]}, deployments {last["svc"][1]}; '
                 f'v{live["version"]} is {(want or "?").rsplit("/", 1)[-1]}')]
    return [('ecs-mismatch', f'ECS does not answer: {last.get("err")}')]


def target_checks(st, app, live, timeout=30):
    """ELBv2's healthy targets are the service's running tasks; HAProxy's live servers are
    those targets."""
    tg = st.release_state(app, live['version']).get('target_group')
    if not tg:
        return []
    backend = 'be_tg-' + tg.rsplit('/', 1)[-1]
    ecs, elb = st.client('ecs'), st.client('elbv2')
    last = {}

    def agree():
        try:
            arns = ecs.list_tasks(cluster='default', serviceName=f'{app}-web')['taskArns']
            tasks = ecs.describe_tasks(cluster='default', tasks=arns)['tasks'] if arns else []
            health = elb.describe_target_health(TargetGroupArn=tg)['TargetHealthDescriptions']
        except Exception as e:
            last['err'] = str(e)[:120]
            return False
        running = {b['hostPort'] for t in tasks if t['lastStatus'] == 'RUNNING'
                   for c in t['containers'] for b in (c.get('networkBindings') or [])}
        healthy = {d['Target']['Port'] for d in health if d['TargetHealth']['State'] == 'healthy'}
        servers = st.haproxy_servers(backend)
        up = None if servers is None else {int(n.rsplit('_', 1)[-1]) for n, (op, admin) in servers.items()
                                           if op == 2 and not admin & 1 and n.rsplit('_', 1)[-1].isdigit()}
        last['seen'] = (sorted(running), sorted(healthy), sorted(up) if up is not None else None)
        return running == healthy and up == healthy
    if wait_until(timeout, agree, 1.0):
        return []
    if 'seen' in last:
        running, healthy, up = last['seen']
        return [('targets-mismatch', f'running tasks on ports {running}, healthy targets {healthy}, '
                 f'HAProxy servers up {up if up is not None else "(no admin socket)"}')]
    return [('targets-mismatch', f'cannot read targets: {last.get("err")}')]


def router_check(st, app, want, get, timeout=30):
    last = {}

    def ok():
        status, body = get(st.router_port, f'{app}.localhost')
        last['got'] = (status, body[:80])
        return status == 200 and body == want
    if wait_until(timeout, ok, 0.5):
        return []
    return [('router-stale', f'the router answers {last["got"]}, the live release serves {want!r}')]


def load_checks(load, host, t_kill, t_up, grace, allowed, rolling=None, t_verdict=None):
    """Failed requests outside [kill, restart done + grace]; answers of neither release
    (the pushed release's content, `rolling`, also until its verdict at t_verdict: a
    rolling deployment serves its healthy new tasks beside the old ones until it ends,
    also when it then fails and is rolled back). Returns (violations, longest outage in
    s, failed requests)."""
    out = []
    longest = 0.0
    failed = 0
    for first, end, count, what in load.outages(host):
        span = end - first
        longest = max(longest, span)
        failed += count
        inside = t_kill is not None and first >= t_kill - 0.5 and first <= (t_up or t_kill) + grace
        outside_end = t_up is not None and end > t_up + grace
        if not inside or outside_end:
            rel = f'{first - t_kill:+.1f}s..{end - t_kill:+.1f}s after the kill' if t_kill else ''
            win = f'{(t_up - t_kill) if t_up and t_kill else 0:.1f}s + {grace:.0f}s'
            out.append(('outage', f'{count} failed requests through the router over {span:.1f}s ({rel}; '
                        f'window {win}): {what}'))
    odd = sorted({body for t, h, status, body in load.results if h == host and status == 200
                  and body not in allowed and not (rolling and body == rolling and t_verdict and t <= t_verdict)})
    if odd:
        out.append(('wrong-content', f'the router answered {odd[:3]}; expected one of {sorted(allowed)}'))
    return out, longest, failed
