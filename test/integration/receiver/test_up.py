"""scripts/up and scripts/down themselves: a private SLIPWAY_HOME and free ports, the
test run's Docker engine, a push the way the README (and up's own output) says."""
import os
import re
import shutil
import subprocess
import unittest

import requests

from swengine import engine_instance, remove_engine_containers
from swstack import ROOT, BUILD, free_port, git_env, temp_dir, wait_for, Registry


def read(path):
    with open(path) as f:
        return f.read().strip()


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class UpDownTest(unittest.TestCase):
    def setUp(self):
        self.home = os.path.join(temp_dir('up-'), 'home')
        self.port, self.registry_port, self.ssh_port = free_port(), free_port(), free_port()
        self.env = dict(os.environ, SLIPWAY_HOME=self.home, SLIPWAY_PORT=str(self.port),
                        SLIPWAY_REGISTRY_PORT=str(self.registry_port), SLIPWAY_ENGINE_PORT=str(free_port()),
                        SLIPWAY_ROUTER_PORT=str(free_port()), SLIPWAY_ROUTER_TLS_PORT=str(free_port()),
                        SLIPWAY_SSH_PORT=str(self.ssh_port),
                        SW_BUILD_DIR=BUILD)

    def tearDown(self):
        subprocess.run([os.path.join(ROOT, 'scripts', 'down')], env=self.env, capture_output=True)
        # down leaves the apps running on purpose; this instance's are the test's to remove
        # (by the engine's Docker label: other stacks on this Docker keep theirs)
        remove_engine_containers(engine_instance(self.home))
        out = subprocess.run(['docker', 'images', '--format', '{{.Repository}}:{{.Tag}}'],
                             capture_output=True, text=True).stdout.split()
        mine = [i for i in out if i.startswith(f'127.0.0.1:{self.registry_port}/')]
        if mine:
            subprocess.run(['docker', 'rmi', '-f'] + mine, capture_output=True)
        shutil.rmtree(f'/var/lib/slipway/ssh/{self.ssh_port}', ignore_errors=True)

    def up(self):
        p = subprocess.run([os.path.join(ROOT, 'scripts', 'up')], env=self.env, capture_output=True,
                           text=True, timeout=900)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def pids(self):
        run = os.path.join(self.home, 'run')
        return {f: int(read(os.path.join(run, f))) for f in os.listdir(run) if f.endswith('.pid')}

    def test_up_push_down(self):
        out = self.up()
        self.assertIn(f'git remote add deploy http://127.0.0.1:{self.port}/APP.git', out)
        self.assertIn(os.path.join(self.home, 'admin.token'), out)
        # git over SSH: the remote and the host key's fingerprint (we run as root)
        self.assertIn(f'ssh://git@127.0.0.1:{self.ssh_port}/APP.git', out)
        self.assertRegex(out, r'host key 256 SHA256:\S+ ')
        token_file = os.path.join(self.home, 'admin.token')
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.join(self.home, 'registry', 'password')).st_mode & 0o777, 0o600)
        token = read(token_file)
        pids = self.pids()
        self.assertLessEqual({'slipwayd.pid', 'registry.pid', 'sshd.pid'}, set(pids))
        self.assertNotIn('dockerd.pid', pids)   # a Docker engine was there already

        # idempotent: nothing starts twice, the token stays
        out2 = self.up()
        self.assertIn('slipwayd already running', out2)
        self.assertIn('registry already running', out2)
        self.assertEqual(self.pids(), pids)
        self.assertEqual(read(token_file), token)

        # the quick start, as printed
        work = temp_dir('up-app-')
        env = git_env(work)
        app = os.path.join(work, 'hello')
        os.makedirs(app)
        with open(os.path.join(app, 'Dockerfile'), 'w') as f:
            f.write('FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'
                    'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n')
        with open(os.path.join(app, 'index.html'), 'w') as f:
            f.write(f'hello from {self.home}\n')
        helper = re.search(r"git config (credential\S+helper) '(.*)'", out).groups()
        for cmd in (['init', '-q', '-b', 'main'], ['add', '.'], ['commit', '-qm', 'hello'],
                    ['remote', 'add', 'deploy', f'http://127.0.0.1:{self.port}/hello.git'],
                    ['config', helper[0], helper[1]]):
            subprocess.run(['git'] + cmd, cwd=app, env=env, check=True, capture_output=True)
        p = subprocess.run(['git', 'push', 'deploy', 'main'], cwd=app, env=env, capture_output=True,
                           text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('-----> hello: building', p.stderr)
        sha = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=app, env=env, capture_output=True,
                             text=True).stdout.strip()
        reg = Registry(os.path.join(self.home, 'registry'), self.registry_port,
                       read(os.path.join(self.home, 'registry', 'password')))
        self.assertIn(sha, reg.tags('hello'))
        builds = requests.get(f'http://127.0.0.1:{self.port}/api/v1/apps/hello/builds',
                              headers={'Authorization': f'Bearer {token}'}, timeout=10).json()['builds']
        self.assertEqual(builds[0]['status'], 'succeeded')
        if engine_instance(self.home):   # live: over HTTPS too, verified with the local CA up made
            tls = self.env['SLIPWAY_ROUTER_TLS_PORT']

            def https():
                c = subprocess.run(['curl', '-sS', '--max-time', '5', '--cacert', os.path.join(self.home, 'ca.pem'),
                                    '--resolve', f'hello.localhost:{tls}:127.0.0.1', f'https://hello.localhost:{tls}/'],
                                   capture_output=True, text=True)
                return c.stdout == f'hello from {self.home}\n' or None
            wait_for('hello over HTTPS', https, timeout=15)

        # a revoked admin token stays revoked across up (another admin token revokes it)
        api = f'http://127.0.0.1:{self.port}/api/v1'
        r = requests.post(api + '/tokens', json={'name': 'spare'}, headers={'Authorization': f'Bearer {token}'},
                          timeout=10)
        self.assertEqual(r.status_code, 201, r.text)
        spare = r.json()['secret']
        r = requests.delete(api + '/tokens/admin', headers={'Authorization': f'Bearer {spare}'}, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        p = subprocess.run([os.path.join(ROOT, 'scripts', 'up')], env=self.env, capture_output=True, text=True,
                           timeout=900)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('admin.token holds a token that was revoked', p.stderr)
        r = requests.get(api + '/apps', headers={'Authorization': f'Bearer {token}'}, timeout=10)
        self.assertEqual((r.status_code, r.json()), (401, {'error': 'token revoked'}))
        self.assertEqual(requests.get(api + '/apps', headers={'Authorization': f'Bearer {spare}'},
                                      timeout=10).status_code, 200)

        # down stops what up started
        p = subprocess.run([os.path.join(ROOT, 'scripts', 'down')], env=self.env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for name, pid in pids.items():
            self.assertFalse(alive(pid), name)
        instance = engine_instance(self.home)
        if instance:   # the releaser was on: down kept the app running, tearDown removes it
            label = f'label=slipway.engine={instance}'
            self.assertGreater(remove_engine_containers(instance), 0, "the pushed app's container")
            left = subprocess.run(['docker', 'ps', '-aq', '--filter', label], capture_output=True,
                                  text=True).stdout.split()
            self.assertEqual(left, [])
        with self.assertRaises(requests.ConnectionError):
            requests.get(f'http://127.0.0.1:{self.port}/api/v1/health', timeout=5)


def run_lib(script, *args):
    return subprocess.run(['bash', '-c', f'. "$SW_LIB" && {script}', '_'] + list(args), check=True,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, SW_LIB=os.path.join(ROOT, 'scripts', 'lib.sh'))).stdout


class UpDockerDied(unittest.TestCase):
    """The Docker engine slipway runs on dies: up starts that same one again (its socket,
    its arguments), never a second one beside it that the running engine and slipwayd
    would not use; the apps' containers are taken back (--live-restore)."""

    def setUp(self):
        self.dir = temp_dir('up-dockerd-')
        self.docker_host = run_lib('sw_start_dockerd "$1" own-bridge', self.dir).strip()
        self.home = os.path.join(temp_dir('up-'), 'home')
        self.env = dict(os.environ, SLIPWAY_HOME=self.home, SLIPWAY_PORT=str(free_port()),
                        SLIPWAY_REGISTRY_PORT=str(free_port()), SLIPWAY_ENGINE_PORT=str(free_port()),
                        SLIPWAY_ROUTER_PORT=str(free_port()), SW_BUILD_DIR=BUILD, DOCKER_HOST=self.docker_host)

    def tearDown(self):
        subprocess.run([os.path.join(ROOT, 'scripts', 'down')], env=self.env, capture_output=True)
        run_lib('sw_stop_dockerd "$1"', self.dir)

    def up(self):
        p = subprocess.run([os.path.join(ROOT, 'scripts', 'up')], env=self.env, capture_output=True,
                           text=True, timeout=900)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def test_up_starts_the_same_dockerd_again(self):
        self.up()
        engine = int(read(os.path.join(self.home, 'run', 'engine.pid')))
        env = dict(os.environ, DOCKER_HOST=self.docker_host)
        box = subprocess.run(['docker', 'run', '-d', 'slipway/busybox:latest', 'sleep', '600'], env=env,
                             capture_output=True, text=True, check=True).stdout.strip()
        old = int(read(os.path.join(self.dir, 'pid')))
        os.kill(old, 9)
        # the operator's up, as the engine and slipwayd still run on the dead dockerd's socket
        env_other = dict(self.env)
        env_other.pop('DOCKER_HOST')   # whatever the operator's shell says
        p = subprocess.run([os.path.join(ROOT, 'scripts', 'up')], env=env_other, capture_output=True,
                           text=True, timeout=900)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(f'the Docker engine at {self.docker_host} (the one slipway-engine and slipwayd use) '
                      'stopped: starting it again', p.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.home, 'docker')), 'a second dockerd under SLIPWAY_HOME')
        self.assertEqual(read(os.path.join(self.home, 'run', 'docker_host')), self.docker_host)
        self.assertNotEqual(int(read(os.path.join(self.dir, 'pid'))), old)
        self.assertTrue(alive(engine))
        state = subprocess.run(['docker', 'inspect', '-f', '{{.State.Running}}', box], env=env,
                               capture_output=True, text=True).stdout.strip()
        self.assertEqual(state, 'true', 'the container kept running through the restart')
        subprocess.run(['docker', 'rm', '-f', box], env=env, capture_output=True)


if __name__ == '__main__':
    unittest.main(verbosity=2)
