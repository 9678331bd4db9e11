"""The releaser (releaser/deploy.h) against the embedded engine as ECS: releases go live,
roll, fail with their reason while the previous release keeps running, roll back,
change config and scale; a watcher killed mid-rollout resumes; the AWS CLI reads the
same ECS state. Driven through sw-release-testtool (the push path through slipwayd is
tested in test_push.py)."""
import os
import re
import signal
import time
import unittest

from swengine import Engine, wait_for
from swrelease import Releaser, WEB_PROCFILE, WORKER_LINE


class DeployOnEngine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine(memory_mb=1024, env={'SLIPWAY_ENGINE_STABLE_SECONDS': '2',
                                              'SLIPWAY_ENGINE_BACKOFF_MAX_SECONDS': '2'})
        try:
            cls.rel = Releaser(cls.eng)
            cls.v1 = cls.rel.image('v1')
            cls.v2 = cls.rel.image('v2')
        except Exception:
            cls.eng.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def live(self, app, version=None):
        r = self.rel.releases(app)
        live = [x for x in r if x['status'] == 'live']
        return live[0]['version'] if live else None

    def test_push_live_then_rolling_update(self):
        rel = self.rel
        r = rel.push('roll', *self.v1, procfile=WEB_PROCFILE + WORKER_LINE)
        self.assertTrue(r.ok, r)
        self.assertEqual(r.version, 1)
        lines = r.lines()
        self.assertEqual(lines[0], '-----> releasing v1 (web=1, worker=1)')
        self.assertIn('       web: 1 of 1 new task healthy, 0 old running', lines)
        self.assertTrue(lines[-1].startswith('-----> v1 is live at http://roll.localhost:5481 (took '), lines[-1])
        rel.wait_answers('roll', ['v1'])
        self.assertEqual(rel.answers('roll', '/release'), ['v1'])

        r = rel.push('roll', *self.v2, procfile=WEB_PROCFILE + WORKER_LINE)
        self.assertTrue(r.ok, r)
        self.assertEqual(r.version, 2)
        self.assertIn('       web: 0 of 1 new task healthy, 1 old running', r.lines())
        # ECS's own events, once each
        started = [line for line in r.lines() if '(service roll-web) has started 1 tasks' in line]
        self.assertEqual(len(started), 1, r.output)
        self.assertEqual(rel.answers('roll'), ['v2'])
        s = rel.service('roll')
        self.assertEqual(len(s['deployments']), 1)
        self.assertEqual(rel.taskdef_release('roll'), 'v2')
        info = rel.release('roll', 2)
        self.assertEqual(info['status'], 'live')
        self.assertEqual(info['digest'], self.v2[1])
        self.assertGreater(info['finished_at'], info['started_at'])

        # the worker went away from the manifest: its service is removed once v3 is live
        r = rel.push('roll', *self.v2)
        self.assertTrue(r.ok, r)
        self.assertIn('       worker: removed (no longer in the manifest)', r.lines())
        wait_for('roll-worker to go', lambda: (rel.service('roll', 'worker') or {}).get('status') != 'ACTIVE')

    def test_crashing_release_is_rejected_previous_keeps_serving(self):
        rel = self.rel
        self.assertTrue(rel.push('crash', *self.v1).ok)
        rel.wait_answers('crash', ['v1'])
        good_td = rel.service('crash')['taskDefinition']
        r = rel.push('crash', *self.v2, procfile="web: echo starting; echo 'Error: DATABASE_URL is not set'; exit 3\n")
        self.assertFalse(r.ok, r)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.reason, r'^web: \d+ new tasks? stopped \(last: ')
        self.assertIn('exit code 3', r.reason)
        self.assertTrue(r.reason.endswith('; rolled back to v1'), r.reason)
        lines = r.lines()
        self.assertIn('-----> rolling back to v1', lines)
        # before the rollback: the last crashed task's exit code and its own last lines, from its log stream
        head = [i for i, l in enumerate(lines) if re.match(r'^-----> web\.[0-9a-f]{4} exited with code 3 ', l)]
        self.assertEqual(len(head), 1, r.output)
        self.assertTrue(lines[head[0]].endswith('; its last output:'), lines[head[0]])
        name = lines[head[0]].split()[1]
        self.assertEqual(lines[head[0] + 1:head[0] + 3],
                         [f'       {name} | starting', f'       {name} | Error: DATABASE_URL is not set'])
        self.assertLess(head[0], lines.index('-----> rolling back to v1'))
        # v1 served throughout and still does
        self.assertEqual(rel.answers('crash'), ['v1'])
        s = rel.service('crash')
        self.assertEqual(s['taskDefinition'], good_td)
        info = rel.release('crash', 2)
        self.assertEqual(info['status'], 'rolled back')
        self.assertEqual(info['rolled_back_to'], 1)
        self.assertIn('exit code 3', info['reason'])
        self.assertEqual(self.live('crash'), 1)

    def test_failing_release_process_changes_nothing(self):
        rel = self.rel
        self.assertTrue(rel.push('phase', *self.v1, procfile=WEB_PROCFILE + 'release: echo migrating\n').ok)
        self.assertEqual(rel.release('phase', 1)['release_ran'], True)
        td = rel.service('phase')['taskDefinition']
        r = rel.push('phase', *self.v2, procfile=WEB_PROCFILE + 'release: echo migrating; exit 4\n')
        self.assertFalse(r.ok, r)
        self.assertEqual(r.reason, "release: 'echo migrating; exit 4' exited with 4")
        self.assertEqual(rel.service('phase')['taskDefinition'], td)   # no service changed
        self.assertEqual(rel.answers('phase'), ['v1'])
        self.assertEqual(rel.release('phase', 2)['status'], 'failed')

    def test_more_memory_than_the_cluster_has_never_converges(self):
        rel = self.rel
        self.assertTrue(rel.push('big', *self.v1).ok)
        t0 = time.monotonic()
        r = rel.push('big', *self.v2, compose='services:\n  web:\n    build: .\n    deploy:\n      replicas: 3\n'
                     '      resources: {limits: {memory: 400m}}\n'
                     '    command: ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p $$PORT -h /www & wait"]\n')
        self.assertFalse(r.ok, r)
        self.assertRegex(r.reason, r'^web needs 3 \u00d7 400 MB; the cluster has room for [0-2]')
        self.assertTrue(r.reason.endswith('; rolled back to v1'), r.reason)
        self.assertTrue(any('was unable to place a task' in line for line in r.lines()), r.output)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertEqual(rel.answers('big'), ['v1'])

    def test_config_set_unset_makes_releases_tasks_see(self):
        rel = self.rel
        self.assertTrue(rel.push('conf', *self.v1).ok)
        r = rel.run('config', 'conf', 'set', 'GREETING=hello there', 'SECRET=hunter2')
        self.assertTrue(r.ok, r)
        self.assertEqual(r.version, 2)
        self.assertNotIn('hunter2', r.output)
        rel.wait_answers('conf', ['hello there'], path='/greeting')
        info = rel.release('conf', 2)
        self.assertEqual(info['kind'], 'config')
        self.assertEqual(info['description'], 'set GREETING, SECRET')
        self.assertEqual(info['config_vars'], ['GREETING', 'SECRET'])
        self.assertEqual(info['digest'], self.v1[1])   # same image, no build
        # nothing changes: no release
        r = rel.run('config', 'conf', 'set', 'GREETING=hello there')
        self.assertTrue(r.ok, r)
        self.assertEqual(r.version, 0)
        r = rel.run('config', 'conf', 'unset', 'GREETING')
        self.assertTrue(r.ok, r)
        rel.wait_answers('conf', [''], path='/greeting')
        r = rel.run('config', 'conf', 'set', 'PORT=1')
        self.assertFalse(r.ok)
        self.assertEqual(r.reason, 'PORT is set by slipway itself')

    def test_scale_up_and_down_and_refusal(self):
        rel = self.rel
        self.assertTrue(rel.push('scl', *self.v1).ok)
        r = rel.run('scale', 'scl', 'web=3')
        self.assertTrue(r.ok, r)
        self.assertEqual(len(rel.running_tasks('scl')), 3)
        self.assertIn('       web: 3 of 3 new tasks healthy, 0 old running', r.lines())
        # the count alone changed: the task definition (and its tasks) stayed
        self.assertEqual(rel.taskdef_release('scl'), 'v1')
        r = rel.run('scale', 'scl', 'web=1')
        self.assertTrue(r.ok, r)
        wait_for('one task', lambda: len(rel.running_tasks('scl')) == 1)
        r = rel.run('scale', 'scl', 'web=40:500')
        self.assertFalse(r.ok)
        self.assertRegex(r.reason, r'^web needs 40 \u00d7 500 MB; the cluster has room for \d+$')
        self.assertEqual(len(rel.running_tasks('scl')), 1)
        r = rel.run('scale', 'scl', 'wrker=2')
        self.assertFalse(r.ok)
        self.assertEqual(r.reason, "no process type 'wrker' (this app has web)")

    def test_rollback_without_build(self):
        rel = self.rel
        self.assertTrue(rel.push('back', *self.v1).ok)
        self.assertTrue(rel.run('config', 'back', 'set', 'GREETING=one').ok)
        self.assertTrue(rel.push('back', *self.v2).ok)
        rel.wait_answers('back', ['v2'])
        r = rel.run('rollback', 'back', 'v1')
        self.assertTrue(r.ok, r)
        self.assertEqual(r.version, 4)
        rel.wait_answers('back', ['v1'])
        rel.wait_answers('back', [''], path='/greeting')   # v1's config: no GREETING
        info = rel.release('back', 4)
        self.assertEqual(info['description'], 'rollback to v1')
        self.assertEqual(info['rollback_of'], 1)
        self.assertEqual(info['digest'], self.v1[1])
        # default: the release live before the live one (v3)
        r = rel.run('rollback', 'back')
        self.assertTrue(r.ok, r)
        rel.wait_answers('back', ['v2'])
        r = rel.run('rollback', 'back', 'v5')
        self.assertFalse(r.ok)
        self.assertEqual(r.reason, 'v5 is already live')
        r = rel.run('rollback', 'back', 'v9')
        self.assertEqual(r.reason, 'back has no release v9')

    def test_rollback_says_when_a_release_process_ran_since(self):
        rel = self.rel
        self.assertTrue(rel.push('schema', *self.v1, procfile=WEB_PROCFILE + 'release: echo migrate 1\n').ok)
        self.assertTrue(rel.push('schema', *self.v2, procfile=WEB_PROCFILE + 'release: echo migrate 2\n').ok)
        r = rel.run('rollback', 'schema')
        self.assertTrue(r.ok, r)
        self.assertIn('-----> note: a release process ran after v1; what it changed (schema, data) is not rolled back',
                      r.lines())
        # the rollback itself runs v1's release process again, like any release of v1's code
        self.assertTrue(any(line.startswith("       release: echo migrate 1 ... exit 0") for line in r.lines()), r)
        rel.wait_answers('schema', ['v1'])

    def test_rollback_to_a_failed_release_needs_force(self):
        rel = self.rel
        self.assertTrue(rel.push('force', *self.v1).ok)
        self.assertFalse(rel.push('force', *self.v2, procfile=WEB_PROCFILE + 'release: exit 1\n').ok)
        r = rel.run('rollback', 'force', 'v2')
        self.assertFalse(r.ok)
        self.assertEqual(r.reason, "v2 never went live (failed: release: 'exit 1' exited with 1); "
                                   "use --force to roll back to it anyway")

    def test_killed_watcher_resumes_and_finishes_the_record(self):
        rel = self.rel
        self.assertTrue(rel.push('resume', *self.v1).ok)
        p = rel.start('push', 'resume', 'f' * 40, *self.v2, rel.manifest('Procfile', WEB_PROCFILE))
        # kill it once the services step is under way
        wait_for('the rollout to start', lambda: (rel.service('resume') or {}).get('taskDefinition', '').endswith(':2'),
                 timeout=30)
        p.send_signal(signal.SIGKILL)
        p.communicate()
        self.assertEqual(rel.release('resume', 2)['status'], 'deploying')
        r = rel.run('resume')
        self.assertTrue(r.ok, r)
        self.assertIn('resumed: resume v2 live', r.output)
        self.assertEqual(rel.release('resume', 2)['status'], 'live')
        self.assertEqual(rel.answers('resume'), ['v2'])

    def test_aws_cli_reads_the_same_state(self):
        rel = self.rel
        self.assertTrue(rel.push('cli', *self.v1, procfile=WEB_PROCFILE + WORKER_LINE).ok)
        out = self.eng.aws('ecs', 'describe-services', '--cluster', 'default', '--services', 'cli-web', 'cli-worker')
        self.assertEqual([s['serviceName'] for s in out['services']], ['cli-web', 'cli-worker'])
        web = out['services'][0]
        self.assertEqual(web['deploymentConfiguration']['deploymentCircuitBreaker'], {'enable': True, 'rollback': True})
        self.assertEqual(web['deploymentConfiguration']['maximumPercent'], 200)
        self.assertEqual(web['deploymentConfiguration']['minimumHealthyPercent'], 100)
        td = self.eng.aws('ecs', 'describe-task-definition', '--task-definition', web['taskDefinition'])['taskDefinition']
        self.assertEqual(td['family'], 'cli-web')
        c = td['containerDefinitions'][0]
        self.assertEqual(c['image'], self.v1[0].rsplit(':', 1)[0] + '@' + self.v1[1])
        env = {e['name']: e['value'] for e in c['environment']}
        self.assertEqual(env['SLIPWAY_APP'], 'cli')
        self.assertEqual(env['SLIPWAY_RELEASE'], 'v1')
        self.assertEqual(env['SLIPWAY_PROCESS'], 'web')
        self.assertEqual(env['PORT'], '8080')
        self.assertEqual(c['portMappings'][0]['hostPort'], 0)
        self.assertEqual(c['logConfiguration']['logDriver'], 'awslogs')
        self.assertEqual(c['logConfiguration']['options']['awslogs-group'], '/slipway/cli')
        tasks = self.eng.aws('ecs', 'list-tasks', '--cluster', 'default', '--service-name', 'cli-worker')['taskArns']
        self.assertEqual(len(tasks), 1)


if __name__ == '__main__':
    unittest.main()
