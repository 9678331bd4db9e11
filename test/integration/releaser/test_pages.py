"""Listener rules past DescribeRules' first page: slipwayd asks for 400 at a time (ELBv2's
largest PageSize) and follows NextMarker, so with more than 400 rules on the listener an
app whose rule sits on the second page is still found, its rule kept by the next release
(no second CreateRule) and deleted by apps:destroy. Every request through the validating
proxy (strict). The engine pages DescribeRules as ELBv2 does (Marker in, NextMarker out)."""
import json
import unittest

from swengine import wait_for
from swrelease import PushStack
from swvalidate import Validator

FILLERS = 401


class Pages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = Validator('http://127.0.0.1:9')   # retargeted at the engine once it runs
        cls.ps = PushStack(memory_mb=2048, load_balancer='elbv2', env={'AWS_ENDPOINT_URL': cls.v.url})
        cls.v.retarget(cls.ps.eng.endpoint)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()
        cls.v.close()

    def rules(self, elb, listener):
        pages = elb.get_paginator('describe_rules').paginate(ListenerArn=listener, PaginationConfig={'PageSize': 400})
        return [r for p in pages for r in p['Rules']]

    def hosts(self, rule):
        return [v for c in rule['Conditions'] if c['Field'] == 'host-header' for v in c['HostHeaderConfig']['Values']]

    def test_a_rule_on_the_second_page(self):
        ps, elb = self.ps, self.ps.eng.client('elbv2')
        lb = elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
        listener = [l for l in elb.describe_listeners(LoadBalancerArn=lb['LoadBalancerArn'])['Listeners']
                    if l['Protocol'] == 'HTTP'][0]['ListenerArn']
        # straight to the engine, not through the proxy: rules of another tool, to a group of its own
        filler = elb.create_target_group(Name='filler', Protocol='HTTP', Port=80, VpcId=lb['VpcId'],
                                         TargetType='instance')['TargetGroups'][0]['TargetGroupArn']
        for i in range(1, FILLERS + 1):
            elb.create_rule(ListenerArn=listener, Priority=i, Conditions=[
                {'Field': 'host-header', 'HostHeaderConfig': {'Values': [f'filler-{i}.example']}}],
                Actions=[{'Type': 'forward', 'TargetGroupArn': filler}])

        repo = ps.make_repo('paged', 'v1')
        r = ps.push(repo, 'paged')
        self.assertEqual(r.returncode, 0, r.output)
        created = [c.params for c in self.v.calls('elbv2', 'CreateRule')]
        self.assertEqual(len(created), 1, created)
        self.assertGreater(created[0]['Priority'], FILLERS, 'after the last rule, on the second page')
        markers = [c.params.get('Marker') for c in self.v.calls('elbv2', 'DescribeRules')]
        self.assertIn('400', markers, 'the second page was asked for')
        mine = [x for x in self.rules(elb, listener) if 'paged.localhost' in self.hosts(x)]
        self.assertEqual(len(mine), 1)

        # the next release finds its rule on the second page: no other rule is made
        r = ps.cli('config:set', 'PAGED=1', '-a', 'paged')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.v.calls('elbv2', 'CreateRule')), 1)
        self.assertEqual([x['RuleArn'] for x in self.rules(elb, listener) if 'paged.localhost' in self.hosts(x)],
                         [mine[0]['RuleArn']])

        # apps:destroy deletes it there
        r = ps.cli('apps:destroy', 'paged', '--confirm', 'paged', '--json')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn({'RuleArn': mine[0]['RuleArn']}, [c.params for c in self.v.calls('elbv2', 'DeleteRule')],
                      json.loads(r.stdout))
        wait_for('its rule gone', lambda: not [x for x in self.rules(elb, listener)
                                              if 'paged.localhost' in self.hosts(x)], timeout=30)
        self.assertEqual(len(self.rules(elb, listener)), FILLERS + 1, 'the fillers and the default rule stay')
        self.v.assert_clean()


if __name__ == '__main__':
    unittest.main()
