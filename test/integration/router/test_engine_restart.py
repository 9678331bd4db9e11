"""Killing the engine does not stop the router; the engine, started again, adopts it.

HAProxy outlives slipway-engine: kill -9 the engine under a load loop, the app keeps
answering; start it again, it adopts the running HAProxy (a seamless reload with the
server state carried over: the target stays healthy, never back to initial), and a
rollout after the restart registers and drains through the adopted router. No
request fails throughout.
"""
import time
import unittest

from swengine import Engine, wait_rollout
from swrouter import LoadBalancedApp, Load, app_image


class EngineRestart(unittest.TestCase):
    def test_router_survives_engine_kill(self):
        with Engine(registry=False) as eng:
            v1, v2 = app_image(eng, 'v1'), app_image(eng, 'v2')
            app = LoadBalancedApp(eng, 'keep', v1, desired=1)
            app.wait_healthy(1)
            wait_rollout(app.ecs, 'keep', app.taskdef, timeout=60)
            load = Load(eng.router_port, 'keep.localhost', max_requests=2000, interval=0.02)
            time.sleep(1)
            eng.kill9()
            served = len(load.results)
            time.sleep(3)
            self.assertGreater(len(load.results), served + 10, 'the router served while the engine was down')
            eng.start()
            app.elb, app.ecs = eng.client('elbv2'), eng.client('ecs')
            states = set()
            for _ in range(10):
                states |= {s for _, s, _ in app.health()}
                time.sleep(0.3)
            self.assertEqual(states, {'healthy'})
            v2_def = app.update(v2)
            wait_rollout(app.ecs, 'keep', v2_def, timeout=180)
            time.sleep(1)
            load.stop()
            self.assertEqual(load.failures(), [])
            self.assertEqual(load.versions(), ['v1', 'v2'])


if __name__ == '__main__':
    unittest.main()
