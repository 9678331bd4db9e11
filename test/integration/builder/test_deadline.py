"""A build's own deadline (SLIPWAY_BUILD_TIMEOUT) and Docker's lowercase `dockerfile`,
through a real `git push` to slipwayd (releaser off).

- A build past its deadline is stopped the way `slipway builds:cancel` stops it: the
  Docker build is aborted (no container of it still runs), the push is rejected with
  "build timed out after 5s" as its last line, the build is recorded failed with that
  reason (event build.failed), nothing is in the registry, and the app is free again.
- A tree with only a lowercase `dockerfile` builds (Docker's own fallback), even when
  .dockerignore would exclude it; with neither spelling the push gets one line.
"""
import re
import subprocess
import time
import unittest
import uuid

from swstack import Stack, lines, wait_for

QUICK = 'FROM slipway/busybox:latest\nLABEL slipway.test="{marker}"\n'


def remote_lines(output):
    """The pusher's lines, without the time since the push the hook adds to each step."""
    return [re.sub(r'  \+\d+\.\ds$', '', l[len('remote:'):].strip())
            for l in output.splitlines() if l.startswith('remote:') and l[7:].strip()]


class BuildDeadlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack('deadline', env={'SLIPWAY_RELEASER': 'off', 'SLIPWAY_BUILD_TIMEOUT': '5'}).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_build_past_its_deadline_is_stopped_and_the_app_freed(self):
        # a unique marker: the RUN step never hits the layer cache, not even on a reused Docker
        marker = f'deadline-{uuid.uuid4().hex[:12]}'
        repo = self.s.make_repo('slow', f'FROM slipway/busybox:latest\nRUN echo {marker} && sleep 120\n')
        t0 = time.monotonic()
        r = self.s.push(repo, 'slow', timeout=120)
        took = time.monotonic() - t0
        self.assertNotEqual(r.returncode, 0, r)
        self.assertLess(took, 15, r)
        self.assertIn('! [remote rejected] main -> main (pre-receive hook declined)', r.output)
        said = remote_lines(r.output)
        self.assertIn(f'RUN echo {marker}', '\n'.join(said))
        self.assertEqual(said[-1], '!     build timed out after 5s', r)
        print(f'push with a 5s build deadline rejected after {took:.1f}s')

        b = self.s.wait_build('slow', timeout=30)
        self.assertEqual((b['status'], b['reason']), ('failed', 'build timed out after 5s'))
        self.assertEqual(self.s.registry.tags('slow'), [])
        events = self.s.api('/apps/slow/events').json()['events']
        failed = [e for e in events if e['type'] == 'build.failed']
        self.assertEqual(len(failed), 1, events)
        self.assertIn('build timed out after 5s', failed[0]['message'])
        self.assertNotIn('build.cancelled', [e['type'] for e in events])
        # Docker stops the build (it kills the RUN step's container once the request is
        # aborted): no container of it still sleeping, long before its 120s
        t1 = time.monotonic()
        wait_for(f'the container of {marker} to go', lambda: marker not in subprocess.run(
            ['docker', 'ps', '--no-trunc', '--format', '{{.Command}}'], capture_output=True, text=True).stdout,
            timeout=30, interval=0.5)
        print(f'its RUN container was gone {time.monotonic() - t1:.1f}s after the push ended')

        # the app is free: the next push builds at once (well within the deadline)
        sha = self.s.commit(repo, {'Dockerfile': QUICK.format(marker=marker)})
        r = self.s.push(repo, 'slow', timeout=120)
        self.assertEqual(r.returncode, 0, r)
        self.assertNotIn('waiting for build', r.output)
        self.assertTrue(lines(r.output, f'build {sha[:7]} done in'), r)
        self.assertEqual(self.s.registry.tags('slow'), [sha])
        self.assertEqual(self.s.builds('slow')[0]['status'], 'succeeded')


class LowercaseDockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack('lowerdf', env={'SLIPWAY_RELEASER': 'off'}).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_only_a_lowercase_dockerfile_builds(self):
        marker = f'lower-{uuid.uuid4().hex[:12]}'
        repo = self.s.make_repo('lower', 'unused', {
            'index.html': 'lower\n',
            # Docker sends its Dockerfile whatever .dockerignore says; so do we
            '.dockerignore': 'dockerfile\n*.tmp\n',
        })
        self.s.git('rm', '-q', 'Dockerfile', cwd=repo, check=True)
        sha = self.s.commit(repo, {'dockerfile': f'FROM slipway/busybox:latest\nCOPY . /www/\n'
                                                 f'RUN echo {marker} && ls /www\n'})
        r = self.s.push(repo, 'lower')
        self.assertEqual(r.returncode, 0, r)
        said = remote_lines(r.output)
        self.assertIn('Step 1/3 : FROM slipway/busybox:latest', said)
        # it was sent although .dockerignore lists it (else Docker: "Cannot locate specified
        # Dockerfile"); Docker itself then leaves it out of what COPY sees, as with Dockerfile
        self.assertIn(marker, said)
        self.assertIn('index.html', said)
        self.assertNotIn('dockerfile', said)
        self.assertIn(sha, self.s.registry.tags('lower'))
        b = self.s.wait_build('lower')
        self.assertEqual((b['status'], b['commit']), ('succeeded', sha))

    def test_neither_spelling_is_one_line(self):
        repo = self.s.make_repo('nodf', 'unused', {'README': 'no Dockerfile\n'})
        self.s.git('rm', '-q', 'Dockerfile', cwd=repo, check=True)
        sha = self.s.commit(repo, {'DOCKERFILE': 'FROM slipway/busybox:latest\n'})
        r = self.s.push(repo, 'nodf')
        self.assertNotEqual(r.returncode, 0, r)
        said = remote_lines(r.output)
        self.assertEqual(said[-1], f'!     no Dockerfile at the root of {sha[:7]}', r)
        self.assertEqual(len([l for l in said if l.startswith('!')]), 1, r)
        self.assertEqual(self.s.wait_build('nodf')['status'], 'failed')


if __name__ == '__main__':
    unittest.main()
