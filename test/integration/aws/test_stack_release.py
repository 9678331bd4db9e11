"""slipwayd on the bootstrap stack, against moto_server: `slipway aws:bootstrap` creates the
stack (scripts/aws/slipway.yml) in moto's CloudFormation and records it in slipwayd's
$SLIPWAY_HOME; slipwayd reads that record and the stack's outputs at start; a `git push`
then releases onto moto's ECS and ELBv2 with that stack's cluster, listener, VPC, subnets,
security group, execution role and Fargate launch. Every request, to moto and to the
engine's ECR, goes through the validating proxy (swvalidate.py): zero violations.

And the refusals, each one line with nothing half made: a stack CloudFormation rolled back,
and AWS without a stack or a listener or a cluster (slipwayd does not start), Fargate without subnets, a listener in another VPC than the
stack's (and than SLIPWAY_VPC_ID), a listener of another load balancer than the stack's, an ELBv2 quota reached on CreateRule (the target group
made for the rule is deleted again).

What moto cannot show, and how it is dealt with:
- moto runs no tasks: the pushes here end at the deploy deadline (SLIPWAY_DEPLOY_DEADLINE
  10s, rolled back); the test checks the requests, not a verdict (the flows go live on the
  engine: test/integration/releaser/test_flows_*.py);
- moto's CloudFormation does not make AWS::ECS::ClusterCapacityProviderAssociations: the
  test associates FARGATE / FARGATE_SPOT with the stack's cluster as the template says,
  with ECS's own PutClusterCapacityProviders, before slipwayd starts;
- moto's ECR is not a registry: builds push to the engine's ECR (AWS_ENDPOINT_URL_ECR),
  which takes moto's keys (SLIPWAY_ENGINE_ACCESS_KEY_ID);
- ELBv2's quota errors: neither moto nor the engine has ALB quotas, so a small stand-in
  (a validating proxy that answers CreateRule with ELBv2's TooManyRules) plays the one
  error, everything else going to moto;
- a stack in ROLLBACK_COMPLETE: moto leaves a failed stack half made, so CloudFormation's
  answer is played by a stand-in answering DescribeStacks in its documented XML.
"""
import json
import os
import shutil
import subprocess
import unittest
import urllib.parse

import swstack
from swaws import Server, binary
from swengine import Engine
from swmoto import ACCOUNT, REGION, Moto
from swvalidate import Validator

APP_DOCKERFILE = 'FROM slipway/busybox:latest\nRUN mkdir -p /www && echo %s > /www/index.html\n'
NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/'


class Quota(Validator):
    """The validating proxy, but CreateRule is answered with ELBv2's TooManyRules."""

    def _forward(self, method, path, headers, body):
        form = dict(urllib.parse.parse_qsl(body.decode(errors='replace')))
        if form.get('Action') == 'CreateRule':
            return 400, 'Bad Request', [('Content-Type', 'text/xml')], (
                '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error>'
                '<Type>Sender</Type><Code>TooManyRules</Code><Message>You\'ve reached the limit on the number of '
                'rules per load balancer</Message></Error><RequestId>r-1</RequestId></ErrorResponse>').encode()
        return super()._forward(method, path, headers, body)


def rolled_back_stack(method, path, headers, body):
    """CloudFormation's DescribeStacks of a stack whose creation failed and was rolled back."""
    return 200, {'Content-Type': 'text/xml'}, (
        f'<DescribeStacksResponse xmlns="{NS}"><DescribeStacksResult><Stacks><member>'
        f'<StackId>arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/shop/1</StackId><StackName>shop</StackName>'
        '<CreationTime>2026-01-01T00:00:00.000Z</CreationTime><StackStatus>ROLLBACK_COMPLETE</StackStatus>'
        '<StackStatusReason>The following resource(s) failed to create: [HttpsListener].</StackStatusReason>'
        '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>'
        '</DescribeStacksResponse>')


class NoPassRole(Validator):
    """The validating proxy, but RegisterTaskDefinition is refused as IAM refuses a role
    slipwayd's identity may not pass."""

    def _forward(self, method, path, headers, body):
        target = next((v for k, v in headers if k.lower() == 'x-amz-target'), '')
        if target.endswith('.RegisterTaskDefinition'):
            role = json.loads(body)['executionRoleArn']
            return 400, 'Bad Request', [('Content-Type', 'application/x-amz-json-1.1')], json.dumps({
                '__type': 'AccessDeniedException',
                'message': f'User: arn:aws:iam::{ACCOUNT}:user/slipwayd is not authorized to perform: iam:PassRole on '
                           f'resource: {role} because no identity-based policy allows the iam:PassRole action'}).encode()
        return super()._forward(method, path, headers, body)


class OnMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()
        cls.eng = Engine(env={'SLIPWAY_ENGINE_ACCESS_KEY_ID': 'testing',
                              'SLIPWAY_ENGINE_SECRET_ACCESS_KEY': 'testing'})
        cls.vm = Validator(cls.moto.endpoint)    # AWS: moto
        cls.ve = Validator(cls.eng.endpoint)     # ECR: the engine's
        cls.home = swstack.temp_dir('slipwayd-moto-')
        cls.work = swstack.temp_dir('work-moto-')
        # the operator's bootstrap, recorded in slipwayd's SLIPWAY_HOME
        env = dict(cls.moto.env(), HOME=cls.work, SLIPWAY_HOME=cls.home, AWS_ENDPOINT_URL=cls.vm.url,
                   SLIPWAY_AWS_POLL_INTERVAL='0.05', AWS_EC2_METADATA_DISABLED='true')
        r = subprocess.run([binary('slipway'), 'aws:bootstrap', '--json'], env=env, cwd=cls.work, capture_output=True,
                           text=True, timeout=300)
        if r.returncode:
            raise AssertionError(f'aws:bootstrap: {r.stderr}')
        cls.out = json.loads(r.stdout)['outputs']
        # what the template's ClusterCapacityProviderAssociations makes on AWS (moto skips it)
        cls.moto.client('ecs').put_cluster_capacity_providers(
            cluster=cls.out['Cluster'], capacityProviders=['FARGATE', 'FARGATE_SPOT'],
            defaultCapacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}])
        cls.sd = None

    @classmethod
    def tearDownClass(cls):
        if cls.sd:
            cls.sd.stop()
        cls.vm.close()
        cls.ve.close()
        cls.eng.stop()
        cls.moto.stop()
        for d in (cls.home, cls.work):
            shutil.rmtree(d, ignore_errors=True)

    def setUp(self):
        self.vm.clear()
        self.ve.clear()

    def tearDown(self):
        self.vm.assert_clean()
        self.ve.assert_clean()

    # -- slipwayd on moto --------------------------------------------------------------------
    def slipwayd(self, aws=None, **settings):
        """(Re)start slipwayd on moto (through aws, a proxy: default the validator) with settings."""
        if self.sd:
            self.sd.stop()
        env = dict(self.moto.env(), AWS_ENDPOINT_URL=(aws or self.vm).url, AWS_ENDPOINT_URL_ECR=self.ve.url,
                   SLIPWAY_DEPLOY_DEADLINE='10', SLIPWAY_STALL_SECONDS='5', SLIPWAY_HEALTH_INTERVAL='5',
                   AWS_EC2_METADATA_DISABLED='true')
        env.update(settings)
        type(self).sd = swstack.Slipwayd(self.home, swstack.free_port(), self.eng.registry_port, env)
        self.st = swstack.Stack()
        self.st.workdir = self.work
        self.st.slipwayd = self.sd
        self.st.token = self.sd.admin_token()
        self.sd.start()

    def push(self, app, version):
        repo = self.st.make_repo(app, APP_DOCKERFILE % version)
        return self.st.push(repo, app)

    def push_through(self, proxy_class, app):
        """Push app v1 with slipwayd talking to moto through a proxy_class (a Validator
        that answers some calls itself): the push's result and the proxy's operations."""
        proxy = proxy_class(self.moto.endpoint)
        try:
            self.slipwayd(aws=proxy)
            r = self.push(app, 'v1')
            ops = proxy.operations()
            proxy.assert_clean()
        finally:
            proxy.close()
        return r, ops

    def calls(self, service, op):
        return [c.params for c in self.vm.calls(service, op)]

    def cli(self, *args):
        env = dict(os.environ, SLIPWAY_URL=self.sd.url, SLIPWAY_TOKEN=self.st.token)
        return subprocess.run([binary('slipway'), *args], env=env, capture_output=True, text=True, timeout=120)

    # -- the release on the stack -------------------------------------------------------------
    def test_1_a_release_uses_the_stack(self):
        out = self.out
        self.slipwayd()
        self.assertIn(f'releaser on: ECS cluster {out["Cluster"]} (stack slipway)', self.sd.log_text())
        r = self.push('hello', 'v1')
        self.assertNotEqual(r.returncode, 0, 'moto runs no tasks: the deadline passes')

        td = self.calls('ecs', 'RegisterTaskDefinition')[0]
        self.assertEqual((td['networkMode'], td['requiresCompatibilities'], td['cpu'], td['memory']),
                         ('awsvpc', ['FARGATE'], '256', '512'))
        self.assertEqual(td['executionRoleArn'], out['ExecutionRoleArn'])
        tg = self.calls('elbv2', 'CreateTargetGroup')[0]
        self.assertEqual((tg['VpcId'], tg['TargetType'], tg['Name']), (out['VpcId'], 'ip', 'sw-hello'))
        self.assertEqual(self.calls('elbv2', 'CreateRule')[0]['ListenerArn'], out['ListenerArn'])
        svc = self.calls('ecs', 'CreateService')[0]
        self.assertEqual(svc['cluster'], out['Cluster'])
        self.assertEqual(svc['capacityProviderStrategy'], [{'capacityProvider': 'FARGATE', 'weight': 1}])
        self.assertEqual(svc['networkConfiguration'], {'awsvpcConfiguration': {
            'subnets': out['Subnets'].split(','), 'securityGroups': [out['TaskSecurityGroup']],
            'assignPublicIp': out['AssignPublicIp']}})
        self.assertNotIn('launchType', svc)
        # the listener's load balancer by ARN: its VPC; no load balancer is looked for
        self.assertEqual([d.get('LoadBalancerArns') for d in self.calls('elbv2', 'DescribeLoadBalancers')],
                         [[out['LoadBalancerArn']]])
        self.assertIn('ecr:PutLifecyclePolicy', self.ve.operations())

        # doctor: the stack's settings check out, but for the domain nothing points at yet
        r = self.cli('doctor', '--json')
        checks = {c['check']: c for c in json.loads(r.stdout)['checks']}
        for name in ('stack', 'cluster', 'launch', 'capacity', 'network', 'listener', 'execution role',
                     'lifecycle policy'):
            self.assertTrue(checks[name]['ok'], checks[name])
        self.assertIn("the stack's ExecutionRole", checks['execution role']['detail'])
        self.assertEqual(checks['load balancer role'], {'check': 'load balancer role', 'ok': True,
                                                        'detail': f'{out["LoadBalancerRoleArn"]} (stack slipway)'})
        self.assertIn(f'HTTP listener of application load balancer {out["LoadBalancerArn"]} in {out["VpcId"]} '
                      '(stack slipway)', checks['listener']['detail'])
        self.assertFalse(checks['apps domain']['ok'])
        self.assertEqual(checks['apps domain']['fix'], f'make *.{out["AppsDomain"]} a CNAME of the load balancer, '
                         f'{out["LoadBalancerDns"]} (docs/aws.md, step 4)')

    # -- refusals -------------------------------------------------------------------------------
    def test_2_a_rolled_back_stack_or_no_listener_refuses_the_start(self):
        cfn = Server(rolled_back_stack)
        try:
            env = dict(self.moto.env(), AWS_ENDPOINT_URL=cfn.url, SLIPWAY_STACK='shop',
                       SLIPWAY_HOME=swstack.temp_dir('slipwayd-shop-'), SLIPWAY_PORT=str(swstack.free_port()))
            p = subprocess.run([binary('slipwayd')], env=env, capture_output=True, text=True, timeout=60)
        finally:
            cfn.close()
        self.assertEqual(p.returncode, 1)
        lines = [l for l in p.stderr.splitlines() if l.startswith('slipwayd: ')]
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith('slipwayd: releaser: SLIPWAY_STACK: '), lines[0])
        self.assertIn('ROLLBACK_COMPLETE', lines[0])
        self.assertIn('delete-stack --stack-name shop', lines[0])

        # on AWS itself (no endpoint set), without a stack or a listener: nothing is guessed
        env = dict(self.moto.env(), SLIPWAY_STACK='none', SLIPWAY_HOME=swstack.temp_dir('slipwayd-aws-'),
                   SLIPWAY_PORT=str(swstack.free_port()))
        p = subprocess.run([binary('slipwayd')], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertEqual([l for l in p.stderr.splitlines() if l.startswith('slipwayd: ')], [
            'slipwayd: releaser: no listener for the apps: set SLIPWAY_STACK (slipway aws:bootstrap makes one) or '
            'SLIPWAY_LISTENER_ARN (or SLIPWAY_LOAD_BALANCER=none)'])
        # ... nor a cluster: "default" is the engine's
        env = dict(env, SLIPWAY_LISTENER_ARN=self.out['ListenerArn'], SLIPWAY_HOME=swstack.temp_dir('slipwayd-aws-'))
        p = subprocess.run([binary('slipwayd')], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertEqual([l for l in p.stderr.splitlines() if l.startswith('slipwayd: ')], [
            'slipwayd: releaser: no ECS cluster for the apps: set SLIPWAY_STACK (slipway aws:bootstrap makes one) or '
            'SLIPWAY_CLUSTER'])

    def test_3_fargate_without_subnets(self):
        self.slipwayd(SLIPWAY_STACK='none', SLIPWAY_LAUNCH='fargate', SLIPWAY_CLUSTER=self.out['Cluster'],
                      SLIPWAY_LISTENER_ARN=self.out['ListenerArn'],
                      SLIPWAY_EXECUTION_ROLE_ARN=self.out['ExecutionRoleArn'])
        r = self.push('nosubnets', 'v1')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('remote:  !     fargate tasks need subnets: set SLIPWAY_SUBNETS (and SLIPWAY_SECURITY_GROUPS), '
                      'or SLIPWAY_STACK', r.output)
        ops = self.vm.operations()
        for op in ('ecs:RegisterTaskDefinition', 'elbv2:CreateTargetGroup', 'ecs:CreateService'):
            self.assertNotIn(op, ops)

    def other_listener(self, name, subnets):
        """(ARN, listener ARN) of a new load balancer on subnets, not the stack's."""
        elb = self.moto.client('elbv2')
        lb = elb.create_load_balancer(Name=name, Subnets=subnets)['LoadBalancers'][0]['LoadBalancerArn']
        return lb, elb.create_listener(LoadBalancerArn=lb, Protocol='HTTP', Port=80, DefaultActions=[
            {'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404'}}])['Listeners'][0]['ListenerArn']

    def test_4_a_listener_in_another_vpc(self):
        ec2 = self.moto.client('ec2')
        vpc = ec2.create_vpc(CidrBlock='10.9.0.0/16')['Vpc']['VpcId']
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.9.{i}.0/24', AvailabilityZone=f'{REGION}{z}')
                   ['Subnet']['SubnetId'] for i, z in ((1, 'a'), (2, 'b'))]
        _, listener = self.other_listener('other', subnets)
        self.slipwayd(SLIPWAY_LISTENER_ARN=listener)
        r = self.push('othervpc', 'v1')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"remote:  !     load balancer: the VpcId of stack slipway {self.out['VpcId']} is not the VPC of "
                      f"the listener's load balancer ({vpc}): target groups go in {vpc}", r.output)
        self.assertNotIn('elbv2:CreateTargetGroup', self.vm.operations())
        # the same said of SLIPWAY_VPC_ID, by doctor
        self.slipwayd(SLIPWAY_LISTENER_ARN=listener, SLIPWAY_VPC_ID=self.out['VpcId'])
        checks = {c['check']: c for c in json.loads(self.cli('doctor', '--json').stdout)['checks']}
        self.assertFalse(checks['listener']['ok'])
        self.assertTrue(checks['listener']['detail'].startswith(
            f"SLIPWAY_VPC_ID {self.out['VpcId']} is not the VPC of the listener's load balancer ({vpc})"),
            checks['listener'])

    def test_4b_a_listener_of_another_load_balancer_in_the_stacks_vpc(self):
        lb, listener = self.other_listener('other-in-vpc', self.out['Subnets'].split(','))
        self.slipwayd(SLIPWAY_LISTENER_ARN=listener)
        r = self.push('otherlb', 'v1')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"remote:  !     load balancer: listener {listener} (SLIPWAY_LISTENER_ARN) is of load balancer "
                      f"{lb}, not stack slipway's {self.out['LoadBalancerArn']}, the only one the tasks' security "
                      f"group admits", r.output)
        for op in ('elbv2:CreateTargetGroup', 'elbv2:CreateRule', 'ecs:CreateService'):
            self.assertNotIn(op, self.vm.operations())

    def test_5_a_quota_reached(self):
        r, ops = self.push_through(Quota, 'quota')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('remote:  !     load balancer: the listener has reached its quota of rules (100 per Application '
                      'Load Balancer unless raised; ELBv2 TooManyRules)', r.output)
        # nothing half made: the target group made for the rule is gone, no service
        self.assertLess(ops.index('elbv2:CreateTargetGroup'), ops.index('elbv2:CreateRule'))
        self.assertGreater(ops.index('elbv2:DeleteTargetGroup'), ops.index('elbv2:CreateRule'))
        self.assertNotIn('ecs:CreateService', ops)
        names = [t['TargetGroupName'] for t in self.moto.client('elbv2').describe_target_groups()['TargetGroups']]
        self.assertNotIn('sw-quota', names)


    # -- the role ECS shifts traffic with -------------------------------------------------------
    def test_6_a_shifting_strategy_uses_the_stacks_role(self):
        out = self.out
        self.slipwayd()
        repo = self.st.make_repo('shift', '# slipway: strategy=blue-green\n' + APP_DOCKERFILE % 'v1')
        r = self.st.push(repo, 'shift')
        self.assertIn('ecs:CreateService', self.vm.operations(), r.output)
        alt = self.calls('elbv2', 'CreateTargetGroup')
        self.assertEqual([(t['Name'], t['VpcId']) for t in alt],
                         [('sw-shift', out['VpcId']), ('sw-2-shift', out['VpcId'])])
        svc = self.calls('ecs', 'CreateService')[0]
        self.assertEqual(svc['deploymentConfiguration']['strategy'], 'BLUE_GREEN')
        self.assertEqual(svc['loadBalancers'][0]['advancedConfiguration']['roleArn'], out['LoadBalancerRoleArn'])

    def test_7_a_shifting_strategy_without_a_role_on_a_given_listener(self):
        out = self.out
        self.slipwayd(SLIPWAY_STACK='none', SLIPWAY_CLUSTER=out['Cluster'], SLIPWAY_LISTENER_ARN=out['ListenerArn'],
                      SLIPWAY_SUBNETS=out['Subnets'], SLIPWAY_SECURITY_GROUPS=out['TaskSecurityGroup'],
                      SLIPWAY_EXECUTION_ROLE_ARN=out['ExecutionRoleArn'])
        repo = self.st.make_repo('norole', '# slipway: strategy=canary\n' + APP_DOCKERFILE % 'v1')
        r = self.st.push(repo, 'norole')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('remote:  !     web: a canary strategy needs the role ECS shifts traffic with: set SLIPWAY_LB_ROLE_ARN '
                      '(an ECS infrastructure role for load balancers) or SLIPWAY_STACK (slipway aws:bootstrap makes '
                      'one), or go back to rolling (slipway deploy:settings strategy=rolling)', r.output)
        for op in ('ecs:RegisterTaskDefinition', 'elbv2:CreateTargetGroup', 'elbv2:CreateRule', 'ecs:CreateService'):
            self.assertNotIn(op, self.vm.operations())
        # doctor says so; a role of another account is a failure
        checks = {c['check']: c for c in json.loads(self.cli('doctor', '--json').stdout)['checks']}
        self.assertTrue(checks['load balancer role']['ok'])
        self.assertTrue(checks['load balancer role']['detail'].startswith('none: releases of apps with a blue-green'))
        self.slipwayd(SLIPWAY_LB_ROLE_ARN='arn:aws:iam::210987654321:role/ecsInfrastructureRoleForLoadBalancers')
        checks = {c['check']: c for c in json.loads(self.cli('doctor', '--json').stdout)['checks']}
        self.assertFalse(checks['load balancer role']['ok'])
        self.assertIn(f'(SLIPWAY_LB_ROLE_ARN) is of account 210987654321, the cluster of {ACCOUNT}',
                      checks['load balancer role']['detail'])

    def test_8_a_role_slipwayd_may_not_pass(self):
        r, ops = self.push_through(NoPassRole, 'nopass')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"remote:  !     web: slipwayd may not pass the role {self.out['ExecutionRoleArn']} to ECS "
                      "(iam:PassRole): allow iam:PassRole on it in slipwayd's policy (docs/aws.md)", r.output)
        for op in ('elbv2:CreateTargetGroup', 'elbv2:CreateRule', 'ecs:CreateService'):
            self.assertNotIn(op, ops)


if __name__ == '__main__':
    unittest.main()
