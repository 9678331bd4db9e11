"""ps, run, logs and apps:destroy against slipwayd releasing to the embedded engine:
`ps` shows the tasks with process, release, state and, for stopped ones, why; `run` returns
the container's exit code, streams its output in order (500 lines) and Ctrl-C stops the
task; `logs` shows lines of two tasks and two releases with their prefixes, slipway's
events among them, and the logs of a failed release after the rollback; `apps:destroy`
leaves nothing behind in ECS, ECR or the load balancer."""
import json
import os
import signal
import time
import unittest

from botocore.exceptions import ClientError

from swops import Cli
from swrelease import PushStack, WEB_PROCFILE, WORKER_LINE
from swstack import wait_for


def logs_available(ps):
    try:
        ps.eng.client('logs').describe_log_groups(limit=1)
        return True
    except ClientError as e:
        if e.response['Error']['Code'] in ('UnknownOperationException', 'InvalidAction'):
            return False
        raise


class TasksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024)
        cls.cli = Cli(cls.ps.st, token=cls.ps.token, url=cls.ps.sd.url)
        cls.logs = logs_available(cls.ps)
        cls.repo = cls.ps.make_repo('hello', 'v1', procfile=WEB_PROCFILE + WORKER_LINE)
        r = cls.ps.push(cls.repo, 'hello')
        assert r.returncode == 0, r

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def need_logs(self):
        if not self.logs:
            self.skipTest('the engine has no CloudWatch Logs API yet (FilterLogEvents/GetLogEvents)')

    def test_ps(self):
        r = self.cli('ps', '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        self.assertIn('=== hello: v1 live', r.out)
        rows = r.out.splitlines()[2:]
        self.assertTrue(any(row.startswith('web.') and ' service ' in row and ' v1 ' in row and 'RUNNING' in row
                            for row in rows), r)
        self.assertTrue(any(row.startswith('worker.') and 'RUNNING' in row for row in rows), r)
        tasks = self.cli('ps', '-a', 'hello', '--json').json()['tasks']
        web = [t for t in tasks if t['process'] == 'web' and t['status'] == 'RUNNING']
        self.assertEqual(len(web), 1, tasks)
        self.assertEqual((web[0]['release'], web[0]['kind']), ('v1', 'service'))
        self.assertGreater(web[0]['uptime'], 0)
        # a stopped task shows why, with its exit code
        r = self.cli('run', '-a', 'hello', '--', 'sh', '-c', 'exit 7')
        self.assertEqual(r.code, 7, r)
        tasks = self.cli('ps', '-a', 'hello', '--json').json()['tasks']
        stopped = [t for t in tasks if t['kind'] == 'run' and t['exit_code'] == 7]
        self.assertEqual(len(stopped), 1, tasks)
        self.assertEqual(stopped[0]['status'], 'STOPPED')
        self.assertTrue(stopped[0]['stop_reason'], stopped[0])
        r = self.cli('ps', '-a', 'hello')
        self.assertIn('exit 7', r.out)

    def test_run_exit_code_and_bad_input(self):
        r = self.cli('run', '-a', 'hello', '--', 'sh', '-c', 'exit 3')
        self.assertEqual(r.code, 3, r)
        self.assertIn('running sh -c', r.err)
        self.assertIn('(v1)', r.err)
        r = self.cli('run', '-a', 'hello', '-p', 'worker', '-e', 'ANSWER=42', 'sh', '-c', 'test "$ANSWER" = 42')
        self.assertEqual(r.code, 0, r)
        self.assertIn('as worker.', r.err)
        r = self.cli('run', '-a', 'hello')
        self.assertEqual(r.code, 2, r)
        self.assertIn('missing the command', r.err)
        r = self.cli('run', '-a', 'hello', '-p', 'nope', '--', 'true')
        self.assertEqual(r.code, 1, r)
        self.assertIn('has no process nope', r.err)
        r = self.cli('run', '-a', 'hello', '-e', 'novalue', '--', 'true')
        self.assertEqual(r.code, 2, r)
        r = self.cli('run', '-a', 'nosuch', '--', 'true')
        self.assertEqual(r.code, 1, r)
        self.assertIn('no such app: nosuch', r.err)
        self.assertEqual(self.cli('apps:create', 'unreleased').code, 0)
        r = self.cli('run', '-a', 'unreleased', '--', 'true')
        self.assertEqual(r.code, 1, r)
        self.assertIn('no live release', r.err)

    def test_run_streams_500_lines_in_order(self):
        self.need_logs()
        r = self.cli('run', '-a', 'hello', '--', 'sh', '-c', 'i=1; while [ $i -le 500 ]; do echo line $i; i=$((i+1)); done')
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out.splitlines(), [f'line {i}' for i in range(1, 501)])

    def test_run_ctrl_c_stops_the_task(self):
        p = self.cli.start('run', '-a', 'hello', '--', 'sleep', '300')
        try:
            def running():
                ts = self.cli('ps', '-a', 'hello', '--json').json()['tasks']
                return [t for t in ts if t['kind'] == 'run' and t['status'] == 'RUNNING']
            wait_for('the run task to run', running, timeout=60)
            task = running()[0]
            time.sleep(0.5)
            os.killpg(p.pid, signal.SIGINT)
            out, err = p.communicate(timeout=20)
            self.assertEqual(p.returncode, 130, err)
            self.assertIn('the task is being stopped', err)

            def stopped():
                ts = self.cli('ps', '-a', 'hello', '--json').json()['tasks']
                return [t for t in ts if t['id'] == task['id'] and t['status'] == 'STOPPED']
            wait_for('the run task to stop', stopped, timeout=30)
        finally:
            if p.poll() is None:
                p.kill()

    def test_cancelled_build_keeps_the_old_release_serving(self):
        repo = self.ps.make_repo('cancel', 'v1')
        self.assertEqual(self.ps.push(repo, 'keepv1').returncode, 0)
        self.ps.wait_answers('keepv1', ['v1'])
        self.ps.commit(repo, files={'Dockerfile': 'FROM slipway/busybox:latest\nRUN echo slow-v2 && sleep 60\n'})
        push = self.ps.st.start_push(repo, 'keepv1')
        try:
            build = self.ps.st.wait_build('keepv1', status=('running',), timeout=60)['number']
            time.sleep(1)
            r = self.cli('builds:cancel', str(build), '-a', 'keepv1')
            self.assertEqual(r.code, 0, r)
            out, _ = push.communicate(timeout=30)
        finally:
            if push.poll() is None:
                push.kill()
        self.assertNotEqual(push.returncode, 0, out)
        self.assertIn('cancelled by admin', out)
        self.ps.wait_answers('keepv1', ['v1'])
        self.assertEqual([r['version'] for r in self.ps.releases('keepv1')], [1])
        # unlocked: the next push goes live at once
        self.ps.commit(repo, 'v3')
        r = self.ps.push(repo, 'keepv1')
        self.assertEqual(r.returncode, 0, r)
        self.assertNotIn('waiting for', r.output)
        self.ps.wait_answers('keepv1', ['v3'])

    def test_logs(self):
        r = self.cli('logs', '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        lines = r.out.splitlines()
        self.assertTrue(any(' slipway ' in l and 'build.succeeded' in l for l in lines), r)
        if not self.logs:
            self.assertIn('app output unavailable', r.err)
            self.skipTest('the engine has no CloudWatch Logs API yet: only the events were checked')
        # two releases of two processes that each say something when they start
        procfile = ('web: echo web-up-$SLIPWAY_RELEASE; ' + WEB_PROCFILE[len('web: '):] +
                    'worker: echo worker-up-$SLIPWAY_RELEASE; ' + WORKER_LINE[len('worker: '):])
        repo = self.ps.make_repo('logged', 'v1', procfile=procfile)
        self.assertEqual(self.ps.push(repo, 'logged').returncode, 0)
        self.ps.commit(repo, 'v2')
        self.assertEqual(self.ps.push(repo, 'logged').returncode, 0)
        self.assertEqual(self.cli('run', '-a', 'logged', '--', 'sh', '-c', 'echo from-run-v2').code, 0)
        want = ['web-up-v1', 'worker-up-v1', 'web-up-v2', 'worker-up-v2', 'from-run-v2']
        wait_for('the start lines in the logs', lambda: all(
            '| ' + w in self.cli('logs', '-a', 'logged', '-n', '1000').out for w in want), timeout=30)
        r = self.cli('logs', '-a', 'logged', '-n', '1000')
        got = {}
        for line in r.out.splitlines():
            stamp, who, rel, sep, msg = line.split(' ', 4)
            self.assertEqual(sep, '|', line)
            got[msg] = (who, rel)
        for w in want:
            proc = 'worker' if w.startswith('worker') else 'web'
            who, rel = got[w]
            self.assertRegex(who, '^%s\\.[0-9a-f]{4}$' % proc)
            self.assertEqual(rel, 'v2' if w.endswith('v2') else 'v1')
        self.assertNotEqual(got['web-up-v1'][0], got['web-up-v2'][0])   # two tasks
        self.assertIn(('slipway', 'v2'), [(w, r) for w, r in got.values()] + [
            (l.split()[1], l.split()[2]) for l in r.out.splitlines() if ' slipway ' in l])
        times = [l.split()[0] for l in r.out.splitlines()]
        self.assertEqual(times, sorted(times))
        # filters: a release and a process
        r = self.cli('logs', '-a', 'logged', '--release', 'v1', '-p', 'web', '--json')
        msgs = []
        for line in r.out.splitlines():
            o = json.loads(line)
            if 'event' not in o:
                self.assertEqual((o['release'], o['process']), ('v1', 'web'))
                msgs.append(o['message'])
        self.assertIn('web-up-v1', msgs)
        # --tail: the backlog, then what comes
        p = self.cli.start('logs', '-a', 'logged', '--tail', '--since', '1h')
        try:
            time.sleep(2)
            self.assertEqual(self.cli('run', '-a', 'logged', '--', 'sh', '-c', 'echo tailed-line').code, 0)
            deadline = time.monotonic() + 30
            seen = ''
            os.set_blocking(p.stdout.fileno(), False)
            while time.monotonic() < deadline and '| tailed-line' not in seen:
                chunk = p.stdout.read()
                seen += chunk or ''
                time.sleep(0.3)
            self.assertIn('| tailed-line', seen)
            self.assertIn('| web-up-v1', seen)
        finally:
            os.killpg(p.pid, signal.SIGINT)
            p.wait(timeout=10)
            p.stdout.close()
            p.stderr.close()

    def test_logs_bad_input(self):
        for args, needle in ((['--since', 'yesterday'], '--since'), (['--release', 'x7'], '--release'),
                             (['-n', '0'], '-n'), (['-p', 'Web!'], '--process')):
            r = self.cli('logs', '-a', 'hello', *args)
            self.assertEqual(r.code, 2, r)
            self.assertIn(needle, r.err)

    def test_failed_release_logs_survive_rollback(self):
        self.need_logs()
        repo = self.ps.make_repo('crashy', 'v1')
        self.assertEqual(self.ps.push(repo, 'crashy').returncode, 0)
        self.ps.commit(repo, 'v2', procfile='web: echo crash-before-start; exit 1\n')
        r = self.ps.push(repo, 'crashy')
        self.assertNotEqual(r.returncode, 0, r)
        r = self.cli('logs', '-a', 'crashy', '--release', 'v2', '-n', '1000')
        self.assertEqual(r.code, 0, r)
        self.assertIn('| crash-before-start', r.out)
        self.assertIn(' v2 | ', r.out)


class DestroyTest(unittest.TestCase):
    """apps:destroy of a released app behind the load balancer: nothing left behind."""

    def test_destroy_released_app(self):
        with PushStack(memory_mb=1024, load_balancer='elbv2') as ps:
            cli = Cli(ps.st, token=ps.token, url=ps.sd.url)
            repo = ps.make_repo('gone', 'v1', procfile=WEB_PROCFILE + WORKER_LINE)
            self.assertEqual(ps.push(repo, 'gone').returncode, 0)
            ps.commit(repo, 'v2')
            self.assertEqual(ps.push(repo, 'gone').returncode, 0)
            keep = ps.make_repo('kept', 'v1')
            self.assertEqual(ps.push(keep, 'gone-too').returncode, 0)   # a name sharing the prefix
            ecs, ecr, elb = ps.ecs, ps.eng.client('ecr'), ps.eng.client('elbv2')
            r = cli('apps:destroy', 'gone', '--confirm', 'gone', '--json')
            self.assertEqual(r.code, 0, r)
            removed = ' '.join(r.json()['removed'])
            self.assertIn('2 ECS services', removed)
            self.assertIn('task definitions', removed)
            self.assertIn('target group', removed)
            # deleted: DRAINING while the tasks stop, then INACTIVE
            wait_for('the services to be INACTIVE', lambda: all(
                svc['status'] == 'INACTIVE' for svc in
                ecs.describe_services(cluster='default', services=['gone-web', 'gone-worker'])['services']), timeout=90)
            for fam in ('gone-web', 'gone-worker'):
                self.assertEqual(ecs.list_task_definitions(familyPrefix=fam, status='ACTIVE')['taskDefinitionArns'],
                                 [], fam)
            wait_for('no tasks of gone', lambda: not [
                t for t in ecs.describe_tasks(cluster='default', tasks=ecs.list_tasks(cluster='default')['taskArns'] or ['x'])
                ['tasks'] if t['group'].endswith(('gone-web', 'gone-worker')) and t['lastStatus'] != 'STOPPED'],
                timeout=60)
            try:
                images = ecr.list_images(repositoryName='gone')['imageIds']
            except ClientError:
                images = []
            self.assertEqual(images, [])
            names = [tg['TargetGroupName'] for tg in elb.describe_target_groups()['TargetGroups']]
            self.assertNotIn('sw-gone', names)
            self.assertNotIn('gone', [a['name'] for a in cli('apps', '--json').json()['apps']])
            self.assertEqual(cli('releases', '-a', 'gone').code, 1)
            # the other app is untouched
            self.assertEqual(ecs.list_task_definitions(familyPrefix='gone-too-web', status='ACTIVE')
                             ['taskDefinitionArns'] != [], True)
            self.assertIn('sw-gone-too', names)
            ps.wait_answers('gone-too', ['v1'], timeout=60)
            # destroying it again: no such app
            r = cli('apps:destroy', 'gone', '--confirm', 'gone')
            self.assertEqual(r.code, 1, r)


if __name__ == '__main__':
    unittest.main()
