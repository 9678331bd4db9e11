"""A rolling update through boto3 and botocore's own waiters; RunTask; the AWS CLI."""
import os
import subprocess
import sys
import time
import unittest

from swengine import Engine, answers, service_state, wait_for, wait_rollout, web_task_definition


class Rollout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine()
        cls.ecs = cls.eng.client('ecs')
        cls.v1 = cls.eng.web_image('v1')
        cls.v2 = cls.eng.web_image('v2')

    @classmethod
    def tearDownClass(cls):
        if sys.exc_info()[0]:
            print(cls.eng.log())
        cls.eng.stop()

    def test_1_service_rolls_from_v1_to_v2(self):
        ecs = self.ecs
        td1 = web_task_definition(ecs, 'web', self.v1)
        td2 = web_task_definition(ecs, 'web', self.v2)
        self.assertEqual(td1['revision'], 1)
        self.assertEqual(td2['revision'], 2)
        self.assertEqual(td1['taskDefinitionArn'], 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1')
        self.assertTrue(td1['containerDefinitions'][0]['essential'])   # defaulted, still reported

        created = ecs.create_service(serviceName='web', taskDefinition=td1['taskDefinitionArn'], desiredCount=2)
        s = created['service']
        self.assertEqual(s['serviceArn'], 'arn:aws:ecs:us-east-1:000000000000:service/default/web')
        self.assertEqual(s['deploymentConfiguration']['minimumHealthyPercent'], 100)
        self.assertEqual(s['deploymentConfiguration']['maximumPercent'], 200)
        self.assertEqual([d['status'] for d in s['deployments']], ['PRIMARY'])
        self.assertEqual(s['deployments'][0]['rolloutState'], 'IN_PROGRESS')

        waiter = ecs.get_waiter('services_stable')
        waiter.wait(services=['web'], WaiterConfig={'Delay': 1, 'MaxAttempts': 90})
        wait_rollout(ecs, 'web', td1['taskDefinitionArn'])
        self.assertEqual(wait_for('v1 answers', lambda: answers(ecs, 'web') == ['v1', 'v1'] or None, 30), True)
        old = set(ecs.list_tasks(serviceName='web')['taskArns'])
        for t in ecs.describe_tasks(tasks=list(old))['tasks']:
            self.assertTrue(t['startedBy'].startswith('ecs-svc/'))
            self.assertEqual(t['group'], 'service:web')
            self.assertEqual(t['healthStatus'], 'HEALTHY')
            self.assertGreater(t['containers'][0]['networkBindings'][0]['hostPort'], 0)

        updated = ecs.update_service(service='web', taskDefinition=td2['taskDefinitionArn'])['service']
        deps = updated['deployments']
        self.assertEqual([d['status'] for d in deps], ['PRIMARY', 'ACTIVE'])
        self.assertEqual(deps[0]['taskDefinition'], td2['taskDefinitionArn'])
        self.assertEqual(deps[0]['rolloutState'], 'IN_PROGRESS')
        self.assertEqual(deps[0]['rolloutStateReason'], f"ECS deployment {deps[0]['id']} in progress.")
        self.assertEqual(deps[1]['rolloutState'], 'COMPLETED')

        waiter.wait(services=['web'], WaiterConfig={'Delay': 1, 'MaxAttempts': 90})
        s = wait_rollout(ecs, 'web', td2['taskDefinitionArn'])
        self.assertEqual(s['taskDefinition'], td2['taskDefinitionArn'])
        self.assertEqual(s['runningCount'], 2)
        self.assertEqual(answers(ecs, 'web'), ['v2', 'v2'])
        new = set(ecs.list_tasks(serviceName='web')['taskArns'])
        self.assertFalse(old & new)
        for t in ecs.describe_tasks(tasks=list(old))['tasks']:
            self.assertEqual(t['lastStatus'], 'STOPPED')
            self.assertEqual(t['desiredStatus'], 'STOPPED')
            self.assertEqual(t['stopCode'], 'ServiceSchedulerInitiated')
            self.assertEqual(t['stoppedReason'], f"Scaling activity initiated by (deployment {deps[0]['id']})")
        for t in ecs.describe_tasks(tasks=list(new))['tasks']:
            self.assertEqual(t['startedBy'], deps[0]['id'])
        # only the new containers are left in Docker (a STOPPED task's are removed just after, as ECS's
        # agent removes them after the task stopped)
        wait_for('the old containers to be removed', lambda: len(self.eng.containers()) == 2, 10, interval=0.1)

        d = s['deployments'][0]
        self.assertEqual(d['rolloutStateReason'], f"ECS deployment {d['id']} completed.")
        msgs = [e['message'] for e in s['events']]
        self.assertEqual(msgs[0], '(service web) has reached a steady state.')
        self.assertIn(f"(service web) (deployment {d['id']}) deployment completed.", msgs)
        self.assertTrue(any(m.startswith('(service web) has started 2 tasks: (task ') for m in msgs))
        self.assertTrue(any(m.startswith('(service web) has stopped 1 running tasks: (task ') or
                            m.startswith('(service web) has stopped 2 running tasks: (task ') for m in msgs))
        times = [e['createdAt'] for e in s['events']]
        self.assertEqual(times, sorted(times, reverse=True))   # newest first

    def test_2_run_task_with_command_override(self):
        ecs = self.ecs
        td = web_task_definition(ecs, 'job', self.v1, health=False)
        r = ecs.run_task(taskDefinition='job', startedBy='test-run', overrides={
            'containerOverrides': [{'name': 'web', 'command': ['sh', '-c', 'echo hello; exit 7']}]})
        self.assertEqual(r['failures'], [])
        arn = r['tasks'][0]['taskArn']
        self.assertIn(r['tasks'][0]['lastStatus'], ('PROVISIONING', 'PENDING'))
        ecs.get_waiter('tasks_stopped').wait(tasks=[arn], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        t = ecs.describe_tasks(tasks=[arn])['tasks'][0]
        self.assertEqual(t['lastStatus'], 'STOPPED')
        self.assertEqual(t['stopCode'], 'EssentialContainerExited')
        self.assertEqual(t['stoppedReason'], 'Essential container in task exited')
        self.assertEqual(t['containers'][0]['exitCode'], 7)
        self.assertEqual(t['startedBy'], 'test-run')
        self.assertEqual(t['taskDefinitionArn'], td['taskDefinitionArn'])
        for k in ('createdAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt', 'stoppingAt', 'stoppedAt'):
            self.assertIn(k, t)
        self.assertEqual(t['overrides']['containerOverrides'][0]['command'], ['sh', '-c', 'echo hello; exit 7'])
        stopped = ecs.list_tasks(family='job', desiredStatus='STOPPED')['taskArns']
        self.assertIn(arn, stopped)
        self.assertNotIn(arn, ecs.list_tasks(family='job')['taskArns'])

        # StopTask on a long-running one
        r = ecs.run_task(taskDefinition='job')
        arn = r['tasks'][0]['taskArn']
        ecs.get_waiter('tasks_running').wait(tasks=[arn], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        ecs.stop_task(task=arn, reason='enough')
        ecs.get_waiter('tasks_stopped').wait(tasks=[arn], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        t = ecs.describe_tasks(tasks=[arn])['tasks'][0]
        self.assertEqual((t['stopCode'], t['stoppedReason']), ('UserInitiated', 'enough'))
        self.assertEqual(t['containers'][0]['exitCode'], 0)   # SIGTERM handled by the image

    def test_3_aws_cli(self):
        out = self.eng.aws('ecs', 'describe-services', '--services', 'web')
        self.assertEqual(out['services'][0]['serviceName'], 'web')
        out = self.eng.aws('ecs', 'list-tasks', '--service-name', 'web')
        self.assertEqual(len(out['taskArns']), 2)
        out = self.eng.aws('ecs', 'describe-task-definition', '--task-definition', 'web:2')
        self.assertEqual(out['taskDefinition']['revision'], 2)
        self.assertTrue(out['taskDefinition']['containerDefinitions'][0]['essential'])
        out = self.eng.aws('ecs', 'list-clusters')
        self.assertEqual(out['clusterArns'], ['arn:aws:ecs:us-east-1:000000000000:cluster/default'])
        out = self.eng.aws('ecs', 'describe-services', '--services', 'nope')
        self.assertEqual(out['failures'][0]['reason'], 'MISSING')

    def test_4_container_instance_and_scale(self):
        ecs = self.ecs
        ci = ecs.list_container_instances()['containerInstanceArns']
        self.assertEqual(len(ci), 1)
        inst = ecs.describe_container_instances(containerInstances=ci)['containerInstances'][0]
        reg = {r['name']: r.get('integerValue') for r in inst['registeredResources']}
        rem = {r['name']: r.get('integerValue') for r in inst['remainingResources']}
        self.assertEqual(reg['MEMORY'] - rem['MEMORY'], 2 * 32)
        self.assertEqual(inst['runningTasksCount'], 2)
        ecs.update_service(service='web', desiredCount=3)
        ecs.get_waiter('services_stable').wait(services=['web'], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        self.assertEqual(len(ecs.list_tasks(serviceName='web')['taskArns']), 3)
        ecs.update_service(service='web', desiredCount=1)
        wait_for('scale in to 1', lambda: len(self.eng.containers()) == 1, 60)
        s = service_state(ecs, 'web')
        self.assertEqual((s['desiredCount'], s['runningCount']), (1, 1))


if __name__ == '__main__':
    unittest.main(verbosity=2)
