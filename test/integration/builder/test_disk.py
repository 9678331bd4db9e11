"""Full disks: one clear line, the push rejected, nothing recorded as built.

slipwayd's own disk: SLIPWAY_HOME (repos, job logs, SQLite) on a small tmpfs that a
push outgrows, or that fills while a job runs. Docker's disk: a private dockerd whose
data root is a small tmpfs, and a RUN step or a layer bigger than it. Root only (mount).
"""
import os
import subprocess
import unittest

import swbuilder
import swstack
from swstack import Registry, Slipwayd, free_port, temp_dir

BASE = 'FROM slipway/busybox:latest\n'
NO_SPACE = ('no space left on device', 'disk is full', 'out of disk space', 'could not be recorded')


def mount_tmpfs(test, path, size_mb):
    """A tmpfs of size_mb at path, unmounted at the test's cleanup; skips when it cannot be."""
    if os.geteuid() != 0:
        raise unittest.SkipTest('needs root to mount a small tmpfs')
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size_mb}m', 'swdisk', path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise unittest.SkipTest(f'cannot mount a tmpfs: {p.stderr.strip()}')
    test.addCleanup(subprocess.run, ['umount', '-l', path], capture_output=True)


def fill(path, leave=0):
    """Fill the filesystem of path up to `leave` bytes free (a file "filler" in path)."""
    with open(os.path.join(path, 'filler'), 'ab', buffering=0) as f:
        st = os.statvfs(path)
        left = st.f_bavail * st.f_frsize - leave
        try:
            while left > 0:
                left -= f.write(b'\0' * min(left, 1 << 20))
            while not leave:   # to the last block
                f.write(b'\0' * 4096)
        except OSError:
            pass


def unfill(path):
    os.unlink(os.path.join(path, 'filler'))


def space_lines(output):
    return [l for l in output.splitlines() if any(w in l.lower() for w in NO_SPACE)]


class TmpfsStack(swstack.Stack):
    """swstack.Stack with SLIPWAY_HOME on a tmpfs of size_mb; the registry's data elsewhere."""

    def __init__(self, test, size_mb):
        super().__init__('disk', env={'SLIPWAY_RELEASER': 'off'})
        self.test = test
        self.size_mb = size_mb

    def start(self):
        self.home = temp_dir('disk-home-')
        mount_tmpfs(self.test, self.home, self.size_mb)
        self.workdir = temp_dir('disk-work-')
        self.registry = Registry(temp_dir('disk-registry-'))
        self.registry.start()
        # slipwayd reads the registry's password from $SLIPWAY_HOME/registry/password
        os.makedirs(os.path.join(self.home, 'registry'))
        os.symlink(os.path.join(self.registry.dir, 'password'), os.path.join(self.home, 'registry', 'password'))
        self.slipwayd = Slipwayd(self.home, free_port(), self.registry.port, self.extra_env)
        self.token = self.slipwayd.admin_token()
        self.slipwayd.start()
        return self


class SlipwaydDiskFull(unittest.TestCase):
    def setUp(self):
        self.s = TmpfsStack(self, 16)
        self.addCleanup(self.s.stop)   # runs before the unmount (cleanups are LIFO)
        self.s.start()

    def assert_alive(self):
        self.assertIsNone(self.s.slipwayd.proc.poll(), self.s.slipwayd.log_text()[-2000:])
        self.assertEqual(self.s.api('/apps').status_code, 200)

    def assert_one_space_line(self, r):
        self.assertNotEqual(r.returncode, 0, r)
        self.assertEqual(len(space_lines(r.output)), 1, r)

    def assert_none_succeeded(self, app):
        builds = self.s.builds(app) if app in [a['name'] for a in self.s.api('/apps').json()['apps']] else []
        self.assertEqual([b for b in builds if b['status'] == 'succeeded'], [], builds)
        self.assertEqual(self.s.registry.tags(app), [])

    def test_push_bigger_than_free_space(self):
        s = self.s
        repo = s.make_repo('big', BASE)
        self.assertEqual(s.push(repo, 'bigapp').returncode, 0)   # the app exists, builds
        with open(os.path.join(repo, 'blob'), 'wb') as f:
            f.write(os.urandom(6 << 20))
        sha = s.commit(repo, {}, 'six megabytes')
        fill(s.home, leave=2 << 20)
        r = s.push(repo, 'bigapp')
        self.assert_one_space_line(r)
        self.assertIn('No space left on device', r.output)
        self.assertNotIn(sha, [b['commit'] for b in s.builds('bigapp')])
        self.assertNotIn(sha, s.registry.tags('bigapp'))
        self.assert_alive()
        unfill(s.home)
        r = s.push(repo, 'bigapp')
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(s.builds('bigapp')[0]['status'], 'succeeded')
        self.assertIn(sha, s.registry.tags('bigapp'))

    def test_new_app_on_a_full_disk(self):
        s = self.s
        repo = s.make_repo('new', BASE)
        fill(s.home)
        r = s.push(repo, 'newapp')
        self.assert_one_space_line(r)
        self.assertIn('cannot create app newapp: no space left on device', r.output)
        self.assertEqual([d for d in s.repos() if 'newapp' in d], [])
        self.assert_none_succeeded('newapp')
        self.assert_alive()
        unfill(s.home)
        r = s.push(repo, 'newapp')
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(s.builds('newapp')[0]['status'], 'succeeded')

    def test_disk_fills_during_the_job(self):
        """The disk fills while Docker builds: the job log and the build record cannot be
        written. The pusher is told in one line, slipwayd goes on, the app is not locked."""
        s = self.s
        marker = 'mid-job-marker'
        repo = s.make_repo('mid', BASE + f'RUN echo {marker} && sleep 3\n')
        p = s.start_push(repo, 'midapp')
        out = []
        for line in p.stdout:
            out.append(line)
            if line.split() == ['remote:', marker]:
                fill(s.home)
        p.wait(timeout=120)
        p.stdout.close()
        r = swstack.Result(p.returncode, ''.join(out))
        self.assert_one_space_line(r)
        self.assert_alive()
        self.assertEqual([b for b in s.builds('midapp') if b['status'] == 'succeeded'], [])
        # the rejected ref did not move; a push with room again builds, and the build
        # whose end went unrecorded is failed, not left running
        unfill(s.home)
        s.commit(repo, {'again': '1\n'})
        r = s.push(repo, 'midapp')
        self.assertEqual(r.returncode, 0, r)
        statuses = [b['status'] for b in s.builds('midapp')]
        self.assertEqual(statuses, ['succeeded', 'failed'])

    def test_disk_full_when_the_job_is_asked_for(self):
        """No new objects to write (main moved back to a commit the repo has): the hook
        asks for the job with SQLite unable to record it."""
        s = self.s
        repo = s.make_repo('rewind', BASE)
        self.assertEqual(s.push(repo, 'rewind').returncode, 0)
        s.commit(repo, {'two': '2\n'})
        self.assertEqual(s.push(repo, 'rewind').returncode, 0)
        fill(s.home)
        r = s.push(repo, 'rewind', refspec='+HEAD~1:main')
        self.assert_one_space_line(r)
        self.assertEqual(len(s.builds('rewind')), 2)   # nothing new recorded
        self.assert_alive()
        unfill(s.home)
        r = s.push(repo, 'rewind', refspec='+HEAD~1:main')
        self.assertEqual(r.returncode, 0, r)


class DockerDiskFull(unittest.TestCase):
    """A private dockerd whose data root is a 48 MB tmpfs."""

    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir('disk-dockerd-')
        mount_tmpfs(cls, os.path.join(cls.dir, 'data'), 48)
        cls.addClassCleanup(cls.run_lib, 'sw_stop_dockerd "$1"', cls.dir)
        cls.docker_host = cls.run_lib('sw_start_dockerd "$1" own-bridge', cls.dir).strip()
        cls.env = {'DOCKER_HOST': cls.docker_host}
        cls.run_lib('DOCKER_HOST="$2" sw_make_base_image', cls.dir, cls.docker_host)
        cls.reg = swbuilder.Registry(cls.dir)
        cls.addClassCleanup(cls.reg.stop)

    @classmethod
    def addCleanup(cls, *args, **kw):   # mount_tmpfs's cleanup, class-wide here
        cls.addClassCleanup(*args, **kw)

    @staticmethod
    def run_lib(script, *args):
        return subprocess.run(['bash', '-c', f'. "$SW_LIB" && {script}', '_'] + list(args), check=True,
                              capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, SW_LIB=os.path.join(swbuilder.SW_ROOT, 'scripts', 'lib.sh'))).stdout

    def build(self, dockerfile):
        app = swbuilder.unique_app()
        path = os.path.join(self.dir, app)
        sha = swbuilder.make_repo(path, {'Dockerfile': BASE + dockerfile})
        rc, lines = swbuilder.build(path, sha, app, self.reg.host, self.reg.user, self.reg.password, env=self.env)
        self.assertEqual(rc, 1, lines)
        failures = [l for l in lines if l.startswith(' !     ')]
        self.assertEqual(failures, lines[-1:], lines)
        self.assertEqual(self.reg.tags(app), [])
        return lines[-1]

    def test_run_step_fills_the_disk(self):
        line = self.build('RUN dd if=/dev/zero of=/big bs=1M count=200\n')
        self.assertEqual(line, " !     build failed: out of disk space: The command '/bin/sh -c dd if=/dev/zero of=/big"
                         " bs=1M count=200' returned a non-zero code: 1 (dd: error writing '/big': No space left on device)")

    def test_layer_does_not_fit(self):
        # the step's 30 MB fit in the container, not twice over once Docker commits the layer
        line = self.build('RUN dd if=/dev/zero of=/big bs=1M count=30\n')
        self.assertTrue(line.startswith(' !     build failed: out of disk space: '), line)
        self.assertIn('no space left on device', line)

    def test_push_is_rejected(self):
        """The same through git push: one line to the pusher, nothing recorded as built."""
        with swstack.Stack('dockerdisk', env=dict(self.env, SLIPWAY_RELEASER='off')) as s:
            repo = s.make_repo('app', BASE + 'RUN dd if=/dev/zero of=/big bs=1M count=200\n')
            r = s.push(repo, 'ddapp')
            self.assertEqual(r.returncode, 1, r)
            self.assertEqual(len(space_lines(r.output)), 2, r)   # dd's own line, then the reason
            self.assertIn("remote:  !     build failed: out of disk space: The command", r.output)
            self.assertEqual([b['status'] for b in s.builds('ddapp')], ['failed'])
            self.assertEqual(s.registry.tags('ddapp'), [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
