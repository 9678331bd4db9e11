"""Custom domains, through the whole of slipway: real pushes to slipwayd, the engine as
ECS and ELBv2, its HAProxy router answering. `slipway domains:add HOST` routes HOST to
the app beside APP.localhost (a host-header rule of its own); bad input (an IP address,
a malformed name, a host another app has, one under the apps domain) is refused in one
line and changes nothing on the load balancer."""
import unittest

import requests

from swengine import wait_for
from swrelease import PushStack


class Domains(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024, load_balancer='elbv2',
                           env={'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_DEREGISTRATION_DELAY': '1'})

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def get(self, host):
        r = requests.get(f'http://127.0.0.1:{self.ps.eng.router_port}/', headers={'Host': host}, timeout=5)
        return r.status_code, r.text.strip()

    def cli(self, *args, code=0):
        r = self.ps.cli(*args)
        self.assertEqual(r.returncode, code, (args, r.stdout, r.stderr))
        if code == 1:
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertEqual(r.stdout, '', r.stdout)
            return r.stderr.strip()
        return r.stdout

    def rules(self):
        lb = self.ps.eng.aws('elbv2', 'describe-load-balancers')['LoadBalancers'][0]['LoadBalancerArn']
        ls = self.ps.eng.aws('elbv2', 'describe-listeners', '--load-balancer-arn', lb)['Listeners']
        http = [x for x in ls if x['Protocol'] == 'HTTP'][0]['ListenerArn']
        return sorted(c.get('Values') or c['HostHeaderConfig']['Values']
                      for r in self.ps.eng.aws('elbv2', 'describe-rules', '--listener-arn', http)['Rules']
                      for c in r['Conditions'])

    def test_domains(self):
        ps = self.ps
        # a domain added before the app's first deploy is routed by it
        self.cli('apps:create', 'api')
        self.assertIn('Added api.example.test to api', self.cli('domains:add', 'API.example.test', '-a', 'api'))
        repo = ps.make_repo('web', 'web-v1')
        self.assertEqual(ps.push(repo, 'web').returncode, 0)
        self.assertEqual(ps.push(repo, 'api').returncode, 0)
        self.assertEqual(self.get('api.example.test'), (200, 'web-v1'))

        # added to a live app: routed at once, beside the app's own host
        self.assertEqual(self.get('www.example.test')[0], 404)
        self.cli('domains:add', 'www.example.test', '-a', 'web')
        self.assertEqual(self.get('www.example.test'), (200, 'web-v1'))
        self.assertEqual(self.get('web.localhost'), (200, 'web-v1'))
        self.assertIn('is already a domain of web', self.cli('domains:add', 'www.example.test', '-a', 'web'))
        out = self.cli('domains', '-a', 'web')
        self.assertIn('web.localhost (the app\'s own)', out)
        self.assertIn('www.example.test', out)

        # refused in one line, nothing changed
        before = self.rules()
        for host, why in (('10.1.2.3', 'is an IP address'), ('::1', 'is an IP address'),
                          ('bad_name.example', 'is not a host name'), ('nodots', 'is not a host name'),
                          ('x-.example.test', 'is not a host name'), ('a.b.123', 'is not a host name'),
                          ('www.example.test', 'is already a domain of web'),
                          ('api.localhost', 'is under the apps domain (localhost)')):
            line = self.cli('domains:add', host, '-a', 'api', code=1)
            self.assertIn(why, line, host)
        self.assertIn('is not a domain of api', self.cli('domains:remove', 'www.example.test', '-a', 'api', code=1))
        self.assertEqual(self.rules(), before)
        self.assertEqual(self.get('www.example.test'), (200, 'web-v1'))

        # removed: that host answers 404 again, the app's own still answers
        self.cli('domains:remove', 'www.example.test', '-a', 'web')
        wait_for('www.example.test to be gone', lambda: self.get('www.example.test')[0] == 404 or None, timeout=10)
        self.assertEqual(self.get('web.localhost'), (200, 'web-v1'))
        self.assertNotIn('www.example.test', self.cli('domains', '-a', 'web'))


if __name__ == '__main__':
    unittest.main()
