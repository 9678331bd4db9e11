"""Helpers for the operating tests (test/integration/ops): the `slipway` CLI run against a
swstack.Stack, and a webhook receiver that records what it gets.

    with Stack('ops', env={'SLIPWAY_RELEASER': 'off'}) as s:
        cli = Cli(s)
        r = cli('apps', '--json')          # CliResult: code, out, err
        assert r.code == 0, r
        with WebhookReceiver() as hook:
            ...
            hook.wait(lambda reqs: len(reqs) >= 3)
            for req in hook.requests: req.verify(secret)
"""
import hashlib
import hmac
import http.server
import json
import os
import socket
import subprocess
import threading
import time
import unittest

from swstack import binary, git_env, wait_for


class CliResult:
    def __init__(self, code, out, err, elapsed):
        self.code = code
        self.out = out
        self.err = err
        self.elapsed = elapsed

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f'<exit {self.code} in {self.elapsed:.1f}s>\nstdout:\n{self.out}\nstderr:\n{self.err}'


class Cli:
    """`slipway` with SLIPWAY_URL / SLIPWAY_TOKEN of the stack and a private HOME."""

    def __init__(self, stack, token=None, url=None, home=None):
        self.stack = stack
        self.home = home or stack.workdir
        self.env = git_env(self.home)
        self.env.update({'SLIPWAY_URL': url or stack.url, 'SLIPWAY_TOKEN': token or stack.token,
                         'NO_COLOR': '1', 'SLIPWAY_HOME': os.path.join(self.home, 'no-slipway-home')})

    def __call__(self, *args, cwd=None, env=None, timeout=300, input=None):
        e = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        t0 = time.monotonic()
        p = subprocess.run([binary('slipway')] + list(args), cwd=cwd or self.home, env=e, capture_output=True,
                           text=True, errors='replace', timeout=timeout, input=input)
        return CliResult(p.returncode, p.stdout, p.stderr, time.monotonic() - t0)

    def start(self, *args, cwd=None, env=None):
        """The CLI in the background (stdout and stderr piped, its own session)."""
        e = dict(self.env)
        e.update(env or {})
        return subprocess.Popen([binary('slipway')] + list(args), cwd=cwd or self.home, env=e,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors='replace',
                                start_new_session=True)


class Delivery:
    def __init__(self, headers, body, at):
        self.headers = headers
        self.body = body
        self.at = at

    def json(self):
        return json.loads(self.body)

    def verify(self, secret):
        want = 'sha256=' + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, self.headers.get('X-Slipway-Signature', ''))


class WebhookReceiver:
    """An HTTP server on a free loopback port recording POSTs; status() decides the answer
    (default 200); with hang=True it accepts connections and never answers."""

    def __init__(self, status=200, hang=False):
        self.requests = []
        self.status = status
        self.hang = hang
        self.lock = threading.Condition()
        self.server = None
        self.sock = None
        self.held = []

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}/hook'

    def __enter__(self):
        if self.hang:
            self.sock = socket.socket()
            self.sock.bind(('127.0.0.1', 0))
            self.sock.listen(64)
            self.port = self.sock.getsockname()[1]
            self.stop_flag = False

            def accept():
                self.sock.settimeout(0.2)
                while not self.stop_flag:
                    try:
                        conn, _ = self.sock.accept()
                        self.held.append(conn)
                    except OSError:
                        pass
            self.thread = threading.Thread(target=accept, daemon=True)
            self.thread.start()
            return self
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(n)
                code = outer.status(len(outer.requests)) if callable(outer.status) else outer.status
                with outer.lock:
                    outer.requests.append(Delivery(dict(self.headers), body, time.monotonic()))
                    outer.lock.notify_all()
                self.send_response(code)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'ok')

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
        if self.sock:
            self.stop_flag = True
            self.thread.join()
            for c in self.held:
                c.close()
            self.sock.close()

    def wait(self, cond, timeout=30):
        end = time.monotonic() + timeout
        with self.lock:
            while not cond(self.requests):
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f'webhook: condition not met after {timeout}s; got '
                                         f'{[r.json() for r in self.requests]}')
                self.lock.wait(left)
        return self.requests


def event_types(deliveries):
    return [d.json()['event']['type'] for d in deliveries]


def add_remote(stack, repo, app, name='deploy', token=None):
    stack.git('remote', 'add', name, stack.remote(app, token), cwd=repo, check=True)


def wait_status(stack, app, build_id, statuses, timeout=120):
    return stack.wait_build(app, build_id, status=statuses, timeout=timeout)


class Load:
    """GET / with Host APP.localhost through the router in a loop: answers and failures.

        with Load(ps.eng.router_port, app) as load:
            ...   # a rollout
        assert load.failures == [] and set(load.answers) == {'v1'}

    A failure says when its request started (seconds after the load did, and the UTC
    time of day, to match slipwayd's and the engine's logs), how long it took, and the
    HTTP status and body, or the error: "at 41.37s (12:33:41.52Z) after 5.00s: 503 ...".
    """

    def __init__(self, port, app, limit=5000, pause=0.02):
        import requests
        self.requests = requests
        self.limit, self.pause = limit, pause
        self.url = f'http://127.0.0.1:{port}/'
        self.host = f'{app}.localhost'
        self.answers, self.failures = [], []
        self.t0 = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def when(self, started, wall):
        """Where a request that started at monotonic `started` (wall clock `wall`) stands."""
        return (f'at {started - self.t0:.2f}s ({time.strftime("%H:%M:%S", time.gmtime(wall))}'
                f'.{int(wall * 100) % 100:02d}Z) after {time.monotonic() - started:.2f}s')

    def run(self):
        s = self.requests.Session()
        while not self.stop.is_set() and len(self.answers) + len(self.failures) < self.limit:
            started, wall = time.monotonic(), time.time()
            try:
                r = s.get(self.url, headers={'Host': self.host}, timeout=5)
                if r.status_code == 200:
                    self.answers.append(r.text.strip())
                else:
                    self.failures.append(f'{self.when(started, wall)}: {r.status_code} {r.text.strip()[:80]}')
            except self.requests.RequestException as e:
                self.failures.append(f'{self.when(started, wall)}: {e}')
            time.sleep(self.pause)

    def __enter__(self):
        self.t0 = time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)



# A PushStack's slipwayd settings under which a rollout whose new web tasks do not serve
# yet keeps waiting (their targets stay unhealthy; the grace period keeps ECS from
# replacing them), so that a cancel comes mid-rollout: PushStack(load_balancer='elbv2',
# env=WAITING_ROLLOUT_ENV).
WAITING_ROLLOUT_ENV = {'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_HEALTH_GRACE': '300',
                       'SLIPWAY_DEREGISTRATION_DELAY': '2', 'SLIPWAY_DEPLOY_DEADLINE': '300'}


class WaitingRolloutTest(unittest.TestCase):
    """Tests with a PushStack (self.ps) run with WAITING_ROLLOUT_ENV behind the engine's
    load balancer, and the CLI on it (self.cli), for the test class."""

    @classmethod
    def setUpClass(cls):
        from swrelease import PushStack
        cls.ps = PushStack(memory_mb=1024, load_balancer='elbv2', env=WAITING_ROLLOUT_ENV)
        cls.cli = Cli(cls.ps.st, token=cls.ps.token, url=cls.ps.sd.url)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()


def new_tasks_running(ps, app, old_taskdef):
    """While app's web service rolls (two deployments): its RUNNING tasks that are not on
    old_taskdef, else None (for wait_for)."""
    svc = ps.ecs.describe_services(cluster='default', services=[f'{app}-web'])['services'][0]
    if len(svc['deployments']) < 2:
        return None
    tasks = ps.ecs.list_tasks(cluster='default', serviceName=f'{app}-web')['taskArns']
    described = ps.ecs.describe_tasks(cluster='default', tasks=tasks)['tasks'] if tasks else []
    return [t for t in described if t['taskDefinitionArn'] != old_taskdef and t['lastStatus'] == 'RUNNING'] or None


__all__ = ['Cli', 'CliResult', 'WebhookReceiver', 'Delivery', 'event_types', 'add_remote', 'wait_for',
           'wait_status', 'Load', 'WAITING_ROLLOUT_ENV', 'WaitingRolloutTest',
           'new_tasks_running']
