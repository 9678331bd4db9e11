"""The push size bound (SLIPWAY_MAX_PUSH_SIZE → receive.maxInputSize): a push over it is
refused by git itself, nothing is built, and the daemon goes on taking pushes."""
import os
import time
import unittest

from swstack import Stack

OK = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\n'


class LimitTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack('limits', env={'SLIPWAY_MAX_PUSH_SIZE': '200k'}).start()

    def tearDown(self):
        self.s.stop()

    def test_push_over_the_size_bound_is_refused(self):
        repo = self.s.make_repo('big', OK, {'app.txt': 'x\n'})
        with open(os.path.join(repo, 'blob.bin'), 'wb') as f:
            f.write(os.urandom(1024 * 1024))
        self.s.commit(repo, {}, 'big blob')
        r = self.s.push(repo, 'sized')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('pack exceeds maximum allowed size', r.output)
        self.assertEqual(self.s.builds('sized'), [])
        self.assertEqual(self.s.git('ls-remote', self.s.remote('sized')).output.strip(), '')

        small = self.s.make_repo('small', OK, {'app.txt': f'{time.time()}\n'})
        r = self.s.push(small, 'sized')
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.s.builds('sized')[0]['status'], 'succeeded')


if __name__ == '__main__':
    unittest.main(verbosity=2)
