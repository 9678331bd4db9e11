"""Promotion between apps of a pipeline, through the whole of slipway: real pushes to
slipwayd, the engine as ECS and ECR. `slipway promote -a staging` releases on the
production app the image (same digest) live on staging, with production's own config,
streamed like a push, recorded "promote vN of staging" and tagged in production's
repository; a promotion that cannot be made is refused in one line and changes nothing."""
import os
import subprocess
import unittest

from swengine import wait_for
from swrelease import PushStack, WEB_PROCFILE, WORKER_LINE


class Promote(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def ok(self, *args):
        r = self.ps.cli(*args)
        self.assertEqual(r.returncode, 0, (args, r.stdout, r.stderr))
        return r.stdout

    def refused(self, *args, code=1):
        r = self.ps.cli(*args)
        self.assertEqual(r.returncode, code, (args, r.stdout, r.stderr))
        self.assertEqual(len(r.stderr.splitlines()), 1 if code == 1 else len(r.stderr.splitlines()), r.stderr)
        return r.stderr.splitlines()[0]

    def push_ok(self, repo, app):
        r = self.ps.push(repo, app)
        self.assertEqual(r.returncode, 0, r.output)

    def test_promote_keeps_the_digest_and_the_targets_config(self):
        ps = self.ps
        staging = ps.make_repo('shop', 'code-v1')
        self.push_ok(staging, 'shop-staging')
        self.push_ok(staging, 'shop-prod')                  # production's first release: the same code
        self.ok('config:set', 'GREETING=from-prod', '-a', 'shop-prod')
        ps.commit(staging, 'code-v2')
        self.push_ok(staging, 'shop-staging')
        self.ok('config:set', 'GREETING=from-staging', '-a', 'shop-staging')
        live = [r for r in ps.releases('shop-staging') if r['status'] == 'live'][0]

        # not in a pipeline yet
        self.assertIn('shop-staging is in no pipeline', self.refused('promote', '-a', 'shop-staging'))
        self.ok('pipeline:add', 'shop-staging', '--stage', 'staging', '--pipeline', 'shop')
        self.ok('pipeline:add', 'shop-prod', '--stage', 'production', '--pipeline', 'shop')
        self.assertRegex(self.ok('pipeline'), r'=== shop\nstaging +shop-staging\nproduction +shop-prod\n')
        before = len(ps.releases('shop-prod'))

        # refusals: one line, no release made
        self.assertIn(f'v1 of shop-staging is not live (v{live["version"]} is)',
                      self.refused('promote', 'v1', '-a', 'shop-staging'))
        self.assertIn('the last stage of pipeline shop', self.refused('promote', '-a', 'shop-prod'))
        self.assertIn('want --stage staging or --stage production',
                      self.refused('pipeline:add', 'shop-prod', '--stage', 'qa', code=2))
        self.assertEqual(len(ps.releases('shop-prod')), before)

        r = ps.cli('promote', '-a', 'shop-staging')
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))
        self.assertIn(f'promoting v{live["version"]} of shop-staging', r.stdout)
        self.assertIn('is live', r.stdout)
        new = ps.releases('shop-prod')[0]
        self.assertEqual(new['status'], 'live')
        self.assertEqual(new['kind'], 'promote')
        self.assertEqual(new['description'], f'promote v{live["version"]} of shop-staging')
        self.assertEqual(new['digest'], live['digest'])
        self.assertEqual(new['commit'], live['commit'])
        ps.wait_answers('shop-prod', ['code-v2'])
        self.assertEqual(ps.answers('shop-prod', '/greeting'), ['from-prod'])   # the target's own config

        # tagged vN in production's repository, on staging's commit
        repo = os.path.join(ps.sd.home, 'repos', 'shop-prod.git')

        def tagged():
            p = subprocess.run(['git', '--git-dir', repo, 'rev-parse', f'v{new["version"]}^{{commit}}'],
                               capture_output=True, text=True)
            return p.stdout.strip() == live['commit'] or None
        wait_for('the promoted release tagged', tagged, timeout=30)

        # the same image again: nothing to change
        r = ps.cli('promote', '-a', 'shop-staging')
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))
        self.assertIn('no change', r.stdout)

        # an app whose processes differ is refused, nothing changed
        other = ps.make_repo('other', 'code-v1', procfile=WEB_PROCFILE + WORKER_LINE)
        self.push_ok(other, 'shop-other')
        self.ok('pipeline:add', 'shop-other', '--stage', 'production', '--pipeline', 'shop')
        self.assertIn('several production apps (shop-other, shop-prod)', self.refused('promote', '-a', 'shop-staging'))
        n_other = len(ps.releases('shop-other'))
        line = self.refused('promote', '-a', 'shop-staging', '--to', 'shop-other')
        self.assertIn('processes differ: shop-staging runs web, shop-other runs web worker', line)
        self.assertEqual(len(ps.releases('shop-other')), n_other)
        self.ok('pipeline:remove', 'shop-other')
        self.assertNotIn('shop-other', self.ok('pipeline'))


if __name__ == '__main__':
    unittest.main()
