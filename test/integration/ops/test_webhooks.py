"""Webhooks (issue 7): a receiver gets the events of a push in order, signed (HMAC-SHA256 of
the body with the secret shown once); failures are retried with backoff without breaking
the order; a receiver that is down or hangs never slows a push."""
import time
import unittest

from swops import Cli, WebhookReceiver, event_types
from swstack import Stack, free_port

DOCKERFILE = 'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'
ENV = {'SLIPWAY_RELEASER': 'off', 'SLIPWAY_WEBHOOK_BACKOFF_MS': '200', 'SLIPWAY_WEBHOOK_ATTEMPTS': '3',
       'SLIPWAY_WEBHOOK_TIMEOUT': '3'}


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
        self.assertIn('cannot connect', ds[-1]['error'])
        r = self.cli('webhooks', '-a', 'refused')
        self.assertIn('failed', r.out)


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
