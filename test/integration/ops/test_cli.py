"""The slipway CLI against a real slipwayd: every command's happy path and its bad
input (unknown app, missing argument, wrong token, unreachable server): one line, exit
0 / 1 / 2; --help everywhere; --json parses; the app from the git remote; login writes
~/.netrc (0600) that git push then uses."""
import json
import os
import re
import stat
import unittest

from swops import Cli, add_remote
from swstack import Stack, free_port

DOCKERFILE = 'FROM slipway/busybox:latest\nCOPY index.html /www/index.html\n'

# every app-operating command, with arguments that make it valid syntactically
COMMANDS = ['apps', 'apps:create', 'apps:info', 'apps:destroy', 'builds', 'builds:log', 'builds:cancel',
            'events', 'webhooks', 'webhooks:add', 'webhooks:remove', 'webhooks:deliveries', 'tokens',
            'tokens:create', 'tokens:revoke', 'login']


def read(path):
    with open(path) as f:
        return f.read()


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack('cli', env={'SLIPWAY_RELEASER': 'off', 'SLIPWAY_WEBHOOK_ALLOW_NETS': '127.0.0.0/8'}).start()
        cls.cli = Cli(cls.stack)
        cls.repo = cls.stack.make_repo('hello', DOCKERFILE, {'index.html': 'hello\n'})
        add_remote(cls.stack, cls.repo, 'hello')
        r = cls.stack.push(cls.repo, 'hello')
        assert r.returncode == 0, r

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def one_line_error(self, r, code, *needles):
        self.assertEqual(r.code, code, r)
        first = r.err.splitlines()[0] if r.err else ''
        self.assertTrue(first.startswith('slipway '), r)
        for n in needles:
            self.assertIn(n, first, r)
        if code == 1:
            self.assertEqual(len(r.err.splitlines()), 1, r)
        self.assertEqual(r.out, '', r)

    # ---- every command -----------------------------------------------------------
    def test_help_everywhere(self):
        r = self.cli('--help')
        self.assertEqual(r.code, 0, r)
        for c in COMMANDS:
            self.assertIn(c, r.out)
            h = self.cli(c, '--help')
            self.assertEqual(h.code, 0, (c, h))
            self.assertTrue(h.out.startswith('usage: slipway ' + c), (c, h))
        r = self.cli('nosuchcommand')
        self.assertEqual(r.code, 2, r)

    def test_unreachable_server(self):
        dead = f'http://127.0.0.1:{free_port()}'
        for args in (['apps'], ['builds', '-a', 'hello'], ['events', '-a', 'hello'], ['tokens'],
                     ['webhooks', '-a', 'hello'], ['builds:log', '1']):
            r = self.cli(*args, env={'SLIPWAY_URL': dead})
            self.one_line_error(r, 1, f'cannot reach slipwayd at {dead}: connection refused')

    def test_wrong_token(self):
        for args in (['apps'], ['builds', '-a', 'hello'], ['apps:create', 'nope-app'], ['tokens:create', 'x'],
                     ['webhooks:add', 'http://127.0.0.1:9/', '-a', 'hello'], ['events', '-a', 'hello']):
            r = self.cli(*args, env={'SLIPWAY_TOKEN': '0' * 64})
            self.one_line_error(r, 1, '401: bad token (from SLIPWAY_TOKEN)')
        self.assertNotIn('nope-app', self.stack.repos())

    def test_unknown_app(self):
        for args in (['builds', '-a', 'nosuch'], ['apps:info', '-a', 'nosuch'], ['events', '-a', 'nosuch'],
                     ['webhooks', '-a', 'nosuch'], ['webhooks:deliveries', '-a', 'nosuch'],
                     ['apps:destroy', 'nosuch', '--confirm', 'nosuch']):
            r = self.cli(*args)
            self.one_line_error(r, 1, 'no such app: nosuch')

    def test_bad_app_name_and_no_app(self):
        r = self.cli('builds', '-a', '../x')
        self.one_line_error(r, 2, 'invalid app name')
        # outside any repository: one line saying how
        r = self.cli('builds', cwd=self.stack.workdir)
        self.one_line_error(r, 2, 'no app given: pass -a APP')

    def test_missing_arguments_and_bad_options(self):
        for args in (['apps:create'], ['builds:log'], ['builds:cancel'], ['webhooks:add', '-a', 'hello'],
                     ['webhooks:remove', '-a', 'hello'], ['tokens:create'], ['tokens:revoke']):
            r = self.cli(*args, cwd=self.repo)
            self.one_line_error(r, 2, 'missing argument')
            self.assertIn('usage: slipway', r.err)
        r = self.cli('apps', '--bogus')
        self.one_line_error(r, 2, 'unknown option --bogus')
        r = self.cli('builds:log', 'abc')
        self.one_line_error(r, 2, 'not a build number')
        r = self.cli('builds', '-a')
        self.one_line_error(r, 2, '--app needs a value')
        r = self.cli('webhooks:add', 'ftp://x', '-a', 'hello')
        self.one_line_error(r, 2, 'not an http:// or https:// URL')

    # ---- happy paths ---------------------------------------------------------------
    def test_apps(self):
        r = self.cli('apps')
        self.assertEqual(r.code, 0, r)
        head, *rows = r.out.splitlines()
        self.assertEqual(head.split()[:5], ['NAME', 'STATE', 'LIVE', 'LAST', 'PUSH'])
        # no releaser here: the app's state is "built", its last push's number with its commit
        self.assertTrue(any(row.split()[:2] == ['hello', 'built'] and re.search(r' #\d+ [0-9a-f]{7} ', row)
                            for row in rows), r)
        # aligned: every row's second column starts where the header's does
        col = head.index('STATE')
        for row in rows:
            self.assertNotEqual(row[col], ' ', r)
            self.assertEqual(row[col - 1], ' ', r)
        j = self.cli('apps', '--json').json()
        self.assertIn('hello', [a['name'] for a in j['apps']])

    def test_app_from_git_remote(self):
        r = self.cli('builds', cwd=self.repo)
        self.assertEqual(r.code, 0, r)
        self.assertIn('succeeded', r.out)
        # two remotes naming two apps: ambiguous, says which
        other = self.stack.make_repo('two', DOCKERFILE, {'index.html': 'x'})
        add_remote(self.stack, other, 'hello', 'a')
        add_remote(self.stack, other, 'other-app', 'b')
        r = self.cli('builds', cwd=other)
        self.one_line_error(r, 2, 'several git remotes point at this server')
        # a remote for another server is ignored
        third = self.stack.make_repo('three', DOCKERFILE, {'index.html': 'x'})
        self.stack.git('remote', 'add', 'origin', 'https://example.com/hello.git', cwd=third, check=True)
        r = self.cli('builds', cwd=third)
        self.one_line_error(r, 2, 'no app given')

    def test_apps_create_info_destroy(self):
        r = self.cli('apps:create', 'made-here')
        self.assertEqual(r.code, 0, r)
        self.assertIn(f'{self.stack.url}/made-here.git', r.out)
        self.assertIn('made-here.git', self.stack.repos())
        r = self.cli('apps:create', 'made-here')
        self.one_line_error(r, 1, 'made-here exists already')
        r = self.cli('apps:create', 'Bad_Name')
        self.one_line_error(r, 2, 'invalid app name')
        r = self.cli('apps:info', '-a', 'made-here')
        self.assertEqual(r.code, 0, r)
        self.assertIn('=== made-here', r.out)
        self.assertIn('Git URL:', r.out)
        j = self.cli('apps:info', '-a', 'made-here', '--json').json()
        self.assertEqual(j['app']['name'], 'made-here')
        # destroy needs the confirmation, and the right one
        r = self.cli('apps:destroy', '-a', 'made-here')
        self.one_line_error(r, 2, 'pass --confirm made-here')
        r = self.cli('apps:destroy', '-a', 'made-here', '--confirm', 'hello')
        self.one_line_error(r, 2, 'pass --confirm made-here')
        self.assertIn('made-here.git', self.stack.repos())
        r = self.cli('apps:destroy', 'made-here', '--confirm', 'made-here')
        self.assertEqual(r.code, 0, r)
        self.assertIn('Destroyed made-here', r.out)
        self.assertNotIn('made-here.git', self.stack.repos())
        self.assertNotIn('made-here', [a['name'] for a in self.cli('apps', '--json').json()['apps']])
        # and it can come back by a push
        repo = self.stack.make_repo('again', DOCKERFILE, {'index.html': 'again'})
        self.assertEqual(self.stack.push(repo, 'made-here').returncode, 0)

    def test_destroy_pushed_app_removes_builds(self):
        repo = self.stack.make_repo('gone', DOCKERFILE, {'index.html': 'gone'})
        self.assertEqual(self.stack.push(repo, 'gone-app').returncode, 0)
        logs = os.path.join(self.stack.home, 'builds')
        ids = [b['id'] for b in self.stack.builds('gone-app')]
        r = self.cli('apps:destroy', 'gone-app', '--confirm', 'gone-app', '--json')
        self.assertEqual(r.code, 0, r)
        self.assertIn('builds', r.json()['removed'])
        for i in ids:
            self.assertFalse(os.path.exists(os.path.join(logs, f'{i}.log')))
        self.assertEqual(self.stack.api(f'/builds/{ids[0]}').status_code, 404)

    def test_builds_and_log(self):
        r = self.cli('builds', '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out.split()[:4], ['#', 'STATUS', 'WHAT', 'BRANCH'])
        builds = self.cli('builds', '-a', 'hello', '--json').json()['builds']
        first = builds[-1]['id']   # server-wide: builds:log without an app takes it
        self.assertEqual(builds[-1]['number'], 1)
        r = self.cli('builds:log', str(first))
        self.assertEqual(r.code, 0, r)
        self.assertIn('building', r.out)
        self.assertIn('Step 1/2', r.out)
        r = self.cli('builds:log', '--follow', '1', '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        r = self.cli('builds:log', '999999')
        self.one_line_error(r, 1, 'no such build: 999999')
        r = self.cli('builds:cancel', str(first))
        self.one_line_error(r, 1, 'succeeded already')

    def test_events(self):
        r = self.cli('events', '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        types = [line.split()[1] for line in r.out.splitlines()]
        self.assertIn('app.created', types)
        self.assertLess(types.index('build.started'), types.index('build.succeeded'))
        j = self.cli('events', '-a', 'hello', '--json').json()['events']
        self.assertTrue(all({'id', 'type', 'app', 'release', 'message', 'created_at'} <= set(e) for e in j))
        ids = [e['id'] for e in j]
        self.assertEqual(ids, sorted(ids))
        r = self.cli('events', '-a', 'hello', '--types', 'build.*', '--json')
        self.assertTrue(all(e['type'].startswith('build.') for e in r.json()['events']), r)
        r = self.cli('events', '-a', 'hello', '--types', 'a b')
        self.one_line_error(r, 2, '--types')

    def test_webhooks(self):
        r = self.cli('webhooks:add', 'http://127.0.0.1:9/nothing', '--events', 'build.*', '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        secret = r.out.splitlines()[-1].strip()
        self.assertRegex(secret, '^[0-9a-f]{64}$')
        hooks = self.cli('webhooks', '-a', 'hello', '--json').json()['webhooks']
        hook = [h for h in hooks if h['url'] == 'http://127.0.0.1:9/nothing'][0]
        self.assertNotIn('secret', hook)
        self.assertNotIn(secret, self.cli('webhooks', '-a', 'hello').out)
        r = self.cli('webhooks:deliveries', str(hook['id']), '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        r = self.cli('webhooks:add', 'http://127.0.0.1:9/x', '--events', 'Build!', '-a', 'hello')
        self.one_line_error(r, 1, 'bad event filter')
        r = self.cli('webhooks:remove', str(hook['id']), '-a', 'hello')
        self.assertEqual(r.code, 0, r)
        r = self.cli('webhooks:remove', str(hook['id']), '-a', 'hello')
        self.one_line_error(r, 1, f'hello has no webhook {hook["id"]}')
        r = self.cli('webhooks:deliveries', '424242', '-a', 'hello')
        self.one_line_error(r, 1, 'hello has no webhook 424242')

    def test_tokens(self):
        r = self.cli('tokens:create', 'ci-bot')
        self.assertEqual(r.code, 0, r)
        token = r.out.splitlines()[-1].strip()
        self.assertRegex(token, '^[0-9a-f]{64}$')
        r = self.cli('tokens:create', 'ci-bot')
        self.one_line_error(r, 1, 'exists already')
        r = self.cli('tokens:create', 'Bad Name')
        self.one_line_error(r, 2, 'token name')
        names = [t['name'] for t in self.cli('tokens', '--json').json()['tokens']]
        self.assertIn('ci-bot', names)
        self.assertNotIn(token, self.cli('tokens').out)
        # the new token works, and calls itself current
        mine = self.cli('tokens', '--json', env={'SLIPWAY_TOKEN': token}).json()['tokens']
        self.assertTrue([t for t in mine if t['name'] == 'ci-bot'][0]['current'])
        r = self.cli('tokens:revoke', 'ci-bot', env={'SLIPWAY_TOKEN': token})
        self.one_line_error(r, 1, 'the token this request uses')
        r = self.cli('tokens:revoke', 'ci-bot')
        self.assertEqual(r.code, 0, r)
        r = self.cli('apps', env={'SLIPWAY_TOKEN': token})
        self.one_line_error(r, 1, '401: token revoked')
        r = self.cli('tokens:revoke', 'ci-bot')
        self.one_line_error(r, 1, 'no token called ci-bot')

    def test_login_netrc_and_git(self):
        home = os.path.join(self.stack.workdir, 'login-home')
        os.makedirs(home, exist_ok=True)
        netrc = os.path.join(home, '.netrc')
        with open(netrc, 'w') as f:
            f.write('machine example.com login me password keep-this\n')
        cli = Cli(self.stack, home=home)
        env = {'SLIPWAY_TOKEN': None, 'HOME': home}
        # a bad token is refused and nothing is written
        r = cli('login', '--token', 'ab' * 32, env=env)
        self.one_line_error(r, 1, '401')
        self.assertNotIn('127.0.0.1', read(netrc))
        r = cli('login', '--token', 'not-hex', env=env)
        self.one_line_error(r, 1, 'not a slipway token')
        # from stdin (not a terminal)
        r = cli('login', self.stack.url, env=env, input=self.stack.token + '\n')
        self.assertEqual(r.code, 0, r)
        text = read(netrc)
        self.assertIn('machine example.com login me password keep-this', text)
        self.assertIn(f'machine 127.0.0.1 login slipway password {self.stack.token}', text)
        self.assertEqual(stat.S_IMODE(os.stat(netrc).st_mode), 0o600)
        # the CLI now finds server and token without SLIPWAY_URL / SLIPWAY_TOKEN
        r = cli('apps', env=dict(env, SLIPWAY_URL=None))
        self.assertEqual(r.code, 0, r)
        self.assertIn('hello', r.out)
        # again: the entry is replaced, not duplicated
        r = cli('login', '--token', self.stack.token, env=env)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(read(netrc).count('machine 127.0.0.1'), 1)
        # git over HTTP reads the same ~/.netrc: a push without credentials in the URL
        repo = self.stack.make_repo('netrc-push', DOCKERFILE, {'index.html': 'netrc'})
        self.stack.git('remote', 'add', 'deploy', f'{self.stack.url}/netrc-app.git', cwd=repo, check=True)
        import subprocess
        from swstack import git_env
        p = subprocess.run(['git', 'push', 'deploy', 'main'], cwd=repo, env=git_env(home), capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # and the CLI finds the app from that remote, with the token from ~/.netrc
        r = cli('builds', cwd=repo, env=dict(env, SLIPWAY_URL=None))
        self.assertEqual(r.code, 0, r)
        self.assertIn('succeeded', r.out)


if __name__ == '__main__':
    unittest.main()
