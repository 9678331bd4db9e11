"""swvalidate, the validating proxy the integration flows run their AWS requests through.

- Offline: what botocore's own serializers make of valid inputs (JSON 1.1 and Query, the
  operations slipwayd and the bootstrap call, with nested lists, structures and a map)
  decodes back to the same input with no violation.
- In front of slipway-engine (which verifies SigV4 over the Host header the client
  signed): boto3's good requests go through unchanged and answered, with no violation;
  deliberately bad ones, signed raw with botocore.auth.SigV4Auth, are each reported with
  the operation and the member path, and still reach the engine, whose answer comes back;
  a chunked body, a bad signature and a non-API request pass as they came.
"""
import http.client
import json
import unittest
import urllib.parse

import boto3
import botocore.serialize
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from swengine import REGION, Engine
from swvalidate import Call, Models, Validator, inspect

ECS = 'AmazonEC2ContainerServiceV20141113'


class Offline(unittest.TestCase):
    """botocore-serialized requests decode to their input with no violation."""

    CASES = [
        ('elbv2', 'CreateTargetGroup', {
            'Name': 'sw-hello', 'Protocol': 'HTTP', 'Port': 8080, 'VpcId': 'vpc-0abc', 'TargetType': 'ip',
            'HealthCheckProtocol': 'HTTP', 'HealthCheckPath': '/health', 'HealthCheckIntervalSeconds': 5,
            'HealthCheckTimeoutSeconds': 2, 'HealthyThresholdCount': 2, 'UnhealthyThresholdCount': 3,
            'Matcher': {'HttpCode': '200-399'}, 'Tags': [{'Key': 'slipway:app', 'Value': 'hello'}]}),
        ('elbv2', 'ModifyTargetGroupAttributes', {
            'TargetGroupArn': 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/sw-hello/0123456789abcdef',
            'Attributes': [{'Key': 'deregistration_delay.timeout_seconds', 'Value': '10'},
                           {'Key': 'stickiness.enabled', 'Value': 'false'}]}),
        ('elbv2', 'CreateRule', {
            'ListenerArn': 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/0123/4567',
            'Priority': 50000,
            'Conditions': [{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['hello.apps.example.com', 'x.y']}}],
            'Actions': [{'Type': 'forward', 'TargetGroupArn': 'arn:tg', 'Order': 1},
                        {'Type': 'fixed-response', 'FixedResponseConfig': {'StatusCode': '404'}}]}),
        ('elbv2', 'DescribeTargetGroups', {'Names': []}),
        ('elbv2', 'DescribeRules', {'ListenerArn': 'arn:l', 'Marker': 'next', 'PageSize': 400}),
        ('elbv2', 'CreateListener', {
            'LoadBalancerArn': 'arn:lb', 'Protocol': 'HTTPS', 'Port': 443,
            'DefaultActions': [{'Type': 'authenticate-oidc', 'AuthenticateOidcConfig': {
                'Issuer': 'https://i', 'AuthorizationEndpoint': 'https://a', 'TokenEndpoint': 'https://t',
                'UserInfoEndpoint': 'https://u', 'ClientId': 'c',
                'AuthenticationRequestExtraParams': {'prompt': 'login', 'display': 'page'}}}]}),
        ('cloudformation', 'CreateStack', {
            'StackName': 'slipway', 'TemplateBody': 'AWSTemplateFormatVersion: "2010-09-09"\n',
            'Parameters': [{'ParameterKey': 'Domain', 'ParameterValue': 'apps.example.com'},
                           {'ParameterKey': 'Ec2Count', 'ParameterValue': '0'}],
            'Capabilities': ['CAPABILITY_IAM'], 'Tags': [{'Key': 'slipway', 'Value': 'bootstrap'}],
            'TimeoutInMinutes': 60, 'DisableRollback': False}),
        ('cloudformation', 'DescribeStackEvents', {'StackName': 'slipway', 'NextToken': 'n'}),
        ('sts', 'AssumeRole', {'RoleArn': 'arn:aws:iam::123456789012:role/slipwayd', 'RoleSessionName': 'slipwayd',
                               'DurationSeconds': 3600}),
        ('sts', 'GetCallerIdentity', {}),
        ('ecs', 'RegisterTaskDefinition', {
            'family': 'hello-web', 'networkMode': 'awsvpc', 'requiresCompatibilities': ['FARGATE'],
            'cpu': '256', 'memory': '512', 'executionRoleArn': 'arn:aws:iam::123456789012:role/x',
            'containerDefinitions': [{
                'name': 'web', 'image': '123456789012.dkr.ecr.us-east-1.amazonaws.com/hello@sha256:' + '0' * 64,
                'essential': True, 'portMappings': [{'containerPort': 8080, 'protocol': 'tcp'}],
                'environment': [{'name': 'PORT', 'value': '8080'}],
                'logConfiguration': {'logDriver': 'awslogs', 'options': {
                    'awslogs-group': '/slipway/hello', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'v1'}},
                'healthCheck': {'command': ['CMD-SHELL', 'true'], 'interval': 5, 'retries': 3}}],
            'tags': [{'key': 'slipway:app', 'value': 'hello'}]}),
        ('ecs', 'CreateService', {
            'cluster': 'slipway', 'serviceName': 'hello-web', 'taskDefinition': 'hello-web:3', 'desiredCount': 2,
            'capacityProviderStrategy': [{'capacityProvider': 'FARGATE', 'weight': 1}],
            'networkConfiguration': {'awsvpcConfiguration': {'subnets': ['subnet-1', 'subnet-2'],
                                                             'securityGroups': ['sg-1'], 'assignPublicIp': 'ENABLED'}},
            'deploymentConfiguration': {'maximumPercent': 200, 'minimumHealthyPercent': 100,
                                        'deploymentCircuitBreaker': {'enable': True, 'rollback': False}},
            'loadBalancers': [{'targetGroupArn': 'arn:tg', 'containerName': 'web', 'containerPort': 8080}],
            'healthCheckGracePeriodSeconds': 30}),
        ('ecs', 'DescribeServices', {'cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/slipway',
                                     'services': ['hello-web'], 'include': ['TAGS']}),
        ('ecr', 'PutLifecyclePolicy', {'repositoryName': 'hello', 'lifecyclePolicyText': json.dumps({'rules': [{
            'rulePriority': 1, 'description': 'keep the images of the last 20 releases',
            'selection': {'tagStatus': 'tagged', 'tagPrefixList': ['release-'], 'countType': 'imageCountMoreThan',
                          'countNumber': 20}, 'action': {'type': 'expire'}}]})}),
        ('logs', 'FilterLogEvents', {'logGroupName': '/slipway/hello', 'startTime': 1700000000000,
                                     'interleaved': True, 'limit': 100}),
        ('logs', 'CreateLogGroup', {'logGroupName': '/slipway/hello', 'tags': {'slipway:app': 'hello'}}),
    ]

    @classmethod
    def setUpClass(cls):
        cls.models = Models()

    def test_botocore_requests_decode_to_their_input(self):
        for service, op, params in self.CASES:
            with self.subTest(op=op):
                m = self.models.models[service]
                req = botocore.serialize.create_serializer(m.protocol, include_validation=True).serialize_to_request(
                    params, m.operation_model(op))
                body = req['body']
                if isinstance(body, dict):
                    body = urllib.parse.urlencode(body)
                if isinstance(body, str):
                    body = body.encode()
                call = Call(1, req['method'], req['url_path'], list(req['headers'].items()), body)
                inspect(self.models, call)
                self.assertEqual(call.violations, [])
                self.assertEqual((call.service, call.operation), (service, op))
                self.assertEqual(call.params, params)

    def test_checks_on_decoded_input(self):
        """Each kind of check on its own, with its path (botocore's validator skips the
        max and pattern ones)."""
        bad = [
            ('ecs', 'CreateService', {'serviceName': 'a' * 256}, 'serviceName', 'up to 255'),
            ('ecs', 'DescribeServices', {'services': ['ok', 'arn:aws:ecs:us-east-1:1:service/x']}, 'services[1]', 'ARN'),
            ('ecs', 'RegisterTaskDefinition', {'family': 'f', 'containerDefinitions': [{'name': 'web', 'memory': '256'}]},
             'containerDefinitions[0].memory', 'expected integer'),
            ('ecs', 'RegisterTaskDefinition', {'family': 'f', 'containerDefinitions': [],
                                               'tags': [{'key': f'k{i}', 'value': 'v'} for i in range(51)]},
             'tags', 'above the maximum 50'),
            ('ecs', 'RegisterTaskDefinition', {'family': 'f', 'containerDefinitions': [],
                                               'tags': [{'key': 'k' * 129, 'value': 'v'}]}, 'tags[0].key', 'maximum 128'),
            ('ecs', 'RunTask', {'taskDefinition': 'hello web:1'}, 'taskDefinition', 'FAMILY:REVISION'),
            ('ecs', 'ListTasks', {'bogus': 1}, 'bogus', 'unknown member'),
            ('elbv2', 'CreateLoadBalancer', {'Name': 'internal-x'}, 'Name', 'internal-'),
            ('elbv2', 'CreateTargetGroup', {'Name': '-sw-x'}, 'Name', 'hyphen'),
            ('elbv2', 'CreateTargetGroup', {'Name': 'sw--x'}, 'Name', 'no two hyphens in a row'),
            ('elbv2', 'DescribeTargetGroups', {'Names': ['ok', 'bad_name']}, 'Names[1]', 'letters, digits and hyphens'),
            ('elbv2', 'SetRulePriorities', {'RulePriorities': [{'RuleArn': 'a', 'Priority': 0}]},
             'RulePriorities[0].Priority', 'minimum 1'),
            ('elbv2', 'CreateTargetGroup', {'Name': 'x', 'HealthCheckIntervalSeconds': 301}, 'HealthCheckIntervalSeconds',
             'maximum 300'),
            ('logs', 'CreateLogGroup', {'logGroupName': 'g' * 513}, 'logGroupName', 'maximum 512'),
            ('logs', 'CreateLogGroup', {'logGroupName': '/ok', 'tags': {'aws:x': 'v'}}, 'tags[aws:x]', 'reserved'),
            ('ecr', 'CreateRepository', {'repositoryName': 'Hello'}, 'repositoryName', 'pattern'),
            ('cloudformation', 'CreateStack', {'StackName': 's', 'ClientRequestToken': '-t'}, 'ClientRequestToken',
             'pattern'),
            ('sts', 'AssumeRole', {'RoleArn': 'arn:aws:iam::123456789012:role/x', 'RoleSessionName': 'a b'},
             'RoleSessionName', 'pattern'),
        ]
        for service, op, params, path, words in bad:
            with self.subTest(op=op, path=path):
                found = [v for v in self.models.check(service, op, params) if v.path == path]
                self.assertTrue(found, f'{service} {op}: nothing reported at {path}')
                self.assertIn(words, str(found[0]))


class ThroughTheEngine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine()
        cls.key, cls.secret = cls.eng.credentials()

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def client(self, v, service):
        return boto3.client(service, endpoint_url=v.url, region_name=REGION, aws_access_key_id=self.key,
                            aws_secret_access_key=self.secret, config=Config(retries={'total_max_attempts': 1}))

    def raw(self, v, service, body, target=None, secret=None, chunked=False):
        """POST body to the proxy, signed with SigV4Auth for service (signing name); JSON
        when target is given, else form-encoded Query. Returns (status, answer)."""
        if target:
            headers = {'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target}
            data = json.dumps(body).encode()
        else:
            headers = {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'}
            data = urllib.parse.urlencode(body).encode()
        req = AWSRequest(method='POST', url=v.url + '/', data=data, headers=headers)
        SigV4Auth(Credentials(self.key, secret or self.secret), service, REGION).add_auth(req)
        conn = http.client.HTTPConnection('127.0.0.1', v.port, timeout=30)
        try:
            hdrs = dict(req.headers.items())
            if chunked:
                conn.request('POST', '/', body=iter([data[:7], data[7:]]), headers=hdrs, encode_chunked=True)
            else:
                conn.request('POST', '/', body=data, headers=hdrs)
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def test_good_requests_pass_clean(self):
        with Validator(self.eng.endpoint) as v:
            elb, ecs, logs, ecr = (self.client(v, s) for s in ('elbv2', 'ecs', 'logs', 'ecr'))
            lb = elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
            listener = elb.describe_listeners(LoadBalancerArn=lb['LoadBalancerArn'])['Listeners'][0]
            tg = elb.create_target_group(Name='sw-good', Protocol='HTTP', Port=8080, VpcId=lb['VpcId'],
                                         HealthCheckPath='/', HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                         Matcher={'HttpCode': '200-399'}, TargetType='instance',
                                         Tags=[{'Key': 'slipway:app', 'Value': 'good'}])['TargetGroups'][0]
            elb.modify_target_group_attributes(TargetGroupArn=tg['TargetGroupArn'], Attributes=[
                {'Key': 'deregistration_delay.timeout_seconds', 'Value': '10'}])
            rule = elb.create_rule(ListenerArn=listener['ListenerArn'], Priority=4711,
                                   Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['good.localhost']}}],
                                   Actions=[{'Type': 'forward', 'TargetGroupArn': tg['TargetGroupArn']}])['Rules'][0]
            elb.delete_rule(RuleArn=rule['RuleArn'])
            elb.delete_target_group(TargetGroupArn=tg['TargetGroupArn'])
            td = ecs.register_task_definition(
                family='good-web', networkMode='bridge', requiresCompatibilities=['EC2'],
                containerDefinitions=[{'name': 'web', 'image': 'slipway/busybox:latest', 'memory': 32,
                                       'portMappings': [{'containerPort': 8080, 'hostPort': 0}]}],
                tags=[{'key': 'slipway:app', 'value': 'good'}])['taskDefinition']
            ecs.describe_clusters(clusters=['default'])
            ecs.deregister_task_definition(taskDefinition=td['taskDefinitionArn'])
            logs.create_log_group(logGroupName='/slipway/good')
            logs.put_retention_policy(logGroupName='/slipway/good', retentionInDays=30)
            logs.describe_log_groups(logGroupNamePrefix='/slipway/')
            logs.delete_log_group(logGroupName='/slipway/good')
            ecr.create_repository(repositoryName='good')
            ecr.describe_repositories(repositoryNames=['good'])
        self.assertEqual(v.violations(), [])
        self.assertEqual(v.operations(), [
            'elbv2:DescribeLoadBalancers', 'elbv2:DescribeListeners', 'elbv2:CreateTargetGroup',
            'elbv2:ModifyTargetGroupAttributes', 'elbv2:CreateRule', 'elbv2:DeleteRule', 'elbv2:DeleteTargetGroup',
            'ecs:RegisterTaskDefinition', 'ecs:DescribeClusters', 'ecs:DeregisterTaskDefinition',
            'logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DescribeLogGroups', 'logs:DeleteLogGroup',
            'ecr:CreateRepository', 'ecr:DescribeRepositories'])
        self.assertEqual({c.status for c in v.calls()}, {200})
        create = v.calls('elbv2', 'CreateRule')[0]
        self.assertEqual(create.protocol, 'query')
        self.assertEqual(create.params['Conditions'], [{'Field': 'host-header',
                                                        'HostHeaderConfig': {'Values': ['good.localhost']}}])
        self.assertEqual(v.calls('ecs', 'RegisterTaskDefinition')[0].params['tags'], [{'key': 'slipway:app', 'value': 'good'}])

    def test_bad_requests_are_reported_with_their_path(self):
        with Validator(self.eng.endpoint, strict=False) as v:
            long = 'sw-' + 'x' * 37
            tg = {'Action': 'CreateTargetGroup', 'Version': '2015-12-01', 'Protocol': 'HTTP', 'Port': '8080'}
            s1, _ = self.raw(v, 'elasticloadbalancing', dict(tg, Name=long))
            s2, _ = self.raw(v, 'elasticloadbalancing', tg)   # no Name
            s3, a3 = self.raw(v, 'elasticloadbalancing', dict(tg, Name='sw-b', Protocol='HTTPX'))
            self.raw(v, 'elasticloadbalancing', {
                'Action': 'CreateRule', 'Version': '2015-12-01', 'ListenerArn': 'arn:l', 'Priority': '50001',
                'Conditions.member.1.Field': 'host-header', 'Conditions.member.1.HostHeaderConfig.Values.member.1': 'a.b',
                'Actions.member.1.Type': 'forward', 'Actions.member.1.TargetGroupArn': 'arn:tg',
                'Tags.member.1.Key': 'aws:owner', 'Tags.member.1.Value': 'x', 'Bogus': '1'})
            self.raw(v, 'ecs', {'family': 'bad family', 'networkMode': 'bogus'}, target=f'{ECS}.RegisterTaskDefinition')
            self.raw(v, 'ecs', {'family': 'ok', 'containerDefinitions': [{'name': 'web', 'image': 'i', 'logConfiguration': {
                'logDriver': 'awslogs', 'options': {'awslogs-group': 'no spaces allowed'}}}]},
                target=f'{ECS}.RegisterTaskDefinition')
            self.raw(v, 'logs', {'logGroupName': 'bad group!'}, target='Logs_20140328.CreateLogGroup')
        got = {(x.service, x.operation, x.path) for x in v.violations()}
        want = {
            ('elbv2', 'CreateTargetGroup', 'Name'),              # 40 characters (> 32), then missing
            ('elbv2', 'CreateTargetGroup', 'Protocol'),          # a bad enum
            ('elbv2', 'CreateRule', 'Priority'),                 # 50001 (> 50000)
            ('elbv2', 'CreateRule', 'Tags[0].Key'),              # aws: prefix
            ('elbv2', 'CreateRule', 'Bogus'),                    # no such parameter
            ('ecs', 'RegisterTaskDefinition', 'family'),
            ('ecs', 'RegisterTaskDefinition', 'networkMode'),
            ('ecs', 'RegisterTaskDefinition', 'containerDefinitions'),   # required, missing
            ('ecs', 'RegisterTaskDefinition', 'containerDefinitions[0].logConfiguration.options[awslogs-group]'),
            ('logs', 'CreateLogGroup', 'logGroupName'),
        }
        self.assertEqual(got, want, v.report())
        by_path = {(x.operation, x.path): [] for x in v.violations()}
        for x in v.violations():
            by_path[(x.operation, x.path)].append(x.message)
        self.assertIn('40 characters long: at most 32', by_path[('CreateTargetGroup', 'Name')][0])
        self.assertEqual(len([c for c in v.calls('elbv2', 'CreateTargetGroup') if c.violations]), 3)
        self.assertIn('missing required member', v.calls('elbv2', 'CreateTargetGroup')[1].violations[0].message)
        self.assertIn("'HTTPX' is not one of", v.calls('elbv2', 'CreateTargetGroup')[2].violations[0].message)
        self.assertEqual(len(v.calls('logs', 'CreateLogGroup')[0].violations), 1, 'one complaint per value')
        # each still reached the engine, and its answer came back as it was
        self.assertEqual([c.status for c in v.calls('elbv2', 'CreateTargetGroup')], [s1, s2, s3])
        self.assertEqual(v.calls('elbv2', 'CreateTargetGroup')[2].answer.decode(), a3)

    def test_strict_fails_the_block(self):
        with self.assertRaises(AssertionError) as cm:
            with Validator(self.eng.endpoint) as v:
                self.raw(v, 'elasticloadbalancing', {'Action': 'DescribeTargetGroups', 'Version': '2015-12-01',
                                                     'Names.member.1': 'n' * 33})
        self.assertIn('elbv2 DescribeTargetGroups Names[0]: target group name', str(cm.exception))

    def test_passes_requests_as_they_came(self):
        with Validator(self.eng.endpoint, strict=False) as v:
            # chunked: validated decoded, forwarded as it came (the engine checks the signature)
            status, answer = self.raw(v, 'elasticloadbalancing', {'Action': 'DescribeLoadBalancers',
                                                                   'Version': '2015-12-01', 'Names.member.1': 'slipway'},
                                      chunked=True)
            self.assertEqual(status, 200, answer)
            self.assertIn('<LoadBalancerName>slipway</LoadBalancerName>', answer)
            # a bad signature is the engine's to refuse, not the proxy's to fix
            status, answer = self.raw(v, 'ecs', {}, target=f'{ECS}.ListClusters', secret='wrong')
            self.assertEqual(status, 400)
            self.assertEqual(v.calls('ecs', 'ListClusters')[0].error_code, 'InvalidSignatureException')
            # not an API call: passed on, not recorded
            conn = http.client.HTTPConnection('127.0.0.1', v.port, timeout=10)
            conn.request('GET', '/')
            r = conn.getresponse()
            r.read()
            conn.close()
            self.assertIsNotNone(r.status)
        self.assertEqual(v.operations(), ['elbv2:DescribeLoadBalancers', 'ecs:ListClusters'])
        self.assertEqual(v.violations(), [])


if __name__ == '__main__':
    unittest.main()
