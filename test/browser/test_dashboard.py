"""The dashboard in a real browser (Debian's chromium, driven by playwright-core from
test/browser/node_modules): this file starts a whole stack (slipway-engine with its
router and load balancer, slipwayd), makes the app's repository, and runs
dashboard.test.mjs (node's own test runner) against it. That script signs in through a
ticket from `slipway dashboard`, pushes commits itself and watches the rollout view, rolls
back from the page, and checks refusals; see its header. Screenshots go to
test/browser/screenshots/ (ignored by git).

Run by scripts/test (all, after the integration tests; or `scripts/test browser`)."""
import json
import os
import shutil
import subprocess
import sys
import unittest

from swrelease import PushStack, WEB_PROCFILE
from swstack import binary, git_env

HERE = os.path.dirname(os.path.abspath(__file__))
TICKET_SECS = 6   # short, so an expired ticket can be shown without waiting a minute


def chromium():
    for path in ('/usr/bin/chromium', '/usr/bin/chromium-browser'):
        if os.path.exists(path):
            return path
    return shutil.which('chromium')


class DashboardTest(unittest.TestCase):
    def test_dashboard_in_a_browser(self):
        self.assertTrue(chromium(), 'no chromium: scripts/install-deps installs it')
        self.assertTrue(os.path.isdir(os.path.join(HERE, 'node_modules', 'playwright-core')),
                        'no playwright-core: scripts/install-deps installs it (npm ci in test/browser)')
        # behind the engine's load balancer (the router answers for the app), with quick
        # health checks and draining, and short sign-in links
        env = {'SLIPWAY_DASHBOARD_TICKET_SECS': str(TICKET_SECS), 'SLIPWAY_HEALTH_INTERVAL': '5',
               'SLIPWAY_DEREGISTRATION_DELAY': '2', 'SLIPWAY_DEPLOY_DEADLINE': '120'}
        with PushStack(memory_mb=1024, load_balancer='elbv2', env=env) as ps:
            repo = ps.make_repo('web', 'v1')
            r = ps.push(repo, 'web')
            self.assertEqual(r.returncode, 0, r.output)
            read_token = self.read_user(ps)
            with open(os.path.join(repo, 'Dockerfile')) as f:
                dockerfile = f.read()
            shots = os.path.join(HERE, 'screenshots')
            os.makedirs(shots, exist_ok=True)
            run_env = git_env(ps.st.workdir)
            run_env.update({
                'SW_URL': ps.sd.url, 'SW_TOKEN': ps.token, 'SW_READ_TOKEN': read_token,
                'SW_APP': 'web', 'SW_REPO': repo, 'SW_REMOTE': ps.st.remote('web'),
                'SW_ROUTER_PORT': str(ps.eng.router_port), 'SW_SLIPWAY': binary('slipway'),
                'SW_CHROMIUM': chromium(), 'SW_SCREENSHOTS': shots, 'SW_TICKET_SECS': str(TICKET_SECS),
                'SW_DOCKERFILE': json.dumps(dockerfile),
                'SW_PROCFILE': json.dumps(WEB_PROCFILE),
            })
            p = subprocess.run(['node', '--test', '--test-reporter=spec', os.path.join(HERE, 'dashboard.test.mjs')],
                               env=run_env, cwd=HERE, timeout=600)
            if p.returncode != 0:
                print('---- slipwayd log (tail) ----\n' + ps.sd.log_text()[-6000:], file=sys.stderr)
            self.assertEqual(p.returncode, 0, 'the browser test failed (its output is above)')

    def read_user(self, ps):
        """A user with the read role on the app (`slipway users:create`, `access:add`): its token."""
        made = ps.cli('users:create', 'viewer', '--json')
        self.assertEqual(made.returncode, 0, made.stderr)
        token = json.loads(made.stdout)['token']
        r = ps.cli('access:add', 'viewer', 'read', '-a', 'web')
        self.assertEqual(r.returncode, 0, r.stderr)
        return token

if __name__ == '__main__':
    unittest.main(verbosity=2)
