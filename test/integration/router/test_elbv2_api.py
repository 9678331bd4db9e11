"""The ELBv2 API of the engine against botocore's model.

Every operation slipway uses, through boto3 (whose Query parser reads the XML by the
model, and raises the modelled exception classes) and the AWS CLI; the raw XML of a
few answers walked against the model shape by shape (no element the model does not
have, the result wrapper, the namespace, the request id); errors as <ErrorResponse>
with the model's codes; bad signatures refused.
"""
import os
import unittest
import urllib.request
import xml.etree.ElementTree as ET

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from swengine import Engine

NS = '{http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/}'


class Elbv2Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine(registry=False)
        cls.elb = cls.eng.client('elbv2')
        cls.model = botocore.session.get_session().get_service_model('elbv2')
        cls.lb = cls.elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
        cls.listener = cls.elb.describe_listeners(LoadBalancerArn=cls.lb['LoadBalancerArn'])['Listeners'][0]

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    # ---- raw Query requests ----------------------------------------------------------
    def raw(self, params, sign=True, secret=None):
        body = '&'.join(f'{k}={urllib.request.quote(str(v), safe="")}' for k, v in params.items())
        req = AWSRequest(method='POST', url=self.eng.endpoint + '/', data=body,
                         headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
        if sign:
            key, sec = self.eng.credentials()
            SigV4Auth(Credentials(key, secret or sec), 'elasticloadbalancing', 'us-east-1').add_auth(req)
        r = urllib.request.Request(req.url, data=body.encode(), headers=dict(req.headers), method='POST')
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def check_shape(self, elem, shape, path):
        """Every child element is a member of the shape (recursively), scalars are text."""
        if shape.type_name == 'structure':
            for child in elem:
                name = child.tag.replace(NS, '')
                members = {m.serialization.get('name', k): m for k, m in shape.members.items()}
                self.assertIn(name, members, f'{path}: <{name}> is not a member of {shape.name}')
                self.check_shape(child, members[name], f'{path}/{name}')
        elif shape.type_name == 'list':
            for child in elem:
                self.assertEqual(child.tag, NS + 'member', f'{path}: list items are <member>')
                self.check_shape(child, shape.member, f'{path}/member')
        else:
            self.assertEqual(len(elem), 0, f'{path}: a {shape.type_name} has no children')
            if shape.type_name in ('integer', 'long'):
                int(elem.text)
            elif shape.type_name == 'boolean':
                self.assertIn(elem.text, ('true', 'false'))

    def check_answer(self, action, params):
        status, headers, text = self.raw(dict({'Action': action, 'Version': '2015-12-01'}, **params))
        self.assertEqual(status, 200, text)
        self.assertTrue(headers.get('Content-Type', '').startswith('text/xml'), headers)
        root = ET.fromstring(text)
        self.assertEqual(root.tag, f'{NS}{action}Response')
        op = self.model.operation_model(action)
        result = root.find(f'{NS}{action}Result')
        self.assertIsNotNone(result, text)
        self.check_shape(result, op.output_shape, action)
        rid = root.find(f'{NS}ResponseMetadata/{NS}RequestId').text
        self.assertEqual(rid, headers.get('x-amzn-RequestId'))
        return root

    # ---- tests -------------------------------------------------------------------------
    def test_the_engine_load_balancer(self):
        lb = self.lb
        self.assertEqual(lb['LoadBalancerName'], 'slipway')
        self.assertEqual(lb['Type'], 'application')
        self.assertEqual(lb['State']['Code'], 'active')
        self.assertRegex(lb['LoadBalancerArn'],
                         r'^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/slipway/[0-9a-f]{16}$')
        self.assertEqual(self.listener['Port'], self.eng.router_port)
        self.assertEqual(self.listener['Protocol'], 'HTTP')
        self.assertEqual(self.listener['DefaultActions'][0]['Type'], 'fixed-response')
        # idempotent create of the same name
        again = self.elb.create_load_balancer(Name='slipway')['LoadBalancers'][0]
        self.assertEqual(again['LoadBalancerArn'], lb['LoadBalancerArn'])
        with self.assertRaises(self.elb.exceptions.LoadBalancerNotFoundException):
            self.elb.describe_load_balancers(Names=['nope'])
        with self.assertRaises(self.elb.exceptions.OperationNotPermittedException):
            self.elb.delete_load_balancer(LoadBalancerArn=lb['LoadBalancerArn'])
        out = self.eng.aws('elbv2', 'describe-load-balancers')
        self.assertEqual(out['LoadBalancers'][0]['DNSName'], 'localhost')
        self.check_answer('DescribeLoadBalancers', {})
        self.check_answer('DescribeListeners', {'LoadBalancerArn': lb['LoadBalancerArn']})

    def test_target_groups(self):
        elb = self.elb
        tg = elb.create_target_group(Name='api-tg', Protocol='HTTP', Port=8080, VpcId='vpc-1',
                                     Tags=[{'Key': 'app', 'Value': 'api'}])['TargetGroups'][0]
        # ALB's defaults for an HTTP target group
        self.assertEqual((tg['HealthCheckPath'], tg['HealthCheckIntervalSeconds'], tg['HealthCheckTimeoutSeconds'],
                          tg['HealthyThresholdCount'], tg['UnhealthyThresholdCount'], tg['Matcher']['HttpCode'],
                          tg['HealthCheckPort'], tg['TargetType'], tg['LoadBalancerArns']),
                         ('/', 30, 5, 5, 2, '200', 'traffic-port', 'instance', []))
        # same settings: the same group; other settings: the name is taken
        self.assertEqual(elb.create_target_group(Name='api-tg', Protocol='HTTP', Port=8080, VpcId='vpc-1')
                         ['TargetGroups'][0]['TargetGroupArn'], tg['TargetGroupArn'])
        with self.assertRaises(elb.exceptions.DuplicateTargetGroupNameException):
            elb.create_target_group(Name='api-tg', Protocol='HTTP', Port=9090)
        for bad in ({'Name': 'bad_name', 'Protocol': 'HTTP', 'Port': 80},
                    {'Name': '-x', 'Protocol': 'HTTP', 'Port': 80},
                    {'Name': 'x', 'Protocol': 'HTTP', 'Port': 80, 'HealthCheckPath': 'nope'},
                    {'Name': 'x', 'Protocol': 'HTTP', 'Port': 80, 'Matcher': {'HttpCode': '2xx'}},
                    {'Name': 'x', 'Protocol': 'HTTP', 'Port': 80, 'HealthCheckIntervalSeconds': 5},
                    {'Name': 'x', 'Port': 80}):
            with self.assertRaises(elb.exceptions.ClientError, msg=bad) as cm:
                elb.create_target_group(**bad)
            self.assertEqual(cm.exception.response['Error']['Code'], 'ValidationError', bad)
        with self.assertRaises(elb.exceptions.InvalidConfigurationRequestException):
            elb.create_target_group(Name='x', Protocol='TCP', Port=80)

        # describe by name, ARN, paging
        names = [f'page-{i}' for i in range(5)]
        for n in names:
            elb.create_target_group(Name=n, Protocol='HTTP', Port=80)
        got = [g['TargetGroupName'] for p in elb.get_paginator('describe_target_groups').paginate(
            PaginationConfig={'PageSize': 2}) for g in p['TargetGroups']]
        self.assertEqual([n for n in got if n.startswith('page-')], names)
        self.assertEqual(elb.describe_target_groups(Names=['api-tg'])['TargetGroups'][0]['TargetGroupArn'],
                         tg['TargetGroupArn'])
        with self.assertRaises(elb.exceptions.TargetGroupNotFoundException):
            elb.describe_target_groups(TargetGroupArns=[tg['TargetGroupArn'] + '0'])

        # modify the health check, and the deregistration delay attribute
        m = elb.modify_target_group(TargetGroupArn=tg['TargetGroupArn'], HealthCheckPath='/health',
                                    HealthCheckIntervalSeconds=10, HealthyThresholdCount=3,
                                    Matcher={'HttpCode': '200-299'})['TargetGroups'][0]
        self.assertEqual((m['HealthCheckPath'], m['HealthCheckIntervalSeconds'], m['HealthyThresholdCount'],
                          m['Matcher']['HttpCode']), ('/health', 10, 3, '200-299'))
        attrs = {a['Key']: a['Value'] for a in
                 elb.describe_target_group_attributes(TargetGroupArn=tg['TargetGroupArn'])['Attributes']}
        self.assertEqual(attrs['deregistration_delay.timeout_seconds'], '300')
        attrs = {a['Key']: a['Value'] for a in elb.modify_target_group_attributes(
            TargetGroupArn=tg['TargetGroupArn'],
            Attributes=[{'Key': 'deregistration_delay.timeout_seconds', 'Value': '15'}])['Attributes']}
        self.assertEqual(attrs['deregistration_delay.timeout_seconds'], '15')
        with self.assertRaises(elb.exceptions.ClientError):
            elb.modify_target_group_attributes(TargetGroupArn=tg['TargetGroupArn'],
                                               Attributes=[{'Key': 'no.such.key', 'Value': '1'}])
        tags = elb.describe_tags(ResourceArns=[tg['TargetGroupArn']])['TagDescriptions'][0]['Tags']
        self.assertEqual(tags, [{'Key': 'app', 'Value': 'api'}])
        self.check_answer('DescribeTargetGroups', {'Names.member.1': 'api-tg'})
        self.check_answer('DescribeTargetGroupAttributes', {'TargetGroupArn': tg['TargetGroupArn']})
        out = self.eng.aws('elbv2', 'describe-target-groups', '--names', 'api-tg')
        self.assertEqual(out['TargetGroups'][0]['HealthCheckPath'], '/health')

        # targets: the only instance is this machine's; health of unregistered / unused targets
        with self.assertRaises(elb.exceptions.InvalidTargetException):
            elb.register_targets(TargetGroupArn=tg['TargetGroupArn'], Targets=[{'Id': 'i-0123456789abcdef0'}])
        h = elb.describe_target_health(TargetGroupArn=tg['TargetGroupArn'],
                                       Targets=[{'Id': 'i-0123456789abcdef0', 'Port': 8080}])
        th = h['TargetHealthDescriptions'][0]['TargetHealth']
        self.assertEqual((th['State'], th['Reason']), ('unused', 'Target.NotRegistered'))
        ip_tg = elb.create_target_group(Name='ip-tg', Protocol='HTTP', Port=8080, TargetType='ip')['TargetGroups'][0]
        elb.register_targets(TargetGroupArn=ip_tg['TargetGroupArn'], Targets=[{'Id': '127.0.0.1', 'Port': 9}])
        th = elb.describe_target_health(TargetGroupArn=ip_tg['TargetGroupArn'])['TargetHealthDescriptions'][0]
        self.assertEqual((th['Target'], th['TargetHealth']['State'], th['TargetHealth']['Reason']),
                         ({'Id': '127.0.0.1', 'Port': 9}, 'unused', 'Target.NotInUse'))
        self.check_answer('DescribeTargetHealth', {'TargetGroupArn': ip_tg['TargetGroupArn']})
        elb.deregister_targets(TargetGroupArn=ip_tg['TargetGroupArn'], Targets=[{'Id': '127.0.0.1', 'Port': 9}])
        with self.assertRaises(elb.exceptions.InvalidTargetException):
            elb.deregister_targets(TargetGroupArn=ip_tg['TargetGroupArn'], Targets=[{'Id': '127.0.0.2', 'Port': 9}])
        with self.assertRaises(elb.exceptions.ClientError):
            elb.register_targets(TargetGroupArn=ip_tg['TargetGroupArn'], Targets=[{'Id': 'not-an-ip'}])

        elb.delete_target_group(TargetGroupArn=ip_tg['TargetGroupArn'])
        elb.delete_target_group(TargetGroupArn=ip_tg['TargetGroupArn'])  # idempotent, as ALB
        with self.assertRaises(elb.exceptions.TargetGroupNotFoundException):
            elb.describe_target_groups(TargetGroupArns=[ip_tg['TargetGroupArn']])

    def test_listeners_and_rules(self):
        elb = self.elb
        tg = elb.create_target_group(Name='rules-tg', Protocol='HTTP', Port=80)['TargetGroups'][0]['TargetGroupArn']
        tg2 = elb.create_target_group(Name='rules-tg2', Protocol='HTTP', Port=80)['TargetGroups'][0]['TargetGroupArn']
        ls = self.listener['ListenerArn']
        r = elb.create_rule(ListenerArn=ls, Priority=100, Conditions=[
            {'Field': 'host-header', 'HostHeaderConfig': {'Values': ['rules.localhost', '*.rules.localhost']}},
            {'Field': 'path-pattern', 'Values': ['/api/*']}],
            Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])['Rules'][0]
        self.assertEqual(r['Priority'], '100')
        self.assertFalse(r['IsDefault'])
        self.assertEqual(r['Conditions'][0]['Values'], ['rules.localhost', '*.rules.localhost'])
        self.assertEqual(r['Actions'][0]['ForwardConfig']['TargetGroups'][0]['TargetGroupArn'], tg)
        with self.assertRaises(elb.exceptions.PriorityInUseException):
            elb.create_rule(ListenerArn=ls, Priority=100, Conditions=[{'Field': 'host-header', 'Values': ['x']}],
                            Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])
        with self.assertRaises(elb.exceptions.TargetGroupNotFoundException):
            elb.create_rule(ListenerArn=ls, Priority=101, Conditions=[{'Field': 'host-header', 'Values': ['x']}],
                            Actions=[{'Type': 'forward', 'TargetGroupArn': tg + 'x'}])
        with self.assertRaises(elb.exceptions.ListenerNotFoundException):
            elb.create_rule(ListenerArn=ls + 'x', Priority=101, Conditions=[{'Field': 'host-header', 'Values': ['x']}],
                            Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])
        for conds in ([{'Field': 'http-header', 'Values': ['x']}], [{'Field': 'host-header', 'Values': ['a b']}], []):
            with self.assertRaises(elb.exceptions.ClientError, msg=conds) as cm:
                elb.create_rule(ListenerArn=ls, Priority=102, Conditions=conds,
                                Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])
            self.assertEqual(cm.exception.response['Error']['Code'], 'ValidationError')

        # the target group now belongs to the load balancer
        got = elb.describe_target_groups(TargetGroupArns=[tg])['TargetGroups'][0]
        self.assertEqual(got['LoadBalancerArns'], [self.lb['LoadBalancerArn']])
        lb_tgs = [g['TargetGroupArn'] for g in
                  elb.describe_target_groups(LoadBalancerArn=self.lb['LoadBalancerArn'])['TargetGroups']]
        self.assertIn(tg, lb_tgs)
        self.assertNotIn(tg2, lb_tgs)
        with self.assertRaises(elb.exceptions.ResourceInUseException):
            elb.delete_target_group(TargetGroupArn=tg)

        # rules in priority order, the default rule last
        elb.create_rule(ListenerArn=ls, Priority=50, Conditions=[{'Field': 'host-header', 'Values': ['b.localhost']}],
                        Actions=[{'Type': 'forward', 'TargetGroupArn': tg2}])
        rules = elb.describe_rules(ListenerArn=ls)['Rules']
        prios = [x['Priority'] for x in rules]
        self.assertEqual(prios[-1], 'default')
        self.assertTrue(rules[-1]['IsDefault'])
        nums = [int(p) for p in prios[:-1]]
        self.assertEqual(nums, sorted(nums))
        self.check_answer('DescribeRules', {'ListenerArn': ls})

        m = elb.modify_rule(RuleArn=r['RuleArn'], Actions=[{'Type': 'forward', 'TargetGroupArn': tg2}])['Rules'][0]
        self.assertEqual(m['Actions'][0]['TargetGroupArn'], tg2)
        with self.assertRaises(elb.exceptions.OperationNotPermittedException):
            elb.delete_rule(RuleArn=rules[-1]['RuleArn'])
        elb.delete_rule(RuleArn=r['RuleArn'])
        with self.assertRaises(elb.exceptions.RuleNotFoundException):
            elb.delete_rule(RuleArn=r['RuleArn'])
        elb.delete_target_group(TargetGroupArn=tg)   # no longer used

        # listeners: one per port; HTTP, and HTTPS with a certificate of the engine's ACM
        with self.assertRaises(elb.exceptions.DuplicateListenerException):
            elb.create_listener(LoadBalancerArn=self.lb['LoadBalancerArn'], Protocol='HTTP',
                                Port=self.eng.router_port,
                                DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg2}])
        with self.assertRaises(elb.exceptions.UnsupportedProtocolException):
            elb.create_listener(LoadBalancerArn=self.lb['LoadBalancerArn'], Protocol='TCP', Port=8443,
                                DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg2}])
        with self.assertRaises(elb.exceptions.ClientError) as cm:
            elb.create_listener(LoadBalancerArn=self.lb['LoadBalancerArn'], Protocol='HTTPS', Port=8443,
                                DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg2}])
        self.assertEqual(cm.exception.response['Error']['Code'], 'ValidationError')
        with self.assertRaises(elb.exceptions.CertificateNotFoundException):
            elb.create_listener(LoadBalancerArn=self.lb['LoadBalancerArn'], Protocol='HTTPS', Port=8443,
                                Certificates=[{'CertificateArn': 'arn:aws:acm:us-east-1:000000000000:certificate/nope'}],
                                DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg2}])
        with self.assertRaises(elb.exceptions.InvalidLoadBalancerActionException):
            elb.create_listener(LoadBalancerArn=self.lb['LoadBalancerArn'], Protocol='HTTP', Port=8443,
                                DefaultActions=[{'Type': 'redirect', 'RedirectConfig': {'StatusCode': 'HTTP_301'}}])
        with self.assertRaises(elb.exceptions.ClientError) as cm:
            elb.describe_listeners()
        self.assertEqual(cm.exception.response['Error']['Code'], 'ValidationError')

    def test_errors_on_the_wire(self):
        status, _, text = self.raw({'Action': 'DescribeTargetGroups', 'Version': '2015-12-01',
                                    'TargetGroupArns.member.1': 'arn:aws:elasticloadbalancing:us-east-1:'
                                    '000000000000:targetgroup/none/0000000000000000'})
        self.assertEqual(status, 400)
        root = ET.fromstring(text)
        self.assertEqual(root.tag, NS + 'ErrorResponse')
        self.assertEqual(root.find(f'{NS}Error/{NS}Type').text, 'Sender')
        self.assertEqual(root.find(f'{NS}Error/{NS}Code').text, 'TargetGroupNotFound')
        self.assertTrue(root.find(f'{NS}RequestId').text)
        status, _, text = self.raw({'Action': 'NoSuchThing', 'Version': '2015-12-01'})
        self.assertEqual((status, ET.fromstring(text).find(f'{NS}Error/{NS}Code').text), (400, 'InvalidAction'))
        status, _, text = self.raw({'Action': 'DescribeTargetGroups', 'Version': '2015-12-01', 'PageSize': 'x'})
        self.assertEqual((status, ET.fromstring(text).find(f'{NS}Error/{NS}Code').text), (400, 'ValidationError'))
        status, _, text = self.raw({'Action': 'DescribeTargetGroups', 'Version': '2015-12-01'}, secret='wrong' * 8)
        self.assertEqual((status, ET.fromstring(text).find(f'{NS}Error/{NS}Code').text), (403, 'SignatureDoesNotMatch'))
        status, _, _ = self.raw({'Action': 'DescribeTargetGroups', 'Version': '2015-12-01'}, sign=False)
        self.assertIn(status, (400, 403))
        with self.assertRaises(self.elb.exceptions.ClientError) as cm:
            self.elb.create_rule(ListenerArn=self.listener['ListenerArn'], Priority=9,
                                 Conditions=[{'Field': 'host-header', 'Values': ['x']}],
                                 Actions=[{'Type': 'forward'}])
        self.assertEqual(cm.exception.response['Error']['Code'], 'ValidationError')


if __name__ == '__main__':
    unittest.main()
