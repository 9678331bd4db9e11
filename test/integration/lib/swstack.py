"""A private slipway stack for integration tests: Distribution's registry with htpasswd
auth and slipwayd, each on a free loopback port, with their state in a temp
SLIPWAY_HOME under $SW_TEST_TMP, binaries from $SW_BUILD/bin, Docker from DOCKER_HOST.

    with Stack() as s:
        repo = s.make_repo('app1', DOCKERFILE)
        r = s.push(repo, 'hello')              # a real `git push` over HTTP
        assert r.returncode == 0, r.output
        s.registry.tags('hello')               # ['<sha>']
        s.api('/apps/hello/builds').json()

Later pieces extend Stack (the engine, the router): keep start()/stop() the one place
where processes are started and stopped, in order.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

ROOT = os.environ.get('SW_ROOT') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
BUILD = os.environ.get('SW_BUILD') or os.path.join(ROOT, 'build')
BIN = os.path.join(BUILD, 'bin')


def binary(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        raise RuntimeError(f'{path} is missing: build first')
    return path


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=30, interval=0.1):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            if check():
                return
        except Exception as e:  # not up yet
            last = e
        time.sleep(interval)
    raise RuntimeError(f'{what}: not ready after {timeout}s ({last})')


def temp_dir(prefix):
    base = os.environ.get('SW_TEST_TMP') or tempfile.gettempdir()
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def git_env(home):
    """An environment for the test's own git client: no prompts, no user config."""
    env = os.environ.copy()
    env.update({
        'HOME': home,
        'GIT_TERMINAL_PROMPT': '0',
        'GIT_CONFIG_NOSYSTEM': '1',
        'GIT_AUTHOR_NAME': 'Test', 'GIT_AUTHOR_EMAIL': 'test@example.com',
        'GIT_COMMITTER_NAME': 'Test', 'GIT_COMMITTER_EMAIL': 'test@example.com',
        'LANG': 'C',
    })
    for k in list(env):
        if k.startswith('GIT_') and k not in (
                'GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL',
                'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'):
            del env[k]
    return env


class Result:
    def __init__(self, returncode, output):
        self.returncode = returncode
        self.output = output

    def __repr__(self):
        return f'<exit {self.returncode}>\n{self.output}'


def stop_process(proc, sig=signal.SIGTERM, timeout=15):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Registry:
    """docker-registry on 127.0.0.1:port, htpasswd (bcrypt) user AWS, data in dir."""

    def __init__(self, dir, port=None, password=None):
        self.dir = dir
        self.port = port or free_port()
        self.user = 'AWS'
        self.password = password or secrets.token_hex(16)
        self.proc = None

    @property
    def host(self):
        return f'127.0.0.1:{self.port}'

    def start(self):
        os.makedirs(os.path.join(self.dir, 'data'), exist_ok=True)
        htpasswd = os.path.join(self.dir, 'htpasswd')
        out = subprocess.run(['htpasswd', '-Bbn', self.user, self.password], check=True,
                             capture_output=True, text=True).stdout
        with open(htpasswd, 'w') as f:
            f.write(out)
        pwfile = os.path.join(self.dir, 'password')
        with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
            f.write(self.password + '\n')
        config = os.path.join(self.dir, 'config.yml')
        with open(config, 'w') as f:
            f.write(f'version: 0.1\nlog: {{level: warn}}\n'
                    f'storage:\n  filesystem: {{rootdirectory: {self.dir}/data}}\n  delete: {{enabled: true}}\n'
                    f'http:\n  addr: 127.0.0.1:{self.port}\n'
                    f'auth:\n  htpasswd: {{realm: slipway, path: {htpasswd}}}\n')
        self.log = open(os.path.join(self.dir, 'log'), 'ab')
        self.proc = subprocess.Popen(['docker-registry', 'serve', config], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_for('registry', lambda: requests.get(f'http://{self.host}/v2/', timeout=2).status_code == 401)

    def stop(self):
        stop_process(self.proc)
        self.proc = None
        if getattr(self, 'log', None):
            self.log.close()
            self.log = None

    def tags(self, app):
        r = requests.get(f'http://{self.host}/v2/{app}/tags/list', auth=(self.user, self.password), timeout=10)
        if r.status_code == 404:
            return []
        r.raise_for_status()
        return r.json().get('tags') or []


class Slipwayd:
    """slipwayd on 127.0.0.1:port with SLIPWAY_HOME home; log appended to home/slipwayd.log."""

    def __init__(self, home, port, registry_port, env=None):
        self.home = home
        self.port = port
        self.env = os.environ.copy()
        self.env.update({'SLIPWAY_HOME': home, 'SLIPWAY_PORT': str(port),
                         'SLIPWAY_REGISTRY_PORT': str(registry_port)})
        self.env.update(env or {})
        self.proc = None

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def admin_token(self):
        subprocess.run([binary('slipwayd'), 'admin-token'], env=self.env, check=True, capture_output=True)
        with open(os.path.join(self.home, 'admin.token')) as f:
            return f.read().strip()

    def start(self):
        self.log = open(os.path.join(self.home, 'slipwayd.log'), 'ab')
        self.proc = subprocess.Popen([binary('slipwayd')], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f'slipwayd exited with {self.proc.returncode}: {self.log_text()[-2000:]}')
            return requests.get(self.url + '/api/v1/health', timeout=2).status_code == 200
        wait_for('slipwayd', up)

    def stop(self):
        stop_process(self.proc)
        self.proc = None
        self._close_log()

    def kill(self):
        """SIGKILL: no chance to record anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self._close_log()

    def _close_log(self):
        if getattr(self, 'log', None):
            self.log.close()
            self.log = None

    def log_text(self):
        try:
            with open(os.path.join(self.home, 'slipwayd.log'), errors='replace') as f:
                return f.read()
        except OSError:
            return ''


class Stack:
    def __init__(self, name='stack', env=None):
        self.name = name
        self.extra_env = env or {}
        self.home = None
        self.registry = None
        self.slipwayd = None
        self.token = None
        self.workdir = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self):
        self.home = temp_dir(f'{self.name}-home-')
        self.workdir = temp_dir(f'{self.name}-work-')
        os.makedirs(os.path.join(self.home, 'registry'), exist_ok=True)
        self.registry = Registry(os.path.join(self.home, 'registry'))
        self.registry.start()
        self.slipwayd = Slipwayd(self.home, free_port(), self.registry.port, self.extra_env)
        self.token = self.slipwayd.admin_token()
        self.slipwayd.start()
        return self

    def stop(self):
        if self.slipwayd:
            self.slipwayd.stop()
        if self.registry:
            self.remove_images()
            self.registry.stop()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    def remove_images(self):
        """The images builds tagged for this stack's registry (vfs: each is a full copy)."""
        out = subprocess.run(['docker', 'images', '--format', '{{.Repository}}:{{.Tag}}'],
                             capture_output=True, text=True).stdout.split()
        mine = [i for i in out if i.startswith(self.registry.host + '/')]
        if mine:
            subprocess.run(['docker', 'rmi', '-f'] + mine, capture_output=True)

    # -- clients -------------------------------------------------------------------
    @property
    def url(self):
        return self.slipwayd.url

    def remote(self, app, token=None):
        return f'http://git:{token or self.token}@127.0.0.1:{self.slipwayd.port}/{app}.git'

    def api(self, path, token=None, **kw):
        kw.setdefault('timeout', 30)
        return requests.get(self.url + '/api/v1' + path,
                            headers={'Authorization': f'Bearer {token or self.token}'}, **kw)

    def git(self, *args, cwd=None, timeout=300, check=False):
        p = subprocess.run(['git'] + list(args), cwd=cwd, env=git_env(self.workdir),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors='replace', timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f'git {" ".join(args)}: exit {p.returncode}\n{p.stdout}')
        return Result(p.returncode, p.stdout)

    def make_repo(self, name, dockerfile, files=None, branch='main'):
        """A work tree with one commit: the Dockerfile plus files {path: text}."""
        path = os.path.join(self.workdir, name)
        if os.path.exists(path):
            shutil.rmtree(path)
        os.makedirs(path)
        self.git('init', '-q', '-b', branch, cwd=path, check=True)
        self.commit(path, dict({'Dockerfile': dockerfile}, **(files or {})), 'first')
        return path

    def commit(self, repo, files, message='change'):
        for rel, text in files.items():
            full = os.path.join(repo, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, 'w') as f:
                f.write(text)
        self.git('add', '-A', cwd=repo, check=True)
        self.git('commit', '-q', '-m', message, cwd=repo, check=True)
        return self.git('rev-parse', 'HEAD', cwd=repo, check=True).output.strip()

    def push_cmd(self, repo, app, refspec='main', token=None, options=()):
        cmd = ['git', 'push']
        for o in options:
            cmd += ['-o', o]
        return cmd + [self.remote(app, token), refspec]

    def push(self, repo, app, refspec='main', token=None, options=(), timeout=600):
        return self.git(*self.push_cmd(repo, app, refspec, token, options)[1:], cwd=repo, timeout=timeout)

    def start_push(self, repo, app, refspec='main', options=()):
        """A push running in the background (its own process group): a Popen."""
        return subprocess.Popen(self.push_cmd(repo, app, refspec, options=options), cwd=repo,
                                env=git_env(self.workdir), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors='replace',
                                start_new_session=True)

    def builds(self, app, kinds=('build',)):
        """app's jobs of those kinds, newest first: builds; release commands are jobs too
        (kind 'rollback', 'config', 'scale'; kinds=None: all)."""
        r = self.api(f'/apps/{app}/builds')
        r.raise_for_status()
        return [b for b in r.json()['builds'] if kinds is None or b.get('kind', 'build') in kinds]

    def wait_build(self, app, build_id=None, status=('succeeded', 'failed'), timeout=300):
        """The build (the newest one of app, or build_id) once its status is in status."""
        found = {}

        def check():
            builds = self.builds(app)
            for b in builds:
                if (build_id is None or b['id'] == build_id) and b['status'] in status:
                    found['b'] = b
                    return True
            return False
        wait_for(f'build of {app} in {status}', check, timeout=timeout, interval=0.3)
        return found['b']

    def repos(self):
        d = os.path.join(self.home, 'repos')
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


def lines(text, marker):
    """The lines of text that contain marker."""
    return [l for l in text.splitlines() if marker in l]
