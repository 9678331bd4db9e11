"""Long pushes: `git push -o detach` returns once the job is queued and
`slipway builds:log --follow` shows the rest; `slipway builds:cancel` stops a running or
queued build, the pusher sees "cancelled by <token>", the app is free at once; a silent
build still says something at least every SLIPWAY_QUIET_SECS."""
import subprocess
import time
import uuid
import unittest

from swops import Cli
from swstack import Stack, wait_for

FAST = 'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'


def sleepy(secs, marker):
    # the marker (unique per run) makes each RUN step new: no layer cache hit across tests,
    # nor across runs on a reused Docker engine
    return (f'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'
            f'RUN echo {marker}-{uuid.uuid4().hex[:8]} && sleep {secs}\n')


class LongPushTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack('long', env={'SLIPWAY_RELEASER': 'off', 'SLIPWAY_QUIET_SECS': '2'}).start()
        cls.cli = Cli(cls.stack)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def running_build(self, app, timeout=60):
        b = self.stack.wait_build(app, status=('running',), timeout=timeout)
        return b['id']

    def wait_log(self, build, text, timeout=60):
        wait_for(f'"{text}" in the log of build {build}',
                 lambda: text in self.stack.api(f'/builds/{build}/log').text, timeout=timeout)

    def test_detach_then_follow(self):
        repo = self.stack.make_repo('detach', sleepy(4, 'detach'), {'index.html': 'd'})
        t0 = time.monotonic()
        r = self.stack.push(repo, 'detached', options=['detach'])
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r)
        self.assertLess(took, 3.0, r)
        self.assertIn('queued', r.output)
        self.assertIn('slipway builds:log --follow', r.output)
        build = int(r.output.split('build ', 1)[1].split()[0])
        self.assertEqual(build, 1, r.output)   # numbered per app: the app's first build is #1
        # the ref landed although nothing was built yet
        head = self.stack.git('rev-parse', 'HEAD', cwd=repo).output.strip()
        remote = self.stack.git('ls-remote', self.stack.remote('detached'), 'refs/heads/main', cwd=repo).output
        self.assertTrue(remote.startswith(head), remote)
        # re-attach: the rest of the build, live, and its verdict as the exit status
        t1 = time.monotonic()
        f = self.cli('builds:log', '--follow', str(build), '-a', 'detached')
        self.assertEqual(f.code, 0, f)
        self.assertGreater(time.monotonic() - t1, 1.0)
        self.assertIn('Step 3/3', f.out)
        self.assertIn('done in', f.out)
        b = self.stack.api(f'/apps/detached/builds/{build}').json()
        self.assertEqual((b['status'], b['detached'], b['pushed_by']), ('succeeded', True, 'admin'))
        print(f'detached push returned in {took:.2f}s; the build took {b["duration"]:.1f}s')

    def test_detached_failure_is_the_exit_status(self):
        repo = self.stack.make_repo('detach-fail', 'FROM slipway/busybox:latest\nRUN false\n')
        r = self.stack.push(repo, 'detached-bad', options=['detach'])
        self.assertEqual(r.returncode, 0, r)
        build = int(r.output.split('build ', 1)[1].split()[0])
        f = self.cli('builds:log', '-f', str(build), '-a', 'detached-bad')
        self.assertEqual(f.code, 1, f)
        self.assertIn('build failed', f.out)

    def test_cancel_running_build(self):
        repo = self.stack.make_repo('cancel', sleepy(60, 'cancel-running'), {'index.html': 'c'})
        push = self.stack.start_push(repo, 'cancelme')
        try:
            build = self.running_build('cancelme')
            self.wait_log(build, 'Step 3/3')
            time.sleep(1)
            t0 = time.monotonic()
            r = self.cli('builds:cancel', str(build))
            self.assertEqual(r.code, 0, r)
            self.assertIn(f'build {build} cancelled', r.out)
            out, _ = push.communicate(timeout=30)
            stopped = time.monotonic() - t0
        finally:
            if push.poll() is None:
                push.kill()
        self.assertNotEqual(push.returncode, 0, out)
        self.assertIn('cancelled by admin', out)
        self.assertIn('pre-receive hook declined', out)
        self.assertLess(stopped, 15, out)
        print(f'cancel to rejected push: {stopped:.2f}s')
        b = self.stack.api(f'/builds/{build}').json()
        self.assertEqual((b['status'], b['cancelled_by'], b['reason']), ('cancelled', 'admin', 'cancelled by admin'))
        # Docker stopped the build: no container of it still sleeping
        ps = subprocess.run(['docker', 'ps', '--format', '{{.Command}}'], capture_output=True, text=True).stdout
        self.assertNotIn('cancel-running', ps)
        # the app is free: the next push builds at once, not "waiting for build"
        self.stack.commit(repo, {'Dockerfile': FAST})
        r = self.stack.push(repo, 'cancelme')
        self.assertEqual(r.returncode, 0, r)
        self.assertNotIn('waiting for build', r.output)
        types = [e['type'] for e in self.cli('events', '-a', 'cancelme', '--json').json()['events']]
        self.assertIn('build.cancelled', types)
        r = self.cli('builds:cancel', str(build))
        self.assertEqual(r.code, 1, r)
        self.assertIn('cancelled already', r.err)

    def test_cancel_queued_build(self):
        first = self.stack.make_repo('q1', sleepy(60, 'queue-first'), {'index.html': '1'})
        second = self.stack.make_repo('q2', FAST, {'index.html': '2'})
        p1 = self.stack.start_push(first, 'queued')
        p2 = None
        try:
            b1 = self.running_build('queued')
            p2 = self.stack.start_push(second, 'queued', refspec='+main:main')
            q = self.stack.wait_build('queued', status=('queued',), timeout=60)
            self.assertNotEqual(b1, q['id'])
            r = self.cli('builds:cancel', str(q['number']), '-a', 'queued')
            self.assertEqual(r.code, 0, r)
            out2, _ = p2.communicate(timeout=20)
            self.assertNotEqual(p2.returncode, 0, out2)
            self.assertIn('waiting for build', out2)
            self.assertIn('cancelled by admin', out2)
            self.assertEqual(self.stack.api(f'/builds/{b1}').json()['status'], 'running')
            r = self.cli('builds:cancel', str(b1))
            self.assertEqual(r.code, 0, r)
            out1, _ = p1.communicate(timeout=30)
            self.assertIn('cancelled by admin', out1)
        finally:
            for p in (p1, p2):
                if p and p.poll() is None:
                    p.kill()

    def test_silent_phase_says_something(self):
        repo = self.stack.make_repo('quiet', sleepy(7, 'quiet'), {'index.html': 'q'})
        r = self.stack.push(repo, 'quiet')
        self.assertEqual(r.returncode, 0, r)
        still = [l for l in r.output.splitlines() if '... still working' in l]
        self.assertTrue(still, r.output)
        self.assertIn('RUN echo quiet', still[0])


if __name__ == '__main__':
    unittest.main()
