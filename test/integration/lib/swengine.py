"""Helpers for the engine's integration tests (test/integration/engine).

Engine: a private slipway-engine (from $SW_BUILD/bin) with its own temporary
SLIPWAY_HOME and free ports, next to a private Distribution registry with htpasswd
auth (user AWS, the password in $SLIPWAY_HOME/registry/password, as scripts/up sets
it up), both on the Docker engine at DOCKER_HOST. It gives configured boto3 clients and
the environment for the AWS CLI; stop() ends both processes, removes every container
the engine made (by its slipway.engine label) and the images built through it, and
deletes the temporary state.

    with Engine(memory_mb=256) as eng:
        ecs = eng.client('ecs')
        eng.build_image('web:v1', WEB_DOCKERFILE % 'v1')
        ...
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
import tempfile
import time
import urllib.request
import uuid

import boto3
from botocore.config import Config

REGION = 'us-east-1'

# A web server that answers its version on / and handles SIGTERM (busybox httpd as PID 1
# would ignore it and wait for SIGKILL).
WEB_DOCKERFILE = '''FROM slipway/busybox:latest
RUN mkdir -p /www && echo %s > /www/index.html
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
'''


def build_dir():
    return os.environ.get('SW_BUILD') or os.path.join(os.environ.get('SW_ROOT', os.getcwd()), 'build')


def binary(name):
    path = os.path.join(build_dir(), 'bin', name)
    if not os.path.exists(path):
        raise RuntimeError(f'{path} is missing: build first')
    return path


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout=60, interval=0.25):
    """Call fn until it returns something truthy; return it, or fail naming what."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f'timed out after {timeout}s waiting for {what} (last: {last!r})')


def docker(*args, check=True, input=None, env=None):
    return subprocess.run(['docker', *args], check=check, capture_output=True, text=True, input=input,
                          env=env)


def http_get(port, path='/', timeout=5):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request('GET', path)
        r = conn.getresponse()
        return r.status, r.read().decode().strip()
    finally:
        conn.close()


def engine_instance(home):
    """The instance id of the engine whose SLIPWAY_HOME is home (its containers' slipway.engine
    label), or None when it never started."""
    path = os.path.join(home, 'engine', 'engine.db')
    if not os.path.exists(path):
        return None
    db = sqlite3.connect(path)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        db.close()


def remove_engine_containers(instance, settle=1.0, timeout=60):
    """Remove every container labelled slipway.engine=instance, the engine being stopped:
    again and again until none has appeared for `settle` seconds. A container the engine
    asked Docker for just before it stopped (a task being replaced) may still be being
    created then, and appear after a first listing (with vfs, creating copies the image)."""
    if not instance:
        return 0
    label = f'label=slipway.engine={instance}'
    removed = 0
    end = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < end:
        ids = docker('ps', '-aq', '--filter', label, check=False).stdout.split()
        if ids:
            docker('rm', '-f', *ids, check=False)
            removed += len(ids)
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            return removed
        time.sleep(0.25)
    raise AssertionError(f'containers of engine {instance} keep appearing after {timeout}s')


class Engine:
    def __init__(self, memory_mb=None, cpu_units=None, env=None, registry=True):
        base = os.environ.get('SW_TEST_TMP') or tempfile.gettempdir()
        self.tmp = tempfile.mkdtemp(prefix='engine-', dir=base)
        self.home = os.path.join(self.tmp, 'home')
        os.makedirs(os.path.join(self.home, 'registry'))
        self.port = free_port()
        self.registry_port = free_port() if registry else free_port()
        self.router_port = free_port()   # the engine's HAProxy router
        self.password = uuid.uuid4().hex
        self.tag_prefix = 'swtest-' + uuid.uuid4().hex[:8]
        self.images = []
        self.proc = None
        self.registry_proc = None
        self.log_path = os.path.join(self.tmp, 'engine.log')
        self.env = dict(os.environ)
        self.env.update({
            'SLIPWAY_HOME': self.home,
            'SLIPWAY_ENGINE_PORT': str(self.port),
            'SLIPWAY_ROUTER_PORT': str(self.router_port),
            'SLIPWAY_REGISTRY_PORT': str(self.registry_port),
            'SLIPWAY_ENGINE_STABLE_SECONDS': '1',
            'SLIPWAY_ENGINE_EVENT_SECONDS': '2',
            'SLIPWAY_ENGINE_STOP_TIMEOUT': '5',
            'SLIPWAY_ENGINE_RESYNC_SECONDS': '5',
            'SLIPWAY_LOG': 'debug',
        })
        self.env.pop('AWS_PROFILE', None)
        if memory_mb:
            self.env['SLIPWAY_ENGINE_MEMORY_MB'] = str(memory_mb)
        if cpu_units:
            self.env['SLIPWAY_ENGINE_CPU_UNITS'] = str(cpu_units)
        if env:
            self.env.update(env)
        if registry:
            self._start_registry()
        self.start()

    # ---- processes -----------------------------------------------------------------
    def _start_registry(self):
        d = os.path.join(self.tmp, 'registry')
        os.makedirs(os.path.join(d, 'data'))
        with open(os.path.join(self.home, 'registry', 'password'), 'w') as f:
            f.write(self.password + '\n')
        htpasswd = subprocess.run(['htpasswd', '-Bbn', 'AWS', self.password], check=True, capture_output=True,
                                  text=True).stdout
        with open(os.path.join(d, 'htpasswd'), 'w') as f:
            f.write(htpasswd)
        with open(os.path.join(d, 'config.yml'), 'w') as f:
            f.write('version: 0.1\nlog: {level: warn}\nstorage:\n'
                    f'  filesystem: {{rootdirectory: {d}/data}}\n  delete: {{enabled: true}}\n'
                    f'http:\n  addr: 127.0.0.1:{self.registry_port}\n'
                    f'auth:\n  htpasswd: {{realm: slipway, path: {d}/htpasswd}}\n')
        with open(os.path.join(d, 'log'), 'w') as log:
            self.registry_proc = subprocess.Popen(['docker-registry', 'serve', os.path.join(d, 'config.yml')],
                                                  stdout=log, stderr=subprocess.STDOUT)

        def up():
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{self.registry_port}/v2/', timeout=2)
            except urllib.error.HTTPError as e:
                return e.code == 401
            except OSError:
                return False
            return True
        wait_for('the registry', up, timeout=30)

    def start(self):
        with open(self.log_path, 'a') as log:
            self.proc = subprocess.Popen([binary('slipway-engine')], env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f'slipway-engine exited ({self.proc.returncode}):\n{self.log()}')
            try:
                http_get(self.port, '/', timeout=1)
                return True
            except OSError:
                return False
        wait_for('slipway-engine to listen', up, timeout=30)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        self.terminate()
        self.start()

    def log(self, tail=80):
        try:
            with open(self.log_path) as f:
                return ''.join(f.readlines()[-tail:])
        except OSError:
            return ''

    def instance(self):
        db = sqlite3.connect(os.path.join(self.home, 'engine', 'engine.db'))
        try:
            return db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0]
        finally:
            db.close()

    def containers(self, all=True):
        """This engine's containers: [(name, state)]."""
        out = docker('ps', *(['-a'] if all else []), '--filter', f'label=slipway.engine={self.instance()}',
                     '--format', '{{.Names}} {{.State}}').stdout
        return [tuple(line.split(' ', 1)) for line in out.splitlines() if line]

    def stop(self):
        instance = None
        try:
            instance = self.instance()
        except Exception:
            pass
        self.terminate()
        self.stop_router()
        # the engine is gone: nothing asks for containers any more, but one it asked for
        # just before (a task being replaced) may still be in the making
        try:
            remove_engine_containers(instance)
        except AssertionError as e:
            print(f'engine stop: {e}')
        if self.registry_proc and self.registry_proc.poll() is None:
            self.registry_proc.terminate()
            try:
                self.registry_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.registry_proc.kill()
                self.registry_proc.wait()
        for image in self.images:
            docker('rmi', '-f', image, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stop_router(self):
        """Stop the HAProxy the engine started (it outlives the engine on purpose)."""
        try:
            with open(os.path.join(self.home, 'engine', 'haproxy.pid')) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print('---- engine log (tail) ----\n' + self.log())
        self.stop()

    # ---- clients ---------------------------------------------------------------------
    def credentials(self):
        cp = configparser.ConfigParser()
        cp.read(os.path.join(self.home, 'aws', 'credentials'))
        return cp['slipway']['aws_access_key_id'], cp['slipway']['aws_secret_access_key']

    @property
    def endpoint(self):
        return f'http://127.0.0.1:{self.port}'

    def client(self, service, **config):
        key, secret = self.credentials()
        # total_max_attempts counts the first try: 1 = no retry at all
        cfg = Config(retries={'total_max_attempts': config.pop('max_attempts', 3), 'mode': 'standard'}, **config)
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=key,
                            aws_secret_access_key=secret, config=cfg)

    def aws_env(self):
        """Environment for the AWS CLI: the shared files the engine wrote, profile slipway."""
        env = dict(os.environ)
        for k in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION',
                  'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL'):
            env.pop(k, None)
        env['AWS_SHARED_CREDENTIALS_FILE'] = os.path.join(self.home, 'aws', 'credentials')
        env['AWS_CONFIG_FILE'] = os.path.join(self.home, 'aws', 'config')
        env['AWS_PROFILE'] = 'slipway'
        return env

    def aws(self, *args):
        """Run the AWS CLI against the engine; returns the decoded JSON output."""
        r = subprocess.run(['aws', *args, '--output', 'json'], env=self.aws_env(), capture_output=True, text=True)
        if r.returncode:
            raise AssertionError(f'aws {" ".join(args)} failed ({r.returncode}): {r.stderr}')
        return json.loads(r.stdout) if r.stdout.strip() else None

    # ---- images ------------------------------------------------------------------------
    def build_image(self, tag, dockerfile):
        """docker build a small image named <prefix>/<tag>; removed at stop()."""
        name = f'{self.tag_prefix}/{tag}'
        ctx = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(ctx, 'Dockerfile'), 'w') as f:
            f.write(dockerfile)
        r = subprocess.run(['docker', 'build', '-q', '-t', name, ctx], capture_output=True, text=True,
                           env=dict(os.environ, DOCKER_BUILDKIT='0'))
        if r.returncode:
            raise AssertionError(f'docker build {name}: {r.stderr}')
        self.images.append(name)
        return name

    def web_image(self, version):
        return self.build_image(f'web:{version}', WEB_DOCKERFILE % version)

    def push(self, image, repository_uri, tag):
        """Push a local image into the engine's registry with the ECR token (own docker config)."""
        import base64
        token = self.client('ecr').get_authorization_token()['authorizationData'][0]
        user, pw = base64.b64decode(token['authorizationToken']).decode().split(':', 1)
        env = dict(os.environ, DOCKER_CONFIG=os.path.join(self.tmp, 'docker-config'))
        os.makedirs(env['DOCKER_CONFIG'], exist_ok=True)
        host = token['proxyEndpoint'].replace('http://', '')
        docker('login', '-u', user, '--password-stdin', host, input=pw, env=env)
        target = f'{repository_uri}:{tag}'
        docker('tag', image, target)
        self.images.append(target)
        docker('push', target, env=env)
        return target


# The execution role and awsvpc network configuration the Fargate tests give (the engine takes
# any well-formed subnet and security group id: it has no EC2 to ask).
EXECUTION_ROLE = 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole'
FARGATE_NETWORK = {'awsvpcConfiguration': {'subnets': ['subnet-0a1b2c3d4e5f60718'],
                                           'securityGroups': ['sg-0a1b2c3d4e5f60718'], 'assignPublicIp': 'DISABLED'}}


def web_task_definition(ecs, family, image, memory=32, health=True, command=None, extra=None, launch='ec2',
                        cpu='256'):
    """Register a task definition for the test web image: on port 8080, with a dynamic host
    port (launch='ec2', bridge mode), or Fargate's way (launch='fargate': awsvpc, task-level
    cpu and memory -- memory then in MiB of the task, 512 at least -- and an execution role)."""
    c = {
        'name': 'web', 'image': image, 'memory': memory, 'stopTimeout': 3,
        'portMappings': [{'containerPort': 8080, 'hostPort': 0}],
    }
    task = {}
    if launch == 'fargate':
        del c['memory']
        c['portMappings'] = [{'containerPort': 8080}]
        task = {'networkMode': 'awsvpc', 'requiresCompatibilities': ['FARGATE'], 'cpu': cpu,
                'memory': str(max(memory, 512)), 'executionRoleArn': EXECUTION_ROLE}
    if health:
        c['healthCheck'] = {'command': ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'],
                            'interval': 1, 'timeout': 2, 'retries': 2}
    if command:
        c['command'] = command
    if extra:
        c.update(extra)
    return ecs.register_task_definition(family=family, containerDefinitions=[c], **task)['taskDefinition']


def service_state(ecs, name, cluster='default'):
    return ecs.describe_services(cluster=cluster, services=[name])['services'][0]


def answers(ecs, service, cluster='default'):
    """What each RUNNING task of the service answers on its host port: sorted list."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=service)['taskArns']
    if not arns:
        return []
    out = []
    for t in ecs.describe_tasks(cluster=cluster, tasks=arns)['tasks']:
        if t['lastStatus'] != 'RUNNING':
            continue
        b = t['containers'][0]['networkBindings']
        answer = None
        for _ in range(3):   # a loaded machine may drop one connection; a dead task drops all
            try:
                answer = http_get(b[0]['hostPort'])[1]
                break
            except (OSError, IndexError):
                time.sleep(0.5)
        out.append(answer)
    return sorted(out, key=str)


def wait_rollout(ecs, service, taskdef_arn, timeout=120, cluster='default'):
    """Until the PRIMARY deployment of taskdef_arn is COMPLETED and alone; returns the service."""
    def done():
        s = service_state(ecs, service, cluster)
        d = s['deployments']
        if len(d) == 1 and d[0]['taskDefinition'] == taskdef_arn and d[0]['rolloutState'] == 'COMPLETED':
            return s
        return None
    return wait_for(f'{service} to complete on {taskdef_arn}', done, timeout=timeout)
