"""A push holds a build slot for its image build and push only: its rollout runs beside
the builds of the next pushes.

With SLIPWAY_MAX_BUILDS=1 and the load balancer, app `slowapp` pushes a release whose
container answers only after 8 s (so its rollout takes at least that long); while that
rollout runs, a push to `quick` builds at once (no "waiting for a free build slot"), goes
live and returns, before `slowapp`'s push does. Both end live.
"""
import time
import unittest

from swengine import wait_for
from swrelease import PushStack, remote_lines

QUICK = 'FROM slipway/busybox:latest\nRUN mkdir -p /www && echo %s > /www/index.html\n'
PROCFILE = "web: trap 'exit 0' TERM; httpd -f -p $PORT -h /www & wait\n"
SLOW_PROCFILE = "web: trap 'exit 0' TERM; sleep 8; httpd -f -p $PORT -h /www & wait\n"


class BuildSlots(unittest.TestCase):
    def test_a_rollout_does_not_hold_the_build_slot(self):
        with PushStack(load_balancer='elbv2', env={'SLIPWAY_MAX_BUILDS': '1'}) as ps:
            slow_repo = ps.make_repo('slowapp', 'v1', procfile=PROCFILE)
            quick_repo = ps.make_repo('quick', 'v1', procfile=PROCFILE)
            self.assertEqual(ps.push(slow_repo, 'slowapp').returncode, 0)
            self.assertEqual(ps.push(quick_repo, 'quick').returncode, 0)

            ps.commit(slow_repo, 'v2', procfile=SLOW_PROCFILE)
            ps.commit(quick_repo, 'v2')
            slow = ps.st.start_push(slow_repo, 'slowapp')
            out = []
            for line in slow.stdout:   # until its build is done and its rollout under way
                out.append(line)
                if '-----> releasing v2' in line:
                    break
            t0 = time.monotonic()
            quick = ps.push(quick_repo, 'quick')
            quick_took = time.monotonic() - t0
            self.assertEqual(quick.returncode, 0, quick.output)
            self.assertIsNone(slow.poll(), 'slowapp\'s rollout ended before quick\'s push: the test proves nothing')
            self.assertFalse([l for l in remote_lines(quick.output) if 'waiting for' in l], quick.output)
            self.assertTrue(any(l.startswith('-----> v2 is live at ') for l in remote_lines(quick.output)),
                            quick.output)
            out.append(slow.communicate(timeout=120)[0])
            self.assertEqual(slow.returncode, 0, ''.join(out))
            print(f'quick\'s push went live in {quick_took:.1f}s while slowapp\'s rollout ran')
            wait_for('both answer v2', lambda: ps.answers('quick') == ['v2'] and ps.answers('slowapp') == ['v2'],
                     timeout=30)


if __name__ == '__main__':
    unittest.main()
