"""An ECS service behind the engine's load balancer, driven with boto3.

Target group + host-header rule for demo.localhost + a service with loadBalancers:
DescribeTargetHealth goes initial -> healthy, the router reaches the app with the
forwarding headers and a request id, a second task takes half the traffic, and bad
input (unknown host, no healthy target, a malformed request) gets 404 / 503 / 400
without disturbing the app's traffic.
"""
import time
import unittest

from swengine import Engine, wait_for
from swrouter import LoadBalancedApp, Load, app_image, get, raw


class LoadBalancedService(unittest.TestCase):
    def test_service_behind_the_router(self):
        with Engine(registry=False) as eng:
            img = app_image(eng, 'v1')
            app = LoadBalancedApp(eng, 'demo', img, desired=1)
            port = eng.router_port

            # initial (registration, then first checks) -> healthy, never healthy too early; the
            # checks that bring a new target in service come 100 ms apart: look often
            states = []

            def healthy():
                h = app.health()
                if h and (not states or states[-1] != h[0][1:]):
                    states.append(h[0][1:])
                return h and h[0][1] == 'healthy'
            wait_for('the first target to be healthy', healthy, timeout=90, interval=0.02)
            self.assertEqual(states[0][0], 'initial', states)
            self.assertIn(states[0][1], ('Elb.RegistrationInProgress', 'Elb.InitialHealthChecking'))
            self.assertEqual(states[-1], ('healthy', None))

            status, body = get(port, 'demo.localhost')
            self.assertEqual(status, 200, body)
            self.assertTrue(body.startswith('v1 '), body)
            # the port in Host is ignored, case does not matter
            self.assertEqual(get(port, 'DEMO.localhost:5481')[0], 200)

            # the forwarding headers and a request id reach the app
            status, env = get(port, 'demo.localhost', '/cgi-bin/env')
            self.assertEqual(status, 200, env)
            headers = dict(line.split('=', 1) for line in env.splitlines() if '=' in line)
            self.assertEqual(headers.get('HTTP_X_FORWARDED_FOR'), '127.0.0.1', env)
            self.assertEqual(headers.get('HTTP_X_FORWARDED_PROTO'), 'http', env)
            self.assertEqual(headers.get('HTTP_X_FORWARDED_PORT'), str(port), env)
            self.assertRegex(headers.get('HTTP_X_REQUEST_ID', ''), r'^[0-9a-f-]{36}$', env)
            other = get(port, 'demo.localhost', '/cgi-bin/env')[1]
            self.assertNotIn(headers['HTTP_X_REQUEST_ID'], other)

            # ECS's own record of it
            events = [e['message'] for e in app.service()['events']]
            self.assertTrue(any('registered 1 targets in (target-group ' + app.tg in m for m in events), events)

            # a second task: both answer over 20 requests
            app.ecs.update_service(service='demo', desiredCount=2)
            app.wait_healthy(2)
            hosts = {}
            for _ in range(20):
                status, body = get(port, 'demo.localhost')
                self.assertEqual(status, 200, body)
                hosts[body] = hosts.get(body, 0) + 1
            self.assertEqual(len(hosts), 2, hosts)
            self.assertTrue(all(n >= 5 for n in hosts.values()), hosts)

            # the AWS CLI reads the same health
            out = eng.aws('elbv2', 'describe-target-health', '--target-group-arn', app.tg)
            self.assertEqual(sorted(d['TargetHealth']['State'] for d in out['TargetHealthDescriptions']),
                             ['healthy', 'healthy'])

            # bad input next to the app's traffic: none of it disturbs the app
            load = Load(port, 'demo.localhost', max_requests=2000, interval=0.01)
            for _ in range(10):
                status, body = get(port, 'nosuchapp.localhost')
                self.assertEqual(status, 404)
                self.assertIn('404', body)
                self.assertEqual(raw(port, b'GARBAGE\r\n\r\n'), 400)
                self.assertEqual(raw(port, b'GET / HTTP/1.1\r\nHost: demo.localhost\r\nContent-Length: x\r\n\r\n'), 400)
                self.assertEqual(raw(port, b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\nHost: demo.localhost\r\n\r\n'), 400)
            # a target group with no healthy target answers 503
            empty = app.elb.create_target_group(Name='empty', Protocol='HTTP', Port=8080,
                                                HealthCheckPath='/')['TargetGroups'][0]['TargetGroupArn']
            app.elb.create_rule(ListenerArn=app.listener, Priority=20,
                                Conditions=[{'Field': 'host-header', 'Values': ['empty.localhost']}],
                                Actions=[{'Type': 'forward', 'TargetGroupArn': empty}])
            status, body = wait_for('the empty app to answer 503',
                                    lambda: (lambda r: r if r[0] == 503 else None)(get(port, 'empty.localhost')),
                                    timeout=20)
            self.assertIn('No healthy target', body)
            time.sleep(0.5)
            load.stop()
            self.assertEqual(load.failures(), [])
            self.assertGreater(len(load.results), 20)


if __name__ == '__main__':
    unittest.main()
