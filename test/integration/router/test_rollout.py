"""A rolling update behind the load balancer loses no request.

A load loop (bounded: at most 2,000 requests) runs through the router while the
service rolls from v1 to v2: every request answers 200, the answers switch from v1 to
v2 and never back. Slow requests (4 s each) keep starting during the rollout; the ones
in flight on a v1 task when its target starts draining still complete.
"""
import threading
import time
import unittest

from swengine import Engine, wait_for, wait_rollout
from swrouter import LoadBalancedApp, Load, app_image, get


class SlowRequests:
    """Start a slow request every `every` seconds; record (start, end, status, body)."""

    def __init__(self, port, host, every=0.7):
        self.results = []
        self._stop = threading.Event()
        self._threads = []
        self._lock = threading.Lock()
        self._th = threading.Thread(target=self._run, args=(port, host, every), daemon=True)
        self._th.start()

    def _one(self, port, host):
        start = time.time()
        status, body = get(port, host, '/cgi-bin/slow', timeout=30)
        with self._lock:
            self.results.append((start, time.time(), status, body))

    def _run(self, port, host, every):
        while not self._stop.is_set():
            th = threading.Thread(target=self._one, args=(port, host), daemon=True)
            th.start()
            self._threads.append(th)
            time.sleep(every)

    def stop(self):
        self._stop.set()
        self._th.join()
        for th in self._threads:
            th.join(timeout=30)
        return self


class ZeroDowntimeRollout(unittest.TestCase):
    def test_rollout_v1_to_v2_loses_nothing(self):
        with Engine(registry=False) as eng:
            v1 = app_image(eng, 'v1')
            v2 = app_image(eng, 'v2')
            app = LoadBalancedApp(eng, 'roll', v1, desired=2, drain_seconds=60)
            app.wait_healthy(2)
            wait_rollout(app.ecs, 'roll', app.taskdef, timeout=60)
            port = eng.router_port
            self.assertTrue(get(port, 'roll.localhost')[1].startswith('v1 '))

            load = Load(port, 'roll.localhost', max_requests=2000, interval=0.02)
            slow = SlowRequests(port, 'roll.localhost')
            v1_tasks = sorted(t.split('/')[-1] for t in app.ecs.list_tasks(serviceName='roll')['taskArns'])
            time.sleep(1)
            updated = time.time()
            v2_def = app.update(v2)
            wait_rollout(app.ecs, 'roll', v2_def, timeout=240)
            time.sleep(1)
            load.stop()
            slow.stop()

            self.assertEqual(load.failures(), [], f'{len(load.failures())} of {len(load.results)} requests failed')
            self.assertLessEqual(len(load.results), 2000)
            self.assertEqual(load.versions(), ['v1', 'v2'])
            last = [r[2].split(' ')[0] for r in load.results[-20:]]
            self.assertEqual(set(last), {'v2'})

            failed_slow = [r for r in slow.results if r[2] != 200]
            self.assertEqual(failed_slow, [])

            # ECS's account of it, oldest first: each v1 target deregistered, draining begun, then its
            # task stopped. (A target with nothing in flight is done draining at once and leaves the
            # target group: its `draining` state may last less than any poll, the events stay.)
            events = [(e['createdAt'].timestamp(), e['message']) for e in reversed(app.service()['events'])
                      if e['createdAt'].timestamp() >= updated - 1]
            dereg = [t for t, m in events if m == f'(service roll) deregistered 1 targets in (target-group {app.tg})']
            draining = [t for t, m in events if m == '(service roll) has begun draining connections on 1 tasks.']
            stopped = [(t, m) for t, m in events if ' has stopped ' in m]
            self.assertEqual(len(dereg), 2, f'both v1 targets deregistered: {events}')
            self.assertEqual(len(draining), 2, events)
            self.assertEqual(sorted(m.split('(task ')[1].rstrip(').') for _, m in stopped), v1_tasks, events)
            msgs = [m for _, m in events]

            def first(word):
                return next(i for i, m in enumerate(msgs) if word in m)
            self.assertLess(first('deregistered 1 targets'), first('has begun draining'), msgs)
            self.assertLess(first('has begun draining'), first(' has stopped '), msgs)
            first_drain = min(dereg)
            in_flight = [r for r in slow.results if r[3] == 'slow v1' and r[0] < first_drain < r[1]]
            self.assertTrue(in_flight, 'a slow v1 request was in flight when its target started draining: '
                                       f'drain at {first_drain}, slow requests {slow.results}')

            # the v1 targets are gone from the target group, the v2 ones serve
            self.assertEqual([s for _, s, _ in app.health()], ['healthy', 'healthy'])


if __name__ == '__main__':
    unittest.main()
