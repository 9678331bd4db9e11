"""Users, roles per app and limited tokens, against a real slipwayd.

Every route of the API is read from receiver/routes.c's rule table (a route added there
without a case here fails this test) and asked as each role: allowed (whatever the answer,
it is not 401/403), or 403 with one line naming the role needed and nothing changed in the
store or on disk. An allowed request is made so that it changes nothing either (a body
that does not parse, an id that is not there). Then git over HTTP by role, a CI token
limited to one app, and the CLI's users, access and tokens."""
import os
import re
import sqlite3
import unittest

import requests

from swops import Cli
from swstack import ROOT, Stack

DOCKERFILE = 'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'
ROLES = ['none', 'read', 'deploy', 'operate', 'admin']
RANK = {r: i for i, r in enumerate(ROLES)}
BAD = '[]'   # a body no route takes: refused after the role check, before anything changes


def rules():
    """(method, pattern, need, on) of each row of routes.c's table."""
    with open(os.path.join(ROOT, 'receiver', 'routes.c')) as f:
        text = f.read()
    table = text[text.index('static const struct rule rules[]'):]
    table = table[:table.index('};')]
    found = re.findall(r'\{\s*"(\w+)",\s*"([^"]+)",\s*SW_ROLE_(\w+),\s*ON_(\w+)\s*\}', table)
    assert len(found) >= 30, found
    return [(m, p, need.lower(), on) for m, p, need, on in found]


class RolesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack('roles', env={'SLIPWAY_RELEASER': 'off'}).start()
        cls.admin = Cli(cls.stack)
        cls.tokens = {'admin': cls.stack.token}
        for app in ('app1', 'app2'):
            assert cls.admin('apps:create', app).code == 0
        for user, role in (('nina', None), ('rita', 'read'), ('dave', 'deploy'), ('olga', 'operate')):
            r = cls.admin('users:create', user, '--json')
            assert r.code == 0, r
            assert set(r.json()) == {'user', 'token'}, r.out
            cls.tokens[role or 'none'] = r.json()['token']
            if role:
                assert cls.admin('access:add', user, role, '-a', 'app1').code == 0
        # one build of app1, for the builds routes
        repo = cls.stack.make_repo('app1', DOCKERFILE, {'index.html': 'one'})
        r = cls.stack.push(repo, 'app1')
        assert r.returncode == 0, r
        cls.build = cls.stack.builds('app1')[0]['id']

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def call(self, method, path, role=None, token=None, body=None):
        if path == 'session':   # the dashboard's: asked with its session cookie, not a token
            return self.signed_in(token or self.tokens[role]).get(self.stack.url + '/api/v1/session', timeout=30)
        return requests.request(method, self.stack.url + '/api/v1/' + path, data=body, timeout=30,
                                headers={'Authorization': f'Bearer {token or self.tokens[role]}'})

    def signed_in(self, token):
        """A browser's session, signed in with a ticket made with token (`slipway dashboard`)."""
        r = requests.post(self.stack.url + '/api/v1/dashboard/tickets', headers={'Authorization': f'Bearer {token}'},
                          timeout=30)
        self.assertEqual(r.status_code, 201, r.text)
        browser = requests.Session()
        r = browser.get(self.stack.url + r.json()['path'], allow_redirects=False, timeout=30)
        self.assertEqual(r.status_code, 303, r.text)
        return browser

    def snapshot(self):
        """Every row of the store (but when tokens and keys were last used) and the repositories."""
        db = sqlite3.connect(f'file:{self.stack.home}/slipwayd.db?mode=ro', uri=True)
        out = {}
        try:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                cols = [c[1] for c in db.execute(f'PRAGMA table_info({table})') if c[1] != 'last_used_at']
                out[table] = db.execute(f'SELECT {", ".join(cols)} FROM {table} ORDER BY rowid').fetchall()
        finally:
            db.close()
        out['repos'] = self.stack.repos()
        return out

    def request_for(self, method, pattern):
        """The concrete request that asks a route: (path, body)."""
        b = self.build
        cases = {
            ('GET', 'apps'): ('apps', None),
            ('POST', 'apps'): ('apps', '{"name": "Bad Name"}'),
            ('GET', 'apps/*'): ('apps/app1', None),
            ('DELETE', 'apps/*'): ('apps/app1', None),   # no ?confirm=app1: 400
            ('GET', 'apps/*/builds'): ('apps/app1/builds', None),
            ('GET', 'apps/*/builds/*'): (f'apps/app1/builds/{b}', None),
            ('GET', 'apps/*/builds/*/log'): (f'apps/app1/builds/{b}/log', None),
            ('GET', 'apps/*/builds/*/rollout'): (f'apps/app1/builds/{b}/rollout', None),
            ('POST', 'apps/*/builds/*/cancel'): ('apps/app1/builds/999999/cancel', None),
            ('GET', 'builds/*'): (f'builds/{b}', None),
            ('GET', 'builds/*/log'): (f'builds/{b}/log', None),
            ('GET', 'builds/*/rollout'): (f'builds/{b}/rollout', None),
            ('POST', 'builds/*/cancel'): (f'builds/{b}/cancel', None),   # done already: 409
            ('GET', 'apps/*/events'): ('apps/app1/events', None),
            ('GET', 'apps/*/ps'): ('apps/app1/ps', None),
            ('GET', 'apps/*/logs'): ('apps/app1/logs', None),
            ('POST', 'apps/*/run'): ('apps/app1/run', BAD),
            ('GET', 'apps/*/releases'): ('apps/app1/releases', None),
            ('GET', 'apps/*/releases/*'): ('apps/app1/releases/v1', None),
            ('POST', 'apps/*/rollback'): ('apps/app1/rollback', BAD),
            ('GET', 'apps/*/config'): ('apps/app1/config', None),
            ('POST', 'apps/*/config'): ('apps/app1/config', BAD),
            ('POST', 'apps/*/scale'): ('apps/app1/scale', BAD),
            ('GET', 'apps/*/deploy-settings'): ('apps/app1/deploy-settings', None),
            ('POST', 'apps/*/deploy-settings'): ('apps/app1/deploy-settings', BAD),
            ('GET', 'apps/*/settings'): ('apps/app1/settings', None),
            ('POST', 'apps/*/settings'): ('apps/app1/settings', BAD),
            ('GET', 'apps/*/webhooks'): ('apps/app1/webhooks', None),
            ('POST', 'apps/*/webhooks'): ('apps/app1/webhooks', BAD),
            ('DELETE', 'apps/*/webhooks/*'): ('apps/app1/webhooks/999999', None),
            ('GET', 'apps/*/webhooks/deliveries'): ('apps/app1/webhooks/deliveries', None),
            ('GET', 'apps/*/reviews'): ('apps/app1/reviews', None),
            ('POST', 'apps/*/reviews/settings'): ('apps/app1/reviews/settings', BAD),
            ('POST', 'apps/*/sync-config'): ('apps/app1/sync-config', None),   # not a review app: 400
            ('GET', 'apps/*/domains'): ('apps/app1/domains', None),
            ('POST', 'apps/*/domains'): ('apps/app1/domains', '{"host": "10.0.0.1"}'),   # an IP: 400
            ('DELETE', 'apps/*/domains/*'): ('apps/app1/domains/nothing.example.com', None),
            ('GET', 'apps/*/certs'): ('apps/app1/certs', None),
            ('POST', 'apps/*/certs'): ('apps/app1/certs', BAD),
            ('DELETE', 'apps/*/certs/*'): ('apps/app1/certs/nothing.example.com', None),
            ('POST', 'apps/*/routing'): ('apps/app1/routing', BAD),
            ('POST', 'apps/*/promote'): ('apps/app1/promote', None),   # in no pipeline: 400
            ('GET', 'pipelines'): ('pipelines', None),
            ('POST', 'pipelines'): ('pipelines', '{"app": "app1", "stage": "nowhere"}'),
            ('DELETE', 'pipelines/*'): ('pipelines/app2', None),   # in none: 404
            ('GET', 'apps/*/access'): ('apps/app1/access', None),
            ('POST', 'apps/*/access'): ('apps/app1/access', BAD),
            ('DELETE', 'apps/*/access/*'): ('apps/app1/access/nobody', None),
            ('GET', 'doctor'): ('doctor', None),
            ('GET', 'users'): ('users', None),
            ('POST', 'users'): ('users', '{"name": "Bad Name"}'),
            ('DELETE', 'users/*'): ('users/nobody', None),
            ('GET', 'tokens'): ('tokens', None),
            ('POST', 'tokens'): ('tokens', '{"name": "Bad Name"}'),
            ('DELETE', 'tokens/*'): ('tokens/nothing', None),
            ('GET', 'keys'): ('keys', None),
            ('POST', 'keys'): ('keys', '{"key": "not a key"}'),
            ('DELETE', 'keys/*'): ('keys/SHA256:nothing', None),
            ('POST', 'dashboard/tickets'): ('dashboard/tickets', None),   # a one-time link, in memory
            ('GET', 'session'): ('session', None),
        }
        self.assertIn((method, pattern), cases, f'{method} {pattern}: a route of routes.c this test does not ask')
        return cases[(method, pattern)]

    def test_every_route_by_role(self):
        asked = 0
        for method, pattern, need, on in rules():
            path, body = self.request_for(method, pattern)
            for role in ROLES:
                allowed = on == 'USER' or RANK[role] >= RANK[need]
                with self.subTest(route=f'{method} {pattern}', role=role):
                    before = None if allowed else self.snapshot()
                    r = self.call(method, path, role, body=body)
                    asked += 1
                    if allowed:
                        self.assertNotIn(r.status_code, (401, 403), r.text)
                        continue
                    self.assertEqual(r.status_code, 403, r.text)
                    error = r.json()['error']
                    self.assertTrue(error.startswith(f'forbidden: {need} role needed'), error)
                    self.assertNotIn('\n', error)
                    self.assertEqual(self.snapshot(), before, f'{method} {path} as {role} changed something')
        print(f'{asked} requests: {len(rules())} routes x {len(ROLES)} roles')

    def test_a_dashboard_session_is_its_users(self):
        browser = self.signed_in(self.tokens['read'])
        me = browser.get(self.stack.url + '/api/v1/session?app=app1', timeout=30).json()
        self.assertEqual((me['user'], me['role']), ('rita', 'read'))
        self.assertEqual(browser.get(self.stack.url + '/api/v1/session', timeout=30).json()['role'], 'none')
        before = self.snapshot()
        r = browser.post(self.stack.url + '/api/v1/apps/app1/config', data='{"set": {"X": "1"}}', timeout=30,
                         headers={'X-CSRF-Token': me['csrf']})
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.json()['error'], 'forbidden: operate role needed on app1 (rita has read)')
        self.assertEqual(browser.get(self.stack.url + '/api/v1/apps/app2', timeout=30).status_code, 403)
        self.assertEqual(self.snapshot(), before)
        admin = self.signed_in(self.tokens['admin'])
        self.assertEqual(admin.get(self.stack.url + '/api/v1/session', timeout=30).json()['role'], 'admin')

    def test_every_path_word_the_handlers_know_has_a_row(self):
        """A handler that answers a path word (strcmp of a segment, a tail or an /api/v1/
        literal in receiver/*.c) the table has no row with is never reached: its request
        is 404 before it (how the rollout view's records and deploy-settings were lost)."""
        words = {w for _, pattern, _, _ in rules() for w in pattern.split('/')}
        known = set()
        rdir = os.path.join(ROOT, 'receiver')
        for name in os.listdir(rdir):
            if name.endswith('.c'):
                with open(os.path.join(rdir, name)) as f:
                    text = f.read()
                known |= set(re.findall(r'strcmp\(\s*(?:what\.ptr|rest\.ptr|tail|seg\[\d\])\s*,\s*"([a-z][a-z-]*)"\s*\)', text))
                for path in re.findall(r'"/api/v1/([a-z][a-z/-]*)', text):
                    known |= {w for w in path.split('/') if w}
        self.assertGreater(len(known), 20, known)
        known -= {'health'}   # answered before anyone is authenticated, to anyone
        self.assertEqual(sorted(known - words), [], 'path words with no row in routes.c\'s table')

    def test_unknown_routes_are_not_served(self):
        self.assertEqual(self.call('GET', 'nothing/here', 'admin').status_code, 404)
        self.assertEqual(self.call('PUT', 'apps', 'admin').status_code, 405)
        self.assertEqual(self.call('GET', 'apps', token='0' * 64).status_code, 401)

    def git(self, *args, token, cwd=None):
        url = self.stack.remote('app1', token)
        return self.stack.git(*[url if a == 'URL' else a for a in args], cwd=cwd)

    def test_git_over_http_by_role(self):
        url = self.stack.url + '/app1.git'
        # fetch: read
        r = self.git('ls-remote', 'URL', token=self.tokens['none'])
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('forbidden: read role needed on app1 (nina has none)', r.output)
        self.assertEqual(self.git('ls-remote', 'URL', token=self.tokens['read']).returncode, 0)
        for method, path, role, need in (('GET', '/info/refs?service=git-upload-pack', 'none', 'read'),
                                         ('POST', '/git-upload-pack', 'none', 'read'),
                                         ('GET', '/info/refs?service=git-receive-pack', 'read', 'deploy'),
                                         ('POST', '/git-receive-pack', 'read', 'deploy')):
            before = self.snapshot()
            r = requests.request(method, url + path, auth=('git', self.tokens[role]), timeout=30,
                                 headers={'Content-Type': f'application/x-{path.split("/")[-1]}-request'})
            self.assertEqual(r.status_code, 403, (method, path, r.text))
            self.assertEqual(r.text.strip(), f'forbidden: {need} role needed on app1 ({"nina" if role == "none" else "rita"}'
                                             f' has {"none" if role == "none" else "read"})')
            self.assertEqual(self.snapshot(), before)
        # push: deploy, and who pushed is the user
        repo = self.stack.make_repo('byrole', DOCKERFILE, {'index.html': 'by role'})
        r = self.stack.push(repo, 'app1', token=self.tokens['read'])
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('forbidden: deploy role needed on app1 (rita has read)', r.output)
        r = self.stack.push(repo, 'app1', refspec='+main', token=self.tokens['deploy'])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.stack.builds('app1')[0]['pushed_by'], 'dave')
        # a push that would create an app: admin
        r = self.stack.push(repo, 'newapp', token=self.tokens['operate'])
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('admin role needed (olga is not an admin): no app newapp yet', r.output)
        self.assertNotIn('newapp.git', self.stack.repos())

    def test_info_refs_creates_no_app(self):
        before = self.snapshot()
        r = requests.get(self.stack.url + '/fresh-app.git/info/refs?service=git-receive-pack',
                         auth=('git', self.tokens['admin']), timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIn(b'report-status', r.content)   # an empty repository's advertisement
        self.assertIn(b'push-options', r.content)
        self.assertEqual(self.snapshot(), before)
        self.assertNotIn('fresh-app', [a['name'] for a in self.admin('apps', '--json').json()['apps']])
        # the push creates it
        repo = self.stack.make_repo('fresh', DOCKERFILE, {'index.html': 'fresh'})
        self.assertEqual(self.stack.push(repo, 'fresh-app').returncode, 0)
        self.assertIn('fresh-app.git', self.stack.repos())
        # names end in a letter or a digit
        r = self.admin('apps:create', 'ends-with-')
        self.assertEqual(r.code, 1, r)
        self.assertIn("not ending in '-'", r.err)

    def test_ci_token_for_one_app(self):
        r = self.admin('users:create', 'cibot', '--json')
        bot = Cli(self.stack, token=r.json()['token'])
        self.assertEqual(self.admin('access:add', 'cibot', 'operate', '-a', 'app1').code, 0)
        self.assertEqual(self.admin('access:add', 'cibot', 'deploy', '-a', 'app2').code, 0)
        # no stronger than its user
        r = bot('tokens:create', 'big', '--role', 'admin')
        self.assertEqual(r.code, 1, r)
        self.assertIn('a token is no stronger than its user: admin role needed', r.err)
        r = bot('tokens:create', 'big', '--app', 'app2', '--role', 'operate')
        self.assertIn('operate role needed on app2 (cibot has deploy)', r.err)
        r = bot('tokens:create', 'ci', '--app', 'app1', '--role', 'deploy', '--expires', '30d')
        self.assertEqual(r.code, 0, r)
        ci = r.out.splitlines()[-1].strip()
        as_ci = Cli(self.stack, token=ci)
        # app2 is out of its reach, and so is more than deploy on app1
        self.assertEqual([a['name'] for a in as_ci('apps', '--json').json()['apps']], ['app1'])
        before = self.snapshot()
        r = as_ci('apps:info', '-a', 'app2')
        self.assertIn('forbidden: read role needed on app2 (cibot has none; this token is for app1 only)', r.err)
        r = as_ci('config:set', 'X=1', '-a', 'app1')
        self.assertIn('forbidden: operate role needed on app1 (cibot has deploy with this token)', r.err)
        r = as_ci('tokens:create', 'another')
        self.assertIn('this token is for app1 only', r.err)
        repo = self.stack.make_repo('ci', DOCKERFILE, {'index.html': 'ci'})
        r = self.stack.push(repo, 'app2', token=ci)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('forbidden: deploy role needed on app2', r.output)
        self.assertEqual(self.snapshot(), before)
        r = self.stack.push(repo, 'app1', refspec='+main', token=ci)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.stack.builds('app1')[0]['pushed_by'], 'cibot (token ci)')
        events = self.admin('events', '-a', 'app1', '--json').json()
        events = events.get('events', events) if isinstance(events, dict) else events
        self.assertIn('cibot (token ci)', [e['actor'] for e in events])
        # the user revokes their own; the token is gone for good
        mine = bot('tokens', '--json').json()['tokens']
        self.assertEqual(sorted(t['name'] for t in mine), ['ci', 'cibot'])
        self.assertEqual([t['app'] for t in mine if t['name'] == 'ci'], ['app1'])
        self.assertIsNotNone([t for t in mine if t['name'] == 'ci'][0]['last_used_at'])
        self.assertEqual(bot('tokens:revoke', 'ci').code, 0)
        r = as_ci('apps')
        self.assertEqual((r.code, r.err.strip()), (1, 'slipway apps: 401: token revoked (from SLIPWAY_TOKEN)'), r)

    def test_users_and_tokens(self):
        r = self.admin('users:create', 'temp', '--json')
        temp = Cli(self.stack, token=r.json()['token'])
        self.assertEqual(temp('apps', '--json').json()['apps'], [])   # no role anywhere
        # a user revokes only their own tokens; admins see everyone's
        r = temp('tokens:revoke', 'admin', '--user', 'admin')
        self.assertEqual(r.code, 1, r)
        self.assertIn('forbidden: admin role needed (temp is not an admin)', r.err)
        self.assertEqual({t['user'] for t in temp('tokens', '--json').json()['tokens']}, {'temp'})
        self.assertLessEqual({'admin', 'temp', 'rita'}, {t['user'] for t in self.admin('tokens', '--json').json()['tokens']})
        r = self.admin('tokens:revoke', 'admin')
        self.assertEqual(r.code, 1)
        self.assertIn('the token this request uses', r.err)
        # users: admins only; one cannot remove oneself; removing revokes
        self.assertIn('forbidden: admin role needed', temp('users').err)
        self.assertIn('is you', self.admin('users:remove', 'admin').err)
        self.assertEqual(self.admin('users:remove', 'temp').code, 0)
        r = temp('apps')
        self.assertEqual(r.err.strip(), 'slipway apps: 401: token revoked (from SLIPWAY_TOKEN)')
        out = self.admin('users').out
        self.assertNotIn('temp', out)
        self.assertIn('olga', out)
        # access: who has what on app1
        acc = self.admin('access', '-a', 'app1', '--json').json()
        self.assertIn({'user': 'dave', 'role': 'deploy'}, [{'user': a['user'], 'role': a['role']} for a in acc['access']])
        self.assertEqual(acc['admins'], ['admin'])
        r = self.admin('access:add', 'nobody', 'read', '-a', 'app1')
        self.assertEqual(r.code, 1)
        self.assertIn('no user called nobody', r.err)
        r = self.admin('access:add', 'rita', 'admin', '-a', 'app1')
        self.assertEqual(r.code, 2)   # admin is the server's, not an app's


if __name__ == '__main__':
    unittest.main(verbosity=2)
