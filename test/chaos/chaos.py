"""The chaos test: slipway started as an operator does (scripts/up, a home and ports of its
own), then rounds of: a push of a new commit (sometimes one whose tasks crash; sometimes
instead `slipway rollback` or `slipway config:set`), a kill -9 of one component (slipwayd,
slipway-engine, dockerd, the registry, HAProxy) at one moment of it (build, push,
registration, health, drain), the operator's restart (scripts/up), and the checks of
invariants.py, with a request loop through the router all along.

    ROUNDS=20 SEED=1234 scripts/test chaos     # what CI's short form runs
    ROUNDS=200 scripts/test chaos              # by hand
    SOAK=600 scripts/test chaos                # 16 apps pushing in turn under router load, RSS sampled

Settings (environment): ROUNDS (20), SEED (random; printed first so a run repeats),
SOAK (seconds; soak mode instead of rounds), CHAOS_COMPONENTS (comma list, default all),
CHAOS_ACTIONS (push,crash,rollback,config), CHAOS_MOMENTS (build,push,registration,
health,drain), CHAOS_GRACE (s a failed request may come
after the restart returned, default 2), CHAOS_DOWNTIME (s a killed component stays down
before the restart, "MIN-MAX", default 0.5-3), CHAOS_DOWN=0 (skip the slipwayd-down
measurement at the end), CHAOS_OUT (where logs and the per-round record
go; default $SW_BUILD/chaos-<seed>). Exit status 0 only with no violation.
"""
import collections
import json
import os
import random
import signal
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration', 'lib'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import invariants as inv                                              # noqa: E402
from swchaos import CRASH_LINE, Load, OperatorStack, now              # noqa: E402
from swrouter import get                                              # noqa: E402
from swstack import BUILD                                             # noqa: E402

ACTIONS = {'push': 50, 'crash': 15, 'rollback': 15, 'config': 20}
# The moments of a push and the line (or state) that marks each, with how long after it
# the kill may come: build (the image's steps), push (to the registry), registration
# (task definitions, services, targets), health (new tasks started, not healthy yet),
# drain (an old target draining).
MOMENTS = {
    'build': ('Step 3/', 0.0, 1.0),
    'push': ('Successfully tagged', 0.0, 0.15),
    'registration': ('-----> releasing v', 0.0, 0.6),
    'health': ('has started', 0.3, 4.0),
    'drain': (None, 0.0, 1.0),
}
ACTION_MOMENTS = {
    'push': ('build', 'push', 'registration', 'health', 'drain'),
    'crash': ('build', 'push', 'registration', 'health'),
    'rollback': ('registration', 'health', 'drain'),
    'config': ('registration', 'health', 'drain'),
}
RESTART_DEADLINE = 60     # no release deploying this long after the restart
ACTION_TIMEOUT = 240      # a push or command must end within this (the deploy deadline is 120 s)


def env_list(name, default):
    v = os.environ.get(name)
    return [x.strip() for x in v.split(',') if x.strip()] if v else list(default)


class Run:
    def __init__(self, seed, out_dir):
        self.rng = random.Random(seed)
        self.seed = seed
        self.out_dir = out_dir
        self.grace = float(os.environ.get('CHAOS_GRACE', '2'))
        self.moments = env_list('CHAOS_MOMENTS', MOMENTS)
        # how long a killed component stays down before the operator's restart: "MIN-MAX" s
        self.downtime = tuple(float(x) for x in os.environ.get('CHAOS_DOWNTIME', '0.5-3').split('-', 1))
        self.rounds = 0
        self.verdicts = 0
        self.violations = []      # (round, component, moment, class, text)
        self.longest = (0.0, None)
        self.crash_verdicts = collections.Counter()
        self.seen = set()
        self.record = open(os.path.join(out_dir, 'rounds.jsonl'), 'w')
        self.app = None
        self.app_seq = 0

    # ---- apps ---------------------------------------------------------------------------
    def fresh_app(self, st):
        """A new app with one live release (its first push is not a round)."""
        for attempt in range(3):
            self.app_seq += 1
            app = st.new_app(f'chaos-{self.app_seq}')
            app.commit()
            act = app.push()
            act.wait(ACTION_TIMEOUT)
            if inv.classify_verdict(act)[0] == 'live':
                self.app = app
                return app
            print(f'  setup: the first push of {app.name} did not go live: {act.text()[-400:]}', flush=True)
            st.ensure_up()
        raise RuntimeError('three apps in a row could not be pushed live: the stack is broken')

    # ---- one round ----------------------------------------------------------------------------
    def round(self, st, n, total, actions, components):
        app = self.app
        action = self.rng.choice(actions)
        rels = st.releases(app.name) or []
        live_before = inv.live_release(rels)
        earlier = [r for r in rels if r['status'] == 'live' and live_before and r['version'] < live_before['version']
                   and r.get('commit') in app.content and r['commit'] != live_before.get('commit')]
        if action == 'rollback' and not earlier:
            action = 'push'
        component = self.rng.choice(components)
        moment = self.rng.choice([m for m in ACTION_MOMENTS[action] if m in self.moments] or ACTION_MOMENTS[action])
        _, lo, hi = MOMENTS[moment]
        delay = self.rng.uniform(lo, hi)
        downtime = self.rng.uniform(*self.downtime)
        before = app.content.get(live_before['commit']) if live_before else None

        pushed = None
        if action in ('push', 'crash'):
            pushed = app.commit(crash=action == 'crash')
        host = f'{app.name}.localhost'
        load = Load(st.router_port, [host])
        time.sleep(0.3)
        if action in ('push', 'crash'):
            act = app.push()
        elif action == 'rollback':
            target = self.rng.choice(earlier)
            act = app.command('rollback', f'v{target["version"]}')
        else:
            act = app.command('config:set', f'GREETING=round-{n}')

        tg = st.release_state(app.name, live_before['version']).get('target_group') if live_before else None
        late = self.wait_moment(st, act, moment, tg)
        if not late:
            time.sleep(delay)
            late = act.done()
        t_kill = now()
        pid = st.kill(component)
        time.sleep(downtime)
        restart_ok, restart_secs, why = st.restart(component)
        t_up = now() if restart_ok else None
        act.wait(ACTION_TIMEOUT)
        verdict = inv.classify_verdict(act)

        found = []
        if pid is None:
            found.append(('restart-failed', f'{component} was not running when its kill came'))
        if not restart_ok:
            found.append(('restart-failed', f'the restart after killing {component} failed: {why}'))
            st.ensure_up()
            t_up = now()
        found += inv.verdict_check(verdict, action, component)
        checked, want = self.check_records(st, app, verdict, act.kind, pushed, t_up)
        found += checked
        load.stop()
        allowed = {x for x in (before, want) if x}
        lf, longest, failed = inv.load_checks(load, host, t_kill, t_up, self.grace, allowed,
                                              app.content.get(pushed) if pushed else None, act.ended)
        found += lf
        self.rounds += 1
        if verdict[0] in ('live', 'failed', 'clean'):
            self.verdicts += 1
        if action == 'crash' and verdict[0] == 'failed':
            # the task's own output, shown before the rejection ("web.1a2b | Error: ...")
            self.crash_verdicts[(verdict[1], any(CRASH_LINE in l and ' | ' in l for _, l in act.lines))] += 1
        if longest > self.longest[0]:
            self.longest = (longest, f'round {n}, {component} killed at {moment}')
        when = f'{moment}{" (after the verdict)" if late else f" +{delay:.1f}s"}'
        v = {'live': lambda: f'live v{verdict[1]}' if verdict[1] else 'ok',
             'failed': lambda: f'rejected: {verdict[1][:70]}', 'clean': lambda: f'clean failure: {verdict[1][:70]}',
             'none': lambda: 'NO VERDICT', 'hung': lambda: 'HUNG'}[verdict[0]]()
        print(f'round {n}/{total} {action} {app.name}: {component} killed at {when}, down {downtime:.1f}s, '
              f'restart {restart_secs:.1f}s; verdict {v}; {failed} failed requests, longest outage {longest:.1f}s; '
              f'violations {len(found)}', flush=True)
        for cls, text in found:
            line = f'round {n}, {component} killed at {when} during {action}: [{cls}] {text}'
            print('  VIOLATION ' + line, flush=True)
            self.violations.append((n, component, moment, cls, text))
        self.record.write(json.dumps({
            'round': n, 'action': action, 'app': app.name, 'component': component, 'moment': moment,
            'late': late, 'delay': round(delay, 2), 'downtime': round(downtime, 2),
            'restart_secs': round(restart_secs, 2), 'verdict': verdict, 'failed_requests': failed,
            'longest_outage': round(longest, 2), 'violations': found,
            'output': [(round(t - act.started, 2), l) for t, l in act.lines]}) + '\n')
        self.record.flush()
        if found:
            self.fresh_app(st)   # the next rounds start from a clean app, not from this one's damage

    def check_records(self, st, app, verdict, act_kind, pushed, t_up):
        """Releases settled, repository, ECS, targets and router against the live release:
        (violations, the content the live release serves or None)."""
        found = []
        rels, stuck = inv.unfinished(st, app.name, t_up, RESTART_DEADLINE)
        found += stuck
        if rels is None:
            return found, None
        found += inv.verdict_agrees(verdict, act_kind, pushed, rels, st, app.name)
        found += inv.repo_checks(st, app.name, rels, self.seen)
        live = inv.live_release(rels)
        if not live:
            return found, None
        found += inv.ecs_checks(st, app.name, live)
        found += inv.target_checks(st, app.name, live)
        want = app.content.get(live.get('commit'))
        if want:
            found += inv.router_check(st, app.name, want, get)
        return found, want

    def wait_moment(self, st, act, moment, tg):
        """Until the moment's marker line (or, for drain, a draining target) shows; True when
        the push or command ended first."""
        marker = MOMENTS[moment][0]
        ended = None
        while True:
            if marker and act.seen(marker):
                return False
            if moment == 'drain' and tg and self.draining(st, tg):
                return False
            if act.done():
                # the engine drains old targets after the deployment completed: wait for it
                ended = ended or now()
                if moment != 'drain' or now() - ended > 5:
                    return True
            time.sleep(0.05)

    def draining(self, st, tg):
        try:
            health = st.client('elbv2').describe_target_health(TargetGroupArn=tg)['TargetHealthDescriptions']
        except Exception:
            return False
        return any(d['TargetHealth']['State'] == 'draining' for d in health)

    # ---- the report -------------------------------------------------------------------------
    def report(self):
        print(f'rounds: {self.rounds}, verdicts: {self.verdicts}, violations: {len(self.violations)}')
        longest, where = self.longest
        print(f'longest unavailability: {longest:.1f}s' + (f' ({where})' if where else ''))
        if self.violations:
            table = collections.Counter((v[3], v[1]) for v in self.violations)
            print('violations by class and component killed:')
            for (cls, comp), count in sorted(table.items()):
                print(f'  {cls:18} {comp:9} {count}')
        if self.crash_verdicts:
            print('what the push said when a release crashed (its tasks print '
                  f'{CRASH_LINE!r} and exit 3):')
            for (text, shown), count in self.crash_verdicts.most_common():
                shows = 'showed' if shown else 'did not show'
                print(f'  {count} x "{text}" ({shows} the task\'s output before it)')


def run_rounds(st, run, total):
    actions = [a for a in env_list('CHAOS_ACTIONS', ACTIONS) for _ in range(ACTIONS.get(a, 10) // 5)]
    components = [c for c in env_list('CHAOS_COMPONENTS', st.components()) if c in st.components()]
    run.fresh_app(st)
    for n in range(1, total + 1):
        try:
            run.round(st, n, total, actions, components)
        except Exception:
            traceback.print_exc()
            run.violations.append((n, '?', '?', 'harness', traceback.format_exc().splitlines()[-1]))
            st.ensure_up()
            run.fresh_app(st)
    if os.environ.get('CHAOS_DOWN', '1') != '0':
        slipwayd_down(st, run)


def slipwayd_down(st, run):
    """slipwayd down for longer than a push: a push fails at once, in one line; and a push
    whose slipwayd dies for good mid-build: how long git takes to give up, and what it says."""
    app = run.app
    st.kill('slipwayd')
    time.sleep(0.5)
    app.commit()
    act = app.push()
    act.wait(120)
    secs = (act.ended or now()) - act.started
    lines = [l for _, l in act.lines if l.strip()]
    print(f'slipwayd down: a new push failed after {secs:.1f}s with exit {act.code}: {" / ".join(lines)[:300]}')
    # slipway's one line, as git shows a text/plain error body ("remote: ..."), and git's own
    # "fatal: unable to access ..." after it
    said = [l for l in lines if not (l.startswith('fatal: unable to access') and len(lines) == 2)]
    if act.code in (None, 0) or secs > 5 or len(said) != 1 or 'slipway is not running' not in said[0]:
        run.violations.append((0, 'slipwayd', 'down', 'down-push',
                               f'a push while slipwayd is down took {secs:.1f}s (exit {act.code}) '
                               f'and said {len(lines)} lines: {" / ".join(lines)[:200]}'))
    ok, _, _ = st.restart('slipwayd')
    app.commit()
    act = app.push()
    while not act.seen('Step 3/') and not act.done():
        time.sleep(0.05)
    t_kill = now()
    st.kill('slipwayd')
    act.wait(300)
    secs = (act.ended or now()) - t_kill
    lines = [l for _, l in act.lines if l.strip() and not l.startswith('remote: ')]
    print(f'slipwayd killed mid-build and left down: git ended {secs:.1f}s after the kill with exit {act.code}: '
          f'{" / ".join(lines)[:300]}')
    st.restart('slipwayd')


def soak(st, run, seconds, apps=16):
    """16 apps pushing in turn under a bounded router load for `seconds`; no kills: every
    failed request is a violation; slipwayd's and the engine's RSS sampled."""
    made = []
    threads = []

    def setup(i):
        app = st.new_app(f'soak-{i}')
        app.commit()
        act = app.push()
        act.wait(ACTION_TIMEOUT)
        if inv.classify_verdict(act)[0] == 'live':
            made.append(app)
        else:
            print(f'soak: {app.name} did not go live: {act.text()[-300:]}', flush=True)
    for i in range(apps):   # four first pushes at a time
        threads.append(threading.Thread(target=setup, args=(i + 1,)))
        threads[-1].start()
        if len(threads) == 4:
            [t.join() for t in threads]
            threads = []
    [t.join() for t in threads]
    if len(made) < apps:
        run.violations.append((0, '-', '-', 'setup', f'{apps - len(made)} of {apps} apps did not go live'))
    load = Load(st.router_port, [f'{a.name}.localhost' for a in made], pause=0.02)
    rss = []
    stop = threading.Event()

    def sample():
        t0 = now()
        while not stop.is_set():
            rss.append((now() - t0, st.rss_kb('slipwayd'), st.rss_kb('engine')))
            stop.wait(5)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    end = now() + seconds
    i = 0
    while now() < end and made:
        app = made[i % len(made)]
        i += 1
        app.commit()
        act = app.push()
        act.wait(ACTION_TIMEOUT)
        verdict = inv.classify_verdict(act)
        run.rounds += 1
        if verdict[0] in ('live', 'failed', 'clean'):
            run.verdicts += 1
        if verdict[0] != 'live':
            run.violations.append((i, '-', 'soak', 'push-failed', f'{app.name}: {verdict}'))
            print(f'soak push {i} {app.name}: {verdict}', flush=True)
    stop.set()
    sampler.join(10)
    load.stop()
    failed = [r for r in load.results if r[2] != 200]
    for host in sorted({r[1] for r in failed}):
        for first, last, count, what in load.outages(host):
            run.violations.append((0, '-', 'soak', 'outage', f'{host}: {count} failed over {last - first:.1f}s: {what}'))
            run.longest = max(run.longest, (last - first, host))
    print(f'soak: {i} pushes over {seconds}s, {len(load.results)} requests through the router, {len(failed)} failed')
    for name, col in (('slipwayd', 1), ('slipway-engine', 2)):
        vals = [(x[0], x[col]) for x in rss if x[col] is not None]
        if len(vals) < 4:
            print(f'soak: {name} RSS: too few samples')
            continue
        q = len(vals) // 4
        early = sum(kb for _, kb in vals[q:2 * q]) / q
        late = sum(kb for _, kb in vals[-q:]) / q
        n = len(vals)
        mt, mk = sum(t for t, _ in vals) / n, sum(kb for _, kb in vals) / n
        slope = sum((t - mt) * (kb - mk) for t, kb in vals) / max(1e-9, sum((t - mt) ** 2 for t, _ in vals))
        flat = late <= early * 1.10 + 2048
        print(f'soak: {name} RSS {vals[0][1] / 1024:.1f} MB at start, {early / 1024:.1f} MB (2nd quarter) -> '
              f'{late / 1024:.1f} MB (last quarter), slope {slope * 60 / 1024:+.2f} MB/min: '
              f'{"flat" if flat else "GROWING"}')
        if not flat:
            run.violations.append((0, name, 'soak', 'rss-growth', f'{name} RSS {early / 1024:.1f} -> {late / 1024:.1f} MB'))


def main():
    # a SIGTERM (scripts/test's timeout) still stops the stack and reports
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = int(os.environ.get('SEED') or random.SystemRandom().randrange(1, 1 << 31))
    rounds = int(os.environ.get('ROUNDS') or 20)
    soak_secs = int(os.environ.get('SOAK') or 0)
    out_dir = os.environ.get('CHAOS_OUT') or os.path.join(BUILD, f'chaos-{seed}')
    os.makedirs(out_dir, exist_ok=True)
    print(f'chaos: SEED={seed} ' + (f'SOAK={soak_secs}' if soak_secs else f'ROUNDS={rounds}') +
          f' (logs and the record of each round: {out_dir})', flush=True)
    run = Run(seed, out_dir)
    t0 = now()
    try:
        with OperatorStack(out_dir) as st:
            print(f'chaos: scripts/up with SLIPWAY_HOME={st.home}, slipwayd :{st.port}, router :{st.router_port}; '
                  f'kills: {", ".join(st.components())}', flush=True)
            if soak_secs:
                soak(st, run, soak_secs)
            else:
                run_rounds(st, run, rounds)
    finally:
        run.report()
        print(f'chaos: {now() - t0:.0f}s; SEED={seed} repeats this run')
    return 1 if run.violations else 0


if __name__ == '__main__':
    sys.exit(main())
