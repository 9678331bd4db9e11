"""slipwayd killed in the middle of a build: the build is marked failed ("interrupted")
when it comes back, and the app takes pushes again."""
import time
import unittest

from swstack import Stack, lines, wait_for

SLOW = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\nRUN sleep 5\n'
OK = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\n'


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack('restart').start()

    def tearDown(self):
        self.s.stop()

    def test_killed_mid_job_is_interrupted_and_the_app_is_free_again(self):
        try:
            self.killed_mid_job()
        except BaseException:
            print('--- slipwayd log (tail) ---\n' + self.s.slipwayd.log_text()[-4000:])
            raise

    def killed_mid_job(self):
        repo = self.s.make_repo('app', SLOW, {'app.txt': f'{time.time()}\n'})
        p = self.s.start_push(repo, 'victim')
        wait_for('build running', lambda: any(b['status'] == 'running' for b in self.s.builds('victim')), timeout=60)
        self.s.slipwayd.kill()
        out, _ = p.communicate(timeout=60)
        # slipwayd was the pusher's HTTP server too: the pusher sees it hang up
        self.assertNotEqual(p.returncode, 0, out)

        self.s.slipwayd.start()
        # the hook lost slipwayd and rejected the push: main never moved
        wait_for('the killed push over', lambda: self.s.git('ls-remote', self.s.remote('victim')).output.strip() == '',
                 timeout=30)
        b = self.s.builds('victim')[0]
        self.assertEqual((b['status'], b['reason'], b['failed_stage']), ('failed', 'interrupted', 'build'))
        self.assertIn('interrupted', self.s.api(f'/builds/{b["id"]}/log').text)

        # the app is not stuck behind the dead build
        self.s.commit(repo, {'Dockerfile': OK, 'app.txt': 'again\n'})
        r = self.s.push(repo, 'victim')
        self.assertEqual(r.returncode, 0, r)
        self.assertFalse(lines(r.output, 'waiting for build'), r)
        self.assertEqual(self.s.builds('victim')[0]['status'], 'succeeded')


if __name__ == '__main__':
    unittest.main(verbosity=2)
