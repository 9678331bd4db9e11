"""Lists past their first page.

- Listener rules: slipwayd asks for 400 at a time (ELBv2's largest PageSize) and follows
  NextMarker, so with more than 400 rules on the listener an app whose rule sits on the
  second page is still found, its rule kept by the next release (no second CreateRule) and
  deleted by apps:destroy. The engine pages DescribeRules as ELBv2 does.
- Tasks and container instances: ECS answers ListTasks and ListContainerInstances 100 at
  a time with a nextToken; a hundred tasks do not fit on this machine, so the proxy here
  (Paging) answers them one item per page, with tokens of its own, as ECS would with
  maxResults 1. The watcher must follow them to see both tasks of `scale web=2` go live
  (the watcher, teardown and `ps` share releaser/pager.c's loop).
Every request through the validating proxy (strict)."""
import itertools
import json
import threading
import unittest

from swengine import wait_for
from swrelease import PushStack
from swvalidate import Validator

FILLERS = 401
ECS = 'AmazonEC2ContainerServiceV20141113'
PAGED = {f'{ECS}.ListTasks': 'taskArns', f'{ECS}.ListContainerInstances': 'containerInstanceArns'}


class Paging(Validator):
    """The validating proxy, answering ListTasks and ListContainerInstances one item a page:
    the first request goes to the engine, its list is handed out one by one under tokens
    of the proxy's own ("swpage-N"), the engine's own nextToken (if any) with the last."""

    def __init__(self, upstream):
        super().__init__(upstream)
        self.pages, self.ids, self.lock = {}, itertools.count(1), threading.Lock()

    def _answer(self, doc):
        return 200, 'OK', [('Content-Type', 'application/x-amz-json-1.1')], json.dumps(doc).encode()

    def _page(self, key, items, tail):
        """items[0] now, the rest under a new token (tail: the engine's nextToken, or None)."""
        doc = {key: items[:1]}
        if len(items) > 1:
            with self.lock:
                token = f'swpage-{next(self.ids)}'
                self.pages[token] = (key, items[1:], tail)
            doc['nextToken'] = token
        elif tail:
            doc['nextToken'] = tail
        return self._answer(doc)

    def _forward(self, method, path, headers, body):
        key = PAGED.get(next((v for k, v in headers if k.lower() == 'x-amz-target'), ''))
        token = json.loads(body or b'{}').get('nextToken', '') if key else ''
        if key and token.startswith('swpage-'):
            with self.lock:
                key, items, tail = self.pages.pop(token)
            return self._page(key, items, tail)
        status, reason, out_headers, answer = super()._forward(method, path, headers, body)
        if not key or status != 200:
            return status, reason, out_headers, answer
        doc = json.loads(answer)
        return self._page(key, doc.get(key, []), doc.get('nextToken'))


class Pages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = Paging('http://127.0.0.1:9')   # retargeted at the engine once it runs
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

        # the next release finds its rule on the second page: no other rule is made; its two
        # tasks, one a page, both seen live
        r = ps.cli('scale', 'web=2', '-a', 'paged')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(ps.release('paged', 2)['status'], 'live')
        tokens = [c.params.get('nextToken', '') for c in self.v.calls('ecs', 'ListTasks')]
        self.assertTrue(any(t.startswith('swpage-') for t in tokens), 'ListTasks was answered a page at a time')
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
