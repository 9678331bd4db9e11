"""The chaos test's stack: slipway started the way an operator starts it, `scripts/up` with
a SLIPWAY_HOME and ports of its own, on the Docker engine of the test run (DOCKER_HOST),
with the pieces it runs and where their pids are:

    component   started by                         pid file
    slipwayd    scripts/up                         $SLIPWAY_HOME/run/slipwayd.pid
    engine      scripts/up                         $SLIPWAY_HOME/run/engine.pid
    registry    scripts/up                         $SLIPWAY_HOME/run/registry.pid
    haproxy     slipway-engine (outlives it)       $SLIPWAY_HOME/engine/haproxy.pid (master)
    dockerd     scripts/test chaos (the run's own) $SW_CHAOS_DOCKER_DIR/pid

A restart is what the operator does: dockerd again with its own flags when it was the one
killed (scripts/up would start a second one otherwise), then `scripts/up`, which starts
what is not running and leaves the rest alone. HAProxy is the engine's to restart.

    with OperatorStack(out_dir) as st:
        app = st.new_app('chaos-1')
        r = app.push()                         # Action: lines with times, exit code
        st.kill('engine'); st.restart('engine')
"""
import configparser
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import boto3
from botocore.config import Config

from swengine import engine_instance, remove_engine_containers
from swstack import BUILD, ROOT, binary, free_port, git_env, temp_dir

COMPONENTS = ('slipwayd', 'engine', 'dockerd', 'registry', 'haproxy')

# Settings that keep a round short: health checks as often as ALB allows, a short drain,
# small tasks; what an operator may set in scripts/up's environment.
FAST_ENV = {
    'SLIPWAY_HEALTH_INTERVAL': '5',
    'SLIPWAY_HEALTH_GRACE': '5',
    'SLIPWAY_DEREGISTRATION_DELAY': '2',
    'SLIPWAY_DEFAULT_MEMORY': '24',
    'SLIPWAY_STALL_SECONDS': '30',
    'SLIPWAY_DEPLOY_DEADLINE': '120',
    'SLIPWAY_ENGINE_STABLE_SECONDS': '2',
    'SLIPWAY_ENGINE_BACKOFF_MAX_SECONDS': '2',
    'SLIPWAY_ENGINE_STOP_TIMEOUT': '3',
    'SLIPWAY_ENGINE_MEMORY_MB': '4096',
    'SLIPWAY_LOG': 'info',
}

# a build of a second or so: the kill has a build to land in
DOCKERFILE = ('FROM slipway/busybox:latest\n'
              'COPY index.html /www/index.html\n'
              'RUN sleep 1\n')
# busybox httpd as PID 1 ignores SIGTERM: the trap makes a drain end at once
GOOD_PROCFILE = "web: trap 'exit 0' TERM; httpd -f -p $PORT -h /www & wait\n"
# a release whose tasks stop at once, saying why on their own output first
CRASH_LINE = 'Error: DATABASE_URL is not set'
CRASH_PROCFILE = f"web: echo '{CRASH_LINE}'; echo 'exiting'; exit 3\n"


def now():
    return time.monotonic()


class Action:
    """A push or a CLI command running in the background: its output lines with their times
    (monotonic), read by a thread; wait() gives the exit code."""

    def __init__(self, kind, argv, cwd, env):
        self.kind = kind
        self.lines = []            # [(t, line)]
        self.started = now()
        self.ended = None
        self.code = None
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors='replace', start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((now(), line.rstrip('\n')))
        self.code = self.proc.wait()
        self.ended = now()

    def done(self):
        return self.ended is not None

    def wait(self, timeout):
        self._reader.join(timeout)
        if self._reader.is_alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self._reader.join(10)
            return None
        return self.code

    def text(self):
        return '\n'.join(line for _, line in self.lines)

    def seen(self, marker):
        return any(marker in line for _, line in self.lines)


class Load:
    """GET / with Host APP.localhost through the router, one new connection every `pause`
    seconds, at most `limit` requests: every answer with its time (monotonic)."""

    def __init__(self, port, hosts, pause=0.05, limit=200000, timeout=2.0):
        self.port, self.hosts, self.pause, self.limit, self.timeout = port, list(hosts), pause, limit, timeout
        self.results = []          # [(t, host, status or None, body)]
        self._stop = threading.Event()
        self._th = threading.Thread(target=self._run, daemon=True)
        self._th.start()

    def _get(self, host):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=self.timeout)
        try:
            conn.request('GET', '/', headers={'Host': host, 'Connection': 'close'})
            r = conn.getresponse()
            return r.status, r.read().decode(errors='replace').strip()
        except (OSError, http.client.HTTPException) as e:
            return None, type(e).__name__
        finally:
            conn.close()

    def _run(self):
        i = 0
        while not self._stop.is_set() and len(self.results) < self.limit:
            host = self.hosts[i % len(self.hosts)]
            i += 1
            t = now()
            status, body = self._get(host)
            self.results.append((t, host, status, body))
            self._stop.wait(self.pause)

    def stop(self):
        self._stop.set()
        self._th.join(30)
        return self

    def outages(self, host=None):
        """Spans of consecutive failed requests: [(first failure, next success or last failure,
        count, what failed)]."""
        spans, cur = [], None
        for t, h, status, body in self.results:
            if host and h != host:
                continue
            if status != 200:
                if cur is None:
                    cur = [t, t, 0, f'{status} {body[:60]}' if status else body]
                cur[1] = t
                cur[2] += 1
            elif cur is not None:
                cur[1] = t
                spans.append(tuple(cur))
                cur = None
        if cur is not None:
            spans.append(tuple(cur))
        return spans


class App:
    """An app's work tree: each commit's index.html says which commit it is, so the router's
    answer names the release serving."""

    def __init__(self, stack, name):
        self.st = stack
        self.name = name
        self.repo = os.path.join(stack.workdir, name)
        self.content = {}          # commit sha -> what / answers
        self.n = 0
        os.makedirs(self.repo)
        self.git('init', '-q', '-b', 'main')

    def git(self, *args, check=True):
        p = subprocess.run(['git', *args], cwd=self.repo, env=git_env(self.st.workdir), capture_output=True,
                           text=True, errors='replace', timeout=120)
        if check and p.returncode:
            raise RuntimeError(f'git {" ".join(args)}: {p.stdout}{p.stderr}')
        return p.stdout.strip()

    def commit(self, crash=False):
        self.n += 1
        text = f'{self.name} c{self.n}'
        for path, data in (('Dockerfile', DOCKERFILE), ('index.html', text + '\n'),
                           ('Procfile', CRASH_PROCFILE if crash else GOOD_PROCFILE)):
            with open(os.path.join(self.repo, path), 'w') as f:
                f.write(data)
        self.git('add', '-A')
        self.git('commit', '-q', '-m', text + (' (crashes)' if crash else ''))
        sha = self.git('rev-parse', 'HEAD')
        self.content[sha] = text
        return sha

    def remote(self):
        return f'http://git:{self.st.token}@127.0.0.1:{self.st.port}/{self.name}.git'

    def push(self):
        return Action('push', ['git', 'push', self.remote(), 'main'], self.repo, git_env(self.st.workdir))

    def command(self, *args):
        return Action('cli', [binary('slipway'), *args, '-a', self.name], self.repo, self.st.cli_env())


class OperatorStack:
    def __init__(self, out_dir, extra_env=None):
        self.out_dir = out_dir
        self.base = temp_dir('chaos-')
        self.home = os.path.join(self.base, 'home')
        self.workdir = os.path.join(self.base, 'work')
        os.makedirs(self.workdir)
        self.port, self.router_port = free_port(), free_port()
        self.engine_port, self.registry_port = free_port(), free_port()
        self.docker_dir = os.environ.get('SW_CHAOS_DOCKER_DIR')   # the run's own dockerd, if any
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith('AWS_'):
                del self.env[k]
        self.env.update(FAST_ENV)
        self.env.update({'SLIPWAY_HOME': self.home, 'SLIPWAY_PORT': str(self.port),
                         'SLIPWAY_ROUTER_PORT': str(self.router_port),
                         'SLIPWAY_ENGINE_PORT': str(self.engine_port),
                         'SLIPWAY_REGISTRY_PORT': str(self.registry_port), 'SW_BUILD_DIR': BUILD})
        self.env.update(extra_env or {})
        self.token = None
        self._clients = {}
        self.apps = []
        self.children = []         # the dockerds started again here (Popen: reaped by reap())

    # ---- processes -----------------------------------------------------------------
    def components(self):
        """The components this run may kill (dockerd only when the run owns it)."""
        return [c for c in COMPONENTS if c != 'dockerd' or self.docker_dir]

    def pid_file(self, component):
        return {
            'slipwayd': os.path.join(self.home, 'run', 'slipwayd.pid'),
            'engine': os.path.join(self.home, 'run', 'engine.pid'),
            'registry': os.path.join(self.home, 'run', 'registry.pid'),
            'haproxy': os.path.join(self.home, 'engine', 'haproxy.pid'),
            'dockerd': os.path.join(self.docker_dir or '/nonexistent', 'pid'),
        }[component]

    def pid(self, component):
        """The component's pid while it runs (a zombie, killed but not yet reaped, does not)."""
        return self.pid_of(self.pid_file(component))

    def pid_of(self, pid_file):
        self.reap()
        try:
            with open(pid_file) as f:
                pid = int(f.read().strip())
            with open(f'/proc/{pid}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
            return None if state in ('Z', 'X') else pid
        except (OSError, ValueError, IndexError):
            return None

    def pid_exists(self, pid_file):
        """Is there a process (running or a zombie) with the pid in pid_file?"""
        self.reap()
        try:
            with open(pid_file) as f:
                return os.path.exists(f'/proc/{int(f.read().strip())}')
        except (OSError, ValueError):
            return False

    def reap(self):
        """Wait for the dockerds this harness started that have ended."""
        self.children = [p for p in self.children if p.poll() is None]

    def docker_ok(self):
        return subprocess.run(['docker', 'version', '--format', '{{.Server.APIVersion}}'], env=self.env,
                              capture_output=True).returncode == 0

    def rss_kb(self, component):
        pid = self.pid(component)
        if not pid:
            return None
        try:
            with open(f'/proc/{pid}/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def up(self, timeout=300):
        """scripts/up: (ok, seconds, output)."""
        t0 = now()
        try:
            p = subprocess.run([os.path.join(ROOT, 'scripts', 'up')], env=self.env, capture_output=True,
                               text=True, errors='replace', timeout=timeout)
            ok, out = p.returncode == 0, p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            ok, out = False, f'scripts/up still running after {timeout}s\n{e.stdout or ""}'
        return ok, now() - t0, out

    def start(self):
        ok, secs, out = self.up(timeout=900)
        if not ok:
            raise RuntimeError(f'scripts/up failed:\n{out[-3000:]}')
        with open(os.path.join(self.home, 'admin.token')) as f:
            self.token = f.read().strip()
        return self

    def kill(self, component):
        """kill -9 the component: its pid, or None when it was not running."""
        pid = self.pid(component)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                return None
        return pid

    def start_dockerd(self):
        """The run's dockerd again, with the flags scripts/lib.sh's sw_start_dockerd gave it
        ($SW_CHAOS_DOCKER_DIR/args: its own bridge, --live-restore)."""
        d = self.docker_dir
        # The killed dockerd and its containerd must be gone, not only dead: while their pids
        # exist (a zombie that init has not reaped yet counts) a new dockerd refuses to start
        # ("pid file found") or waits 60 s for the old containerd and gives up.
        for pid_file in (f'{d}/pid', f'{d}/exec/containerd/containerd.pid'):
            end = now() + 30
            while self.pid_exists(pid_file) and now() < end:
                time.sleep(0.2)
            if self.pid_exists(pid_file) and not self.pid_of(pid_file):
                os.unlink(pid_file)   # a zombie still: dead all the same, as dockerd's message says
        # the arguments sw_start_dockerd gave it (--live-restore among them: the apps kept
        # running while it was down, and it takes them back)
        with open(f'{d}/args') as f:
            args = ['dockerd'] + [a for a in f.read().split('\n') if a]
        for attempt in range(2):   # as an operator would: once more when it gave up
            with open(f'{d}/log', 'ab') as log:
                proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
            self.children.append(proc)
            if self.wait_docker(proc=proc):
                return True
            if proc.poll() is None:
                return False
            print(f'chaos: dockerd exited at its start ({proc.returncode}); starting it again', flush=True)
        return False

    def wait_docker(self, timeout=180, proc=None):
        """Until the run's dockerd answers (restoring many containers on a busy machine
        takes it a minute or more), or the dockerd proc has exited."""
        end = now() + timeout
        while now() < end:
            if self.docker_ok():
                return True
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def restart(self, component):
        """What an operator does after `component` died: (ok, seconds, what went wrong).
        The run's dockerd first when it does not answer: scripts/up would start one of its
        own beside it, which slipwayd and the engine (still running) would never use."""
        t0 = now()
        if self.docker_dir and not self.docker_ok():
            up = self.wait_docker() if self.pid('dockerd') else self.start_dockerd()
            if not up:
                return False, now() - t0, 'dockerd did not come back'
        ok, _, out = self.up()
        return ok, now() - t0, '' if ok else out.strip().splitlines()[-1:]

    def ensure_up(self):
        """Everything running again (after a round whose restart failed)."""
        return self.restart(None)[0]

    def stop(self):
        if self.out_dir:
            self.keep_logs()
        subprocess.run([os.path.join(ROOT, 'scripts', 'down')], env=self.env, capture_output=True, timeout=120)
        try:
            remove_engine_containers(engine_instance(self.home))
        except AssertionError as e:
            print(f'chaos: {e}')
        out = subprocess.run(['docker', 'images', '--format', '{{.Repository}}:{{.Tag}}'], env=self.env,
                             capture_output=True, text=True).stdout.split()
        mine = [i for i in out if i.startswith(f'127.0.0.1:{self.registry_port}/')]
        if mine:
            subprocess.run(['docker', 'rmi', '-f', *mine], env=self.env, capture_output=True)
        self.kill_orphan_shims()
        shutil.rmtree(self.base, ignore_errors=True)

    def kill_orphan_shims(self):
        """The container shims a killed dockerd left behind (the dockerd started after it does
        not take them back): they would keep the run's data root busy."""
        if not self.docker_dir:
            return
        mark = f'{self.docker_dir}/exec/containerd/'.encode()
        shims, parents = [], {}
        for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:
            try:
                with open(f'/proc/{pid}/cmdline', 'rb') as f:
                    cmd = f.read()
                with open(f'/proc/{pid}/stat') as f:
                    parents[pid] = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if b'containerd-shim' in cmd.split(b'\0')[0] and mark in cmd:
                shims.append(pid)
        # the shim's container processes first, then the shim
        for pid in [p for p, parent in parents.items() if parent in shims] + shims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def keep_logs(self):
        os.makedirs(self.out_dir, exist_ok=True)
        for name, path in (('slipwayd.log', 'slipwayd.log'), ('engine.log', 'engine.log'),
                           ('haproxy.log', 'engine/haproxy.log'), ('registry.log', 'registry/log')):
            src = os.path.join(self.home, path)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.out_dir, name))
        if self.docker_dir and os.path.exists(os.path.join(self.docker_dir, 'log')):
            shutil.copy(os.path.join(self.docker_dir, 'log'), os.path.join(self.out_dir, 'dockerd.log'))

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # ---- clients ----------------------------------------------------------------------
    def new_app(self, name):
        app = App(self, name)
        self.apps.append(app)
        return app

    def cli_env(self):
        env = git_env(self.workdir)
        env.update({'SLIPWAY_URL': f'http://127.0.0.1:{self.port}', 'SLIPWAY_TOKEN': self.token, 'NO_COLOR': '1'})
        return env

    def api(self, path, timeout=10):
        """GET /api/v1<path>: the decoded JSON, or None when slipwayd does not answer well."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            conn.request('GET', '/api/v1' + path, headers={'Authorization': f'Bearer {self.token}'})
            r = conn.getresponse()
            body = r.read()
            return json.loads(body) if r.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()

    def releases(self, app):
        r = self.api(f'/apps/{app}/releases')
        return None if r is None else r['releases']

    def release_state(self, app, version):
        """The releaser's own record of vN's rollout (task definitions, target group), read
        from slipwayd's database without writing."""
        db = sqlite3.connect(f'file:{self.home}/slipwayd.db?mode=ro', uri=True, timeout=5)
        try:
            row = db.execute('SELECT state FROM releases WHERE app = ? AND version = ?', (app, version)).fetchone()
            return json.loads(row[0]) if row else {}
        finally:
            db.close()

    def client(self, service):
        if service not in self._clients:
            cp = configparser.ConfigParser()
            cp.read(os.path.join(self.home, 'aws', 'credentials'))
            cfg = Config(retries={'total_max_attempts': 2, 'mode': 'standard'}, connect_timeout=3, read_timeout=10)
            self._clients[service] = boto3.client(
                service, endpoint_url=f'http://127.0.0.1:{self.engine_port}', region_name='us-east-1',
                aws_access_key_id=cp['slipway']['aws_access_key_id'],
                aws_secret_access_key=cp['slipway']['aws_secret_access_key'], config=cfg)
        return self._clients[service]

    def repo_git(self, app, *args):
        """git in the app's repository on the server: (exit code, output)."""
        p = subprocess.run(['git', '--git-dir', os.path.join(self.home, 'repos', f'{app}.git'), *args],
                           capture_output=True, text=True, errors='replace', env=git_env(self.workdir))
        return p.returncode, p.stdout.strip()

    def haproxy_servers(self, backend):
        """HAProxy's own view of a backend: {server name: (op state, admin state)}, or None
        when its admin socket does not answer."""
        path = os.path.join(self.home, 'engine', 'haproxy.sock')
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(3)
                s.connect(path)
                s.sendall(f'show servers state {backend}\n'.encode())
                data = b''
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return None
        out = {}
        for line in data.decode(errors='replace').splitlines():
            f = line.split()
            if len(f) > 6 and not line.startswith('#') and f[1] == backend:
                out[f[3]] = (int(f[5]), int(f[6]))
        return out
