"""Helpers for the common/aws integration tests (test/integration/aws).

- Tool: drives $SW_BUILD/bin/sw-aws-testtool (JSON lines in, JSON lines out).
- Server: a small threaded HTTP server on a free loopback port whose handler is a
  python function (method, path, headers, body) -> (status, headers, body).
- botocore_check_signature: re-signs a received request with botocore.auth.SigV4Auth at
  the request's own X-Amz-Date and says whether the Authorization header matches.
"""
import base64
import datetime
import http.server
import json
import os
import socket
import subprocess
import threading
import time
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def build_dir():
    return os.environ.get('SW_BUILD') or os.path.join(
        os.environ.get('SW_ROOT', os.getcwd()), 'build')


def binary(name):
    path = os.path.join(build_dir(), 'bin', name)
    if not os.path.exists(path):
        raise RuntimeError(f'{path} is missing: build first (cmake --build)')
    return path


def b64(data):
    return base64.b64encode(data).decode()


class Tool:
    """One sw-aws-testtool process; call() sends one request and returns the answer."""

    def __init__(self, env=None):
        self.proc = subprocess.Popen(
            [binary('sw-aws-testtool')], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env if env is not None else os.environ.copy(), text=True, bufsize=1)

    def call(self, **req):
        self.proc.stdin.write(json.dumps(req) + '\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('sw-aws-testtool died')
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _any(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        srv = self.server
        with srv.lock:
            srv.requests.append({'method': self.command, 'path': self.path,
                                 'headers': list(self.headers.items()), 'body': body,
                                 'time': time.monotonic()})
        status, headers, out = srv.handler(self.command, self.path, self.headers, body)
        if status is None:  # hang: never answer
            srv.hang.wait(60)
            self.close_connection = True
            return
        if isinstance(out, str):
            out = out.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _any


class Server:
    """A threaded HTTP server; handler(method, path, headers, body) -> (status, headers, body).
    A status of None makes the request hang (the server never answers)."""

    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.handler = handler
        self.httpd.requests = []
        self.httpd.lock = threading.Lock()
        self.httpd.hang = threading.Event()
        self.port = self.httpd.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self):
        with self.httpd.lock:
            return list(self.httpd.requests)

    def close(self):
        self.httpd.hang.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def botocore_sign(method, url, headers, body, akid, secret, token, region, service, when):
    """Sign with botocore at datetime when; returns the request's final header list."""
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        req.headers[name] = value  # HTTPHeaders: setting twice keeps both values
    creds = botocore.credentials.Credentials(akid, secret, token)
    with mock.patch('botocore.auth.get_current_datetime', return_value=when):
        botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    return list(req.headers.items())


def botocore_check_signature(method, path, headers, body, secret, token=None):
    """headers: the received (name, value) list. True when botocore, signing the same
    signed headers at the same X-Amz-Date with secret, produces the same Authorization."""
    hmap = {}
    for k, v in headers:
        hmap.setdefault(k.lower(), []).append(v)
    auth = hmap.get('authorization', [''])[0]
    parts = dict(p.strip().split('=', 1) for p in auth[len('AWS4-HMAC-SHA256 '):].split(','))
    akid, date, region, service, _ = parts['Credential'].split('/')
    signed = parts['SignedHeaders'].split(';')
    when = datetime.datetime.strptime(hmap['x-amz-date'][0], '%Y%m%dT%H%M%SZ')
    host = hmap['host'][0]
    kept = [(k, v) for k, v in headers
            if k.lower() in signed and k.lower() not in ('x-amz-date', 'x-amz-security-token')]
    out = botocore_sign(method, f'http://{host}{path}', kept, body, akid, secret, token, region,
                        service, when)
    mine = [v for k, v in out if k.lower() == 'authorization'][0]
    return mine == auth, mine, auth
