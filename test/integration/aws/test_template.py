"""scripts/aws/slipway.yml, the CloudFormation template for the AWS side: cfn-lint finds
nothing; its parameters refuse what CloudFormation would refuse; and moto_server (moto's
CloudFormation, through the AWS CLI) creates it, in both shapes (public subnets and HTTP
only; private subnets behind a NAT gateway, HTTPS with a certificate, a domain and EC2
capacity), with outputs that fit together: the subnets and the listener's load balancer
in the VPC output, the execution role and slipwayd's policy in IAM, the policy's resources
the stack's own (a target group, a rule, a task definition and a service made in moto the
way slipwayd makes them fall under it).

What moto cannot model is checked on the template itself, not bent for moto:
- AWS::ECS::ClusterCapacityProviderAssociations and AWS::ECS::CapacityProvider (moto skips
  both with a warning: its cluster has no capacity providers);
- a security group's SecurityGroupEgress (moto keeps the default allow-all egress);
- a subnet's MapPublicIpOnLaunch, and which subnets a route table is associated with
  (moto shows no associations): the routes are checked per VPC, the rest on the template;
- deleting the stack (moto refuses: "The vpc ... has dependencies and cannot be deleted",
  and forgets the stack);
- AllowedPattern / AllowedValues (moto takes any value);
- rollback: a resource that fails makes moto answer CreateStack with the error and leave
  the stack CREATE_IN_PROGRESS, where CloudFormation marks the resource CREATE_FAILED and
  rolls the stack back to ROLLBACK_COMPLETE;
- a role's ManagedPolicyArns (moto attaches nothing);
- CAPABILITY_IAM (moto creates IAM resources without it).
"""
import base64
import fnmatch
import json
import os
import re
import subprocess
import unittest

import boto3
from cfnlint.decode import cfn_yaml

from swmoto import ACCOUNT, REGION, Moto
from swvalidate import Validator

ROOT = os.environ.get('SW_ROOT') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
TEMPLATE = os.path.join(ROOT, 'scripts', 'aws', 'slipway.yml')
OUTPUTS = ['Cluster', 'ListenerArn', 'HttpListenerArn', 'LoadBalancerArn', 'LoadBalancerDns', 'VpcId',
           'Subnets', 'AssignPublicIp', 'TaskSecurityGroup', 'ExecutionRoleArn', 'LoadBalancerRoleArn', 'AppsDomain',
           'SlipwaydPolicyArn']
ECS_AMI = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id'


def cfn_lint(*args):
    return subprocess.run(['cfn-lint', *args, '--', TEMPLATE], capture_output=True, text=True, timeout=300)


class Template(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = cfn_yaml.load(TEMPLATE)

    def test_cfn_lint_is_clean(self):
        for params in ([], ['--parameters', 'PrivateSubnets=true', 'Ec2Count=2', 'Domain=apps.example.com',
                            f'CertificateArn=arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0']):
            r = cfn_lint('--include-checks', 'I', *params)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ''), f'cfn-lint {params}')

    def test_cfn_lint_sees_a_bad_certificate(self):
        r = cfn_lint('--parameters', 'CertificateArn=not-an-arn')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('not-an-arn', r.stdout)

    def test_parameters_refuse_what_cloudformation_refuses(self):
        """CloudFormation matches AllowedPattern against the whole value and checks
        AllowedValues and MaxLength before it creates anything."""
        params = self.t['Parameters']

        def accepts(name, value):
            p = params[name]
            if 'AllowedValues' in p and value not in p['AllowedValues']:
                return False
            if 'MaxLength' in p and len(value) > int(p['MaxLength']):
                return False
            return 'AllowedPattern' not in p or re.fullmatch(p['AllowedPattern'], value) is not None

        good = {
            'Domain': ['', 'apps.example.com', 'x.y', 'a-1.b-2.example'],
            'CertificateArn': ['', f'arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
                               f'arn:aws-us-gov:acm:us-gov-west-1:{ACCOUNT}:certificate/abc-123'],
            'PrivateSubnets': ['true', 'false'],
            'Ec2Count': ['0', '1', '2', '99'],
            'Ec2InstanceType': ['t3.small', 'm7g.large', 'c6in.2xlarge'],
        }
        bad = {
            'Domain': ['Apps.Example.com', '-apps.example.com', 'apps..example.com', 'apps.example.com.',
                       'a' * 64 + '.com', 'x' * 250 + '.com', 'apps_example.com', 'localhost'],
            'CertificateArn': ['not-an-arn', f'arn:aws:iam::{ACCOUNT}:server-certificate/x',
                               f'arn:aws:acm:{REGION}:1234:certificate/abc', f'arn:aws:acm:{REGION}:{ACCOUNT}:certificate/'],
            'PrivateSubnets': ['maybe', 'True', 'yes', ''],
            'Ec2Count': ['100', '-1', '01', 'two', ''],
            'Ec2InstanceType': ['t3', 'T3.small', '', 't3.small '],
        }
        for name, values in good.items():
            for v in values:
                self.assertTrue(accepts(name, v), f'{name}={v!r} should be accepted')
        for name, values in bad.items():
            for v in values:
                self.assertFalse(accepts(name, v), f'{name}={v!r} should be refused')

    def test_capacity_providers(self):
        """(moto skips these resources) Fargate and Fargate Spot always; the EC2 provider,
        and as the default strategy, only with Ec2Count."""
        r = self.t['Resources']
        assoc = r['ClusterCapacityProviders']['Properties']
        self.assertEqual(assoc['Cluster'], {'Ref': 'Cluster'})
        self.assertEqual(assoc['CapacityProviders'][:2], ['FARGATE', 'FARGATE_SPOT'])
        self.assertEqual(assoc['CapacityProviders'][2],
                         {'Fn::If': ['HasEc2', {'Ref': 'Ec2CapacityProvider'}, {'Ref': 'AWS::NoValue'}]})
        self.assertEqual(assoc['DefaultCapacityProviderStrategy'], {'Fn::If': [
            'HasEc2', [{'CapacityProvider': {'Ref': 'Ec2CapacityProvider'}, 'Weight': 1}],
            [{'CapacityProvider': 'FARGATE', 'Weight': 1}]]})
        self.assertEqual(self.t['Conditions']['HasEc2'], {'Fn::Not': [{'Fn::Equals': [{'Ref': 'Ec2Count'}, '0']}]})
        cp = r['Ec2CapacityProvider']
        self.assertEqual(cp['Condition'], 'HasEc2')
        asg = cp['Properties']['AutoScalingGroupProvider']
        self.assertEqual(asg['AutoScalingGroupArn'], {'Ref': 'Ec2AutoScalingGroup'})
        self.assertEqual(asg['ManagedScaling']['Status'], 'ENABLED')
        for name in ('Ec2InstanceRole', 'Ec2InstanceProfile', 'Ec2LaunchTemplate', 'Ec2AutoScalingGroup'):
            self.assertEqual(r[name]['Condition'], 'HasEc2', name)

    def test_subnets_and_routes(self):
        """(moto ignores MapPublicIpOnLaunch and shows no associations) Public subnets give
        public addresses and route to the internet gateway; private ones route to the NAT."""
        r = self.t['Resources']
        for name, public in (('PublicSubnet1', True), ('PublicSubnet2', True), ('PrivateSubnet1', False),
                             ('PrivateSubnet2', False)):
            self.assertIs(r[name]['Properties']['MapPublicIpOnLaunch'], public, name)
            table = [v['Properties']['RouteTableId'] for v in r.values()
                     if v['Type'] == 'AWS::EC2::SubnetRouteTableAssociation' and v['Properties']['SubnetId'] == {'Ref': name}]
            self.assertEqual(table, [{'Ref': 'PublicRouteTable' if public else 'PrivateRouteTable'}], name)
        self.assertEqual(r['PublicDefaultRoute']['Properties']['GatewayId'], {'Ref': 'InternetGateway'})
        self.assertEqual(r['PrivateDefaultRoute']['Properties']['NatGatewayId'], {'Ref': 'NatGateway'})
        self.assertEqual(r['NatGateway']['Properties']['SubnetId'], {'Ref': 'PublicSubnet1'})
        self.assertEqual(r['LoadBalancer']['Properties']['Subnets'], [{'Ref': 'PublicSubnet1'}, {'Ref': 'PublicSubnet2'}])

    def test_managed_policies(self):
        """(moto attaches no ManagedPolicyArns) The execution role gets ECS's execution
        policy (ECR pulls, awslogs), the instances' role the ECS agent's, the load balancer
        role ECS's infrastructure policy for load balancers (not under service-role/)."""
        r = self.t['Resources']
        arn = lambda name: {'Fn::Sub': f'arn:${{AWS::Partition}}:iam::aws:policy/service-role/{name}'}
        self.assertEqual(r['ExecutionRole']['Properties']['ManagedPolicyArns'], [arn('AmazonECSTaskExecutionRolePolicy')])
        self.assertEqual(r['Ec2InstanceRole']['Properties']['ManagedPolicyArns'], [arn('AmazonEC2ContainerServiceforEC2Role')])
        self.assertEqual(r['LoadBalancerRole']['Properties']['ManagedPolicyArns'], [
            {'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers'}])

    def test_security_group_descriptions(self):
        """EC2 takes only these characters in group and rule descriptions (neither moto nor
        cfn-lint checks): a-z A-Z 0-9 . _ - : / ( ) # , @ [ ] + = & ; { } ! $ * and space."""
        ok = re.compile(r'[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}')
        seen = 0
        for name, r in self.t['Resources'].items():
            p = r.get('Properties', {})
            texts = []
            if r['Type'] == 'AWS::EC2::SecurityGroup':
                texts.append(p['GroupDescription'])
                texts += [x['Description'] for k in ('SecurityGroupIngress', 'SecurityGroupEgress') for x in p.get(k, [])]
            elif r['Type'] in ('AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress'):
                texts.append(p['Description'])
            for text in texts:
                seen += 1
                self.assertTrue(ok.fullmatch(text), f'{name}: {text!r}')
        self.assertGreaterEqual(seen, 7)

    def test_load_balancer_reaches_only_the_tasks(self):
        """(moto ignores SecurityGroupEgress) The load balancer's only way out is to the
        tasks' group; the tasks' only way in is from the load balancer's."""
        r = self.t['Resources']
        egress = r['LoadBalancerSecurityGroup']['Properties']['SecurityGroupEgress']
        self.assertEqual([e['DestinationSecurityGroupId'] for e in egress],
                         [{'Fn::GetAtt': ['TaskSecurityGroup', 'GroupId']}])
        self.assertNotIn('SecurityGroupIngress', r['TaskSecurityGroup']['Properties'])
        into_tasks = [v['Properties'] for v in r.values() if v['Type'] == 'AWS::EC2::SecurityGroupIngress'
                      and v['Properties']['GroupId'] == {'Fn::GetAtt': ['TaskSecurityGroup', 'GroupId']}]
        self.assertEqual([p['SourceSecurityGroupId'] for p in into_tasks],
                         [{'Fn::GetAtt': ['LoadBalancerSecurityGroup', 'GroupId']}])


class OnMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()
        try:
            cls.cert = cls.moto.aws('acm', 'request-certificate', '--domain-name', '*.apps.example.com',
                                    '--validation-method', 'DNS')['CertificateArn']
            cls.public = cls.create('slipway')
            cls.private = cls.create('slipway-private', PrivateSubnets='true', Domain='apps.example.com',
                                     CertificateArn=cls.cert, Ec2Count='2', Ec2InstanceType='t3.medium')
        except BaseException:
            print('---- moto log (tail) ----\n' + cls.moto.log())
            cls.moto.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    @classmethod
    def create(cls, name, **params):
        """create-stack through the AWS CLI, wait for CREATE_COMPLETE; the outputs."""
        args = ['cloudformation', 'create-stack', '--stack-name', name, '--template-body', f'file://{TEMPLATE}',
                '--capabilities', 'CAPABILITY_IAM']
        if params:
            args += ['--parameters'] + [f'ParameterKey={k},ParameterValue={v}' for k, v in params.items()]
        cls.moto.aws(*args)
        cls.moto.aws('cloudformation', 'wait', 'stack-create-complete', '--stack-name', name)
        stack = cls.moto.aws('cloudformation', 'describe-stacks', '--stack-name', name)['Stacks'][0]
        assert stack['StackStatus'] == 'CREATE_COMPLETE', stack
        return {o['OutputKey']: o['OutputValue'] for o in stack['Outputs']}

    def client(self, service):
        return self.moto.client(service)

    def check_network(self, out, public):
        ec2, elb = self.client('ec2'), self.client('elbv2')
        vpc = out['VpcId']
        subnets = ec2.describe_subnets(SubnetIds=out['Subnets'].split(','))['Subnets']
        self.assertEqual(len(subnets), 2)
        self.assertEqual({s['VpcId'] for s in subnets}, {vpc}, 'the Subnets output is in the VpcId output')
        self.assertEqual(len({s['AvailabilityZone'] for s in subnets}), 2, 'two Availability Zones')
        self.assertEqual(out['AssignPublicIp'], 'ENABLED' if public else 'DISABLED')
        tables = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['RouteTables']
        ways_out = sorted('igw' if r.get('GatewayId', '').startswith('igw-') else 'nat' if r.get('NatGatewayId') else '?'
                          for t in tables for r in t['Routes'] if r.get('DestinationCidrBlock') == '0.0.0.0/0')
        self.assertEqual(ways_out, ['igw'] if public else ['igw', 'nat'])

        listener = elb.describe_listeners(ListenerArns=[out['ListenerArn']])['Listeners'][0]
        lb = elb.describe_load_balancers(LoadBalancerArns=[listener['LoadBalancerArn']])['LoadBalancers'][0]
        self.assertEqual(lb['LoadBalancerArn'], out['LoadBalancerArn'])
        self.assertEqual(lb['VpcId'], vpc, 'the listener\'s load balancer is in the VpcId output')
        self.assertEqual((lb['Scheme'], lb['Type']), ('internet-facing', 'application'))
        self.assertEqual(lb['DNSName'], out['LoadBalancerDns'])
        lb_subnets = {z['SubnetId'] for z in lb['AvailabilityZones']}
        self.assertEqual(len(lb_subnets), 2)
        self.assertEqual(lb_subnets == set(out['Subnets'].split(',')), public, 'the tasks share the public subnets')

        groups = {g['GroupId']: g for g in ec2.describe_security_groups(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['SecurityGroups']}
        tasks = groups[out['TaskSecurityGroup']]
        self.assertEqual(len(lb['SecurityGroups']), 1)
        lb_sg = groups[lb['SecurityGroups'][0]]
        sources = [(p['FromPort'], p['ToPort'], [g['GroupId'] for g in p['UserIdGroupPairs']], p['IpRanges'])
                   for p in tasks['IpPermissions']]
        self.assertEqual(sources, [(0, 65535, [lb_sg['GroupId']], [])], 'tasks: in from the load balancer only')
        world = sorted(p['FromPort'] for p in lb_sg['IpPermissions'] if any(r['CidrIp'] == '0.0.0.0/0' for r in p['IpRanges']))
        self.assertEqual(world, [80] if public else [80, 443])
        return listener, lb

    def check_iam(self, out):
        iam, ecs = self.client('iam'), self.client('ecs')
        cluster = ecs.describe_clusters(clusters=[out['Cluster']])['clusters'][0]
        self.assertEqual(cluster['status'], 'ACTIVE')
        role_name = out['ExecutionRoleArn'].split('/')[-1]
        role = iam.get_role(RoleName=role_name)['Role']
        self.assertEqual(role['Arn'], out['ExecutionRoleArn'])
        principals = [s['Principal']['Service'] for s in role['AssumeRolePolicyDocument']['Statement']]
        self.assertEqual(principals, ['ecs-tasks.amazonaws.com'])
        # the role ECS shifts traffic with (blue/green, linear, canary): ECS itself assumes it
        lb_role = iam.get_role(RoleName=out['LoadBalancerRoleArn'].split('/')[-1])['Role']
        self.assertEqual(lb_role['Arn'], out['LoadBalancerRoleArn'])
        self.assertEqual([s['Principal']['Service'] for s in lb_role['AssumeRolePolicyDocument']['Statement']],
                         ['ecs.amazonaws.com'])

        policy = iam.get_policy(PolicyArn=out['SlipwaydPolicyArn'])['Policy']
        doc = iam.get_policy_version(PolicyArn=policy['Arn'], VersionId=policy['DefaultVersionId'])['PolicyVersion']['Document']
        self.assertLess(len(re.sub(r'\s', '', json.dumps(doc))), 6144, 'IAM\'s managed policy size limit')
        st = {s['Sid']: s for s in doc['Statement']}
        self.assertEqual(st['EcsCluster']['Resource'], cluster['clusterArn'])
        self.assertEqual(st['EcsListTasks']['Condition'], {'ArnEquals': {'ecs:cluster': cluster['clusterArn']}})
        self.assertEqual(st['PassExecutionRole']['Resource'], out['ExecutionRoleArn'])
        self.assertEqual(st['PassLoadBalancerRole']['Resource'], out['LoadBalancerRoleArn'])
        self.assertEqual(st['PassLoadBalancerRole']['Condition'],
                         {'StringEquals': {'iam:PassedToService': 'ecs.amazonaws.com'}})
        self.assertEqual(st['OwnStack']['Resource'],
                         f'arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{out["Cluster"]}/*')
        self.assertEqual(st['ElbListenerRules']['Resource'], out['ListenerArn'], 'rules on the apps\' listener only')
        return st

    def release_like_slipwayd(self, out, st, app):
        """Make in moto what a release makes (through the validating proxy), and check each
        ARN falls under the policy statement that allows slipwayd to touch it."""
        with Validator(self.moto.endpoint) as v:
            c = lambda s: boto3.client(s, endpoint_url=v.url, region_name=REGION, aws_access_key_id='testing',
                                       aws_secret_access_key='testing')
            elb, ecs = c('elbv2'), c('ecs')
            tg = elb.create_target_group(Name=f'sw-{app}', Protocol='HTTP', Port=8080, VpcId=out['VpcId'],
                                         TargetType='ip', HealthCheckPath='/')['TargetGroups'][0]
            rule = elb.create_rule(ListenerArn=out['ListenerArn'], Priority=1,
                                   Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': [f'{app}.{out["AppsDomain"]}']}}],
                                   Actions=[{'Type': 'forward', 'TargetGroupArn': tg['TargetGroupArn']}])['Rules'][0]
            td = ecs.register_task_definition(
                family=f'{app}-web', networkMode='awsvpc', requiresCompatibilities=['FARGATE'], cpu='256', memory='512',
                executionRoleArn=out['ExecutionRoleArn'],
                containerDefinitions=[{'name': 'web', 'image': f'{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{app}@sha256:' + '0' * 64,
                                       'portMappings': [{'containerPort': 8080}]}],
                tags=[{'key': 'slipway:app', 'value': app}])['taskDefinition']
            svc = ecs.create_service(
                cluster=out['Cluster'], serviceName=f'{app}-web', taskDefinition=td['taskDefinitionArn'], desiredCount=1,
                networkConfiguration={'awsvpcConfiguration': {'subnets': out['Subnets'].split(','),
                                                              'securityGroups': [out['TaskSecurityGroup']],
                                                              'assignPublicIp': out['AssignPublicIp']}},
                loadBalancers=[{'targetGroupArn': tg['TargetGroupArn'], 'containerName': 'web', 'containerPort': 8080}],
                tags=[{'key': 'slipway:app', 'value': app}])['service']
        self.assertEqual(v.operations(), ['elbv2:CreateTargetGroup', 'elbv2:CreateRule', 'ecs:RegisterTaskDefinition',
                                          'ecs:CreateService'])
        self.assertEqual(tg['VpcId'], out['VpcId'])
        under = lambda arn, sid: self.assertTrue(fnmatch.fnmatchcase(arn, st[sid]['Resource']), f'{arn} not under {sid}')
        under(tg['TargetGroupArn'], 'ElbTargetGroups')
        under(rule['RuleArn'], 'ElbRules')
        under(td['taskDefinitionArn'], 'EcsRegisterTaskDefinition')
        under(svc['serviceArn'], 'EcsServices')

    def test_public_stack(self):
        out = self.public
        for k in OUTPUTS:
            self.assertTrue(out.get(k), f'output {k} missing')
        self.assertNotIn('HttpsListenerArn', out)
        self.assertEqual(out['Cluster'], 'slipway')
        self.assertEqual(out['AppsDomain'], out['LoadBalancerDns'])
        listener, lb = self.check_network(out, public=True)
        self.assertEqual(out['ListenerArn'], out['HttpListenerArn'])
        self.assertEqual((listener['Protocol'], listener['Port']), ('HTTP', 80))
        action = listener['DefaultActions'][0]
        self.assertEqual((action['Type'], action['FixedResponseConfig']['StatusCode']), ('fixed-response', '404'))
        st = self.check_iam(out)
        self.release_like_slipwayd(out, st, 'hello')
        groups = self.client('autoscaling').describe_auto_scaling_groups()['AutoScalingGroups']
        self.assertEqual([g for g in groups if g['AutoScalingGroupName'].startswith('slipway-Ec2')], [],
                         'no EC2 capacity by default')

    def test_private_stack_with_https_and_ec2(self):
        out = self.private
        for k in OUTPUTS + ['HttpsListenerArn']:
            self.assertTrue(out.get(k), f'output {k} missing')
        self.assertEqual(out['AppsDomain'], 'apps.example.com')
        self.assertEqual(out['ListenerArn'], out['HttpsListenerArn'])
        listener, lb = self.check_network(out, public=False)
        ec2, elb = self.client('ec2'), self.client('elbv2')
        nat = ec2.describe_nat_gateways(Filters=[{'Name': 'vpc-id', 'Values': [out['VpcId']]}])['NatGateways']
        self.assertEqual(len(nat), 1)
        self.assertIn(nat[0]['SubnetId'], {z['SubnetId'] for z in lb['AvailabilityZones']}, 'the NAT gateway is in a public subnet')
        self.assertEqual((listener['Protocol'], listener['Port']), ('HTTPS', 443))
        self.assertEqual([c['CertificateArn'] for c in listener['Certificates']], [self.cert])
        self.assertEqual(listener['DefaultActions'][0]['FixedResponseConfig']['StatusCode'], '404')
        http = elb.describe_listeners(ListenerArns=[out['HttpListenerArn']])['Listeners'][0]
        self.assertEqual((http['Protocol'], http['Port'], http['LoadBalancerArn']), ('HTTP', 80, lb['LoadBalancerArn']))
        redirect = http['DefaultActions'][0]
        self.assertEqual(redirect['Type'], 'redirect')
        self.assertEqual({k: redirect['RedirectConfig'][k] for k in ('Protocol', 'Port', 'StatusCode')},
                         {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'})
        st = self.check_iam(out)
        self.release_like_slipwayd(out, st, 'shop')

        # EC2 capacity: the ECS-optimized AMI from the public parameter, in the private subnets
        asgs = [g for g in self.client('autoscaling').describe_auto_scaling_groups()['AutoScalingGroups']
                if g['AutoScalingGroupName'].startswith('slipway-private-Ec2AutoScalingGroup')]
        self.assertEqual(len(asgs), 1)
        g = asgs[0]
        self.assertEqual((g['MinSize'], g['MaxSize'], g['DesiredCapacity']), (0, 2, 2))
        self.assertEqual(set(g['VPCZoneIdentifier'].split(',')), set(out['Subnets'].split(',')))
        lt = ec2.describe_launch_template_versions(LaunchTemplateId=g['LaunchTemplate']['LaunchTemplateId'])
        data = lt['LaunchTemplateVersions'][0]['LaunchTemplateData']
        ami = self.client('ssm').get_parameter(Name=ECS_AMI)['Parameter']['Value']
        self.assertEqual((data['ImageId'], data['InstanceType']), (ami, 't3.medium'))
        self.assertEqual(data['MetadataOptions']['HttpTokens'], 'required')
        self.assertEqual(data['SecurityGroupIds'], [out['TaskSecurityGroup']])
        self.assertIn(f'echo ECS_CLUSTER={out["Cluster"]} >>/etc/ecs/ecs.config\n', base64.b64decode(data['UserData']).decode())
        profile = data['IamInstanceProfile']['Arn'].split('/')[-1]
        roles = self.client('iam').get_instance_profile(InstanceProfileName=profile)['InstanceProfile']['Roles']
        trust = roles[0]['AssumeRolePolicyDocument']['Statement']
        self.assertEqual([x['Principal']['Service'] for x in trust], ['ec2.amazonaws.com'])

    def test_unknown_certificate_fails_the_stack(self):
        """A certificate ACM does not hold: the HTTPS listener cannot be made. (moto answers
        CreateStack with the error and leaves the stack half made; CloudFormation rolls it
        back to ROLLBACK_COMPLETE.)"""
        arn = f'arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000'
        r = self.moto.aws('cloudformation', 'create-stack', '--stack-name', 'slipway-badcert', '--template-body',
                          f'file://{TEMPLATE}', '--capabilities', 'CAPABILITY_IAM',
                          '--parameters', f'ParameterKey=CertificateArn,ParameterValue={arn}', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('CertificateNotFound', r.stderr)
        status = {x['StackName']: x['StackStatus'] for x in self.moto.aws('cloudformation', 'list-stacks')['StackSummaries']}
        self.assertEqual(status.get('slipway-badcert'), 'CREATE_IN_PROGRESS')
        self.assertEqual(status.get('slipway'), 'CREATE_COMPLETE')


if __name__ == '__main__':
    unittest.main()
