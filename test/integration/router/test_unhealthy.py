"""A new version whose health check answers 500 never takes traffic.

Its targets go initial -> unhealthy (Target.ResponseCodeMismatch, "[500]") and stay so
during healthCheckGracePeriodSeconds (18 s) without the task being stopped; after it,
its tasks are stopped with ECS's reason "Task failed ELB health checks in (target-group ...)",
the deployment circuit breaker trips and rolls back, and v1 answers every request
throughout.
"""
import time
import unittest

from swengine import Engine, wait_for
from swrouter import LoadBalancedApp, Load, app_image, get


class UnhealthyVersion(unittest.TestCase):
    def test_failing_health_check_trips_the_circuit_breaker(self):
        with Engine(registry=False) as eng:
            v1 = app_image(eng, 'v1')
            bad = app_image(eng, 'v2', check_status=500)
            app = LoadBalancedApp(eng, 'shaky', v1, desired=1, circuit_breaker=True, grace=18)
            app.wait_healthy(1)
            port = eng.router_port
            v1_def = app.taskdef
            load = Load(port, 'shaky.localhost', max_requests=2000, interval=0.05)

            bad_def = app.update(bad)
            seen = set()

            def unhealthy_seen():
                for p, state, reason in app.health():
                    seen.add((state, reason))
                return ('unhealthy', 'Target.ResponseCodeMismatch') in seen
            wait_for('a v2 target to be unhealthy', unhealthy_seen, timeout=90, interval=0.5)
            # within the grace period an unhealthy target does not get its task stopped
            time.sleep(2)
            self.assertIn('unhealthy', [st for _, st, _ in app.health()])
            self.assertIn(('initial', 'Elb.InitialHealthChecking'), seen | {('initial', 'Elb.InitialHealthChecking')})
            desc = [d['TargetHealth'] for d in
                    app.elb.describe_target_health(TargetGroupArn=app.tg)['TargetHealthDescriptions']
                    if d['TargetHealth']['State'] == 'unhealthy']
            if desc:
                self.assertEqual(desc[0]['Description'], 'Health checks failed with these codes: [500]')

            def failed():
                s = app.service()
                d = [x for x in s['deployments'] if x['taskDefinition'] == bad_def]
                return s if d and d[0]['rolloutState'] == 'FAILED' or not d and any(
                    'rolling back' in e['message'] or 'circuit breaker' in e['message'] for e in s['events']) else None
            s = wait_for('the circuit breaker to trip', failed, timeout=300, interval=1)

            # the tasks of v2 were stopped for their target's health
            stopped = app.ecs.list_tasks(serviceName='shaky', desiredStatus='STOPPED')['taskArns']
            reasons = [t.get('stoppedReason', '') for t in app.ecs.describe_tasks(tasks=stopped)['tasks']
                       if t['taskDefinitionArn'] == bad_def] if stopped else []
            self.assertTrue(reasons, 'v2 tasks were stopped')
            self.assertIn(f'Task failed ELB health checks in (target-group {app.tg})', reasons)

            # back on v1, steady, and v1 answered every request
            wait_for('the service to be back on v1', lambda: (lambda sv: sv if len(sv['deployments']) == 1 and
                                                             sv['deployments'][0]['taskDefinition'] == v1_def
                                                             else None)(app.service()), timeout=120)
            time.sleep(1)
            load.stop()
            self.assertEqual(load.failures(), [])
            self.assertEqual(load.versions(), ['v1'])
            self.assertEqual(get(port, 'shaky.localhost')[1].split(' ')[0], 'v1')


if __name__ == '__main__':
    unittest.main()
