"""moto_server for the integration tests: a private one on a free loopback port, its log
under $SW_TEST_TMP, with the environment for the AWS CLI and configured boto3 clients.
moto imitates the AWS APIs (CloudFormation included) in memory; it runs no tasks.

    with Moto() as moto:
        moto.aws('cloudformation', 'create-stack', '--stack-name', 's', ...)   # JSON out
        moto.client('ec2').describe_vpcs()
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

REGION = 'us-east-1'
ACCOUNT = '123456789012'   # moto's default account


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self):
        base = os.environ.get('SW_TEST_TMP') or tempfile.gettempdir()
        self.tmp = tempfile.mkdtemp(prefix='moto-', dir=base)
        self.port = free_port()
        self.endpoint = f'http://127.0.0.1:{self.port}'
        self.log_path = os.path.join(self.tmp, 'moto.log')
        exe = shutil.which('moto_server')
        argv = [exe] if exe else [sys.executable, '-m', 'moto.server']
        with open(self.log_path, 'w') as log:
            self.proc = subprocess.Popen(argv + ['-H', '127.0.0.1', '-p', str(self.port)],
                                         stdout=log, stderr=subprocess.STDOUT, env=self.env())
        end = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f'moto_server exited ({self.proc.returncode}):\n{self.log()}')
            try:
                urllib.request.urlopen(self.endpoint + '/moto-api/', timeout=2).read()
                break
            except OSError:
                if time.monotonic() > end:
                    self.stop()
                    raise RuntimeError(f'moto_server did not answer on {self.endpoint}:\n{self.log()}')
                time.sleep(0.2)

    def env(self):
        """Environment for AWS clients pointed at nothing but moto: fixed keys, no profile,
        no shared files of the user's."""
        env = dict(os.environ)
        for k in list(env):
            if k.startswith('AWS_'):
                del env[k]
        env.update({
            'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing',
            'AWS_DEFAULT_REGION': REGION, 'AWS_REGION': REGION,
            'AWS_CONFIG_FILE': os.path.join(self.tmp, 'no-config'),
            'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.tmp, 'no-credentials'),
        })
        return env

    def aws(self, *args, check=True):
        """The AWS CLI against moto. check: the decoded JSON output (or raises with stderr);
        else the CompletedProcess."""
        r = subprocess.run(['aws', '--endpoint-url', self.endpoint, '--output', 'json', *args],
                           env=self.env(), capture_output=True, text=True, timeout=300)
        if not check:
            return r
        if r.returncode:
            raise AssertionError(f'aws {" ".join(args)} failed ({r.returncode}): {r.stderr}')
        return json.loads(r.stdout) if r.stdout.strip() else None

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id='testing', aws_secret_access_key='testing')

    def log(self, tail=60):
        try:
            with open(self.log_path) as f:
                return ''.join(f.readlines()[-tail:])
        except OSError:
            return ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print('---- moto log (tail) ----\n' + self.log())
        self.stop()
