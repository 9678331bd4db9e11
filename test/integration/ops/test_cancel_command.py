"""Release commands are jobs: `slipway config:set` (like rollback, config:unset
and scale) prints its job id first, `slipway builds:cancel ID` from another client stops
its rollout (every process back to the last live release, the previous release serving
all along through the router), the command exits 1 with "cancelled by <token>", the
event is recorded, the app is free for the next command, and `builds:log [--follow] ID`
shows the command's output, live or finished. `--no-wait` prints the id too."""
import re
import threading
import time
import unittest

from swengine import wait_for
from swops import Load, WaitingRolloutTest, new_tasks_running

# a web process whose new tasks take 90 s to serve once SLOW is set: their targets stay
# unhealthy (the grace period keeps ECS from replacing them), so a config:set SLOW=1
# rollout is still waiting when the cancel comes
SLOWABLE_WEB = ("web: trap 'exit 0' TERM; if [ -n \"$SLOW\" ]; then sleep 90 & wait; fi; "
                "httpd -f -p $PORT -h /www & wait\n")
JOB_LINE = re.compile(r'^-----> (\S+): (.*), job (\d+) \(`slipway builds:cancel \3 -a \1` stops it\)$')


class Lines:
    """The stdout lines of a background CLI, read as they come."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip('\n'))

    def wait(self, timeout=120):
        err = self.proc.stderr.read()
        self.proc.wait(timeout=timeout)
        self.thread.join(timeout=10)
        self.close()
        return self.proc.returncode, err

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()


class CancelCommandTest(WaitingRolloutTest):
    def service(self, app):
        return self.ps.ecs.describe_services(cluster='default', services=[f'{app}-web'])['services'][0]

    def test_cancel_config_set_by_id(self):
        ps, app = self.ps, 'configured'
        repo = ps.make_repo(app, 'v1', procfile=SLOWABLE_WEB)
        r = ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)
        v1_taskdef = self.service(app)['taskDefinition']
        readers = []
        with Load(ps.eng.router_port, app) as load:
            try:
                cmd = Lines(self.cli.start('config:set', 'SLOW=yes-please', '-a', app))
                readers.append(cmd)
                # the first line names the job, so another terminal can cancel it
                first = wait_for('the job line', lambda: cmd.lines and cmd.lines[0], timeout=30)
                m = JOB_LINE.match(first)
                self.assertTrue(m, cmd.lines)
                self.assertEqual((m.group(1), m.group(2)), (app, 'config:set SLOW'))
                job = int(m.group(3))
                # a second client re-attaches to it while it runs
                follow = Lines(self.cli.start('builds:log', '--follow', str(job), '-a', app))
                readers.append(follow)
                wait_for('a v2 task running, not healthy', lambda: new_tasks_running(ps, app, v1_taskdef),
                         timeout=120)
                self.assertEqual(ps.release(app, 2)['status'], 'deploying')
                running = ps.st.api(f'/apps/{app}/builds/{job}', token=ps.token).json()
                self.assertEqual((running['status'], running['kind']), ('running', 'config'), running)
                time.sleep(1)
                t0 = time.monotonic()
                r = self.cli('builds:cancel', str(job), '-a', app)
                self.assertEqual(r.code, 0, r)
                self.assertIn(f'config {job} cancelled (cancelled by admin)', r.out)
                code, err = cmd.wait()
                took = time.monotonic() - t0
                fcode, ferr = follow.wait()
            finally:
                for reader in readers:
                    if not reader.proc.stdout.closed:
                        reader.close()
            time.sleep(1)
        # the command: exit 1 with who cancelled it, after the rollback
        self.assertEqual(code, 1, (cmd.lines, err))
        self.assertEqual(err.strip(), 'slipway config:set: cancelled by admin')
        self.assertIn('-----> v2 cancelled by admin', cmd.lines)
        self.assertIn('-----> rolling back to v1', cmd.lines)
        self.assertTrue(any(l.startswith('-----> v1 is serving again') for l in cmd.lines), cmd.lines)
        self.assertEqual(cmd.lines[-1], ' !     cancelled by admin', cmd.lines)
        self.assertNotIn('yes-please', '\n'.join(cmd.lines))
        print(f'cancel to the command\'s exit (rollback included): {took:.1f}s; it ended with:\n  ' +
              '\n  '.join(cmd.lines[-4:]))
        # the follower saw the same end, and exits 1 like a failed build
        self.assertEqual(fcode, 1, (follow.lines, ferr))
        self.assertIn('-----> rolling back to v1', follow.lines)
        self.assertEqual(follow.lines[-1], ' !     cancelled by admin', follow.lines)
        # the previous release served all along
        self.assertEqual(load.failures, [])
        self.assertGreater(len(load.answers), 20)
        self.assertEqual(set(load.answers), {'v1'})
        # the records: the release rolled back, the job cancelled, the event
        v2 = ps.release(app, 2)
        self.assertEqual((v2['status'], v2['reason']), ('rolled back', 'cancelled by admin'), v2)
        b = ps.st.api(f'/apps/{app}/builds/{job}', token=ps.token).json()
        self.assertEqual((b['status'], b['reason'], b['cancelled_by'], b['kind'], b['release']),
                         ('cancelled', 'cancelled by admin', 'admin', 'config', 2), b)
        self.assertEqual(b['failed_stage'], 'release', b)   # what failed: the release
        # `builds` lists the pushes; --all the release jobs too, numbered with them
        listed = self.cli('builds', '-a', app, '--json').json()['builds']
        self.assertNotIn(job, [x['number'] for x in listed])
        listed = self.cli('builds', '-a', app, '--all', '--json').json()['builds']
        self.assertIn(job, [x['number'] for x in listed])
        self.assertIn('release job: config', self.cli('builds', '-a', app, '--all').out)
        events = [(e['type'], e['release'], e['actor'], e['message'])
                  for e in self.cli('events', '-a', app, '--json').json()['events']]
        self.assertIn(('build.cancelled', None, 'admin', f'config:set SLOW (job {job}) cancelled by admin'), events)
        self.assertIn('release.rolled_back', [t for t, rel, _, _ in events if rel == 'v2'])
        # builds:log shows the command's output after the fact
        log = self.cli('builds:log', str(job), '-a', app)
        self.assertEqual(log.code, 0, log)
        lines = log.out.splitlines()
        self.assertEqual(lines[0], first)
        self.assertIn('-----> releasing v2 (web=1)', lines)
        self.assertIn('-----> rolling back to v1', lines)
        self.assertEqual(lines[-1], ' !     cancelled by admin')
        # ECS is back on v1 alone
        self.assertEqual(self.service(app)['taskDefinition'], v1_taskdef)
        wait_for('one deployment', lambda: len(self.service(app)['deployments']) == 1, timeout=60)
        # unlocked: the next command runs at once; --no-wait prints its id too
        r = self.cli('config:set', 'GREETING=hello', '--no-wait', '-a', app)
        self.assertEqual(r.code, 0, r)
        m = JOB_LINE.match(r.out.splitlines()[0])
        self.assertTrue(m, r)
        self.assertNotIn('waiting for', r.out)
        self.assertIn('(not waiting: ', r.out)
        nxt = int(m.group(3))
        self.assertGreater(nxt, job)
        r = self.cli('builds:log', '--follow', str(nxt), '-a', app)
        self.assertEqual(r.code, 0, r)
        self.assertTrue(any(l.startswith('-----> v3 is live at ') for l in r.out.splitlines()), r)
        self.assertEqual(ps.release(app, 3)['status'], 'live')
        self.assertEqual(ps.st.api(f'/apps/{app}/builds/{nxt}', token=ps.token).json()['status'], 'succeeded')

    def test_cancel_a_finished_or_unknown_command(self):
        ps, app = self.ps, 'scaled'
        repo = ps.make_repo(app, 'v1', procfile=SLOWABLE_WEB)
        r = ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)
        r = self.cli('scale', 'web=2', '-a', app)
        self.assertEqual(r.code, 0, r)
        m = JOB_LINE.match(r.out.splitlines()[0])
        self.assertTrue(m, r)
        self.assertEqual(m.group(2), 'scale web=2')
        job = int(m.group(3))
        b = ps.st.api(f'/apps/{app}/builds/{job}', token=ps.token).json()
        self.assertEqual((b['status'], b['kind'], b['release']), ('succeeded', 'scale', 2), b)
        self.assertEqual(job, 2)   # the push was #1: jobs are numbered per app
        r = self.cli('builds:cancel', str(job), '-a', app)
        self.assertEqual(r.code, 1, r)
        self.assertIn('succeeded already', r.err)
        # a command with nothing to change: succeeded, no release
        r = self.cli('scale', 'web=2', '-a', app)
        self.assertEqual(r.code, 0, r)
        job = int(JOB_LINE.match(r.out.splitlines()[0]).group(3))
        b = ps.st.api(f'/apps/{app}/builds/{job}', token=ps.token).json()
        self.assertEqual((b['status'], b['release']), ('succeeded', None), b)
        # the push's builds are still told apart
        self.assertEqual([x['kind'] for x in ps.st.builds(app)], ['build'])


if __name__ == '__main__':
    unittest.main()
