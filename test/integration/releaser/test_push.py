"""git push to live, through the whole of slipway: real git over HTTP, slipwayd (its
receiver, builder and releaser), the engine as ECS and ECR. Each failing release rejects
the push with its reason as the last line while the previous release keeps serving;
rollback, config and scale make releases without a build; a slipwayd killed mid-rollout
finishes the record after its restart; live releases are tagged vN in the app's repo."""
import re
import time
import unittest

import requests

from swengine import wait_for
from swops import Load
from swrelease import PushStack, WEB_PROCFILE, remote_lines


class PushToLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def builds(self, app):
        return self.ps.st.builds(app)

    def test_push_live_tags_and_second_push(self):
        ps = self.ps
        repo = ps.make_repo('live', 'v1')
        r = ps.push(repo, 'live')
        self.assertEqual(r.returncode, 0, r.output)
        lines = remote_lines(r.output)
        self.assertIn('-----> releasing v1 (web=1)', lines)
        self.assertTrue(any(line.startswith('-----> v1 is live at http://live.localhost:') for line in lines), lines)
        ps.wait_answers('live', ['v1'])

        ps.commit(repo, 'v2')
        r = ps.push(repo, 'live')
        self.assertEqual(r.returncode, 0, r.output)
        self.assertIn('       web: 0 of 1 new task healthy, 1 old running', remote_lines(r.output))
        self.assertEqual(ps.answers('live'), ['v2'])

        # a failed release is not tagged; the live ones are, once the push has landed
        ps.commit(repo, procfile='web: exit 3\n')
        self.assertNotEqual(ps.push(repo, 'live').returncode, 0)
        wait_for('tags', lambda: ps.release('live', 2)['tagged'] or None, timeout=20)
        r = ps.git('fetch', '-q', '--tags', ps.st.remote('live'), cwd=repo)
        self.assertEqual(r.returncode, 0, r.output)
        tags = ps.git('tag', '-l', cwd=repo).output.split()
        self.assertEqual(tags, ['v1', 'v2'])
        msg = ps.git('tag', '-l', '-n1', 'v2', cwd=repo).output
        self.assertIn('v2 · deploy ', msg)
        self.assertEqual(ps.git('rev-list', '-n1', 'v2', cwd=repo).output.strip(), ps.release('live', 2)['commit'])

    def test_crashing_release_rejects_the_push(self):
        ps = self.ps
        repo = ps.make_repo('crashy', 'v1')
        self.assertEqual(ps.push(repo, 'crashy').returncode, 0)
        ps.commit(repo, 'v2', procfile='web: echo booting; exit 3\n')
        r = ps.push(repo, 'crashy')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn('[remote rejected] main -> main', r.output)
        last = remote_lines(r.output)[-1]
        self.assertRegex(last, r'^ !     web: \d+ new tasks? stopped \(last: .*exit code 3\)\); rolled back to v1$')
        self.assertEqual(ps.answers('crashy'), ['v1'])
        rel = ps.release('crashy', 2)
        self.assertEqual(rel['status'], 'rolled back')
        out = ps.cli('releases', '-a', 'crashy')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r'v2\s+rolled back')
        self.assertIn('exit code 3', out.stdout)

    def test_unhealthy_release_rejects_the_push(self):
        ps = self.ps
        repo = ps.make_repo('sick', 'v1', procfile=None, files={'docker-compose.yml': (
            'services:\n  web:\n    build: .\n    ports: ["8080"]\n'
            '    command: ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n'
            '    healthcheck: {test: "wget -q -O /dev/null http://127.0.0.1:8080/", interval: 5s, retries: 1}\n')})
        r = ps.push(repo, 'sick')
        self.assertEqual(r.returncode, 0, r.output)
        ps.commit(repo, files={'docker-compose.yml': (
            'services:\n  web:\n    build: .\n    ports: ["8080"]\n'
            '    command: ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n'
            '    healthcheck: {test: "wget -q -O /dev/null http://127.0.0.1:8080/nothing-here", interval: 5s, retries: 1}\n')})
        r = ps.push(repo, 'sick')
        self.assertNotEqual(r.returncode, 0, r.output)
        last = remote_lines(r.output)[-1]
        self.assertIn('health', last.lower())
        self.assertTrue(last.endswith('; rolled back to v1'), last)
        self.assertEqual(ps.answers('sick'), ['v1'])

    def test_failing_release_process_rejects_the_push(self):
        ps = self.ps
        repo = ps.make_repo('migr', 'v1', procfile=WEB_PROCFILE + 'release: echo migrated\n')
        r = ps.push(repo, 'migr')
        self.assertEqual(r.returncode, 0, r.output)
        self.assertTrue(any(line.startswith("       release: echo migrated ... exit 0 (")
                            for line in remote_lines(r.output)), r.output)
        if ps.has_logs():   # the release process's own output, streamed from CloudWatch Logs
            self.assertIn('       migrated', remote_lines(r.output))
        ps.commit(repo, 'v2', procfile=WEB_PROCFILE + 'release: echo failing; exit 9\n')
        r = ps.push(repo, 'migr')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertEqual(remote_lines(r.output)[-1], " !     release: 'echo failing; exit 9' exited with 9")
        self.assertEqual(ps.answers('migr'), ['v1'])
        self.assertEqual(ps.release('migr', 2)['status'], 'failed')

    def test_more_memory_than_the_cluster_rejects_the_push(self):
        ps = self.ps
        repo = ps.make_repo('huge', 'v1')
        self.assertEqual(ps.push(repo, 'huge').returncode, 0)
        ps.commit(repo, files={'docker-compose.yml': (
            'services:\n  web:\n    build: .\n    deploy: {replicas: 3, resources: {limits: {memory: 400m}}}\n'
            '    command: ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p $$PORT -h /www & wait"]\n')})
        t0 = time.monotonic()
        r = ps.push(repo, 'huge')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertRegex(remote_lines(r.output)[-1],
                         r'^ !     web needs 3 \u00d7 400 MB; the cluster has room for [0-2].*; rolled back to v1$')
        self.assertLess(time.monotonic() - t0, 90)
        self.assertEqual(ps.answers('huge'), ['v1'])

    def test_broken_manifest_rejects_before_the_build(self):
        ps = self.ps
        repo = ps.make_repo('broken', 'v1', procfile=None, files={'docker-compose.yml': 'services:\n  web: [\n'})
        r = ps.push(repo, 'broken')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertEqual(remote_lines(r.output)[-1],
                         ' !     docker-compose.yml:3:1: did not find expected node content while parsing a flow node')
        self.assertNotIn('Step 1/', r.output)

    def test_rollback_config_scale_through_the_cli(self):
        ps = self.ps
        repo = ps.make_repo('cmds', 'v1')
        self.assertEqual(ps.push(repo, 'cmds').returncode, 0)
        ps.commit(repo, 'v2')
        self.assertEqual(ps.push(repo, 'cmds').returncode, 0)
        builds = len(self.builds('cmds'))

        out = ps.cli('rollback', 'v1', '-a', 'cmds')
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn('-----> releasing v3 (web=1)', out.stdout)
        self.assertIn('-----> v3 is live at ', out.stdout)
        self.assertEqual(ps.answers('cmds'), ['v1'])
        self.assertEqual(len(self.builds('cmds')), builds)   # no build
        self.assertEqual(ps.release('cmds', 3)['description'], 'rollback to v1')

        out = ps.cli('config:set', 'GREETING=hi from config', 'TOKEN=s3cret', '-a', 'cmds')
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertNotIn('s3cret', out.stdout)
        ps.wait_answers('cmds', ['hi from config'], path='/greeting')
        out = ps.cli('config', '-a', 'cmds')
        self.assertIn('GREETING: hi from config', out.stdout)
        out = ps.cli('config:unset', 'NOPE', '-a', 'cmds')
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stderr.strip(), 'slipway config:unset: NOPE is not set')

        out = ps.cli('scale', 'web=3', '-a', 'cmds')
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(ps.answers('cmds'), ['v1', 'v1', 'v1'])
        out = ps.cli('scale', 'web=1', '-a', 'cmds')
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        wait_for('one task', lambda: len(ps.answers('cmds')) == 1)
        out = ps.cli('scale', 'web=50:900', '-a', 'cmds')
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stderr, r'^slipway scale: web needs 50 \u00d7 900 MB; the cluster has room for \d+\n$')

        out = ps.cli('releases:info', 'v4', '-a', 'cmds')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r'config vars:\s+GREETING, TOKEN')
        self.assertNotIn('s3cret', out.stdout)
        out = ps.cli('rollback', 'v2', '--no-wait', '-a', 'cmds')
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('(not waiting: ', out.stdout)
        wait_for('v7 live', lambda: ps.release('cmds', 7)['status'] == 'live', timeout=60)
        ps.wait_answers('cmds', ['v2'])
        # the listing: the serving release is the one "live", the earlier live ones superseded;
        # the commands are jobs beside the builds
        out = ps.cli('releases', '-a', 'cmds')
        self.assertRegex(out.stdout, r'(?m)^v7\s+live\s')
        self.assertRegex(out.stdout, r'(?m)^v3\s+superseded\s+rollback to v1')
        self.assertEqual(len(re.findall(r'(?m)^v\d+\s+live\s', out.stdout)), 1, out.stdout)
        out = ps.cli('builds', '-a', 'cmds', '--all')
        self.assertRegex(out.stdout, r'(?m)^\d+\s+succeeded\s+release job: rollback\s.*\sv7 live\s')
        self.assertRegex(out.stdout, r'(?m)^\d+\s+succeeded\s+release job: config\s.*\sv4 superseded\s')
        # without --all: the pushes only
        out = ps.cli('builds', '-a', 'cmds')
        self.assertNotIn('release job', out.stdout)

    def test_pushing_a_live_commit_back_is_a_rollback_to_it(self):
        ps = self.ps
        repo = ps.make_repo('again', 'v1')
        self.assertEqual(ps.push(repo, 'again').returncode, 0)
        first = ps.git('rev-parse', 'HEAD', cwd=repo).output.strip()
        ps.commit(repo, 'v2')
        self.assertEqual(ps.push(repo, 'again').returncode, 0)
        ps.wait_answers('again', ['v2'])
        r = ps.push(repo, 'again', refspec=f'+{first}:refs/heads/main')
        self.assertEqual(r.returncode, 0, r.output)
        self.assertIn('already built', r.output)           # the image of v1, no build
        rel = ps.release('again', 3)
        self.assertEqual(rel['kind'], 'rollback')
        self.assertEqual(rel['rollback_of'], 1)
        self.assertEqual(rel['description'], f'rollback to v1 (git push of {first[:7]})')
        ps.wait_answers('again', ['v1'])

    def test_doctor(self):
        out = self.ps.cli('doctor')
        self.assertIn('ok    cluster', out.stdout)
        self.assertIn('ok    credentials', out.stdout)
        self.assertIn('ok    repository', out.stdout)
        self.assertIn('ok    docker', out.stdout)

    def test_slipwayd_killed_mid_rollout_finishes_the_record(self):
        ps = self.ps
        repo = ps.make_repo('phoenix', 'v1')
        self.assertEqual(ps.push(repo, 'phoenix').returncode, 0)
        ps.commit(repo, 'v2', procfile="web: sleep 3; trap 'exit 0' TERM; httpd -f -p $PORT -h /www & wait\n")
        p = ps.st.start_push(repo, 'phoenix')
        wait_for('v2 deploying', lambda: any(r['version'] == 2 and r['status'] == 'deploying'
                                             for r in ps.releases('phoenix')), timeout=60, interval=0.1)
        time.sleep(0.5)
        ps.sd.kill()
        ps.sd.start()
        # the push outlives slipwayd (test_restart_push.py has the pusher's side)
        p.wait(timeout=120)
        wait_for('v2 live after the restart', lambda: ps.release('phoenix', 2)['status'] == 'live', timeout=60)
        ps.wait_answers('phoenix', ['v2'])
        self.assertIn('resuming v2', ps.sd.log_text())


class PushThroughTheRouter(unittest.TestCase):
    """The web process behind the engine's ELBv2 (HAProxy router): target group, host rule,
    target health; zero failed requests while a push rolls."""

    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024, load_balancer='elbv2',
                           env={'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_HEALTH_GRACE': '5',
                                'SLIPWAY_DEREGISTRATION_DELAY': '2'})

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def get(self, app, path='/'):
        r = requests.get(f'http://127.0.0.1:{self.ps.eng.router_port}{path}', headers={'Host': f'{app}.localhost'},
                         timeout=5)
        if r.status_code != 200:   # say what the engine and the router saw
            print(f'---- GET {app} answered {r.status_code}; engine log (tail) ----\n{self.ps.eng.log(tail=80)}')
        return r.status_code, r.text.strip()

    def test_zero_downtime_second_push(self):
        ps = self.ps
        repo = ps.make_repo('zero', 'v1')
        r = ps.push(repo, 'zero')
        self.assertEqual(r.returncode, 0, r.output)
        self.assertEqual(self.get('zero'), (200, 'v1'))
        ps.commit(repo, 'v2')
        with Load(ps.eng.router_port, 'zero', limit=2000, pause=0.01) as load:
            time.sleep(0.5)
            r = ps.push(repo, 'zero')
            time.sleep(0.5)
        self.assertEqual(r.returncode, 0, r.output)
        self.assertEqual(load.failures, [])
        self.assertGreater(len(load.answers), 50)
        self.assertEqual(load.answers[0], 'v1')
        self.assertEqual(load.answers[-1], 'v2')
        # v1 until the switch, v2 after it (both may answer during the overlap)
        self.assertEqual(set(load.answers), {'v1', 'v2'})
        self.assertEqual(self.get('zero'), (200, 'v2'))

    def test_unhealthy_release_keeps_the_old_one_serving(self):
        ps = self.ps
        check = '# slipway: healthcheck_path=/check.html\n'
        repo = ps.make_repo('ill', 'v1', files={'Procfile': WEB_PROCFILE.replace(
            '; trap', '; echo ok > /www/check.html; trap') + check})
        r = ps.push(repo, 'ill')
        self.assertEqual(r.returncode, 0, r.output)
        # v2 does not serve /check.html: its targets never turn healthy
        ps.commit(repo, 'v2', procfile=WEB_PROCFILE + check)
        with Load(ps.eng.router_port, 'ill', limit=2000, pause=0.01) as load:
            r = ps.push(repo, 'ill')
        self.assertNotEqual(r.returncode, 0, r.output)
        last = remote_lines(r.output)[-1]
        self.assertIn('ELB health checks', last)
        self.assertTrue(last.endswith('; rolled back to v1'), last)
        self.assertEqual(load.failures, [])
        self.assertEqual(set(load.answers), {'v1'})
        self.assertEqual(self.get('ill'), (200, 'v1'))


class PushWithThrottling(unittest.TestCase):
    """The engine answers ThrottlingException past a few requests a second: the push
    still goes live (the AWS client's retries and the watcher's backoff)."""

    def test_push_live_under_throttling(self):
        with PushStack(memory_mb=512, engine_env={'SLIPWAY_ENGINE_THROTTLE_RATE': '4',
                                                  'SLIPWAY_ENGINE_THROTTLE_BURST': '4'}) as ps:
            repo = ps.make_repo('slow', 'v1')
            r = ps.push(repo, 'slow')
            self.assertEqual(r.returncode, 0, r.output)
            ps.commit(repo, 'v2')
            r = ps.push(repo, 'slow')
            self.assertEqual(r.returncode, 0, r.output)
            self.assertEqual(ps.answers('slow'), ['v2'])
            # the throttle was on all along: a client without retries meets it at once
            ecs = ps.eng.client('ecs', max_attempts=1)
            throttled = 0
            for _ in range(20):
                try:
                    ecs.describe_clusters(clusters=['default'])
                except ecs.exceptions.ClientError as e:
                    throttled += e.response['Error']['Code'] == 'ThrottlingException'
            self.assertGreater(throttled, 0)


if __name__ == '__main__':
    unittest.main()
