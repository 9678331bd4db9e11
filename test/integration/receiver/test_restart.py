"""slipwayd killed in the middle of a build and started again: the push goes on (its
connection belongs to slipway-push, the hook reconnects), the build runs again from the
push's quarantine and the pusher gets its verdict; killed for good, the push ends once the
hook's deadline passes, and a push meanwhile fails at once: "slipway is not running"."""
import time
import unittest

from swstack import Stack, lines, wait_for

SLOW = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\nRUN sleep 5\n'
OK = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\n'


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack('restart', env={'SLIPWAY_HOOK_TIMEOUT': '40'}).start()

    def tearDown(self):
        self.s.stop()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        super().run(result)
        if result and len(result.failures) + len(result.errors) > before and getattr(self, 's', None) and self.s.slipwayd:
            print('--- slipwayd log (tail) ---\n' + self.s.slipwayd.log_text()[-4000:])

    def main_on_server(self, app):
        out = self.s.git('ls-remote', self.s.remote(app), 'refs/heads/main').output.split()
        return out[0] if out else ''

    def test_killed_mid_build_the_push_goes_on(self):
        repo = self.s.make_repo('app', SLOW, {'app.txt': f'{time.time()}\n'})
        p = self.s.start_push(repo, 'victim')
        wait_for('build running', lambda: any(b['status'] == 'running' for b in self.s.builds('victim')), timeout=60)
        self.s.slipwayd.kill()
        time.sleep(1)
        self.s.slipwayd.start()
        out, _ = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out)
        self.assertTrue(lines(out, 'slipwayd is back'), out)
        self.assertTrue(lines(out, 'slipwayd restarted: building again'), out)
        head = self.s.git('rev-parse', 'HEAD', cwd=repo).output.strip()
        self.assertEqual(self.main_on_server('victim'), head)
        b = self.s.builds('victim')[0]
        self.assertEqual(b['status'], 'succeeded', b)

        # the app is not stuck behind the resumed build
        self.s.commit(repo, {'Dockerfile': OK, 'app.txt': 'again\n'})
        r = self.s.push(repo, 'victim')
        self.assertEqual(r.returncode, 0, r)
        self.assertFalse(lines(r.output, 'waiting for build'), r)

    def test_stopped_mid_build_an_upgrade_the_push_goes_on(self):
        repo = self.s.make_repo('app', SLOW, {'app.txt': f'{time.time()}\n'})
        p = self.s.start_push(repo, 'upgraded')
        wait_for('build running', lambda: any(b['status'] == 'running' for b in self.s.builds('upgraded')),
                 timeout=60)
        self.s.slipwayd.stop()   # SIGTERM, as an upgrade does
        self.s.slipwayd.start()
        out, _ = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out)
        self.assertTrue(lines(out, 'slipwayd is stopping: this push goes on'), out)
        self.assertTrue(lines(out, 'slipwayd restarted: building again'), out)
        self.assertEqual(self.s.builds('upgraded')[0]['status'], 'succeeded')

    def test_killed_for_good_the_push_fails_at_the_hook_deadline(self):
        repo = self.s.make_repo('app', SLOW, {'app.txt': f'{time.time()}\n'})
        p = self.s.start_push(repo, 'gone')
        wait_for('build running', lambda: any(b['status'] == 'running' for b in self.s.builds('gone')), timeout=60)
        t0 = time.time()
        self.s.slipwayd.kill()
        # meanwhile a new push fails at once, saying why (slipway-door answers on the port)
        t1 = time.time()
        r = self.s.push(repo, 'other', timeout=30)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertLess(time.time() - t1, 5, r)
        self.assertTrue(lines(r.output, 'remote: slipway is not running'), r)
        out, _ = p.communicate(timeout=120)
        self.assertNotEqual(p.returncode, 0, out)
        self.assertLess(time.time() - t0, 60, out)
        self.assertTrue(lines(out, 'lost slipwayd'), out)
        self.assertTrue(lines(out, 'gave up waiting for build'), out)
        self.s.slipwayd.start()   # takes the port over from slipway-door
        self.assertEqual(self.main_on_server('gone'), '')
        self.assertIn('took the port over', self.s.slipwayd.log_text())


if __name__ == '__main__':
    unittest.main(verbosity=2)
