"""A deregistration ends when the target has nothing in flight, as ALB ends one at once
for a target with no in-flight request and no active connection, and not before.

A service behind the router (a 60 s deregistration delay) rolls twice:
 - nothing in flight: its old task is stopped within a few seconds of the rollout's start,
   never the whole delay;
 - a slow request (6 s) in flight on the old task when its target starts draining: the
   target stays draining while the request runs, the request completes (200, from the old
   version), and the old task stops only after it did, but soon after, not at the end of
   the delay.
"""
import threading
import time
import unittest

from swengine import Engine, wait_for, wait_rollout
from swrouter import LoadBalancedApp, app_image, get

DELAY = 60


class Drain(unittest.TestCase):
    def test_idle_target_drains_at_once_a_busy_one_when_its_request_ended(self):
        with Engine(registry=False) as eng:
            images = [app_image(eng, v, slow_seconds=6) for v in ('v1', 'v2', 'v3')]
            app = LoadBalancedApp(eng, 'drain', images[0], desired=1, drain_seconds=DELAY)
            app.wait_healthy(1)
            wait_rollout(app.ecs, 'drain', app.taskdef, timeout=60)
            port = eng.router_port

            # nothing in flight: the old target's drain ends at once
            old = app.ecs.list_tasks(serviceName='drain')['taskArns']
            t0 = time.time()
            td = app.update(images[1])
            wait_rollout(app.ecs, 'drain', td, timeout=60)
            task = app.ecs.describe_tasks(tasks=old)['tasks'][0]
            self.assertEqual(task['lastStatus'], 'STOPPED')
            idle = task['stoppedAt'].timestamp() - t0
            print(f'idle target: old task stopped {idle:.1f}s after UpdateService (delay {DELAY}s)')
            self.assertLess(idle, 10)

            # a slow request on the v2 task while it drains
            old = app.ecs.list_tasks(serviceName='drain')['taskArns']
            result = {}

            def slow():
                result['start'] = time.time()
                result['answer'] = get(port, 'drain.localhost', '/cgi-bin/slow', timeout=30)
                result['end'] = time.time()
            th = threading.Thread(target=slow, daemon=True)
            th.start()
            time.sleep(0.5)   # in flight on the one v2 task
            td = app.update(images[2])
            seen_draining = wait_for('the v2 target draining while the slow request runs',
                                     lambda: any(h[1] == 'draining' for h in app.health()) and 'end' not in result,
                                     timeout=30, interval=0.1)
            self.assertTrue(seen_draining)
            th.join(timeout=30)
            self.assertEqual(result['answer'], (200, 'slow v2'))
            wait_rollout(app.ecs, 'drain', td, timeout=60)
            task = app.ecs.describe_tasks(tasks=old)['tasks'][0]
            stopped = task['stoppedAt'].timestamp()
            print(f'busy target: slow request {result["end"] - result["start"]:.1f}s; the old task stopped '
                  f'{stopped - result["end"]:+.1f}s after it ended')
            self.assertGreaterEqual(stopped, result['end'] - 0.5)
            self.assertLess(stopped - result['end'], 5)
            self.assertEqual(get(port, 'drain.localhost')[1].split(' ')[0], 'v3')


if __name__ == '__main__':
    unittest.main()
