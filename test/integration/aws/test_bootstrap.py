"""`slipway aws:bootstrap` against moto_server's CloudFormation, every request through the
validating proxy (swvalidate.py, zero violations): the stack is created from the template
built into the binary, its events stream as progress lines, the outputs printed (and with
--json) and recorded are the stack's, a second run is an update with nothing to do, an
update with a flag changes that parameter only, and bad flags, missing credentials and an
unreachable endpoint are one line each with nothing sent or made.

What moto cannot model, and how it is covered instead:
- resource events: moto's stacks record only their own (CREATE_IN_PROGRESS and
  CREATE_COMPLETE of AWS::CloudFormation::Stack), so the progress lines here are those two;
- a failed create: moto answers CreateStack with the resource's error (an unknown ACM
  certificate: CertificateNotFound) and leaves the stack half made, where CloudFormation
  accepts the request, marks the resource CREATE_FAILED and rolls the stack back. The
  moto case is checked for its one line; the CloudFormation sequence (resource events, a
  rollback, ROLLBACK_COMPLETE, then a second run refused) is played by FakeCloudFormation
  below, answering in CloudFormation's documented XML, through the same proxy;
- UsePreviousValue of a parameter the stack was created without (moto keeps only the ones
  given): aws:bootstrap gives every parameter when it creates a stack, so that does not arise.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.parse

from cfnlint.decode import cfn_yaml

from swaws import Server, binary
from swmoto import ACCOUNT, REGION, Moto
from swvalidate import Validator

ROOT = os.environ.get('SW_ROOT') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
TEMPLATE = os.path.join(ROOT, 'scripts', 'aws', 'slipway.yml')
CERT = f'arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000'


def closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Bootstrap:
    """Runs the CLI in a private HOME / SLIPWAY_HOME against endpoint."""

    def __init__(self, endpoint):
        self.tmp = tempfile.mkdtemp(prefix='sw-bootstrap-', dir=os.environ.get('SW_TEST_TMP'))
        self.home = os.path.join(self.tmp, 'slipway-home')
        self.endpoint = endpoint

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(('AWS_', 'SLIPWAY_'))}
        env.update({'HOME': self.tmp, 'SLIPWAY_HOME': self.home, 'AWS_REGION': REGION,
                    'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing',
                    'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_ENDPOINT_URL': self.endpoint,
                    'SLIPWAY_AWS_POLL_INTERVAL': '0.05'})
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def run(self, *args, env=None, timeout=120):
        # from a directory without the template: the binary carries its own copy
        return subprocess.run([binary('slipway'), 'aws:bootstrap', *args], env=env or self.env(), cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout)

    def record(self):
        with open(os.path.join(self.home, 'aws', 'stack.env')) as f:
            return f.read()

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def template():
    return cfn_yaml.load(TEMPLATE)


class OnMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.v = Validator(self.moto.endpoint)
        self.b = Bootstrap(self.v.url)

    def tearDown(self):
        self.b.close()
        self.v.close()
        self.v.assert_clean()

    def stack(self, name):
        return self.moto.aws('cloudformation', 'describe-stacks', '--stack-name', name)['Stacks'][0]

    def outputs(self, name):
        return {o['OutputKey']: o['OutputValue'] for o in self.stack(name)['Outputs']}

    def params(self, call):
        return {p['ParameterKey']: p.get('ParameterValue', 'PREVIOUS' if p.get('UsePreviousValue') else None)
                for p in call.params.get('Parameters', [])}

    def test_create_then_nothing_to_update_then_a_change(self):
        r = self.b.run()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, '')
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], f'creating stack slipway in {REGION}')
        events = [l.split() for l in lines[1:3]]
        self.assertEqual(events, [['CREATE_IN_PROGRESS', 'AWS::CloudFormation::Stack', 'slipway'],
                                  ['CREATE_COMPLETE', 'AWS::CloudFormation::Stack', 'slipway']])
        self.assertTrue(lines[1].startswith('  CREATE_IN_PROGRESS  '), lines[1])
        self.assertEqual(lines[3], f'stack slipway is ready (CREATE_COMPLETE) in {REGION}; its outputs:')
        out = self.outputs('slipway')
        printed = dict(l.split(None, 1) for l in lines[4:4 + len(out)])
        self.assertEqual(printed, out)
        self.assertEqual(lines[-2:], [f'recorded in {self.b.home}/aws/stack.env', 'give slipwayd: SLIPWAY_STACK=slipway'])
        self.assertIn(f'\nSLIPWAY_STACK=slipway\nAWS_REGION={REGION}\n', self.b.record())
        self.assertEqual(out['Cluster'], 'slipway')

        ops = self.v.operations()
        self.assertEqual(ops[:2], ['cloudformation:DescribeStacks', 'cloudformation:CreateStack'])
        self.assertEqual(set(ops[2:]), {'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStacks'})
        create = self.v.calls('cloudformation', 'CreateStack')[0].params
        with open(TEMPLATE) as f:
            self.assertEqual(create['TemplateBody'], f.read(), 'the template built into the binary')
        self.assertEqual(create['Capabilities'], ['CAPABILITY_IAM'])
        self.assertTrue(re.fullmatch(r'[a-zA-Z][-a-zA-Z0-9]{0,127}', create['ClientRequestToken']))
        # a new stack gets every parameter: the template's defaults (checks the C list)
        t = template()
        self.assertEqual(self.params(self.v.calls('cloudformation', 'CreateStack')[0]),
                         {k: str(p['Default']) for k, p in t['Parameters'].items()})

        # again: an update with every value kept, which CloudFormation says changes nothing
        self.v.clear()
        r = self.b.run()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[:2], [f'updating stack slipway in {REGION}',
                                                     'stack slipway is up to date (no changes)'])
        self.assertIn('give slipwayd: SLIPWAY_STACK=slipway', r.stdout)
        update = self.v.calls('cloudformation', 'UpdateStack')
        self.assertEqual(len(update), 1)
        self.assertEqual(set(self.params(update[0]).values()), {'PREVIOUS'})
        self.assertEqual(self.stack('slipway')['StackStatus'], 'CREATE_COMPLETE')

        # a flag changes its parameter only; --json prints the outputs, progress goes to stderr
        self.v.clear()
        r = self.b.run('--domain', 'apps.example.com', '--ec2', 't3.medium:2', '--json')
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual((doc['stack'], doc['region'], doc['status']), ('slipway', REGION, 'UPDATE_COMPLETE'))
        self.assertEqual(doc['outputs'], self.outputs('slipway'))
        self.assertEqual(doc['outputs']['AppsDomain'], 'apps.example.com')
        self.assertEqual(doc['record'], f'{self.b.home}/aws/stack.env')
        self.assertIn('UPDATE_COMPLETE', r.stderr)
        p = self.params(self.v.calls('cloudformation', 'UpdateStack')[0])
        self.assertEqual(p, {'Domain': 'apps.example.com', 'CertificateArn': 'PREVIOUS', 'PrivateSubnets': 'PREVIOUS',
                             'Ec2InstanceType': 't3.medium', 'Ec2Count': '2', 'Ec2ImageId': 'PREVIOUS'})
        stack = {x['ParameterKey']: x['ParameterValue'] for x in self.stack('slipway')['Parameters']}
        self.assertEqual((stack['Domain'], stack['Ec2Count'], stack['PrivateSubnets']), ('apps.example.com', '2', 'false'))

    def test_bad_input_is_one_line_and_sends_nothing(self):
        cases = [
            (['--ec2', 't3.small'], "--ec2 't3.small': want TYPE:N"),
            (['--ec2', 't3.small:100'], "--ec2 't3.small:100': want TYPE:N"),
            (['--ec2', 'T3.small:1'], "--ec2 'T3.small:1': want TYPE:N"),
            (['--certificate', 'not-an-arn'], "--certificate 'not-an-arn': want an ACM certificate ARN"),
            (['--certificate', f'arn:aws:iam::{ACCOUNT}:server-certificate/x'], 'want an ACM certificate ARN'),
            (['--certificate', CERT.replace(REGION, 'eu-west-1'), '--domain', 'a.example.com'],
             f'--certificate is in eu-west-1, the stack goes to {REGION}'),
            (['--domain', 'Apps.Example.com'], "--domain 'Apps.Example.com': want a lowercase DNS name"),
            (['--stack', 'my_stack'], "--stack 'my_stack': a stack name is a letter"),
            (['--private', '--public'], '--private and --public: choose one'),
            (['--colour'], 'unknown option --colour'),
        ]
        for args, want in cases:
            r = self.b.run('--stack', 'badflags', *args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            first = r.stderr.splitlines()[0]
            self.assertTrue(first.startswith('slipway aws:bootstrap: '), first)
            self.assertIn(want, first)
            self.assertEqual(r.stdout, '')
        self.assertEqual(self.v.calls(), [], 'nothing was sent')
        # a certificate without a domain is refused once it is known the stack is new
        r = self.b.run('--stack', 'badflags', '--certificate', CERT)
        self.assertEqual(r.returncode, 2)
        self.assertIn('--certificate needs --domain', r.stderr)
        self.assertEqual(self.v.operations(), ['cloudformation:DescribeStacks'])
        names = [s['StackName'] for s in self.moto.aws('cloudformation', 'list-stacks')['StackSummaries']]
        self.assertNotIn('badflags', names)

    def test_no_credentials_and_no_endpoint(self):
        env = self.b.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
        r = self.b.run('--stack', 'nocreds', env=env)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn('slipway aws:bootstrap: cloudformation DescribeStacks: no AWS credentials: environment '
                      '(AWS_ACCESS_KEY_ID not set)', r.stderr)
        dead = f'http://127.0.0.1:{closed_port()}'
        r = self.b.run('--stack', 'noendpoint', env=self.b.env(AWS_ENDPOINT_URL=dead))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f'slipway aws:bootstrap: cloudformation DescribeStacks: cannot connect to {dead}/ '
                                   '(3 attempts)\n')
        self.assertEqual(self.v.calls(), [])
        self.assertFalse(os.path.exists(os.path.join(self.b.home, 'aws', 'stack.env')))
        # AWS_ENDPOINT_URL_CLOUDFORMATION beats AWS_ENDPOINT_URL
        r = self.b.run('--stack', 'noendpoint', env=self.b.env(AWS_ENDPOINT_URL=self.v.url,
                                                               AWS_ENDPOINT_URL_CLOUDFORMATION=dead))
        self.assertIn(f'cannot connect to {dead}/', r.stderr)

    def test_a_failing_resource_on_moto(self):
        """moto fails CreateStack itself (see the module's notes): one line, the error."""
        r = self.b.run('--stack', 'badcert', '--domain', 'apps.example.com', '--certificate', CERT)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, f'creating stack badcert in {REGION}\n')
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn('cloudformation CreateStack: CertificateNotFound', r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.b.home, 'aws', 'stack.env')))

    def test_named_iam_resources_are_not_used(self):
        """CAPABILITY_IAM is what the template needs: no IAM resource has a name of its own
        (those need CAPABILITY_NAMED_IAM)."""
        names = {'AWS::IAM::Role': 'RoleName', 'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
                 'AWS::IAM::InstanceProfile': 'InstanceProfileName', 'AWS::IAM::User': 'UserName',
                 'AWS::IAM::Group': 'GroupName'}
        for name, r in template()['Resources'].items():
            if r['Type'] in names:
                self.assertNotIn(names[r['Type']], r.get('Properties', {}), name)


# ---- CloudFormation's failure, played from its documented answers -----------------------------

NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/'
STACK_ID = f'arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/shop/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'


def xml_escape(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


class FakeCloudFormation:
    """Plays a create that fails: each DescribeStackEvents shows the next event; the
    listener fails with ACM's reason, the stack rolls back to ROLLBACK_COMPLETE. Then
    DescribeStacks says ROLLBACK_COMPLETE."""

    SEQUENCE = [
        ('shop', 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 'User Initiated'),
        ('Vpc', 'AWS::EC2::VPC', 'CREATE_IN_PROGRESS', None),
        ('Vpc', 'AWS::EC2::VPC', 'CREATE_COMPLETE', None),
        ('HttpsListener', 'AWS::ElasticLoadBalancingV2::Listener', 'CREATE_FAILED',
         f'Resource handler returned message: "Certificate \'{CERT}\' not found (Service: '
         'ElasticLoadBalancingV2, Status Code: 400)"'),
        ('Cluster', 'AWS::ECS::Cluster', 'CREATE_FAILED', 'Resource creation cancelled'),
        ('shop', 'AWS::CloudFormation::Stack', 'ROLLBACK_IN_PROGRESS',
         'The following resource(s) failed to create: [HttpsListener, Cluster]. Rollback requested by user.'),
        ('Vpc', 'AWS::EC2::VPC', 'DELETE_COMPLETE', None),
        ('shop', 'AWS::CloudFormation::Stack', 'ROLLBACK_COMPLETE', None),
    ]

    def __init__(self):
        self.lock = threading.Lock()
        self.created = False
        self.shown = 0
        self.server = Server(self.handle)
        self.url = self.server.url

    def answer(self, action, result):
        return 200, {'Content-Type': 'text/xml'}, (
            f'<{action}Response xmlns="{NS}"><{action}Result>{result}</{action}Result>'
            f'<ResponseMetadata><RequestId>r-{action}</RequestId></ResponseMetadata></{action}Response>')

    def event(self, i):
        logical, rtype, status, reason = self.SEQUENCE[i]
        return ('<member>'
                f'<StackId>{STACK_ID}</StackId><EventId>event-{i}</EventId><StackName>shop</StackName>'
                f'<LogicalResourceId>{logical}</LogicalResourceId><ResourceType>{rtype}</ResourceType>'
                f'<Timestamp>2026-01-01T00:00:{i:02d}.000Z</Timestamp><ResourceStatus>{status}</ResourceStatus>'
                + (f'<ResourceStatusReason>{xml_escape(reason)}</ResourceStatusReason>' if reason else '')
                + '</member>')

    def handle(self, method, path, headers, body):
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        action = form.get('Action')
        with self.lock:
            if action == 'DescribeStacks':
                if not self.created:
                    return 400, {'Content-Type': 'text/xml'}, (
                        f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>ValidationError</Code>'
                        '<Message>Stack with id shop does not exist</Message></Error>'
                        '<RequestId>r-e</RequestId></ErrorResponse>')
                status = [e[2] for e in self.SEQUENCE[:self.shown] if e[1] == 'AWS::CloudFormation::Stack'][-1:]
                status = status[0] if status else 'CREATE_IN_PROGRESS'
                return self.answer('DescribeStacks', (
                    f'<Stacks><member><StackId>{STACK_ID}</StackId><StackName>shop</StackName>'
                    '<CreationTime>2026-01-01T00:00:00.000Z</CreationTime>'
                    f'<StackStatus>{status}</StackStatus><Parameters/></member></Stacks>'))
            if action == 'CreateStack':
                self.created = True
                return self.answer('CreateStack', f'<StackId>{STACK_ID}</StackId>')
            if action == 'DescribeStackEvents':
                self.shown = min(self.shown + 2, len(self.SEQUENCE))
                events = ''.join(self.event(i) for i in reversed(range(self.shown)))
                return self.answer('DescribeStackEvents', f'<StackEvents>{events}</StackEvents>')
        return 400, {}, 'unexpected'

    def close(self):
        self.server.close()


class RolledBack(unittest.TestCase):
    def test_failure_line_and_rolled_back_stack(self):
        cfn = FakeCloudFormation()
        v = Validator(cfn.url)
        b = Bootstrap(v.url)
        try:
            r = b.run('--stack', 'shop', '--domain', 'shop.example.com', '--certificate', CERT)
            self.assertEqual(r.returncode, 1, r.stderr)
            lines = r.stdout.splitlines()
            self.assertEqual(lines[0], f'creating stack shop in {REGION}')
            self.assertEqual([l.split()[:3] for l in lines[1:]], [
                ['CREATE_IN_PROGRESS', 'AWS::CloudFormation::Stack', 'shop'],
                ['CREATE_IN_PROGRESS', 'AWS::EC2::VPC', 'Vpc'],
                ['CREATE_COMPLETE', 'AWS::EC2::VPC', 'Vpc'],
                ['CREATE_FAILED', 'AWS::ElasticLoadBalancingV2::Listener', 'HttpsListener'],
                ['CREATE_FAILED', 'AWS::ECS::Cluster', 'Cluster'],
                ['ROLLBACK_IN_PROGRESS', 'AWS::CloudFormation::Stack', 'shop'],
                ['DELETE_COMPLETE', 'AWS::EC2::VPC', 'Vpc'],
                ['ROLLBACK_COMPLETE', 'AWS::CloudFormation::Stack', 'shop']])
            self.assertTrue(lines[4].endswith(f"Certificate '{CERT}' not found (Service: ElasticLoadBalancingV2, "
                                              'Status Code: 400)"'), lines[4])
            self.assertEqual(r.stderr, (
                'slipway aws:bootstrap: stack shop failed: HttpsListener (AWS::ElasticLoadBalancingV2::Listener): '
                f'Resource handler returned message: "Certificate \'{CERT}\' not found (Service: '
                'ElasticLoadBalancingV2, Status Code: 400)"; CloudFormation rolled it back (ROLLBACK_COMPLETE): '
                'delete it with `aws cloudformation delete-stack --stack-name shop` and run aws:bootstrap again\n'))
            self.assertFalse(os.path.exists(os.path.join(b.home, 'aws', 'stack.env')), 'a failed stack is not recorded')

            # the stack as CloudFormation left it: refused in one line, nothing sent but the look
            v.clear()
            r = b.run('--stack', 'shop')
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, 'slipway aws:bootstrap: stack shop is ROLLBACK_COMPLETE: its creation failed '
                                       'and CloudFormation rolled it back; delete it with `aws cloudformation '
                                       'delete-stack --stack-name shop` and run aws:bootstrap again\n')
            self.assertEqual(v.operations(), ['cloudformation:DescribeStacks'])
        finally:
            b.close()
            v.close()
            cfn.close()
        v.assert_clean()


if __name__ == '__main__':
    unittest.main()
