"""slipwayd (and the engine) on a network.

- Slowloris: hundreds of connections from one address (127.0.0.2) that trickle a header
  byte a second; another client (127.0.0.1) pushes meanwhile and gets its verdict. Each
  trickling connection is cut at the header deadline however often its bytes come, and
  one address holds no more than its share of the connections. The engine likewise.
  Trickled heads of a push's POST, which the front door peeks at, are cut the same; a
  push handed to slipway-push counts against its address until it ends.
- TLS: a non-loopback address without a certificate is refused in one line (unless
  SLIPWAY_INSECURE_HTTP=1); with one, git pushes over HTTPS and its hook still answers.
- Webhooks: each address class refused when added, and again when delivered.
- A Dockerfile that ADDs from a URL is refused before its build starts.
- A URL with a newline in it is logged escaped: it forges no log line."""
import base64
import os
import selectors
import socket
import subprocess
import threading
import time
import unittest

import requests

from swengine import Engine
from swops import Cli, WebhookReceiver
from swstack import Slipwayd, Stack, free_port, git_env, temp_dir, wait_for

DOCKERFILE = 'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'
HEADER_TIMEOUT = 3
PER_CLIENT = 32



def backends(home):
    """The pids of git http-backend processes serving the repositories under home."""
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/environ', 'rb') as f:
                env = f.read().split(b'\0')
            with open(f'/proc/{pid}/comm') as f:
                comm = f.read().strip()
        except OSError:
            continue
        root = f'GIT_PROJECT_ROOT={home}'.encode()
        if comm.startswith('git') and any(e == root or e.startswith(root + b'/') for e in env):
            found.append(int(pid))
    return found

class Slowloris:
    """n connections from source address src to port, each sending one more header byte a
    second; a connection the server closes is opened again. Records how long each one
    lived, and the most that were open (and not closed by the server) at once."""

    def __init__(self, port, n, src='127.0.0.2', first=b'GET / HTTP/1.1\r\n'):
        self.port, self.n, self.src, self.first = port, n, src, first
        self.lifetimes, self.max_open = [], 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open_one(self, sel):
        s = socket.socket()
        s.bind((self.src, 0))
        s.setblocking(False)
        try:
            s.connect((('127.0.0.1', self.port)))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_READ, [time.monotonic(), 0])

    def split(self, deadline):
        """(refused, cut): the lifetimes of the connections closed well before the header
        deadline (turned away at once: under half of it, as on a loaded machine this loop can
        notice a close a second late), and of those the server held until it cut them."""
        return ([t for t in self.lifetimes if t < deadline / 2],
                [t for t in self.lifetimes if t >= deadline / 2])

    @staticmethod
    def alive(s):
        try:
            return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b''
        except BlockingIOError:
            return True
        except OSError:
            return False

    def run(self):
        sel = selectors.DefaultSelector()
        for _ in range(self.n):
            self.open_one(sel)
        next_byte = time.monotonic() + 1
        pending, reopened = 0, 0.0   # closed ones open again, 500 a second at most (a flood is another test)
        while not self.stop.is_set():
            if time.monotonic() - reopened >= 0.05:
                reopened = time.monotonic()
                for _ in range(min(pending, 25)):
                    self.open_one(sel)
                    pending -= 1
            for key, _ in sel.select(timeout=0.05):
                if not self.alive(key.fileobj):
                    self.lifetimes.append(time.monotonic() - key.data[0])
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    pending += 1
            now = time.monotonic()
            if now >= next_byte:   # one more header byte on each connection
                held = 0
                for key in list(sel.get_map().values()):
                    if now - key.data[0] > 1 and self.alive(key.fileobj):
                        held += 1
                    try:
                        key.fileobj.send(self.first if key.data[1] == 0 else b'X')
                        key.data[1] += 1
                    except OSError:
                        pass
                self.max_open = max(self.max_open, held)
                next_byte = now + 1
        for key in list(sel.get_map().values()):
            key.fileobj.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class NetworkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack('network', env={'SLIPWAY_RELEASER': 'off', 'SLIPWAY_HEADER_TIMEOUT': str(HEADER_TIMEOUT),
                                          'SLIPWAY_CLIENT_CONNECTIONS': str(PER_CLIENT),
                                          'SLIPWAY_WEBHOOK_BACKOFF_MS': '100', 'SLIPWAY_WEBHOOK_ATTEMPTS': '1'}).start()
        cls.cli = Cli(cls.stack)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_slowloris_from_one_address(self):
        repo = self.stack.make_repo('steady', DOCKERFILE, {'index.html': 'steady'})
        with Slowloris(self.stack.slipwayd.port, 600) as attack:
            time.sleep(HEADER_TIMEOUT + 2)   # it holds all it can get by now
            t0 = time.monotonic()
            self.assertEqual(requests.get(self.stack.url + '/api/v1/health', timeout=5).status_code, 200)
            health = time.monotonic() - t0
            r = self.stack.push(repo, 'steady', timeout=120)
            self.assertEqual(r.returncode, 0, r)
            self.assertIn('-----> build', r.output)
            time.sleep(1)
        self.assertEqual(self.stack.builds('steady')[0]['status'], 'succeeded')
        self.assertLess(health, 2.0)
        # one address held its share, no more; every trickler was cut at the deadline,
        # though a byte came every second
        refused, cut = attack.split(HEADER_TIMEOUT)
        self.assertLessEqual(attack.max_open, PER_CLIENT)
        self.assertGreater(len(refused), 100)
        self.assertGreaterEqual(len(cut), PER_CLIENT)
        self.assertLess(max(cut), HEADER_TIMEOUT + 2.0, sorted(cut)[-5:])
        self.assertGreater(min(cut), HEADER_TIMEOUT - 0.5)
        print(f'health in {health:.2f}s and a push with {len(cut)} connections cut at the header deadline,'
              f' {len(refused)} refused at once (most held at once: {attack.max_open})')

    def test_slowloris_of_push_heads(self):
        # a push's head is peeked at by the front door before anyone reads it: a trickled
        # one holds no more than its address's share, and is cut at the same deadline
        first = b'POST /steady.git/git-receive-pack HTTP/1.1\r\nHost: x\r\n'
        with Slowloris(self.stack.slipwayd.port, 200, src='127.0.0.3', first=first) as attack:
            time.sleep(HEADER_TIMEOUT + 2)
            self.assertEqual(requests.get(self.stack.url + '/api/v1/health', timeout=5).status_code, 200)
            time.sleep(HEADER_TIMEOUT)
        refused, cut = attack.split(HEADER_TIMEOUT)
        self.assertLessEqual(attack.max_open, PER_CLIENT)
        self.assertGreater(len(refused), 50)
        self.assertGreaterEqual(len(cut), PER_CLIENT)
        self.assertLess(max(cut), HEADER_TIMEOUT + 2.0, sorted(cut)[-5:])
        self.assertGreater(min(cut), HEADER_TIMEOUT - 0.5)

    def test_pushes_count_against_their_address(self):
        self.assertEqual(self.stack.push(self.stack.make_repo('counted', DOCKERFILE, {'index.html': 'c'}),
                                         'counted').returncode, 0)
        auth = base64.b64encode(f'git:{self.stack.token}'.encode()).decode()
        head = (f'POST /counted.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n'
                'Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 100000\r\n\r\n').encode()

        def connect(src):
            s = socket.socket()
            s.bind((src, 0))
            s.settimeout(5)
            s.connect(('127.0.0.1', self.stack.slipwayd.port))
            return s

        def served(src):
            s = connect(src)
            try:
                s.sendall(b'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
                return s.recv(64).startswith(b'HTTP/1.1 200')
            except OSError:
                return False
            finally:
                s.close()

        # pushes whose body has not come yet: each one a slipway-push, holding its connection
        handed = lambda: self.stack.slipwayd.log_text().count('counted.git/git-receive-pack by ')
        before, pushes = handed(), []
        for _ in range(PER_CLIENT):
            s = connect('127.0.0.4')
            s.sendall(head + b'0')
            pushes.append(s)
        try:
            wait_for('the pushes handed over', lambda: handed() >= before + PER_CLIENT, timeout=30)
            self.assertFalse(served('127.0.0.4'), 'a connection over the address\'s share was served')
            self.assertTrue(served('127.0.0.5'))
        finally:
            for s in pushes:
                s.close()
        # their processes end (the pusher left): the address may connect again
        wait_for('the pushes ended', lambda: served('127.0.0.4'), timeout=30)
        # and so does git: a request cut mid-body leaves no http-backend reading its end
        wait_for('no git http-backend left', lambda: not backends(self.stack.home), timeout=30)

    def test_engine_slowloris(self):
        eng = Engine(registry=False, env={'SLIPWAY_ENGINE_HEADER_TIMEOUT': '2', 'SLIPWAY_ENGINE_CLIENT_CONNECTIONS': '8'})
        try:
            with Slowloris(eng.port, 50) as attack:
                time.sleep(4)
                ecs = eng.client('ecs')
                self.assertIn('clusterArns', ecs.list_clusters())
                # a URL with a newline, in the engine's access log (debug)
                requests.get(f'http://127.0.0.1:{eng.port}/x%0aforged%20line', timeout=5)
            self.assertLessEqual(attack.max_open, 8)
            self.assertGreaterEqual(len([t for t in attack.lifetimes if t >= 1]), 8)   # cut at the deadline
            self.assertLess(max(attack.lifetimes), 4.0)
            db = os.path.join(eng.home, 'engine', 'engine.db')
            self.assertEqual(os.stat(db).st_mode & 0o777, 0o600)   # config values live there
            time.sleep(0.5)
            log = eng.log(tail=400)
            self.assertIn('/x\\x0aforged line', log)
            self.assertFalse([line for line in log.splitlines() if line.startswith('forged')])
        finally:
            eng.stop()

    def test_log_lines_are_not_forged(self):
        r = requests.get(self.stack.url + '/api/v1/nothing%0a2026-01-01T00:00:00Z%20info%20%20admin%20logged%20in',
                         timeout=5)
        self.assertEqual(r.status_code, 401)
        time.sleep(0.3)
        log = self.stack.slipwayd.log_text()
        self.assertIn('/api/v1/nothing\\x0a2026-01-01T00:00:00Z info  admin logged in 401', log)
        self.assertNotIn('\n2026-01-01T00:00:00Z', log)

    def test_webhook_address_classes(self):
        self.assertEqual(self.cli('apps:create', 'hooked').code, 0)
        for url, kind in (('http://127.0.0.1:9/x', 'loopback'), ('http://localhost:9/x', 'loopback'),
                          ('http://[::1]:9/x', 'loopback'), ('http://169.254.169.254/latest/meta-data/', 'link-local'),
                          ('http://[fe80::1]/x', 'link-local'), ('http://10.0.0.1/x', 'private'),
                          ('https://172.16.5.4/x', 'private'), ('http://192.168.1.1/x', 'private'),
                          ('http://[fd00::1]/x', 'unique-local'), ('http://[::ffff:127.0.0.1]/x', 'loopback'),
                          ('http://2130706433:9/x', 'loopback'), ('http://0.0.0.0:9/x', 'unspecified')):
            r = self.cli('webhooks:add', url, '-a', 'hooked')
            self.assertEqual(r.code, 1, (url, r))
            self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)
            self.assertIn(f'a {kind} address: webhooks do not go there', r.err)
        self.assertEqual(self.cli('webhooks', '-a', 'hooked', '--json').json()['webhooks'], [])
        # allowed by the admin's setting, then no longer: the delivery is refused, and says only that
        sd = self.stack.slipwayd
        with WebhookReceiver() as rx:
            sd.stop()
            sd.env['SLIPWAY_WEBHOOK_ALLOW_NETS'] = '127.0.0.0/8'
            sd.start()
            r = self.cli('webhooks:add', rx.url, '-a', 'hooked', '--events', 'access.*')
            self.assertEqual(r.code, 0, r)
            rx.wait(lambda reqs: len(reqs) == 0, timeout=1)
            sd.stop()
            del sd.env['SLIPWAY_WEBHOOK_ALLOW_NETS']
            sd.start()
            self.cli('users:create', 'hookee')
            self.assertEqual(self.cli('access:add', 'hookee', 'read', '-a', 'hooked').code, 0)
            wait_for('the delivery to fail', lambda: [d for d in self.cli('webhooks:deliveries', '-a', 'hooked', '--json')
                                                      .json()['deliveries'] if d['status'] == 'failed'], timeout=30)
            self.assertEqual(rx.requests, [])
        ds = self.cli('webhooks:deliveries', '-a', 'hooked', '--json').json()['deliveries']
        self.assertEqual([(d['type'], d['error']) for d in ds], [('access.granted', 'refused')])

    def test_add_from_a_url(self):
        secret = f'only-on-loopback-{free_port()}'
        dockerfile = (f'FROM slipway/busybox:latest\nARG HOST=127.0.0.1\n'
                      f'ADD --chown=0:0 \\\n  http://${{HOST}}:{self.stack.slipwayd.port}/api/v1/health /{secret}\n')
        repo = self.stack.make_repo('fetcher', dockerfile)
        r = self.stack.push(repo, 'fetcher')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('remote:  !     Dockerfile line 3: ADD from a URL (http://${HOST}:', r.output)
        self.assertIn('download it in a RUN step', r.output)
        b = self.stack.builds('fetcher')[0]
        self.assertEqual(b['status'], 'failed')
        self.assertNotIn('Step 1/', self.cli('builds:log', str(b['id']), '-a', 'fetcher').out)   # Docker never saw it


class TlsTest(unittest.TestCase):
    """slipwayd on 0.0.0.0: refused without a certificate; HTTPS with one."""

    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir('tls-')
        cls.cert, cls.key = os.path.join(cls.dir, 'cert.pem'), os.path.join(cls.dir, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                        '-keyout', cls.key, '-out', cls.cert, '-days', '2', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)

    def slipwayd(self, **env):
        home = temp_dir('tls-home-')
        port = free_port()
        sd = Slipwayd(home, port, free_port(), dict({'SLIPWAY_LISTEN': '0.0.0.0', 'SLIPWAY_RELEASER': 'off'}, **env))
        return sd

    def test_network_address_needs_tls(self):
        sd = self.slipwayd()
        p = subprocess.run([os.path.join(os.environ['SW_BUILD'], 'bin', 'slipwayd')], env=sd.env, capture_output=True,
                           text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stderr.strip().splitlines()[-1],
                         'slipwayd: listen: SLIPWAY_LISTEN=0.0.0.0 is not a loopback address: set SLIPWAY_TLS_CERT and'
                         ' SLIPWAY_TLS_KEY (HTTPS), or SLIPWAY_INSECURE_HTTP=1 (tokens in the clear on the network)')
        sd = self.slipwayd(SLIPWAY_INSECURE_HTTP='1')
        sd.start()
        sd.stop()

    def test_https_push(self):
        stack = Stack('tls', env={'SLIPWAY_LISTEN': '0.0.0.0', 'SLIPWAY_TLS_CERT': self.cert, 'SLIPWAY_TLS_KEY': self.key})
        # Stack waits for plain HTTP on its port: start it by hand
        stack.home = temp_dir('tls-stack-')
        stack.workdir = temp_dir('tls-work-')
        from swstack import Registry
        os.makedirs(os.path.join(stack.home, 'registry'))
        stack.registry = Registry(os.path.join(stack.home, 'registry'))
        stack.registry.start()
        sd = Slipwayd(stack.home, free_port(), stack.registry.port, stack.extra_env)
        stack.slipwayd = sd
        try:
            stack.token = sd.admin_token()
            sd.log = open(os.path.join(stack.home, 'slipwayd.log'), 'ab')
            sd.proc = subprocess.Popen([os.path.join(os.environ['SW_BUILD'], 'bin', 'slipwayd')], env=sd.env,
                                       stdout=sd.log, stderr=subprocess.STDOUT, start_new_session=True)
            https = f'https://127.0.0.1:{sd.port}'
            wait_for('slipwayd over HTTPS', lambda: requests.get(https + '/api/v1/health', verify=self.cert,
                                                                 timeout=2).status_code == 200)
            with self.assertRaises(requests.ConnectionError):
                requests.get(f'http://127.0.0.1:{sd.port}/api/v1/health', timeout=5)
            repo = stack.make_repo('secure', DOCKERFILE, {'index.html': 'secure'})
            env = dict(git_env(stack.workdir), GIT_SSL_CAINFO=self.cert)
            p = subprocess.run(['git', 'push', f'https://git:{stack.token}@127.0.0.1:{sd.port}/secure.git', 'main'],
                               cwd=repo, env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn('remote: -----> build', p.stderr)   # the hook reached slipwayd (plain HTTP on loopback)
            builds = requests.get(https + '/api/v1/apps/secure/builds', verify=self.cert, timeout=10,
                                  headers={'Authorization': f'Bearer {stack.token}'}).json()['builds']
            self.assertEqual(builds[0]['status'], 'succeeded')
        finally:
            stack.stop()


if __name__ == '__main__':
    unittest.main(verbosity=2)
