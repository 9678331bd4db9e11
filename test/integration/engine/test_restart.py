"""Durability: kill -9 mid-deployment and start again — the deployment completes, no container
is orphaned or duplicated; apps keep running while the engine is down; containers that died
meanwhile are noticed; containers no task owns are removed; other engines' are never touched."""
import time
import unittest

from swengine import Engine, answers, docker, service_state, wait_for, wait_rollout, web_task_definition


class Restart(unittest.TestCase):
    def test_kill_9_mid_deployment(self):
        with Engine() as eng, Engine(registry=False) as other:
            ecs = eng.client('ecs')
            v1, v2 = eng.web_image('v1'), eng.web_image('v2')
            td1 = web_task_definition(ecs, 'web', v1)['taskDefinitionArn']
            td2 = web_task_definition(ecs, 'web', v2)['taskDefinitionArn']
            ecs.create_service(serviceName='web', taskDefinition=td1, desiredCount=3)
            wait_rollout(ecs, 'web', td1)
            # a bystander: another engine's task on the same Docker engine
            oecs = other.client('ecs')
            web_task_definition(oecs, 'bystander', v1)
            bystander = oecs.run_task(taskDefinition='bystander')['tasks'][0]['taskArn']
            oecs.get_waiter('tasks_running').wait(tasks=[bystander], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})

            ecs.update_service(service='web', taskDefinition=td2)
            wait_for('the rollout to be under way', lambda: len(eng.containers()) > 3, timeout=30, interval=0.05)
            eng.kill9()
            # apps keep running without the engine
            running = [n for n, st in eng.containers() if st == 'running']
            self.assertGreaterEqual(len(running), 3)
            time.sleep(1)
            self.assertGreaterEqual(len([n for n, st in eng.containers() if st == 'running']), 3)
            eng.start()

            s = wait_rollout(ecs, 'web', td2, timeout=120)
            self.assertEqual(s['runningCount'], 3)
            self.assertEqual(answers(ecs, 'web'), ['v2', 'v2', 'v2'])
            wait_for('exactly the 3 new containers', lambda: len(eng.containers()) == 3, timeout=30)
            names = [n for n, _ in eng.containers()]
            self.assertEqual(len(set(names)), 3)
            tasks = ecs.describe_tasks(tasks=ecs.list_tasks(serviceName='web')['taskArns'])['tasks']
            self.assertEqual({t['containers'][0]['runtimeId'] for t in tasks},
                             set(docker('ps', '-q', '--no-trunc', '--filter',
                                        f'label=slipway.engine={eng.instance()}').stdout.split()))

            # a container that dies while the engine is down is noticed, and replaced
            eng.kill9()
            victim = tasks[0]
            docker('kill', victim['containers'][0]['runtimeId'])
            eng.start()
            ecs.get_waiter('tasks_stopped').wait(tasks=[victim['taskArn']], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
            t = ecs.describe_tasks(tasks=[victim['taskArn']])['tasks'][0]
            self.assertEqual(t['stopCode'], 'EssentialContainerExited')
            self.assertEqual(t['containers'][0]['exitCode'], 137)
            wait_for('the replacement', lambda: answers(ecs, 'web') == ['v2', 'v2', 'v2'], timeout=60)

            # a container labelled for this engine that no task owns is removed at the next resync
            docker('run', '-d', '--name', f'{eng.tag_prefix}-stray', '--label', f'slipway.engine={eng.instance()}',
                   '--label', 'slipway.task=0000', '--label', 'slipway.container=x', v1)
            wait_for('the stray container to go', lambda: f'{eng.tag_prefix}-stray' not in
                     [n for n, _ in eng.containers()], timeout=30)

            # clean restart: the state is all there
            eng.restart()
            s = service_state(ecs, 'web')
            self.assertEqual(s['taskDefinition'], td2)
            self.assertEqual(s['runningCount'], 3)
            self.assertTrue(s['events'])
            self.assertEqual(ecs.describe_task_definition(taskDefinition='web:1')['taskDefinition']['revision'], 1)
            self.assertEqual(len(ecs.list_tasks(serviceName='web', desiredStatus='STOPPED')['taskArns']), 4)

            # the other engine's task was never touched
            t = oecs.describe_tasks(tasks=[bystander])['tasks'][0]
            self.assertEqual(t['lastStatus'], 'RUNNING')
            self.assertEqual(len(other.containers()), 1)


if __name__ == '__main__':
    unittest.main(verbosity=2)
