"""Review apps, through the whole of slipway: real git pushes over HTTP to
slipwayd, the engine as ECS, ECR and ELBv2 (its HAProxy router answering the apps' host
names), the AWS CLI reading what the engine holds.

Every branch pushed other than main is an app of its own, APP-<slug>, at
http://<slug>.APP.localhost:<router port>/; deleting the branch destroys it."""
import datetime
import json
import os
import re
import subprocess
import time
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
                                'SLIPWAY_DEREGISTRATION_DELAY': '2',
                                # idle review apps are looked for every second (the idle time is off
                                # unless a test sets it: reviews:settings --idle)
                                'SLIPWAY_REVIEW_SWEEP_SECS': '1'})

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
        self.assertIn(f'remote: {odd_app} is a review app of web (branch {ODD}): push the branch to web.git', r.output)
        self.assertIn('403', r.output)
        self.assertGreater(len(long_app), 30)   # longer than an app's name may be: refused by name all the same
        r = requests.get(f'{ps.sd.url}/{long_app}.git/info/refs', params={'service': 'git-receive-pack'},
                         auth=('git', ps.token), timeout=10)
        self.assertEqual((r.status_code, r.text), (403, f'{long_app} is a review app of web (branch {LONG}): push the'
                                                        ' branch to web.git\n'))

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
        # its records stay as history; none of its releases claims to be live
        self.assertEqual([(r['version'], r['status']) for r in ps.releases(long_app)], [(2, 'retired'), (1, 'retired')])
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

    def test_review_git_urls_idle_destruction_and_retired_releases(self):
        ps, app = self.ps, 'idl'
        repo = ps.make_repo(app, 'idl-main')
        self.push_ok(repo, app, 'main')
        self.branch(repo, 'feat/x', 'x-v1')
        self.push_ok(repo, app, 'feat/x')
        rv = self.reviews(app)['feat/x']
        review, host = rv['app'], f'{rv["slug"]}.{app}.localhost'
        self.assertEqual(review, 'idl-feat-x')
        self.assertEqual(self.get(host), (200, 'x-v1'))
        builds = len(ps.st.builds(app))

        # the review app's own git URL: 403 with one line, for a push and for a fetch; nothing changes
        for service in ('git-receive-pack', 'git-upload-pack'):
            r = requests.get(f'{ps.sd.url}/{review}.git/info/refs', params={'service': service},
                             auth=('git', ps.token), timeout=10)
            self.assertEqual(r.status_code, 403, r.text)
            self.assertEqual(len(r.text.splitlines()), 1, r.text)
        self.assertEqual(r.text, f'{review} is a review app of {app} (branch feat/x): fetch the branch from {app}.git\n')
        r = ps.push(repo, review, 'feat/x')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn(f'remote: {review} is a review app of {app} (branch feat/x): push the branch to {app}.git\n',
                      r.output)
        self.assertIn('403', r.output)
        r = ps.git('fetch', ps.st.remote(review), 'feat/x', cwd=repo)
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn(f'remote: {review} is a review app of {app} (branch feat/x): fetch the branch from {app}.git',
                      r.output)
        self.assertFalse(os.path.exists(os.path.join(ps.home, 'repos', review + '.git')))
        self.assertEqual(len(ps.st.builds(app)), builds)
        self.assertEqual(list(self.reviews(app)), ['feat/x'])
        apps = {a['name']: a for a in self.api('/apps')['apps'] if a['name'].startswith(app)}
        self.assertEqual(sorted(apps), [app, review])
        self.assertEqual(apps[review]['review']['parent'], app)
        # a review app name longer than an app's is refused by name too, not as an invalid app name
        long_name = 'idl-' + 'x' * 40
        r = requests.get(f'{ps.sd.url}/{long_name}.git/info/refs', params={'service': 'git-receive-pack'},
                         auth=('git', ps.token), timeout=10)
        self.assertEqual((r.status_code, r.text), (400, "invalid app name (want 3-30 of a-z, 0-9, '-', starting with"
                                                       " a letter, not ending in '-')\n"))

        # idle time: the unit suffix makes it fine enough for a test; a bare number is days
        out = ps.cli('reviews:settings', '--idle', '3', '-a', app)
        self.assertIn('one with no push for 3d is destroyed', out.stdout, out)
        out = ps.cli('reviews:settings', '--idle', '20s', '-a', app)
        self.assertEqual(out.returncode, 0, out)
        self.assertIn('one with no push for 20s is destroyed', out.stdout)
        self.assertEqual(self.api(f'/apps/{app}/reviews')['idle_secs'], 20)
        last_push = time.time()   # no later than the branch's last push
        wait_for('the idle review app to be destroyed',
                 lambda: self.reviews(app, all=True)['feat/x']['status'] == 'destroyed' or None, timeout=60)
        gone = self.reviews(app, all=True)['feat/x']
        self.assertEqual(gone['destroyed_reason'], 'idle: no push for 20s')
        pushed = datetime.datetime.fromisoformat(gone['last_push_at'].replace('Z', '+00:00')).timestamp()
        destroyed = datetime.datetime.fromisoformat(gone['destroyed_at'].replace('Z', '+00:00')).timestamp()
        self.assertGreaterEqual(destroyed - pushed, 20)
        self.assertLess(pushed, last_push)
        # with an event, on the parent app
        events = [e for e in self.api(f'/apps/{app}/events')['events'] if e['type'] == 'review_app.destroyed']
        self.assertEqual(len(events), 1, events)
        self.assertIn(f'review app {review} (branch feat/x) destroyed: idle: no push for 20s', json.dumps(events[0]))
        # its services, task definitions and rule are gone (the AWS view of the engine)
        wait_for('the service to be gone', lambda: all(
            s['status'] == 'INACTIVE' for s in ps.ecs.describe_services(cluster='default', services=[review + '-web'])
            ['services']), timeout=60)
        self.assertEqual(ps.ecs.list_task_definitions(familyPrefix=review + '-web', status='ACTIVE')
                         ['taskDefinitionArns'], [])
        self.assertEqual(self.get(host)[0], 404)
        # the parent is untouched
        self.assertEqual(self.get(f'{app}.localhost'), (200, 'idl-main'))
        self.assertEqual(ps.ecs.describe_services(cluster='default', services=[app + '-web'])['services'][0]['status'],
                         'ACTIVE')
        self.assertEqual([r['status'] for r in ps.releases(app)], ['live'])

        # its release no longer claims to be live (API, CLI), and nothing brings it back but a push
        rel = ps.release(review, 1)
        self.assertEqual(rel['status'], 'retired')
        self.assertEqual(rel['retired'], f'review app {review} destroyed (idle: no push for 20s)')
        out = ps.cli('releases', '-a', review)
        self.assertEqual(out.returncode, 0, out)
        self.assertRegex(out.stdout, r'(?m)^v1\s+retired\s')
        self.assertNotIn('live', out.stdout)
        self.assertIn('retired', ps.cli('releases:info', 'v1', '-a', review).stdout)
        for args in (['config:set', 'A=1'], ['scale', 'web=2'], ['rollback', 'v1']):
            out = ps.cli(*args, '-a', review)
            self.assertEqual(out.returncode, 1, (args, out))
            self.assertIn(f'review app {review} was destroyed (idle: no push for 20s): push branch feat/x to {app}',
                          out.stderr)
        self.assertEqual([r['version'] for r in ps.releases(review)], [1])

        # pushing the branch again brings it back; the earlier life's release stays retired
        self.assertEqual(ps.cli('reviews:settings', '--idle', 'off', '-a', app).returncode, 0)
        ps.commit(repo, 'x-v2')
        self.push_ok(repo, app, 'feat/x')
        self.assertEqual(self.get(host), (200, 'x-v2'))
        self.assertEqual([(r['version'], r['status']) for r in ps.releases(review)], [(2, 'live'), (1, 'retired')])
        self.assertIn('was destroyed and created again since', ps.release(review, 1)['retired'])
        out = ps.cli('rollback', 'v1', '-a', review)
        self.assertEqual(out.returncode, 1, out)
        self.assertIn(f'v1 is retired: review app {review} was destroyed since', out.stderr)
        self.assertEqual(self.get(host), (200, 'x-v2'))


if __name__ == '__main__':
    unittest.main()
