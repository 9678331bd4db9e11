"""`slipway aws <service> <Operation> [JSON]` end to end against a local server that checks
every request's signature with botocore (re-signing it at its own X-Amz-Date), its
protocol headers and body, and answers like the service would."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from urllib.parse import parse_qsl

from swaws import Server, binary, botocore_check_signature

KEYS = {'AKIDCLI': ('cli-secret', None), 'ASIATEMP': ('temp-secret', 'the-session-token')}
TARGETS = {'AmazonEC2ContainerServiceV20141113': 'ecs', 'AmazonEC2ContainerRegistry_V20150921': 'ecr',
           'Logs_20140328': 'logs'}


class FakeAWS:
    def __init__(self):
        self.seen = []
        self.server = Server(self.handle)
        self.url = self.server.url

    def deny(self, status, code, message, query=False):
        if query:
            return status, {'Content-Type': 'text/xml'}, (
                f'<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>'
                '</Error><RequestId>e1</RequestId></ErrorResponse>')
        return status, {'Content-Type': 'application/x-amz-json-1.1'}, json.dumps(
            {'__type': code, 'message': message})

    def handle(self, method, path, headers, body):
        hl = list(headers.items())
        h = {k.lower(): v for k, v in hl}
        auth = h.get('authorization', '')
        query = h.get('content-type', '').startswith('application/x-www-form-urlencoded')
        akid = auth.split('Credential=')[1].split('/')[0] if 'Credential=' in auth else ''
        if akid not in KEYS:
            return self.deny(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.', query)
        secret, token = KEYS[akid]
        if h.get('x-amz-security-token') != token:
            return self.deny(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.', query)
        ok, _, _ = botocore_check_signature(method, path, hl, body, secret, token)
        scope = auth.split('Credential=')[1].split(',')[0].split('/')
        self.seen.append({'method': method, 'path': path, 'headers': h, 'body': body, 'scope': scope,
                          'signed': auth.split('SignedHeaders=')[1].split(',')[0]})
        if not ok:
            return self.deny(400, 'InvalidSignatureException',
                             'The request signature we calculated does not match the signature you provided.', query)
        if query:
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            if form.get('Version') != '2015-12-01' or scope[3] != 'elasticloadbalancing':
                return self.deny(400, 'InvalidAction', 'bad version or scope', True)
            if form['Action'] == 'DescribeTargetGroups':
                if form.get('Names.member.1') == 'missing':
                    return self.deny(400, 'TargetGroupNotFound', 'One or more target groups not found', True)
                members = ''.join(
                    f'<member><TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/{form[k]}/1'
                    f'</TargetGroupArn><TargetGroupName>{form[k]}</TargetGroupName><Port>80</Port>'
                    '<HealthCheckEnabled>true</HealthCheckEnabled><LoadBalancerArns/></member>'
                    for k in sorted(form) if k.startswith('Names.member.'))
                return 200, {'Content-Type': 'text/xml'}, (
                    '<DescribeTargetGroupsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
                    f'<DescribeTargetGroupsResult><TargetGroups>{members}</TargetGroups></DescribeTargetGroupsResult>'
                    '<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeTargetGroupsResponse>')
            return self.deny(400, 'InvalidAction', 'not here', True)
        target = h.get('x-amz-target', '')
        prefix, _, op = target.partition('.')
        if h.get('content-type') != 'application/x-amz-json-1.1' or TARGETS.get(prefix) != scope[3]:
            return self.deny(400, 'SerializationException', f'bad target {target} for scope {scope}')
        params = json.loads(body or b'{}')
        if op == 'ListClusters':
            return 200, {'x-amzn-RequestId': 'r2'}, json.dumps({'clusterArns': ['arn:aws:ecs:us-east-1:1:cluster/default']})
        if op == 'DescribeServices':
            return self.deny(400, 'ClusterNotFoundException', 'Cluster not found.')
        if op == 'DescribeLogGroups':
            return 200, {}, json.dumps({'logGroups': [{'logGroupName': params.get('logGroupNamePrefix', '') + 'web'}]})
        if op == 'GetAuthorizationToken':
            return 200, {}, json.dumps({'authorizationData': [{'authorizationToken': 'QVdTOnRva2Vu',
                                                               'expiresAt': 1700003600.5,
                                                               'proxyEndpoint': 'https://1.dkr.ecr.us-east-1.amazonaws.com'}]})
        return self.deny(400, 'UnknownOperationException', op)

    def close(self):
        self.server.close()


class CliAws(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.aws = FakeAWS()
        cls.tmp = tempfile.mkdtemp(prefix='sw-cli-aws-', dir=os.environ.get('SW_TEST_TMP'))

    @classmethod
    def tearDownClass(cls):
        cls.aws.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_cli(self, *args, stdin=None, **env):
        e = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        e.update(HOME=self.tmp, AWS_EC2_METADATA_DISABLED='true', AWS_REGION='us-east-1',
                 AWS_ACCESS_KEY_ID='AKIDCLI', AWS_SECRET_ACCESS_KEY='cli-secret',
                 AWS_ENDPOINT_URL=self.aws.url)
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        p = subprocess.run([binary('slipway'), 'aws', *args], env=e, input=stdin, capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_json_services(self):
        rc, out, err = self.run_cli('ecs', 'ListClusters', '{}')
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(json.loads(out), {'clusterArns': ['arn:aws:ecs:us-east-1:1:cluster/default']})
        last = self.aws.seen[-1]
        self.assertEqual(last['headers']['x-amz-target'], 'AmazonEC2ContainerServiceV20141113.ListClusters')
        self.assertEqual(last['scope'][2:], ['us-east-1', 'ecs', 'aws4_request'])
        self.assertEqual(last['signed'], 'content-type;host;x-amz-date;x-amz-target')
        self.assertEqual(last['body'], b'{}')

        rc, out, err = self.run_cli('logs', 'DescribeLogGroups', '-', stdin='{"logGroupNamePrefix": "/app/"}',
                                    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=self.aws.url, AWS_ENDPOINT_URL='http://127.0.0.1:1')
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(json.loads(out), {'logGroups': [{'logGroupName': '/app/web'}]})
        self.assertEqual(self.aws.seen[-1]['scope'][3], 'logs')

        rc, out, err = self.run_cli('ecr', 'GetAuthorizationToken', AWS_ACCESS_KEY_ID='ASIATEMP',
                                    AWS_SECRET_ACCESS_KEY='temp-secret', AWS_SESSION_TOKEN='the-session-token')
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(json.loads(out)['authorizationData'][0]['expiresAt'], 1700003600.5)
        last = self.aws.seen[-1]
        self.assertEqual(last['scope'][3], 'ecr')
        self.assertEqual(last['signed'], 'content-type;host;x-amz-date;x-amz-security-token;x-amz-target')

    def test_service_error(self):
        rc, out, err = self.run_cli('ecs', 'DescribeServices', '{"cluster": "nope", "services": ["web"]}')
        self.assertEqual((rc, out), (1, ''))
        self.assertEqual(err, 'slipway aws: ecs DescribeServices: ClusterNotFoundException: Cluster not found.\n')
        # a wrong secret: the server (botocore) sees a bad signature
        rc, out, err = self.run_cli('ecs', 'ListClusters', AWS_SECRET_ACCESS_KEY='wrong')
        self.assertEqual(rc, 1)
        self.assertEqual(err, 'slipway aws: ecs ListClusters: InvalidSignatureException: The request signature we '
                              'calculated does not match the signature you provided.\n')

    def test_elbv2_query(self):
        rc, out, err = self.run_cli('elbv2', 'DescribeTargetGroups', '{"Names": ["web", "api"]}')
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(json.loads(out), {'TargetGroups': [
            {'TargetGroupArn': 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1', 'TargetGroupName': 'web',
             'Port': 80, 'HealthCheckEnabled': True, 'LoadBalancerArns': []},
            {'TargetGroupArn': 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/1', 'TargetGroupName': 'api',
             'Port': 80, 'HealthCheckEnabled': True, 'LoadBalancerArns': []}]})
        last = self.aws.seen[-1]
        self.assertEqual(dict(parse_qsl(last['body'].decode())),
                         {'Action': 'DescribeTargetGroups', 'Version': '2015-12-01',
                          'Names.member.1': 'web', 'Names.member.2': 'api'})
        self.assertEqual(last['headers']['content-type'], 'application/x-www-form-urlencoded; charset=utf-8')
        rc, out, err = self.run_cli('elbv2', 'DescribeTargetGroups', '{"Names": ["missing"]}')
        self.assertEqual((rc, out), (1, ''))
        self.assertEqual(err, 'slipway aws: elbv2 DescribeTargetGroups: TargetGroupNotFound: One or more target groups not found\n')

    def test_settings_from_files(self):
        aws = os.path.join(self.tmp, 'conf')
        os.makedirs(aws, exist_ok=True)
        with open(os.path.join(aws, 'credentials'), 'w') as f:
            f.write('[deploy]\naws_access_key_id = AKIDCLI\naws_secret_access_key = cli-secret\n')
        with open(os.path.join(aws, 'config'), 'w') as f:
            f.write(f'[profile deploy]\nregion = eu-west-3\nservices = local\n'
                    f'[services local]\necs =\n  endpoint_url = {self.aws.url}\n')
        rc, out, err = self.run_cli('ecs', 'ListClusters', AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                                    AWS_REGION=None, AWS_ENDPOINT_URL=None, AWS_PROFILE='deploy',
                                    AWS_SHARED_CREDENTIALS_FILE=os.path.join(aws, 'credentials'),
                                    AWS_CONFIG_FILE=os.path.join(aws, 'config'))
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(self.aws.seen[-1]['scope'][2], 'eu-west-3')
        # --region / --endpoint-url / --profile on the command line
        rc, out, err = self.run_cli('--region', 'ap-south-1', '--endpoint-url', self.aws.url, 'ecs', 'ListClusters',
                                    AWS_ENDPOINT_URL='http://127.0.0.1:1')
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(self.aws.seen[-1]['scope'][2], 'ap-south-1')

    def test_region_from_instance_metadata(self):
        def imds(method, path, headers, body):
            if method == 'PUT' and path == '/latest/api/token':
                return 200, {}, 'tok'
            if path == '/latest/meta-data/placement/region' and headers.get('x-aws-ec2-metadata-token') == 'tok':
                return 200, {}, 'sa-east-1'
            return 404, {}, ''
        with Server(imds) as md:
            rc, out, err = self.run_cli('ecs', 'ListClusters', AWS_REGION=None, AWS_EC2_METADATA_DISABLED=None,
                                        AWS_EC2_METADATA_SERVICE_ENDPOINT=md.url)
        self.assertEqual((rc, err), (0, ''))
        self.assertEqual(self.aws.seen[-1]['scope'][2], 'sa-east-1')

    def test_nothing_configured(self):
        rc, out, err = self.run_cli('ecs', 'ListClusters', AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
        self.assertEqual(rc, 1)
        self.assertTrue(err.startswith('slipway aws: ecs ListClusters: no AWS credentials: environment '
                                       '(AWS_ACCESS_KEY_ID not set); '), err)
        self.assertEqual(err.count('\n'), 1)
        rc, out, err = self.run_cli('ecs', 'ListClusters', AWS_REGION=None)
        self.assertEqual(rc, 1)
        self.assertEqual(err, 'slipway aws: no AWS region: set AWS_REGION (or region in the default profile of '
                              f'{self.tmp}/.aws/config); instance metadata is disabled by AWS_EC2_METADATA_DISABLED\n')

    def test_usage(self):
        for args, want in [((), 'a service and an operation are needed'),
                           (('ecs',), 'a service and an operation are needed'),
                           (('s3', 'ListBuckets'), "unknown service 's3' (ecs, ecr, elbv2, logs, cloudformation, sts, acm)"),
                           (('ecs', 'ListClusters', '{bad'), 'the parameters are not JSON'),
                           (('ecs', 'ListClusters', '[1]'), 'the parameters must be a JSON object'),
                           (('ecs', 'ListClusters', '{}', 'extra'), 'too many arguments'),
                           (('--bogus', 'ecs', 'ListClusters'), 'unknown option --bogus'),
                           (('ecs', 'ListClusters', '--region'), '--region needs a value')]:
            rc, out, err = self.run_cli(*args)
            self.assertEqual(rc, 2, args)
            self.assertTrue(err.startswith('slipway aws: ' + want), (args, err))
            self.assertIn('usage: slipway aws', err)
        before = len(self.aws.seen)
        rc, out, err = self.run_cli('ecs', 'list clusters')
        self.assertEqual((rc, err), (1, "slipway aws: ecs: 'list clusters' is not an operation name\n"))
        self.assertEqual(len(self.aws.seen), before)
        p = subprocess.run([binary('slipway'), '--help'], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn('aws ', p.stdout)
        p = subprocess.run([binary('slipway'), 'aws', '--help'], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout.splitlines()[0][:17]), (0, 'usage: slipway aw'))
        p = subprocess.run([binary('slipway'), 'nope'], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([binary('slipway')], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)


if __name__ == '__main__':
    unittest.main()
