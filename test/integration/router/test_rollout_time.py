"""A rolling update behind the load balancer takes what its health checks take, no more.

The engine runs with its real defaults where they matter (a 40 s stable period for tasks
without any health signal, 30 s between SIGTERM and SIGKILL), the app is README's quick
start (busybox httpd as the container's command, which as PID 1 ignores SIGTERM) with
`linuxParameters.initProcessEnabled`, the target group checks every 5 s and wants 2 passing
checks, with a 30 s deregistration delay. Then UpdateService to COMPLETED takes what the
container takes to start and answer, not the health check interval: the new target is
checked as soon as it is registered, and the checks that bring it in service come 100 ms
apart (fastinter), so it passes its 2 consecutive checks within a fraction of a second
(the 5 s interval is for a target in service); the old task goes as soon as it is (the
target is the signal, there is no stable period to wait); its target, with nothing in
flight, is done draining at once; init passes SIGTERM to httpd, which exits (143) at once;
the task is STOPPED once its container stopped. Bound: 4 s (less than one interval). No
request fails meanwhile, and ECS's events read deregistered, begun draining, stopped.
"""
import time
import unittest

from swengine import Engine, wait_rollout
from swrouter import Load, get

QUICK_START = ('FROM slipway/busybox:latest\nRUN mkdir -p /www && echo %s > /www/index.html\n'
               'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n')
INTERVAL, HEALTHY = 5, 2


class RolloutTime(unittest.TestCase):
    def test_rollout_takes_the_health_checks_time(self):
        env = {'SLIPWAY_ENGINE_STABLE_SECONDS': '40', 'SLIPWAY_ENGINE_STOP_TIMEOUT': '30'}
        with Engine(registry=False, env=env) as eng:
            elb, ecs = eng.client('elbv2'), eng.client('ecs')
            images = [eng.build_image(f'quick:{v}', QUICK_START % v) for v in ('v1', 'v2')]
            lb = elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]['LoadBalancerArn']
            listener = elb.describe_listeners(LoadBalancerArn=lb)['Listeners'][0]['ListenerArn']
            tg = elb.create_target_group(
                Name='quick', Protocol='HTTP', Port=8080, VpcId='vpc-test', TargetType='instance',
                HealthCheckPath='/', HealthCheckIntervalSeconds=INTERVAL, HealthCheckTimeoutSeconds=4,
                HealthyThresholdCount=HEALTHY, UnhealthyThresholdCount=3, Matcher={'HttpCode': '200-399'},
            )['TargetGroups'][0]['TargetGroupArn']
            elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
                {'Key': 'deregistration_delay.timeout_seconds', 'Value': '30'}])
            elb.create_rule(ListenerArn=listener, Priority=10,
                            Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['quick.localhost']}}],
                            Actions=[{'Type': 'forward', 'TargetGroupArn': tg}])

            def register(image):
                return ecs.register_task_definition(family='quick', containerDefinitions=[{
                    'name': 'web', 'image': image, 'memory': 32, 'essential': True,
                    'linuxParameters': {'initProcessEnabled': True},
                    'portMappings': [{'containerPort': 8080, 'hostPort': 0}],
                }])['taskDefinition']['taskDefinitionArn']

            td1 = register(images[0])
            ecs.create_service(serviceName='quick', taskDefinition=td1, desiredCount=1,
                               loadBalancers=[{'targetGroupArn': tg, 'containerName': 'web', 'containerPort': 8080}],
                               healthCheckGracePeriodSeconds=30,
                               deploymentConfiguration={'minimumHealthyPercent': 100, 'maximumPercent': 200,
                                                        'deploymentCircuitBreaker': {'enable': True,
                                                                                     'rollback': True}})
            wait_rollout(ecs, 'quick', td1, timeout=120)
            old = ecs.list_tasks(serviceName='quick')['taskArns']
            self.assertEqual(get(eng.router_port, 'quick.localhost'), (200, 'v1'))

            load = Load(eng.router_port, 'quick.localhost', max_requests=2000, interval=0.02)
            td2 = register(images[1])
            t0 = time.monotonic()
            updated = time.time()
            ecs.update_service(service='quick', taskDefinition=td2)
            wait_rollout(ecs, 'quick', td2, timeout=120)
            took = time.monotonic() - t0
            load.stop()

            bound = 4
            print(f'UpdateService to COMPLETED: {took:.1f}s (bound {bound}s)')
            self.assertLessEqual(took, bound, f'UpdateService to COMPLETED took {took:.1f}s (bound {bound}s)')
            self.assertEqual(load.failures(), [])
            self.assertEqual(load.versions(), ['v1', 'v2'])
            self.assertEqual(get(eng.router_port, 'quick.localhost'), (200, 'v2'))

            # the old task was replaced, drained and stopped by SIGTERM (not killed at stopTimeout)
            t = ecs.describe_tasks(tasks=old)['tasks'][0]
            self.assertEqual(t['lastStatus'], 'STOPPED')
            self.assertTrue(t['stoppedReason'].startswith('Scaling activity initiated by'), t['stoppedReason'])
            self.assertEqual(t['containers'][0].get('exitCode'), 143)

            msgs = [e['message'] for e in reversed(ecs.describe_services(services=['quick'])['services'][0]['events'])
                    if e['createdAt'].timestamp() >= updated - 1]
            old_id = old[0].split('/')[-1]   # the first deployment's events may be within a second too
            msgs = msgs[next(i for i, m in enumerate(msgs) if 'has started 1 tasks' in m and old_id not in m):]
            order = [next(i for i, m in enumerate(msgs) if w in m)
                     for w in ('has started 1 tasks', ') registered 1 targets', ') deregistered 1 targets',
                               'has begun draining connections on 1 tasks', 'has stopped 1 running tasks',
                               'deployment completed')]
            self.assertEqual(order, sorted(order), msgs)


if __name__ == '__main__':
    unittest.main()
