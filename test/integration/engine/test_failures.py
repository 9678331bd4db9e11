"""Deployments that fail: crashes (circuit breaker + rollback), health checks that never pass,
crashed tasks of a steady service, and a newer update superseding one in progress."""
import unittest

from swengine import Engine, answers, docker, service_state, wait_for, wait_rollout, web_task_definition

CB = {'deploymentCircuitBreaker': {'enable': True, 'rollback': True}}


class Failures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine()
        cls.ecs = cls.eng.client('ecs')
        cls.v1 = cls.eng.web_image('v1')
        cls.v2 = cls.eng.web_image('v2')
        cls.td1 = web_task_definition(cls.ecs, 'app', cls.v1)['taskDefinitionArn']
        cls.ecs.create_service(serviceName='app', taskDefinition=cls.td1, desiredCount=2,
                               deploymentConfiguration=CB)
        wait_rollout(cls.ecs, 'app', cls.td1)

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def deployment_of(self, td):
        for d in service_state(self.ecs, 'app')['deployments']:
            if d['taskDefinition'] == td:
                return d
        return None

    def stopped_tasks_of(self, td):
        arns = self.ecs.list_tasks(serviceName='app', desiredStatus='STOPPED')['taskArns']
        out = []
        for i in range(0, len(arns), 100):
            out += [t for t in self.ecs.describe_tasks(tasks=arns[i:i + 100])['tasks']
                    if t['taskDefinitionArn'] == td]
        return out

    def watch_until_rolled_back(self, bad, timeout=120):
        """Until the service is back, COMPLETED, on v1 after the bad deployment failed.
        Returns the service and the last state seen of the bad deployment (the FAILED one
        is dropped as soon as its tasks are gone, which can be within a second)."""
        seen = {}

        def done():
            s = service_state(self.ecs, 'app')
            for d in s['deployments']:
                if d['taskDefinition'] == bad and seen.get('bad', {}).get('rolloutState') != 'FAILED':
                    seen['bad'] = d
            d = s['deployments']
            if len(d) == 1 and d[0]['taskDefinition'] == self.td1 and d[0]['rolloutState'] == 'COMPLETED' \
                    and 'bad' in seen:
                return s
            return None
        s = wait_for('the rollback to complete', done, timeout=timeout, interval=0.05)
        failed = seen['bad']
        msgs = [e['message'] for e in s['events']]
        self.assertIn(f"(service app) (deployment {failed['id']}) deployment failed: tasks failed to start.", msgs)
        self.assertTrue(any(m.startswith('(service app) rolling back to deployment ecs-svc/') for m in msgs))
        if failed['rolloutState'] == 'FAILED':
            self.assertEqual(failed['rolloutStateReason'],
                             'ECS deployment circuit breaker: tasks failed to start.')
            self.assertGreaterEqual(failed['failedTasks'], 3)   # clamp(0.5 * 2, 3, 200)
        return s, failed

    def test_1_crashing_image_trips_the_breaker_and_rolls_back(self):
        bad = web_task_definition(self.ecs, 'app', self.v2, health=False,
                                  command=['sh', '-c', 'exit 1'])['taskDefinitionArn']
        self.ecs.update_service(service='app', taskDefinition=bad)
        s, failed = self.watch_until_rolled_back(bad)
        self.assertEqual(s['taskDefinition'], self.td1)
        self.assertEqual(s['runningCount'], 2)
        self.assertEqual(answers(self.ecs, 'app'), ['v1', 'v1'])
        msgs = [e['message'] for e in s['events']]
        self.assertEqual(msgs[0], '(service app) has reached a steady state.')
        crashed = [t for t in self.stopped_tasks_of(bad) if t['stopCode'] == 'EssentialContainerExited']
        self.assertGreaterEqual(len(crashed), 3)
        self.assertEqual(crashed[0]['containers'][0]['exitCode'], 1)
        self.assertEqual(crashed[0]['stoppedReason'], 'Essential container in task exited')

    def test_2_failing_health_check_replaces_tasks_and_trips_the_breaker(self):
        bad = web_task_definition(self.ecs, 'app', self.v2, extra={'healthCheck': {
            'command': ['CMD-SHELL', 'exit 1'], 'interval': 1, 'timeout': 1, 'retries': 1}})['taskDefinitionArn']
        self.ecs.update_service(service='app', taskDefinition=bad)
        s, failed = self.watch_until_rolled_back(bad)
        unhealthy = [t for t in self.stopped_tasks_of(bad) if t['stoppedReason'] == 'Task failed container health checks']
        self.assertGreaterEqual(len(unhealthy), 3)      # stopped and replaced, until the breaker tripped
        self.assertEqual(unhealthy[0]['stopCode'], 'ServiceSchedulerInitiated')
        msgs = [e['message'] for e in s['events']]
        self.assertTrue(any(m.endswith('failed container health checks.') for m in msgs))
        self.assertEqual(answers(self.ecs, 'app'), ['v1', 'v1'])

    def test_3_crashed_task_of_a_steady_service_is_replaced(self):
        before = set(self.ecs.list_tasks(serviceName='app')['taskArns'])
        victim = sorted(before)[0]
        t = self.ecs.describe_tasks(tasks=[victim])['tasks'][0]
        docker('kill', t['containers'][0]['runtimeId'])
        self.ecs.get_waiter('tasks_stopped').wait(tasks=[victim], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        t = self.ecs.describe_tasks(tasks=[victim])['tasks'][0]
        self.assertEqual(t['stopCode'], 'EssentialContainerExited')
        self.assertEqual(t['containers'][0]['exitCode'], 137)

        def replaced():
            now = set(self.ecs.list_tasks(serviceName='app')['taskArns'])
            return len(now) == 2 and victim not in now and answers(self.ecs, 'app') == ['v1', 'v1']
        wait_for('a replacement task', replaced, timeout=60)
        wait_for('steady', lambda: service_state(self.ecs, 'app')['events'][0]['message'] ==
                 '(service app) has reached a steady state.', timeout=30)

    def test_4_newer_update_supersedes(self):
        td2 = web_task_definition(self.ecs, 'app', self.v2)['taskDefinitionArn']
        td3 = web_task_definition(self.ecs, 'app', self.v2, extra={'environment': [{'name': 'X', 'value': '3'}]})
        td3 = td3['taskDefinitionArn']
        self.ecs.update_service(service='app', taskDefinition=td2)
        s = self.ecs.update_service(service='app', taskDefinition=td3)['service']
        self.assertEqual(s['deployments'][0]['taskDefinition'], td3)
        self.assertEqual(s['deployments'][0]['status'], 'PRIMARY')
        self.assertTrue(all(d['status'] == 'ACTIVE' for d in s['deployments'][1:]))
        s = wait_rollout(self.ecs, 'app', td3)
        self.assertEqual(s['runningCount'], 2)
        self.assertEqual(answers(self.ecs, 'app'), ['v2', 'v2'])
        running = self.ecs.describe_tasks(tasks=self.ecs.list_tasks(serviceName='app')['taskArns'])['tasks']
        self.assertEqual({t['taskDefinitionArn'] for t in running}, {td3})
        wait_for('old containers gone', lambda: len(self.eng.containers()) == 2, 30)


if __name__ == '__main__':
    unittest.main(verbosity=2)
