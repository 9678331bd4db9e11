"""Cancelling a push while its release is deploying: `slipway builds:cancel ID`
returns every process to the last live release, the old release serving all along (a
load loop through the router), the release is recorded rolled back (or failed, when only
its release process had run) with "cancelled by <token>", the event recorded, the push
rejected with that reason, and the app free for the next push."""
import time
import unittest

from swengine import wait_for
from swops import Load, WaitingRolloutTest, new_tasks_running
from swrelease import WEB_PROCFILE, remote_lines

# new tasks that take 90 s to serve: their targets stay unhealthy (the grace period keeps
# ECS from replacing them), so the rollout is waiting when the cancel comes
SLOW_WEB = "web: trap 'exit 0' TERM; sleep 90 & wait; httpd -f -p $PORT -h /www & wait\n"


class CancelRolloutTest(WaitingRolloutTest):
    def build_of(self, app, status=('running',)):
        return self.ps.st.wait_build(app, status=status, timeout=120)['id']

    def number(self, build):
        """The app's number of build (its server-wide id): what builds:cancel -a APP takes."""
        return self.ps.st.api(f'/builds/{build}', token=self.ps.token).json()['number']

    def types(self, app):
        return [(e['type'], e['release'], e['actor'])
                for e in self.cli('events', '-a', app, '--json').json()['events']]

    def test_cancel_mid_rollout_rolls_back(self):
        ps, app = self.ps, 'halted'
        repo = ps.make_repo(app, 'v1')
        self.assertEqual(ps.push(repo, app).returncode, 0)
        v1_taskdef = ps.ecs.describe_services(cluster='default', services=[f'{app}-web'])['services'][0]['taskDefinition']
        ps.commit(repo, 'v2', procfile=SLOW_WEB)
        with Load(ps.eng.router_port, app) as load:
            push = ps.st.start_push(repo, app)
            try:
                build = self.build_of(app)
                wait_for('a v2 task running, not healthy', lambda: new_tasks_running(ps, app, v1_taskdef),
                         timeout=120)
                self.assertEqual(ps.release(app, 2)['status'], 'deploying')
                # ps: the balancer's view of each web task (its HEALTH column)
                tasks = [t for t in self.cli('ps', '-a', app, '--json').json()['tasks'] if t['status'] == 'RUNNING']
                health = {t['release']: (t['health'], t['health_from']) for t in tasks}
                self.assertEqual(health.get('v1'), ('healthy', 'load balancer'), tasks)
                self.assertIn(health.get('v2'), (('initial', 'load balancer'), ('unhealthy', 'load balancer')), tasks)
                time.sleep(1)
                t0 = time.monotonic()
                r = self.cli('builds:cancel', str(self.number(build)), '-a', app)
                self.assertEqual(r.code, 0, r)
                out, _ = push.communicate(timeout=120)
                took = time.monotonic() - t0
            finally:
                if push.poll() is None:
                    push.kill()
            time.sleep(1)
        # the push is rejected with who cancelled it, after the rollback
        self.assertNotEqual(push.returncode, 0, out)
        lines = remote_lines(out)
        self.assertEqual(lines[-1], ' !     cancelled by admin', out)
        self.assertIn('-----> v2 cancelled by admin', lines)
        self.assertIn('-----> rolling back to v1', lines)
        self.assertTrue(any(l.startswith('-----> v1 is serving again') for l in lines), out)
        print(f'cancel to rejected push (rollback included): {took:.1f}s; the push ended with:\n  ' +
              '\n  '.join(lines[-5:]))
        # v1 served all along
        self.assertEqual(load.failures, [])
        self.assertGreater(len(load.answers), 20)
        self.assertEqual(set(load.answers), {'v1'})
        # the records: release rolled back with the reason, build cancelled, events
        v2 = ps.release(app, 2)
        self.assertEqual((v2['status'], v2['reason']), ('rolled back', 'cancelled by admin'), v2)
        b = ps.st.api(f'/builds/{build}', token=ps.token).json()
        self.assertEqual((b['status'], b['cancelled_by']), ('cancelled', 'admin'))
        listing = self.cli('releases', '-a', app)
        self.assertIn('cancelled by admin', listing.out)
        events = self.types(app)
        self.assertIn(('release.rolled_back', 'v2', 'admin'), events)
        self.assertIn(('build.cancelled', None, 'admin'), events)
        # ECS is back on v1 alone
        svc = ps.ecs.describe_services(cluster='default', services=[f'{app}-web'])['services'][0]
        self.assertEqual(svc['taskDefinition'], v1_taskdef)
        wait_for('one deployment', lambda: len(ps.ecs.describe_services(
            cluster='default', services=[f'{app}-web'])['services'][0]['deployments']) == 1, timeout=60)
        # unlocked: the next push goes live at once
        ps.commit(repo, 'v3', procfile=WEB_PROCFILE)
        r = ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)
        self.assertNotIn('waiting for', r.output)
        self.assertEqual(ps.release(app, 3)['status'], 'live')
        ps.wait_answers(app, ['v3'])

    def test_ps_health(self):
        """HEALTH: the target's state for tasks behind the balancer, the container health
        check's status for the others."""
        ps, app = self.ps, 'checked'
        compose = ('services:\n  web:\n    build: .\n    ports: ["8080"]\n'
                   '    command: ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n'
                   '  worker:\n    build: .\n'
                   '    command: ["sh", "-c", "trap \'exit 0\' TERM; sleep 100000 & wait"]\n'
                   '    healthcheck: {test: "true", interval: 5s, retries: 1}\n')
        repo = ps.make_repo(app, 'v1', procfile=None, files={'docker-compose.yml': compose})
        r = ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)

        def health():
            tasks = [t for t in self.cli('ps', '-a', app, '--json').json()['tasks'] if t['status'] == 'RUNNING']
            return {t['process']: (t['health'], t['health_from']) for t in tasks}
        wait_for('both healthy', lambda: health() == {'web': ('healthy', 'load balancer'),
                                                      'worker': ('healthy', 'container')}, timeout=60)
        table = self.cli('ps', '-a', app).out.splitlines()
        head = table[1]
        col = head.index('HEALTH')
        for row in table[2:]:
            if row.startswith(('web.', 'worker.')):
                self.assertEqual(row[col:].split()[0], 'healthy', table)

    def test_cancel_during_the_release_process(self):
        ps, app = self.ps, 'migrating'
        repo = ps.make_repo(app, 'v1')
        self.assertEqual(ps.push(repo, app).returncode, 0)
        ps.commit(repo, 'v2', procfile=WEB_PROCFILE + "release: echo migrating; trap 'exit 0' TERM; sleep 300 & wait\n")
        push = ps.st.start_push(repo, app)
        try:
            build = self.build_of(app)

            def release_running():
                arns = ps.ecs.list_tasks(cluster='default', family=f'{app}-release', desiredStatus='RUNNING')['taskArns']
                return arns if arns and ps.ecs.describe_tasks(cluster='default', tasks=arns)['tasks'][0][
                    'lastStatus'] == 'RUNNING' else None
            task = wait_for('the release task to run', release_running, timeout=120)[0]
            time.sleep(1)
            r = self.cli('builds:cancel', str(self.number(build)), '-a', app)
            self.assertEqual(r.code, 0, r)
            out, _ = push.communicate(timeout=60)
        finally:
            if push.poll() is None:
                push.kill()
        self.assertNotEqual(push.returncode, 0, out)
        lines = remote_lines(out)
        self.assertEqual(lines[-1], ' !     cancelled by admin', out)
        self.assertIn('       release: stopped (cancelled by admin)', lines)
        v2 = ps.release(app, 2)
        self.assertEqual((v2['status'], v2['reason']), ('failed', 'cancelled by admin'), v2)
        self.assertIn(('release.failed', 'v2', 'admin'), self.types(app))
        # the release task was stopped; no service changed; v1 serves
        wait_for('the release task to stop', lambda: ps.ecs.describe_tasks(
            cluster='default', tasks=[task])['tasks'][0]['lastStatus'] == 'STOPPED', timeout=60)
        self.assertEqual(len(ps.ecs.describe_services(cluster='default', services=[f'{app}-web'])['services'][0]
                             ['deployments']), 1)
        ps.wait_answers(app, ['v1'])
        ps.commit(repo, 'v3', procfile=WEB_PROCFILE)
        r = ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)
        ps.wait_answers(app, ['v3'])


if __name__ == '__main__':
    unittest.main()
