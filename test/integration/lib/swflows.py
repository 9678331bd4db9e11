"""slipway's flows in one launch mode, on the engine, every AWS request held to botocore
(swvalidate.Validator between slipwayd and the engine, strict: any violation fails).

A test file per mode runs them in sequence on one stack, so the second mode costs one
stack, not a copy of every test:

    class Fargate(Flows, unittest.TestCase):
        MODE = 'fargate'

The flows: push (live, the router answering; the app has a release process, so each
release but a scale runs its release phase first), config:set, scale (and a size refused),
ps (health from the load balancer), run, rollback, a review app created and destroyed
by pushing and deleting its branch, doctor, apps:destroy. Then what the requests say of
the mode: task definitions, target groups, services and RunTask as each launch wants
them, the ECR lifecycle policy and the tags that keep the releases' images.
"""
import json
import re
import time

import requests

from swengine import EXECUTION_ROLE, wait_for
from swrelease import WEB_PROCFILE, PushStack, remote_lines
from swvalidate import Validator

ENGINE_SUBNET = 'subnet-00000000slipway'     # engine/engine.h
TASK_ROLE = 'arn:aws:iam::000000000000:role/hello-app'
ENGINE_SECURITY_GROUP = 'sg-0000000000slipway'


class Flows:
    MODE = None        # 'ec2' or 'fargate'
    EXTRA_ENV = {}     # more for slipwayd

    @classmethod
    def setUpClass(cls):
        cls.v = Validator('http://127.0.0.1:9')   # retargeted at the engine once it runs
        env = {'AWS_ENDPOINT_URL': cls.v.url, 'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_HEALTH_GRACE': '5',
               'SLIPWAY_DEREGISTRATION_DELAY': '2', 'SLIPWAY_DEPLOY_DEADLINE': '180'}
        if cls.MODE == 'fargate':
            # the cluster's default strategy decides (no SLIPWAY_LAUNCH); Fargate's default size
            env.update({'SLIPWAY_EXECUTION_ROLE_ARN': EXECUTION_ROLE, 'SLIPWAY_DEFAULT_MEMORY': ''})
        env.update(cls.EXTRA_ENV)
        cls.ps = PushStack(memory_mb=8192 if cls.MODE == 'fargate' else 4096, load_balancer='elbv2', env=env)
        cls.v.retarget(cls.ps.eng.endpoint)
        if cls.MODE == 'fargate':
            # what `slipway aws:bootstrap` makes on AWS: FARGATE and FARGATE_SPOT, FARGATE the default
            cls.ps.ecs.put_cluster_capacity_providers(
                cluster='default', capacityProviders=['FARGATE', 'FARGATE_SPOT'],
                defaultCapacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}])

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()
        cls.v.close()

    # -- helpers --------------------------------------------------------------------------
    def get(self, host, path='/'):
        try:
            r = requests.get(f'http://127.0.0.1:{self.ps.eng.router_port}{path}', headers={'Host': host}, timeout=5)
            return r.status_code, r.text.strip()
        except requests.RequestException as e:
            return None, str(e)

    def api(self, path):
        r = requests.get(f'{self.ps.sd.url}/api/v1{path}', headers={'Authorization': f'Bearer {self.ps.token}'},
                         timeout=60)
        r.raise_for_status()
        return r.json()

    def push_ok(self, repo, app, refspec='main'):
        r = self.ps.push(repo, app, refspec)
        self.assertEqual(r.returncode, 0, r.output)
        return remote_lines(r.output)

    def cli(self, *args):
        return self.ps.cli(*args)

    def params(self, op, service='ecs'):
        return [c.params for c in self.v.calls(service, op)]

    # -- the flows, in order --------------------------------------------------------------
    def test_flows(self):
        ps, fargate = self.ps, self.MODE == 'fargate'
        repo = ps.make_repo('app', 'v1', procfile=WEB_PROCFILE + 'release: echo migrated\n')

        # push: the release phase, then live, the router answers at hello.localhost
        lines = self.push_ok(repo, 'hello')
        self.assertTrue(any(l.startswith('       release: echo migrated ... exit 0 (') for l in lines), lines)
        self.assertTrue(any(l.startswith('-----> v1 is live at http://hello.localhost:') for l in lines), lines)
        self.assertEqual(self.get('hello.localhost'), (200, 'v1'))
        self.assertEqual(ps.release('hello', 1)['formation']['web']['memory'], 512 if fargate else 64)

        # config:set: v2 with the same image
        r = self.cli('config:set', 'GREETING=hi', '-a', 'hello')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(ps.release('hello', 2)['status'], 'live')

        # the app's task role: an app setting, not a config var, taken by the next release
        r = self.cli('apps:settings', 'task_role=arn:aws:iam::1:role/x', '-a', 'hello')
        self.assertEqual((r.returncode, r.stderr), (1, "slipway apps:settings: task_role: 'arn:aws:iam::1:role/x' is "
                                                       "not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)\n"))
        r = self.cli('apps:settings', f'task_role={TASK_ROLE}', '-a', 'hello')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.api('/apps/hello/settings'), {'app': 'hello', 'task_role': TASK_ROLE})
        self.assertIn(f'Task role:    {TASK_ROLE}', self.cli('apps:info', '-a', 'hello').stdout)
        self.assertNotIn('task_role', self.cli('config', '-a', 'hello').stdout.lower())
        before = len(self.params('RegisterTaskDefinition'))

        # scale: two tasks (a Fargate size with it); a size the launch does not have is refused
        size = ['web=2:1024'] if fargate else ['web=2']
        r = self.cli('scale', *size, '-a', 'hello')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(ps.release('hello', 3)['status'], 'live')
        if fargate:
            self.assertEqual(ps.release('hello', 3)['formation']['web'], {
                'count': 2, 'memory': 1024, 'cpu': 256, 'scaled_count': True, 'scaled_memory': True,
                'scaled_cpu': False})
            r = self.cli('scale', 'web=1:300:512', '-a', 'hello')
            self.assertEqual(r.returncode, 1)
            self.assertIn('web: 512 CPU units take 1024-4096 MiB in 1024 steps, not 300', r.stderr)
            self.assertEqual(len(ps.releases('hello')), 3, 'nothing was made')
        # ps: both tasks, healthy by the load balancer (ip targets on Fargate)
        tasks = wait_for('2 healthy tasks', lambda: (lambda t: t if len(
            [x for x in t if x['status'] == 'RUNNING' and x['health'] == 'healthy'
             and x['health_from'] == 'load balancer']) == 2 else None)(self.api('/apps/hello/ps')['tasks']), timeout=60)
        self.assertTrue(all(t['release'] == 'v3' for t in tasks if t['status'] == 'RUNNING'), tasks)
        # the scale registered new task definitions (a new role: none reused), with the role
        roles = [td.get('taskRoleArn') for td in self.params('RegisterTaskDefinition')[before:]]
        self.assertTrue(roles)
        self.assertEqual(set(roles), {TASK_ROLE})

        # run: a one-off task of the live release, launched as its services are
        r = self.cli('run', '-a', 'hello', '--', 'sh', '-c', 'echo from-run; exit 3')
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn('from-run', r.stdout)

        # rollback to v1: its image and config, the router answers v1 again
        ps.commit(repo, 'v2')
        self.push_ok(repo, 'hello')
        self.assertEqual(self.get('hello.localhost'), (200, 'v2'))
        r = self.cli('rollback', 'v1', '-a', 'hello')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_for('v1 again', lambda: self.get('hello.localhost') == (200, 'v1'), timeout=60)

        # a review app: created by a branch, answering on its own host, destroyed with it
        ps.git('checkout', '-q', '-b', 'feature/x', cwd=repo)
        ps.commit(repo, 'review-v1')
        lines = self.push_ok(repo, 'hello', 'feature/x')
        self.assertTrue(any('review app hello-feature-x' in l for l in lines), lines)
        self.assertEqual(self.get('feature-x.hello.localhost'), (200, 'review-v1'))
        review_td = [td for td in self.params('RegisterTaskDefinition') if td['family'] == 'hello-feature-x-web']
        self.assertEqual(review_td[0].get('taskRoleArn'), TASK_ROLE, 'a review app runs as its app')
        r = ps.push(repo, 'hello', ':feature/x')
        self.assertEqual(r.returncode, 0, r.output)
        wait_for('the review app gone', lambda: self.get('feature-x.hello.localhost')[0] == 404, timeout=60)

        # doctor: the launch and its checks
        r = self.cli('doctor', '--json')
        checks = {c['check']: c for c in json.loads(r.stdout)['checks']}
        self.assertTrue(checks['launch']['detail'].startswith('fargate' if fargate else 'ec2'), checks['launch'])
        for name in ('cluster', 'capacity', 'listener', 'execution role', 'apps domain', 'lifecycle policy'):
            self.assertTrue(checks[name]['ok'], checks[name])
        self.assertIn("slipway-engine's, by its name", checks['listener']['detail'])

        # apps:destroy: everything the app had, both target group names looked at
        r = self.cli('apps:destroy', 'hello', '--confirm', 'hello', '--json')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        removed = json.loads(r.stdout)['removed']
        self.assertIn('target group sw-hello', removed)
        self.assertTrue(any(re.fullmatch(r'\d+ images', x) for x in removed), removed)
        self.assertEqual(self.get('hello.localhost')[0], 404)

        self.check_requests()
        self.v.assert_clean()

    # -- what the requests say of the mode ---------------------------------------------------
    def check_requests(self):
        fargate = self.MODE == 'fargate'
        tds = self.params('RegisterTaskDefinition')
        self.assertTrue(tds)
        for td in tds:
            if fargate:
                self.assertEqual((td['networkMode'], td['requiresCompatibilities']), ('awsvpc', ['FARGATE']), td)
                self.assertEqual(td['executionRoleArn'], EXECUTION_ROLE)
                self.assertIn((td['cpu'], td['memory']), [('256', '512'), ('256', '1024')])
                self.assertNotIn('memory', td['containerDefinitions'][0])
            else:
                self.assertEqual((td['networkMode'], td['requiresCompatibilities']), ('bridge', ['EC2']), td)
                self.assertNotIn('cpu', td)
        for tg in self.params('CreateTargetGroup', 'elbv2'):
            self.assertEqual(tg['TargetType'], 'ip' if fargate else 'instance', tg)
            self.assertEqual(tg['VpcId'], 'vpc-00000000000slipway')   # the listener's load balancer's
        launches = self.params('CreateService') + self.params('RunTask')
        # RunTask of `slipway run` and of the release phase, both launched as the services are
        started_by = {re.sub(r'/v\d+/', '/V/', r.get('startedBy', '')) for r in self.params('RunTask')}
        self.assertTrue({'slipway/V/release', 'slipway-run'} <= started_by, started_by)
        for req in launches:
            if fargate:
                self.assertEqual(req['capacityProviderStrategy'], [{'capacityProvider': 'FARGATE', 'weight': 1}])
                self.assertNotIn('launchType', req)
                self.assertEqual(req['networkConfiguration'], {'awsvpcConfiguration': {
                    'subnets': [ENGINE_SUBNET], 'securityGroups': [ENGINE_SECURITY_GROUP],
                    'assignPublicIp': 'DISABLED'}})
            else:
                self.assertEqual(req['launchType'], 'EC2', req)
                self.assertNotIn('networkConfiguration', req)
        for req in self.params('UpdateService'):
            self.assertNotIn('launchType', req)
            if 'taskDefinition' in req:   # not apps:destroy's scale to 0
                self.assertEqual('networkConfiguration' in req, fargate, req)
        # the listener came from the engine's load balancer, by name, never a first one
        for req in self.params('DescribeLoadBalancers', 'elbv2'):
            self.assertTrue(req.get('Names') == ['slipway'] or req.get('LoadBalancerArns'), req)
        # ECR: each push puts the lifecycle policy, each release tags its image to be kept
        self.assertTrue(self.params('PutLifecyclePolicy', 'ecr'))
        tags = {p['imageTag'] for p in self.params('PutImage', 'ecr')}
        self.assertTrue({'release-keep-01', 'release-keep-02', 'release-live'} <= tags, tags)
        self.assertTrue(all(re.fullmatch(r'release-(keep-\d\d|live)', t) for t in tags), tags)
