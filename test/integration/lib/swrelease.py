"""Helpers for the releaser's integration tests (test/integration/releaser).

Releaser: sw-release-testtool (from $SW_BUILD/bin) run against a private slipway-engine
(swengine.Engine) with its own release database, the way slipwayd drives the releaser:
the same AWS shared-file profile the engine writes, SLIPWAY_* settings from env.

    with Engine(memory_mb=1024) as eng:
        rel = Releaser(eng)
        image, digest = rel.image('v1')               # built, pushed to the engine's ECR
        r = rel.push('hello', image, digest, PROCFILE)
        assert r.ok, r.output
"""
import json
import os
import re
import subprocess
import time
import uuid

from swengine import binary, http_get, wait_for

# A web app that serves its version on /, the config var GREETING on /greeting, and exits
# on SIGTERM (busybox httpd as PID 1 would ignore it).
WEB_PROCFILE = ("web: echo \"$GREETING\" > /www/greeting; echo \"$SLIPWAY_RELEASE\" > /www/release; "
                "trap 'exit 0' TERM; httpd -f -p $PORT -h /www & wait\n")
WORKER_LINE = "worker: trap 'exit 0' TERM; sleep 100000 & wait\n"


class Result:
    def __init__(self, proc, elapsed):
        self.returncode = proc.returncode
        self.output = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        last = [line for line in self.output.splitlines() if line.startswith('result: ')]
        self.result = last[-1][len('result: '):] if last else ''
        self.ok = self.returncode == 0 and self.result.startswith('ok')
        self.version = int(self.result.split('v', 1)[1]) if self.ok else None
        self.reason = self.result[len('error '):] if self.result.startswith('error ') else None

    def lines(self):
        return [line for line in self.output.splitlines() if not line.startswith('result: ')]

    def __repr__(self):
        return f'<exit {self.returncode}: {self.result}>\n{self.output}\n{self.stderr[-3000:]}'


class Releaser:
    def __init__(self, eng, env=None):
        self.eng = eng
        self.db = os.path.join(eng.tmp, f'releases-{uuid.uuid4().hex[:6]}.db')
        self.dir = os.path.join(eng.tmp, f'manifests-{uuid.uuid4().hex[:6]}')
        os.makedirs(self.dir)
        self.env = eng.aws_env()
        self.env.update({
            'SLIPWAY_LOAD_BALANCER': 'none',
            'SLIPWAY_DEFAULT_MEMORY': '64',
            'SLIPWAY_STALL_SECONDS': '8',
            'SLIPWAY_DEPLOY_DEADLINE': '120',
            'SLIPWAY_LOG': 'info',
        })
        if env:
            self.env.update(env)
        self.ecr = eng.client('ecr')
        self.ecs = eng.client('ecs')
        self.repos = set()

    def image(self, version, repository='hello'):
        """Build the test web image answering `version`, push it to the engine's ECR: (uri:tag, digest)."""
        if repository not in self.repos:
            try:
                self.ecr.create_repository(repositoryName=repository)
            except self.ecr.exceptions.RepositoryAlreadyExistsException:
                pass
            self.repos.add(repository)
        uri = self.ecr.describe_repositories(repositoryNames=[repository])['repositories'][0]['repositoryUri']
        local = self.eng.web_image(version)
        target = self.eng.push(local, uri, version)
        for d in self.ecr.describe_images(repositoryName=repository)['imageDetails']:
            if version in d.get('imageTags', []):
                return target, d['imageDigest']
        raise AssertionError(f'{target} not in ECR')

    def run(self, *args, timeout=300, env=None):
        t0 = time.monotonic()
        p = subprocess.run([binary('sw-release-testtool'), self.db, *args], env=dict(self.env, **(env or {})),
                           capture_output=True, text=True, timeout=timeout)
        return Result(p, time.monotonic() - t0)

    def start(self, *args, env=None):
        """The tool in the background (to kill it mid-rollout)."""
        return subprocess.Popen([binary('sw-release-testtool'), self.db, *args], env=dict(self.env, **(env or {})),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def manifest(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def push(self, app, image, digest, procfile=WEB_PROCFILE, commit=None, compose=None, timeout=300):
        commit = commit or uuid.uuid4().hex + uuid.uuid4().hex[:8]
        path = self.manifest('docker-compose.yml', compose) if compose else self.manifest('Procfile', procfile)
        return self.run('push', app, commit, image, digest, path, timeout=timeout)

    def releases(self, app):
        r = self.run('releases', app)
        return [json.loads(line) for line in r.lines() if line.startswith('{')]

    def release(self, app, version):
        for r in self.releases(app):
            if r['version'] == version:
                return r
        raise AssertionError(f'{app} has no v{version}')

    # ---- what ECS runs -------------------------------------------------------------------
    def service(self, app, process='web'):
        s = self.ecs.describe_services(cluster='default', services=[f'{app}-{process}'])['services']
        return s[0] if s else None

    def running_tasks(self, app, process='web'):
        arns = self.ecs.list_tasks(cluster='default', serviceName=f'{app}-{process}')['taskArns']
        if not arns:
            return []
        return [t for t in self.ecs.describe_tasks(cluster='default', tasks=arns)['tasks']
                if t['lastStatus'] == 'RUNNING']

    def answers(self, app, path='/', process='web'):
        """What each running task of the app's web process answers on path (sorted)."""
        out = []
        for t in self.running_tasks(app, process):
            b = t['containers'][0].get('networkBindings') or []
            try:
                out.append(http_get(b[0]['hostPort'], path)[1])
            except (OSError, IndexError):
                out.append(None)
        return sorted(out, key=str)

    def taskdef_release(self, app, process='web'):
        """SLIPWAY_RELEASE of the service's current task definition."""
        s = self.service(app, process)
        td = self.ecs.describe_task_definition(taskDefinition=s['taskDefinition'])['taskDefinition']
        env = {e['name']: e['value'] for e in td['containerDefinitions'][0].get('environment', [])}
        return env.get('SLIPWAY_RELEASE')

    def wait_answers(self, app, want, path='/', timeout=30):
        return wait_for(f'{app} to answer {want}', lambda: self.answers(app, path) == want or None, timeout=timeout)


# ---- the whole push: real git, slipwayd, the engine as ECS ---------------------------------

APP_DOCKERFILE = ('FROM slipway/busybox:latest\n'
                  'RUN mkdir -p /www && echo %s > /www/index.html\n')


class PushStack:
    """slipway-engine (swengine.Engine) + slipwayd configured with the engine's AWS profile
    (its releaser on), a git work dir, and the `slipway` CLI pointed at slipwayd.

        with PushStack() as ps:
            repo = ps.make_repo('app', 'v1')
            r = ps.push(repo, 'hello')
            ps.cli('releases', '-a', 'hello')
    """

    def __init__(self, memory_mb=1024, engine_env=None, env=None, load_balancer='none'):
        import swstack
        self.swstack = swstack
        from swengine import Engine
        self.eng = Engine(memory_mb=memory_mb, env=dict({'SLIPWAY_ENGINE_STABLE_SECONDS': '2',
                                                         'SLIPWAY_ENGINE_BACKOFF_MAX_SECONDS': '2'},
                                                        **(engine_env or {})))
        try:
            self.home = swstack.temp_dir('slipwayd-')
            self.env = self.eng.aws_env()
            self.env.update({
                'SLIPWAY_LOAD_BALANCER': load_balancer,
                'SLIPWAY_DEFAULT_MEMORY': '64',
                'SLIPWAY_STALL_SECONDS': '8',
                'SLIPWAY_DEPLOY_DEADLINE': '120',
                'SLIPWAY_ROUTER_PORT': str(getattr(self.eng, 'router_port', 5481)),
            })
            self.env.update(env or {})
            self.sd = swstack.Slipwayd(self.home, swstack.free_port(), self.eng.registry_port, self.env)
            self.token = self.sd.admin_token()
            self.sd.start()
            self.st = swstack.Stack()
            self.st.workdir = swstack.temp_dir('work-')
            self.st.slipwayd = self.sd
            self.st.token = self.token
            self.ecs = self.eng.client('ecs')
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if getattr(self, 'sd', None):
            self.sd.stop()
        self.eng.stop()
        # the images builds tagged for the engine's registry (vfs: each is a full copy)
        out = subprocess.run(['docker', 'images', '--format', '{{.Repository}}:{{.Tag}}'],
                             capture_output=True, text=True).stdout.split()
        mine = [i for i in out if i.startswith(f'127.0.0.1:{self.eng.registry_port}/')]
        if mine:
            subprocess.run(['docker', 'rmi', '-f'] + mine, capture_output=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and getattr(self, 'sd', None):
            print('---- slipwayd log (tail) ----\n' + self.sd.log_text()[-4000:])
        self.stop()

    # -- git --------------------------------------------------------------------------------
    def make_repo(self, name, version, procfile=WEB_PROCFILE, files=None):
        f = {'Procfile': procfile} if procfile else {}
        f.update(files or {})
        return self.st.make_repo(name, APP_DOCKERFILE % version, f)

    def commit(self, repo, version=None, procfile=None, files=None, message='change'):
        f = dict(files or {})
        if version:
            f['Dockerfile'] = APP_DOCKERFILE % version
        if procfile is not None:
            f['Procfile'] = procfile
        return self.st.commit(repo, f, message)

    def push(self, repo, app, refspec='main', timeout=600):
        return self.st.push(repo, app, refspec=refspec, timeout=timeout)

    def git(self, *args, cwd=None):
        return self.st.git(*args, cwd=cwd)

    # -- the CLI ----------------------------------------------------------------------------
    def cli(self, *args, timeout=300, cwd=None):
        env = dict(os.environ, SLIPWAY_URL=self.sd.url, SLIPWAY_TOKEN=self.token)
        p = subprocess.run([binary('slipway'), *args], env=env, capture_output=True, text=True, timeout=timeout,
                           cwd=cwd)
        return p

    def releases(self, app):
        import requests
        r = requests.get(f'{self.sd.url}/api/v1/apps/{app}/releases',
                         headers={'Authorization': f'Bearer {self.token}'}, timeout=30)
        r.raise_for_status()
        return r.json()['releases']

    def release(self, app, version):
        for r in self.releases(app):
            if r['version'] == version:
                return r
        raise AssertionError(f'{app} has no v{version}')

    # -- what runs ----------------------------------------------------------------------------
    def answers(self, app, path='/', process='web'):
        arns = self.ecs.list_tasks(cluster='default', serviceName=f'{app}-{process}')['taskArns']
        out = []
        if arns:
            for t in self.ecs.describe_tasks(cluster='default', tasks=arns)['tasks']:
                if t['lastStatus'] != 'RUNNING':
                    continue
                b = t['containers'][0].get('networkBindings') or []
                try:
                    out.append(http_get(b[0]['hostPort'], path)[1])
                except (OSError, IndexError):
                    out.append(None)
        return sorted(out, key=str)

    def wait_answers(self, app, want, path='/', timeout=30):
        return wait_for(f'{app} to answer {want}', lambda: self.answers(app, path) == want or None, timeout=timeout)

    def has_logs(self):
        """Does the engine serve CloudWatch Logs?"""
        try:
            self.eng.client('logs').describe_log_groups(limit=1)
            return True
        except Exception:
            return False


STEP_TIME = re.compile(r'  \+\d+\.\ds$')


def remote_lines(output, times=False):
    """The `remote:` lines of a push, without the prefix and git's padding, and without the
    time since the push that the hook adds to each step ("  +1.7s") unless times."""
    lines = [line[len('remote: '):].rstrip() for line in output.splitlines() if line.startswith('remote: ')]
    return lines if times else [STEP_TIME.sub('', line) for line in lines]
