"""A cluster with room for 2 tasks asked for 4: 2 run, ECS's "unable to place" event, and the
deployment stays IN_PROGRESS — it never claims COMPLETED."""
import time
import unittest

from swengine import Engine, service_state, wait_for, web_task_definition


class Capacity(unittest.TestCase):
    def test_desired_4_with_room_for_2(self):
        with Engine(memory_mb=100, env={'SLIPWAY_ENGINE_EVENT_SECONDS': '3'}) as eng:
            ecs = eng.client('ecs')
            image = eng.web_image('v1')
            td = web_task_definition(ecs, 'big', image, memory=40)['taskDefinitionArn']
            ecs.create_service(serviceName='big', taskDefinition=td, desiredCount=4)

            def placed_two():
                s = service_state(ecs, 'big')
                events = [e['message'] for e in s['events']]
                unable = [m for m in events if 'was unable to place a task' in m]
                return s if s['runningCount'] == 2 and unable else None
            s = wait_for('2 running and the unable-to-place event', placed_two, timeout=60)
            msg = [e['message'] for e in s['events'] if 'unable to place' in e['message']][0]
            self.assertTrue(msg.startswith('(service big) was unable to place a task because no container instance '
                                           'met all of its requirements. The closest matching (container-instance '))
            self.assertIn('has insufficient memory available.', msg)
            # it stays that way: never COMPLETED, never more than 2
            end = time.time() + 8
            while time.time() < end:
                s = service_state(ecs, 'big')
                self.assertEqual(s['deployments'][0]['rolloutState'], 'IN_PROGRESS')
                self.assertLessEqual(s['runningCount'], 2)
                self.assertNotIn('(service big) has reached a steady state.', [e['message'] for e in s['events']])
                time.sleep(1)
            self.assertEqual(len(eng.containers()), 2)
            # the event repeats (bounded by SLIPWAY_ENGINE_EVENT_SECONDS), not once per pass
            n = len([e for e in s['events'] if 'unable to place' in e['message']])
            self.assertGreaterEqual(n, 2)
            self.assertLessEqual(n, 6)
            # RunTask reports the shortfall as ECS does
            r = ecs.run_task(taskDefinition=td)
            self.assertEqual(r['tasks'], [])
            self.assertEqual(r['failures'][0]['reason'], 'RESOURCE:MEMORY')
            # room again: scaled to what fits, it completes
            ecs.update_service(service='big', desiredCount=2)
            ecs.update_service(service='big', taskDefinition=td, forceNewDeployment=True, desiredCount=2,
                               deploymentConfiguration={'minimumHealthyPercent': 0, 'maximumPercent': 100})
            wait_for('COMPLETED at 2', lambda: service_state(ecs, 'big')['deployments'][0]['rolloutState'] ==
                     'COMPLETED' and len(service_state(ecs, 'big')['deployments']) == 1, timeout=90)


if __name__ == '__main__':
    unittest.main(verbosity=2)
