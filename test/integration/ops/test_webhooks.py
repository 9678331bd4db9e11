"""Webhooks: a receiver gets the events of a push in order, signed (HMAC-SHA256 of
the body with the secret shown once); failures are retried with backoff without breaking
the order; a receiver that is down or hangs never slows a push."""
import time
import unittest

from swops import Cli, WebhookReceiver, event_types
from swrelease import PushStack, WEB_PROCFILE
from swstack import Stack, free_port

DOCKERFILE = 'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'
ENV = {'SLIPWAY_RELEASER': 'off', 'SLIPWAY_WEBHOOK_BACKOFF_MS': '200', 'SLIPWAY_WEBHOOK_ATTEMPTS': '3',
       'SLIPWAY_WEBHOOK_TIMEOUT': '3', 'SLIPWAY_WEBHOOK_ALLOW_NETS': '127.0.0.0/8'}


def add_hook(cli, app, url, events=None):
    args = ['webhooks:add', url, '-a', app, '--json']
    if events is not None:
        args += ['--events', events]
    r = cli(*args)
    assert r.code == 0, r
    j = r.json()
    return j['webhook']['id'], j['secret']


class DeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack('hooks', env=ENV).start()
        cls.cli = Cli(cls.stack)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_push_events_in_order_signed(self):
        r = self.cli('apps:create', 'hooked')
        self.assertEqual(r.code, 0, r)
        with WebhookReceiver() as rx:
            hook, secret = add_hook(self.cli, 'hooked', rx.url)
            repo = self.stack.make_repo('hooked', DOCKERFILE, {'index.html': 'one'})
            self.assertEqual(self.stack.push(repo, 'hooked').returncode, 0)
            self.stack.commit(repo, {'index.html': 'two'})
            self.assertEqual(self.stack.push(repo, 'hooked').returncode, 0)
            got = rx.wait(lambda reqs: event_types(reqs).count('build.succeeded') >= 2)
            types = event_types(got)
            self.assertEqual(types, ['webhook.added', 'build.started', 'build.succeeded', 'build.started',
                                     'build.succeeded'], types)
            ids = [d.json()['event']['id'] for d in got]
            self.assertEqual(ids, sorted(ids))
            for d in got:
                self.assertTrue(d.verify(secret), d.headers)
                self.assertFalse(d.verify('0' * 64))
                body = d.json()
                self.assertEqual(d.headers['X-Slipway-Event'], body['event']['type'])
                self.assertEqual(d.headers['X-Slipway-Delivery'], str(body['delivery']))
                self.assertEqual(body['webhook'], hook)
                self.assertEqual(body['event']['app'], 'hooked')
            builds = [d.json()['event']['build'] for d in got if d.json()['event']['type'].startswith('build.')]
            self.assertEqual(builds[0], builds[1])
            self.assertEqual(builds[2], builds[3])
        r = self.cli('webhooks:deliveries', '-a', 'hooked', '--json')
        ds = r.json()['deliveries']
        self.assertEqual(len(ds), 5)
        self.assertTrue(all(d['status'] == 'delivered' and d['response_code'] == 200 for d in ds), ds)
        table = self.cli('webhooks:deliveries', '-a', 'hooked').out
        self.assertIn('delivered', table)

    def test_filter(self):
        self.assertEqual(self.cli('apps:create', 'filtered').code, 0)
        with WebhookReceiver() as rx:
            add_hook(self.cli, 'filtered', rx.url, 'build.succeeded,app.*')
            repo = self.stack.make_repo('filtered', DOCKERFILE, {'index.html': 'f'})
            self.assertEqual(self.stack.push(repo, 'filtered').returncode, 0)
            got = rx.wait(lambda reqs: 'build.succeeded' in event_types(reqs))
            time.sleep(1)
            self.assertEqual(event_types(rx.requests), ['build.succeeded'])

    def test_retries_keep_order(self):
        self.assertEqual(self.cli('apps:create', 'flaky').code, 0)
        # the first two tries fail (500, then 503); everything after succeeds
        with WebhookReceiver(status=lambda n: {0: 500, 1: 503}.get(n, 200)) as rx:
            hook, secret = add_hook(self.cli, 'flaky', rx.url)
            repo = self.stack.make_repo('flaky', DOCKERFILE, {'index.html': 'flaky'})
            self.assertEqual(self.stack.push(repo, 'flaky').returncode, 0)
            got = rx.wait(lambda reqs: 'build.succeeded' in event_types(reqs))
            types = event_types(got)
            # webhook.added three times (two failures), then the rest, in order
            self.assertEqual(types, ['webhook.added'] * 3 + ['build.started', 'build.succeeded'], types)
            attempts = [d.json()['attempt'] for d in got[:3]]
            self.assertEqual(attempts, [1, 2, 3])
            gaps = [got[i + 1].at - got[i].at for i in range(2)]
            self.assertGreaterEqual(gaps[0], 0.09)   # backoff 200 ms with equal jitter: >= 100 ms
            self.assertGreaterEqual(gaps[1], 0.19)   # then 400 ms: >= 200 ms
            self.assertTrue(all(d.verify(secret) for d in got))
        ds = self.cli('webhooks:deliveries', str(hook), '-a', 'flaky', '--json').json()['deliveries']
        first = [d for d in ds if d['type'] == 'webhook.added'][0]
        self.assertEqual((first['status'], first['attempts']), ('delivered', 3))

    def test_given_up_after_attempts(self):
        self.assertEqual(self.cli('apps:create', 'refused').code, 0)
        hook, _ = add_hook(self.cli, 'refused', f'http://127.0.0.1:{free_port()}/nobody')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ds = self.cli('webhooks:deliveries', '-a', 'refused', '--json').json()['deliveries']
            if ds and ds[-1]['status'] == 'failed':
                break
            time.sleep(0.3)
        self.assertEqual(ds[-1]['status'], 'failed', ds)
        self.assertEqual(ds[-1]['attempts'], 3)
        self.assertEqual(ds[-1]['error'], 'refused')   # never what answered there
        r = self.cli('webhooks', '-a', 'refused')
        self.assertIn('failed', r.out)


class ReleaseEventsTest(unittest.TestCase):
    """With the releaser on (the engine as ECS): every release state change is an event
    the webhook gets in order, made by the pushing (or commanding) token's name."""

    @classmethod
    def setUpClass(cls):
        # tasks count as stable after 8 s running: one that crashes after 3 s never does
        cls.ps = PushStack(memory_mb=1024, engine_env={'SLIPWAY_ENGINE_STABLE_SECONDS': '8'},
                           env={'SLIPWAY_WEBHOOK_BACKOFF_MS': '200', 'SLIPWAY_WEBHOOK_ALLOW_NETS': '127.0.0.0/8'})
        cls.cli = Cli(cls.ps.st, token=cls.ps.token, url=cls.ps.sd.url)
        # a user of their own (operate on the app): events name them
        r = cls.cli('users:create', 'deployer', '--json')
        assert r.code == 0, r
        cls.deployer = r.json()['token']
        cls.as_deployer = Cli(cls.ps.st, token=cls.deployer, url=cls.ps.sd.url)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def release_events(self, got, since):
        """(type, release, actor) of the deliveries from index since on, builds' left out."""
        out = []
        for d in got[since:]:
            e = d.json()['event']
            if not e['type'].startswith(('build.', 'webhook.')):
                out.append((e['type'], e['release'], e['actor']))
        return out

    def test_release_events_in_order(self):
        ps, app = self.ps, 'evented'
        self.assertEqual(self.cli('apps:create', app).code, 0)
        self.assertEqual(self.cli('access:add', 'deployer', 'operate', '-a', app).code, 0)
        with WebhookReceiver() as rx:
            hook, secret = add_hook(self.cli, app, rx.url)
            # a push: built, then release v1 created, deploying, live
            repo = ps.make_repo(app, 'v1')
            r = ps.st.push(repo, app, token=self.deployer)
            self.assertEqual(r.returncode, 0, r)
            got = rx.wait(lambda reqs: 'release.live' in event_types(reqs), timeout=120)
            self.assertEqual(event_types(got), ['webhook.added', 'build.started', 'build.succeeded', 'release.created',
                                                'release.deploying', 'release.live'])
            self.assertEqual(self.release_events(got, 0), [('release.created', 'v1', 'deployer'),
                                                           ('release.deploying', 'v1', 'deployer'),
                                                           ('release.live', 'v1', 'deployer')])
            # config: a release, the change by key name only
            n = len(got)
            r = self.as_deployer('config:set', 'GREETING=hello-there', 'TOKEN_X=very-secret', '-a', app)
            self.assertEqual(r.code, 0, r)
            got = rx.wait(lambda reqs: event_types(reqs).count('release.live') >= 2, timeout=120)
            self.assertEqual(self.release_events(got, n), [('release.created', 'v2', 'deployer'),
                                                           ('config.changed', 'v2', 'deployer'),
                                                           ('release.deploying', 'v2', 'deployer'),
                                                           ('release.live', 'v2', 'deployer')])
            changed = [d.json()['event'] for d in got if d.json()['event']['type'] == 'config.changed'][0]
            self.assertIn('GREETING', changed['message'])
            self.assertIn('TOKEN_X', changed['message'])
            for d in got:
                self.assertNotIn(b'hello-there', d.body)
                self.assertNotIn(b'very-secret', d.body)
            # scale (by the admin token)
            n = len(got)
            r = self.cli('scale', 'web=2', '-a', app)
            self.assertEqual(r.code, 0, r)
            got = rx.wait(lambda reqs: event_types(reqs).count('release.live') >= 3, timeout=120)
            self.assertEqual(self.release_events(got, n), [('release.created', 'v3', 'admin'), ('scale', 'v3', 'admin'),
                                                           ('release.deploying', 'v3', 'admin'),
                                                           ('release.live', 'v3', 'admin')])
            # a push whose tasks crash after a few seconds: crashed, replaced, rolled back
            n = len(got)
            ps.commit(repo, 'v4', procfile="web: trap 'exit 0' TERM; sleep 3 & wait; exit 3\n")
            r = ps.st.push(repo, app, token=self.deployer)
            self.assertNotEqual(r.returncode, 0, r)
            got = rx.wait(lambda reqs: 'release.rolled_back' in event_types(reqs), timeout=180)
            events = self.release_events(got, n)
            types = [t for t, _, _ in events]
            self.assertEqual(types[:2], ['release.created', 'release.deploying'], events)
            self.assertEqual(types[-1], 'release.rolled_back', events)
            middle = set(types[2:-1])
            self.assertIn('task.crashed', middle, events)
            self.assertIn('task.replaced', middle, events)
            self.assertLessEqual(middle, {'task.crashed', 'task.replaced'}, events)
            self.assertTrue(all(rel == 'v4' for _, rel, _ in events), events)
            self.assertEqual([a for t, _, a in events if t.startswith('release.')], ['deployer'] * 3)
            # in order, each signed
            ids = [d.json()['event']['id'] for d in got]
            self.assertEqual(ids, sorted(ids))
            self.assertTrue(all(d.verify(secret) for d in got))
        # who made each release: the token's name, never "git push"
        made = {r['version']: r['created_by'] for r in ps.releases(app)}
        self.assertEqual(made, {1: 'deployer', 2: 'deployer', 3: 'admin', 4: 'deployer'})
        out = self.cli('releases:info', 'v1', '-a', app).out
        self.assertIn('made by:      deployer', out)
        self.assertEqual(self.cli('releases', '-a', app).out.count('git push'), 0)


class DownReceiverTest(unittest.TestCase):
    """A receiver that never answers, or is not there: pushes take as long as without it."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack('hookdown', env=dict(ENV, SLIPWAY_WEBHOOK_TIMEOUT='20')).start()
        cls.cli = Cli(cls.stack)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def timed_push(self, repo, app, text):
        self.stack.commit(repo, {'index.html': text})
        t0 = time.monotonic()
        r = self.stack.push(repo, app)
        self.assertEqual(r.returncode, 0, r)
        return time.monotonic() - t0

    def test_hanging_receiver_does_not_slow_push(self):
        repo = self.stack.make_repo('slow', DOCKERFILE, {'index.html': '0'})
        self.assertEqual(self.stack.push(repo, 'slow').returncode, 0)   # base layers cached
        base = min(self.timed_push(repo, 'slow', str(i)) for i in (1, 2))
        with WebhookReceiver(hang=True) as rx:
            add_hook(self.cli, 'slow', rx.url)
            add_hook(self.cli, 'slow', f'http://127.0.0.1:{free_port()}/refused')
            hooked = max(self.timed_push(repo, 'slow', str(i)) for i in (3, 4))
            # the sender is stuck in a 20 s delivery all this time; the pushes are not
            self.assertLess(hooked, base + 2.0, (base, hooked))
            self.assertLess(hooked, 10.0)
            ds = self.cli('webhooks:deliveries', '-a', 'slow', '--json').json()['deliveries']
            self.assertTrue(any(d['status'] == 'pending' for d in ds), ds)
        print(f'push without webhooks {base:.2f}s, with a hanging and a refused receiver {hooked:.2f}s')


if __name__ == '__main__':
    unittest.main()
