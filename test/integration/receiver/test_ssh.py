"""git push over SSH with Debian's OpenSSH: slipway's own sshd (scripts/sshd, as root), a
real ssh client (GIT_SSH_COMMAND with the test's keys and a known_hosts file of the
server's host key). A push with a registered key goes live like an HTTPS one, with the
same streamed lines; an unknown key, a removed key and a read user are refused in one
line; a shell, a pty, any other command and port forwarding are refused."""
import os
import shutil
import socket
import subprocess
import unittest

import requests

from swops import Cli
from swrelease import PushStack
from swstack import BUILD, ROOT, free_port, git_env, temp_dir, wait_for

SSHD = os.path.join(ROOT, 'scripts', 'sshd')


def keygen(dir, name):
    path = os.path.join(dir, name)
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path], check=True)
    return path


@unittest.skipUnless(os.geteuid() == 0 and os.path.exists('/usr/sbin/sshd'), 'sshd needs root and openssh-server')
class SshTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.gate = f'/var/lib/slipway/ssh/test-{cls.port}'
        cls.env = dict(os.environ, SLIPWAY_SSH_PORT=str(cls.port), SLIPWAY_SSH_DIR=cls.gate, SW_BUILD_DIR=BUILD)
        cls.ps = None
        try:
            socket = subprocess.run([SSHD, 'prepare'], env=cls.env, check=True, capture_output=True,
                                    text=True).stdout.strip()
            cls.ps = PushStack(env={'SLIPWAY_SSH_SOCKET': socket})
            cls.env['SLIPWAY_HOME'] = cls.ps.home
            p = subprocess.run([SSHD, 'start'], env=cls.env, capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stdout + p.stderr
            cls.remote_line, cls.fingerprint = p.stdout.strip().splitlines()[-2:]
        except BaseException:
            cls.tearDownClass()
            raise
        cls.admin = Cli(cls.ps.st, token=cls.ps.token, url=cls.ps.sd.url)
        cls.keys = temp_dir('ssh-keys-')
        with open(os.path.join(cls.ps.home, 'ssh', 'ssh_host_ed25519_key.pub')) as f:
            host_key = ' '.join(f.read().split()[:2])
        cls.known_hosts = os.path.join(cls.keys, 'known_hosts')
        with open(cls.known_hosts, 'w') as f:
            f.write(f'[127.0.0.1]:{cls.port} {host_key}\n')

    @classmethod
    def tearDownClass(cls):
        subprocess.run([SSHD, 'stop'], env=cls.env, capture_output=True)
        if cls.ps:
            cls.ps.stop()
        shutil.rmtree(cls.gate, ignore_errors=True)

    def ssh_cmd(self, key):
        return ['ssh', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', f'UserKnownHostsFile={self.known_hosts}',
                '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR']

    def url(self, app):
        return f'ssh://git@127.0.0.1:{self.port}/{app}.git'

    def git(self, key, *args, cwd=None):
        env = git_env(self.ps.st.workdir)
        env['GIT_SSH_COMMAND'] = ' '.join(self.ssh_cmd(key))
        return subprocess.run(['git', *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

    def ssh(self, key, *args, timeout=30):
        return subprocess.run(self.ssh_cmd(key) + ['-p', str(self.port), *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def user(self, name, role=None, app=None):
        r = self.admin('users:create', name, '--json')
        self.assertEqual(r.code, 0, r)
        cli = Cli(self.ps.st, token=r.json()['token'], url=self.ps.sd.url)
        if role:
            self.assertEqual(self.admin('access:add', name, role, '-a', app).code, 0)
        key = keygen(self.keys, name)
        r = cli('keys:add', key + '.pub', '--json')
        self.assertEqual(r.code, 0, r)
        return cli, key, r.json()['fingerprint']

    def test_up_prints_the_remote(self):
        self.assertEqual(self.remote_line, f'ssh://git@127.0.0.1:{self.port}/APP.git')
        self.assertRegex(self.fingerprint, r'^256 SHA256:\S+ ')

    def test_push_goes_live(self):
        admin_key = keygen(self.keys, 'admin')
        r = self.admin('keys:add', admin_key + '.pub')
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.admin('apps:create', 'sshapp').code, 0)
        dev, dev_key, dev_fp = self.user('dev', 'deploy', 'sshapp')
        repo = self.ps.make_repo('sshapp', 'v1')
        r = self.git(dev_key, 'push', self.url('sshapp'), 'main', cwd=repo)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('remote: -----> sshapp: building', r.stderr)
        self.assertIn('remote: -----> v1 is live', r.stderr)
        self.ps.wait_answers('sshapp', ['v1'])
        self.assertEqual(self.ps.release('sshapp', 1)['created_by'], 'dev')
        b = self.admin('builds', '-a', 'sshapp', '--json')
        self.assertEqual(b.json()['builds'][0]['pushed_by'], 'dev')
        # a fetch over SSH too, and the key's last use is known
        r = self.git(dev_key, 'ls-remote', self.url('sshapp'))
        self.assertIn('refs/heads/main', r.stdout)
        keys = dev('keys', '--json').json()['keys']
        self.assertEqual([k['fingerprint'] for k in keys], [dev_fp])
        self.assertIsNotNone(keys[0]['last_used_at'])
        # a read user: refused in one line, nothing pushed
        _, reader_key, _ = self.user('reader', 'read', 'sshapp')
        self.ps.commit(repo, 'v2')
        r = self.git(reader_key, 'push', self.url('sshapp'), 'main', cwd=repo)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('slipway: forbidden: deploy role needed on sshapp (reader has read)', r.stderr)
        self.assertEqual(len(self.ps.releases('sshapp')), 1)
        self.assertEqual(self.git(reader_key, 'ls-remote', self.url('sshapp')).returncode, 0)
        # a removed key, and one nobody added: sshd refuses them
        r = dev('keys:remove', dev_fp)
        self.assertEqual(r.code, 0, r)
        stranger = keygen(self.keys, 'stranger')
        for key in (dev_key, stranger):
            r = self.git(key, 'push', self.url('sshapp'), 'main', cwd=repo)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('git@127.0.0.1: Permission denied (publickey).', r.stderr)

    def test_anything_but_git_is_refused(self):
        _, key, _ = self.user('shelly')
        for args in (['sh'], ['ls', '/'], ['git-upload-pack', "'../etc.git'"], ['git-upload-archive', "'x.git'"]):
            r = self.ssh(key, 'git@127.0.0.1', *args)
            self.assertEqual(r.returncode, 1, (args, r))
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertTrue(r.stderr.startswith('slipway: '), r.stderr)
        # no command (a login shell); a pty is refused by sshd itself
        r = self.ssh(key, '-T', 'git@127.0.0.1')
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stderr.strip(), 'slipway: only git push and fetch over SSH (ssh://git@HOST:PORT/APP.git):'
                                           ' no shell, no other command')
        r = self.ssh(key, '-tt', 'git@127.0.0.1', 'sh')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('PTY allocation request failed', r.stderr)
        self.assertNotIn('$', r.stdout)
        # forwarding of any kind
        r = self.ssh(key, '-W', f'127.0.0.1:{self.ps.sd.port}', 'git@127.0.0.1')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('stdio forwarding failed', r.stderr)
        r = self.ssh(key, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', f'127.0.0.1:{free_port()}:127.0.0.1:22',
                     'git@127.0.0.1')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('remote port forwarding failed', r.stderr)
        # -L: the local end listens, but nothing goes through to slipwayd's port
        local = free_port()
        fwd = subprocess.Popen(self.ssh_cmd(key) + ['-p', str(self.port), '-N', '-L', f'{local}:127.0.0.1:{self.ps.sd.port}',
                                                    'git@127.0.0.1'], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for('ssh -L to listen', lambda: socket.create_connection(('127.0.0.1', local), timeout=1).close() or True)
            with self.assertRaises(requests.ConnectionError):
                requests.get(f'http://127.0.0.1:{local}/api/v1/health', timeout=5)
        finally:
            fwd.terminate()
            fwd.communicate(timeout=10)


if __name__ == '__main__':
    unittest.main(verbosity=2)
