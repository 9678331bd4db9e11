"""AWS unreachable while the releaser is on: every entry point that talks to ECS/ECR
answers with one line naming what could not be reached, promptly (the AWS client's
retries, not minutes), and changes nothing: the push is rejected and its ref does not
land, no release is left pending or deploying (one that was made is recorded failed with
that line), the config stays what the live release has, the app is not left locked.
Two outages: ECS alone (its endpoint pointed at a closed port: the build and ECR work,
the release fails), then the whole engine stopped (ECR too: the push fails before the
build). Once the engine is back on the same port and state, a push goes live."""
import time
import unittest

from swengine import free_port
from swrelease import PushStack, remote_lines

PROMPT = 60   # seconds: connection refused, 3 attempts with backoff, a few calls; a deploy's stall window


class Unreachable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def remote_main(self, app):
        r = self.ps.git('ls-remote', self.ps.st.remote(app), 'refs/heads/main')
        self.assertEqual(r.returncode, 0, r.output)
        return r.output.split()[0] if r.output.strip() else None

    def assert_settled(self, app, live):
        """No release in progress; `live` is the live one."""
        rels = self.ps.releases(app)
        self.assertFalse([r for r in rels if r['status'] in ('pending', 'deploying')], rels)
        self.assertEqual([r['version'] for r in rels if r['status'] == 'live'][:1], [live], rels)

    def command_fails(self, args, needle):
        t0 = time.monotonic()
        out = self.ps.cli(*args)
        took = time.monotonic() - t0
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        err = out.stderr.strip().splitlines()
        self.assertEqual(len(err), 1, out.stderr)
        self.assertIn(needle, err[0])
        self.assertLess(took, PROMPT, err)
        return err[0]

    def restart_slipwayd(self, **env):
        sd = self.ps.sd
        sd.stop()
        for k in ('AWS_ENDPOINT_URL_ECS',):
            sd.env.pop(k, None)
        sd.env.update(env)
        sd.start()

    def test_outages(self):
        ps = self.ps
        app = 'unreach'
        repo = ps.make_repo(app, 'v1')
        self.assertEqual(ps.push(repo, app).returncode, 0)
        ps.commit(repo, 'v2')
        self.assertEqual(ps.push(repo, app).returncode, 0)
        live_commit = self.remote_main(app)
        out = ps.cli('config:set', 'GREETING=before', '-a', app)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)   # v3
        self.assert_settled(app, 3)

        # -- ECS alone unreachable: the build works, the release fails with one line ----------
        closed = free_port()
        ecs = f'cannot connect to http://127.0.0.1:{closed}/'
        self.restart_slipwayd(AWS_ENDPOINT_URL_ECS=f'http://127.0.0.1:{closed}')
        ps.commit(repo, 'v4')
        t0 = time.monotonic()
        r = ps.push(repo, app)
        took = time.monotonic() - t0
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn('[remote rejected] main -> main', r.output)
        last = remote_lines(r.output)[-1]
        # a deploy waits out the stall window (SLIPWAY_STALL_SECONDS), then says who did not answer
        self.assertRegex(last, r'^ !     the engine stopped: slipway-engine did not answer at http://127\.0\.0\.1:'
                         + str(closed) + r' for \d+s \(ecs \w+: ' + ecs.replace('.', r'\.') + r' \(\d attempts\)\)$')
        self.assertLess(took, PROMPT)
        self.assertEqual(self.remote_main(app), live_commit)       # the ref did not land
        v4 = ps.releases(app)[0]
        self.assertEqual((v4['version'], v4['status']), (4, 'failed'), v4)
        self.assertEqual(v4['reason'], last[len(' !     '):])
        self.assert_settled(app, 3)

        # each makes a release that fails before any service changed, recorded with its line
        lines = [self.command_fails(('rollback', '-a', app), ecs),
                 self.command_fails(('config:set', 'GREETING=after', '-a', app), ecs),
                 self.command_fails(('scale', 'web=2', '-a', app), ecs)]
        made = [r for r in ps.releases(app) if r['version'] > 4]
        self.assertEqual([(r['kind'], r['status'], r['reason']) for r in reversed(made)],
                         [(k, 'failed', line[len(f'slipway {c}: '):]) for k, c, line in
                          zip(('rollback', 'config', 'scale'), ('rollback', 'config:set', 'scale'), lines)])
        self.assert_settled(app, 3)
        out = ps.cli('config', '-a', app)
        self.assertIn('GREETING: before', out.stdout)              # not stored as if released
        self.assertNotIn('after', out.stdout)
        out = ps.cli('doctor')
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertRegex(out.stdout, r'(?m)^FAIL  cluster +ecs DescribeClusters: ' + ecs.replace('.', r'\.'))
        self.assertIn('fix: make the AWS endpoint reachable', out.stdout)
        self.assertRegex(out.stdout, r'(?m)^ok    repository')

        # -- the whole engine stopped: ECR too, the push fails before the build --------------
        self.restart_slipwayd()
        ps.eng.terminate()
        try:
            down = f'cannot connect to http://127.0.0.1:{ps.eng.port}/'
            builds = len(ps.st.builds(app))
            newest = ps.releases(app)[0]['version']
            t0 = time.monotonic()
            r = ps.push(repo, app)
            took = time.monotonic() - t0
            self.assertNotEqual(r.returncode, 0, r.output)
            last = remote_lines(r.output)[-1]
            self.assertRegex(last, r'^ !     ecr \w+: ' + down.replace('.', r'\.') + r' \(\d attempts\)$')
            self.assertNotIn('Step 1/', r.output)
            self.assertLess(took, PROMPT)
            self.assertEqual(self.remote_main(app), live_commit)
            b = ps.st.builds(app)[0]
            self.assertEqual((len(ps.st.builds(app)), b['status'], b['digest']), (builds + 1, 'failed', None))
            self.assertEqual(b['reason'], last[len(' !     '):])
            self.assertEqual(ps.releases(app)[0]['version'], newest)    # no release made

            self.command_fails(('rollback', '-a', app), down)
            self.command_fails(('config:set', 'GREETING=after', '-a', app), down)
            self.command_fails(('scale', 'web=2', '-a', app), down)
            self.assert_settled(app, 3)
            self.assertIn('GREETING: before', ps.cli('config', '-a', app).stdout)
            out = ps.cli('doctor')
            self.assertEqual(out.returncode, 1, out.stdout)
            for check in ('cluster', 'repository', 'lifecycle policy', 'logs'):
                self.assertRegex(out.stdout, rf'(?m)^FAIL  {check} +\w+ \w+: ' + down.replace('.', r'\.'))
            self.assertEqual(out.stdout.count('fix: make the AWS endpoint reachable'), 4, out.stdout)
            self.assertRegex(out.stdout, r'(?m)^ok    docker')
        finally:
            ps.eng.start()

        # -- back: the same push goes live ----------------------------------------------------
        r = ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)
        lines = remote_lines(r.output)
        self.assertTrue(any(line.startswith('-----> v') and ' is live at ' in line for line in lines), lines)
        ps.wait_answers(app, ['v4'])
        self.assertEqual(self.remote_main(app), ps.git('rev-parse', 'HEAD', cwd=repo).output.strip())
        self.assertIn('GREETING: before', ps.cli('config', '-a', app).stdout)
        self.assert_settled(app, ps.releases(app)[0]['version'])


if __name__ == '__main__':
    unittest.main()
