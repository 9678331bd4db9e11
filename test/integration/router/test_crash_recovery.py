"""The router when a part dies mid-rollout.

HAProxy killed (kill -9 of its master, the worker goes with it): the engine sees it at
its next round (a second) and launches it again with every server UP as last read, so
the app answers again within a few seconds, not after two health checks of each target.

The engine killed while a new task's target is still in its first health checks: on
restart it reads the targets' health back from the adopted HAProxy before the
scheduler looks, so the old task (healthy) is not taken for "initial" and stopped:
no request fails, and the rollout completes.
"""
import os
import signal
import time
import unittest

from swengine import Engine, wait_for, wait_rollout
from swrouter import LoadBalancedApp, Load, app_image, get

BACK_WITHIN = 4.0    # seconds from HAProxy's kill to the app answering again


def haproxy_master(eng):
    with open(os.path.join(eng.home, 'engine', 'haproxy.pid')) as f:
        return int(f.read().strip())


class CrashRecovery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine(registry=False)
        try:
            cls.v1, cls.v2 = app_image(cls.eng, 'v1'), app_image(cls.eng, 'v2')
        except Exception:
            cls.eng.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def test_haproxy_killed_is_back_with_its_servers_up(self):
        eng = self.eng
        app = LoadBalancedApp(eng, 'hakill', self.v1, priority=20)
        app.wait_healthy(1)
        wait_rollout(app.ecs, 'hakill', app.taskdef, timeout=60)
        old = haproxy_master(eng)
        os.kill(old, signal.SIGKILL)
        t0 = time.monotonic()
        wait_for('the app to answer through a new HAProxy',
                 lambda: get(eng.router_port, 'hakill.localhost', timeout=1)[0] == 200, timeout=30, interval=0.05)
        took = time.monotonic() - t0
        self.assertLess(took, BACK_WITHIN, f'the app answered again {took:.1f}s after HAProxy was killed')
        self.assertNotEqual(haproxy_master(eng), old)
        self.assertEqual([s for _, s, _ in app.health()], ['healthy'])

    def test_engine_killed_during_health_checks_drops_no_request(self):
        eng = self.eng
        app = LoadBalancedApp(eng, 'midhealth', self.v1, priority=30)
        app.wait_healthy(1)
        wait_rollout(app.ecs, 'midhealth', app.taskdef, timeout=60)
        load = Load(eng.router_port, 'midhealth.localhost', max_requests=4000, interval=0.02)
        v2_def = app.update(self.v2)
        # the new task's target registered, not healthy yet
        wait_for('a second target', lambda: len(app.health()) == 2, timeout=60, interval=0.05)
        self.assertIn('initial', [s for _, s, _ in app.health()])
        eng.kill9()
        time.sleep(1)
        eng.start()
        app.elb, app.ecs = eng.client('elbv2'), eng.client('ecs')
        wait_rollout(app.ecs, 'midhealth', v2_def, timeout=120)
        time.sleep(1)
        load.stop()
        self.assertEqual(load.failures()[:5], [])
        self.assertEqual(load.versions(), ['v1', 'v2'])


if __name__ == '__main__':
    unittest.main()
