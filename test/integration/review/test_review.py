"""Review apps (issue 8), through the whole of slipway: real git pushes over HTTP to
slipwayd, the engine as ECS, ECR and ELBv2 (its HAProxy router answering the apps' host
names), the AWS CLI reading what the engine holds.

Every branch pushed other than main is an app of its own, APP-<slug>, at
http://<slug>.APP.localhost:<router port>/; deleting the branch destroys it."""
import re
import subprocess
import unittest

import requests

from swengine import wait_for
from swrelease import PushStack, WEB_PROCFILE, remote_lines

NAME = re.compile(r'^[a-z][a-z0-9-]{2,62}$')
LABEL = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
LONG = ('feature/' + 'make-the-login-page-remember-me-' * 5)[:120]   # 120 characters
ODD = 'fix/a.b_c/d.e_f'                                              # full of / . _


class ReviewApps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024, load_balancer='elbv2',
                           env={'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_HEALTH_GRACE': '5',
                                'SLIPWAY_DEREGISTRATION_DELAY': '2'})

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    # -- helpers --------------------------------------------------------------------------
    def get(self, host, path='/'):
        r = requests.get(f'http://127.0.0.1:{self.ps.eng.router_port}{path}', headers={'Host': host}, timeout=5)
        return r.status_code, r.text.strip()

    def api(self, path):
        r = requests.get(f'{self.ps.sd.url}/api/v1{path}', headers={'Authorization': f'Bearer {self.ps.token}'},
                         timeout=30)
        r.raise_for_status()
        return r.json()

    def reviews(self, app, all=False):
        return {r['branch']: r for r in self.api(f'/apps/{app}/reviews{"?all=1" if all else ""}')['reviews']}

    def branch(self, repo, name, version, base='main', files=None):
        self.ps.git('checkout', '-q', '-B', name, base, cwd=repo)
        return self.ps.commit(repo, version, files=files)

    def push_ok(self, repo, app, refspec):
        r = self.ps.push(repo, app, refspec)
        self.assertEqual(r.returncode, 0, r.output)
        return remote_lines(r.output)

    def aws(self, *args):
        return self.ps.eng.aws(*args)

    def aws_error(self, *args):
        p = subprocess.run(['aws', *args, '--output', 'json'], env=self.ps.eng.aws_env(), capture_output=True,
                           text=True)
        return p.returncode, p.stdout + p.stderr

    # -- the tests ---------------------------------------------------------------------------
    def test_branches_are_apps_of_their_own(self):
        ps = self.ps
        repo = ps.make_repo('web', 'main-v1')
        self.push_ok(repo, 'web', 'main')
        self.assertIn('v2', ps.cli('config:set', 'GREETING=hello', '-a', 'web').stdout)
        self.assertEqual(self.get('web.localhost'), (200, 'main-v1'))

        # two branches: two review apps, each answering its own code on its own URL
        self.branch(repo, LONG, 'long-v1')
        lines = self.push_ok(repo, 'web', LONG)
        self.assertTrue(any(l.startswith('-----> review app web-') and 'created for branch ' + LONG in l
                            and 'config of web v2: GREETING' in l for l in lines), lines)
        self.branch(repo, ODD, 'odd-v1')
        self.push_ok(repo, 'web', ODD)
        rv = self.reviews('web')
        self.assertEqual(sorted(rv), sorted([LONG, ODD]))
        long_app, odd_app = rv[LONG]['app'], rv[ODD]['app']
        self.assertNotEqual(long_app, odd_app)
        for r in rv.values():
            self.assertRegex(r['app'], NAME)
            self.assertRegex(r['slug'], LABEL)
            self.assertEqual(r['app'], 'web-' + r['slug'])
            self.assertEqual(r['url'], f'http://{r["slug"]}.web.localhost:{ps.eng.router_port}')
        self.assertEqual(rv[ODD]['slug'], 'fix-a-b-c-d-e-f')
        self.assertLessEqual(len(rv[LONG]['slug']), 32)
        self.assertTrue(rv[LONG]['slug'].startswith('feature-make-the-login-'), rv[LONG]['slug'])
        long_host, odd_host = f'{rv[LONG]["slug"]}.web.localhost', f'{rv[ODD]["slug"]}.web.localhost'
        self.assertEqual(self.get(long_host), (200, 'long-v1'))
        self.assertEqual(self.get(odd_host), (200, 'odd-v1'))
        self.assertEqual(self.get('web.localhost'), (200, 'main-v1'))
        # config copied from web when created; one task per process type
        self.assertEqual(self.get(long_host, '/greeting'), (200, 'hello'))
        self.assertEqual(ps.release(long_app, 1)['formation']['web']['count'], 1)
        # every name the engine got is within its limits
        tgs = {t['TargetGroupName']: t for t in self.aws('elbv2', 'describe-target-groups')['TargetGroups']}
        self.assertTrue(all(len(n) <= 32 for n in tgs), tgs.keys())
        self.assertEqual(ps.ecs.describe_services(cluster='default', services=[long_app + '-web'])
                         ['services'][0]['status'], 'ACTIVE')

        # a second push to a branch: v2 of its review app, tagged review/<slug>/vN in web's repository
        self.ps.git('checkout', '-q', LONG, cwd=repo)
        ps.commit(repo, 'long-v2')
        lines = self.push_ok(repo, 'web', LONG)
        self.assertTrue(any(l.startswith(f'-----> v2 is live at http://{long_host}:') for l in lines), lines)
        self.assertEqual(self.get(long_host), (200, 'long-v2'))
        self.assertEqual(self.get(odd_host), (200, 'odd-v1'))
        wait_for('tags', lambda: ps.release(long_app, 2)['tagged'] or None, timeout=20)
        ps.git('fetch', '-q', '--tags', ps.st.remote('web'), cwd=repo)
        tags = ps.git('tag', '-l', cwd=repo).output.split()
        slug = rv[LONG]['slug']
        self.assertIn(f'review/{slug}/v1', tags)
        self.assertIn(f'review/{slug}/v2', tags)

        # the parent's config changes later stay out of its review apps ...
        self.assertEqual(ps.cli('config:set', 'GREETING=changed', '-a', 'web').returncode, 0)
        self.assertEqual(self.get('web.localhost', '/greeting'), (200, 'changed'))
        self.assertEqual(self.api(f'/apps/{odd_app}/config')['config'], {'GREETING': 'hello'})
        self.assertEqual(self.get(odd_host, '/greeting'), (200, 'hello'))
        # ... until asked
        out = ps.cli('review:sync-config', '-a', odd_app)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.get(odd_host, '/greeting'), (200, 'changed'))
        self.assertEqual(self.api(f'/apps/{long_app}/config')['config'], {'GREETING': 'hello'})

        # `slipway apps`: review apps under their app, with branch and URL
        out = ps.cli('apps').stdout.splitlines()
        names = [l.split()[0] if not l.startswith('  ') else l.split()[1] for l in out[1:]]
        self.assertEqual(names[names.index('web') + 1:names.index('web') + 3], sorted([long_app, odd_app]))
        row = next(l for l in out if odd_app in l)
        self.assertIn(ODD, row)
        self.assertIn(rv[ODD]['url'], row)
        # main-app-only operations say so, and the other way round
        out = ps.cli('apps:destroy', odd_app, '--confirm', odd_app)
        self.assertEqual(out.returncode, 1, out)
        self.assertIn(f'{odd_app} is a review app of web (branch {ODD}): delete that branch', out.stderr)
        out = ps.cli('review:sync-config', '-a', 'web')
        self.assertEqual(out.returncode, 1, out)
        self.assertIn('web is not a review app', out.stderr)
        out = ps.cli('reviews', '-a', odd_app)
        self.assertEqual(out.returncode, 1, out)
        self.assertIn('is a review app of web', out.stderr)
        r = ps.push(repo, odd_app, f'{ODD}:main')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn(f'{odd_app} is a review app of web', r.output)

        # deleting one branch removes everything it had; the other stays
        r = ps.push(repo, 'web', ':' + LONG)
        self.assertEqual(r.returncode, 0, r.output)
        said = '\n'.join(remote_lines(r.output))
        self.assertIn(f'-----> destroying review app {long_app}', said)
        for what in ('ECS service', 'task definitions', 'target group', 'listener rule', 'images'):
            self.assertIn(what, said)
        wait_for('the service to be gone', lambda: all(
            s['status'] == 'INACTIVE' for s in self.aws('ecs', 'describe-services', '--cluster', 'default',
                                                        '--services', long_app + '-web')['services']), timeout=90)
        self.assertEqual(self.aws('ecs', 'list-task-definitions', '--family-prefix', long_app + '-web', '--status',
                                  'ACTIVE')['taskDefinitionArns'], [])
        names = [t['TargetGroupName'] for t in self.aws('elbv2', 'describe-target-groups')['TargetGroups']]
        self.assertEqual(len(names), len(tgs) - 1)
        lb = self.aws('elbv2', 'describe-load-balancers')['LoadBalancers'][0]
        listener = self.aws('elbv2', 'describe-listeners', '--load-balancer-arn', lb['LoadBalancerArn'])['Listeners'][0]
        hosts = [v for rule in self.aws('elbv2', 'describe-rules', '--listener-arn', listener['ListenerArn'])['Rules']
                 for c in rule.get('Conditions', []) for v in c.get('Values', []) +
                 c.get('HostHeaderConfig', {}).get('Values', [])]
        self.assertNotIn(long_host, hosts)
        self.assertIn(odd_host, hosts)
        code, text = self.aws_error('ecr', 'list-images', '--repository-name', long_app)
        self.assertTrue(code != 0 and 'RepositoryNotFoundException' in text or
                        (code == 0 and '"imageIds": []' in text), text)
        self.assertEqual(self.get(long_host)[0], 404)
        self.assertEqual(self.get(odd_host), (200, 'odd-v1'))
        self.assertEqual(self.get('web.localhost'), (200, 'main-v1'))
        # its records stay as history
        self.assertEqual([r['version'] for r in ps.releases(long_app)], [2, 1])
        self.assertEqual(self.reviews('web', all=True)[LONG]['status'], 'destroyed')
        self.assertEqual(list(self.reviews('web')), [ODD])

        # a failed deploy rejects the push and leaves the review app on its previous release
        self.ps.git('checkout', '-q', ODD, cwd=repo)
        ps.commit(repo, 'odd-v3', procfile='web: echo booting; exit 3\n')
        r = ps.push(repo, 'web', ODD)
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn(f'[remote rejected] {ODD} -> {ODD}', r.output)
        self.assertTrue(remote_lines(r.output)[-1].endswith('; rolled back to v2'), r.output)
        self.assertEqual(self.get(odd_host), (200, 'odd-v1'))
        self.assertEqual(ps.release(odd_app, 3)['status'], 'rolled back')
        self.assertEqual(self.reviews('web')[ODD]['app'], odd_app)

    def test_names_never_collide_and_the_limit_holds(self):
        ps = self.ps
        self.assertEqual(ps.cli('apps:create', 'lim').returncode, 0)
        out = ps.cli('reviews:settings', '--limit', '2', '-a', 'lim')
        self.assertEqual(out.returncode, 0, out)
        self.assertIn('at most 2 review apps', out.stdout)
        repo = ps.make_repo('lim', 'lim-main')
        # "a/b" and "A_b" make the same slug: the second gets a hashed one
        self.branch(repo, 'a/b', 'ab-v1')
        self.push_ok(repo, 'lim', 'a/b')
        self.branch(repo, 'A_b', 'ab2-v1')
        self.push_ok(repo, 'lim', 'A_b')
        rv = self.reviews('lim')
        self.assertEqual(rv['a/b']['app'], 'lim-a-b')
        self.assertRegex(rv['A_b']['app'], r'^lim-a-b-[0-9a-f]{8}$')
        self.assertEqual(self.get(f'{rv["a/b"]["slug"]}.lim.localhost'), (200, 'ab-v1'))
        self.assertEqual(self.get(f'{rv["A_b"]["slug"]}.lim.localhost'), (200, 'ab2-v1'))
        # the next new branch is over the limit: one line naming it and the ways out
        self.branch(repo, 'third', 'third-v1')
        r = ps.push(repo, 'lim', 'third')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertEqual(remote_lines(r.output)[-1],
                         ' !     lim has 2 review apps, its limit: delete a branch you no longer need (git push deploy'
                         ' :BRANCH) or raise the limit (slipway reviews:settings --limit 10 -a lim)')
        self.assertEqual(sorted(self.reviews('lim')), ['A_b', 'a/b'])
        self.assertNotIn('third', ps.git('ls-remote', ps.st.remote('lim'), cwd=repo).output)


if __name__ == '__main__':
    unittest.main()
