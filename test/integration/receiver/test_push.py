"""git push over HTTP into slipwayd: builds, refusals, queueing, hang-ups, clone.

One private stack (registry with htpasswd + slipwayd) for the whole file; each test
uses its own app names, so they do not see each other.
"""
import http.client
import os
import signal
import subprocess
import threading
import time
import unittest

import requests

from swstack import Stack, lines, wait_for

OK = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\nCMD ["cat", "/app.txt"]\n'
SLOW = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\nRUN sleep {secs}\nCMD ["cat", "/app.txt"]\n'
FAILING = 'FROM slipway/busybox:latest\nCOPY app.txt /app.txt\nRUN false\n'


class PushTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack('push').start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def run(self, result=None):
        r = super().run(result)
        if result is not None and not result.wasSuccessful() and not getattr(self, '_log_shown', False):
            PushTest._log_shown = True
            print('--- slipwayd log (tail) ---\n' + self.s.slipwayd.log_text()[-6000:])
        return r

    def repo(self, name, dockerfile=OK, text=None):
        return self.s.make_repo(name, dockerfile, {'app.txt': text or f'{name} {time.time()}\n'})

    # -- the happy path ----------------------------------------------------------------
    def test_push_builds_and_pushes_the_image(self):
        repo = self.repo('hello')
        sha = self.s.git('rev-parse', 'HEAD', cwd=repo).output.strip()
        r = self.s.push(repo, 'hello')
        self.assertEqual(r.returncode, 0, r)
        self.assertTrue(lines(r.output, f'remote: -----> hello: building {sha[:7]} (main)'), r)
        self.assertTrue(lines(r.output, 'remote: Step 1/3 : FROM slipway/busybox:latest'), r)
        self.assertIn('* [new branch]      main -> main', r.output)
        self.assertIn(sha, self.s.registry.tags('hello'))

        b = self.s.builds('hello')[0]
        self.assertEqual((b['status'], b['commit'], b['ref'], b['branch']), ('succeeded', sha, 'refs/heads/main', 'main'))
        self.assertEqual(b['image'], f'{self.s.registry.host}/hello:{sha}')
        self.assertTrue(b['digest'].startswith('sha256:'))
        self.assertIsNone(b['reason'])
        # the same build through the other routes, and its log
        self.assertEqual(self.s.api(f'/builds/{b["id"]}').json()['id'], b['id'])
        self.assertEqual(b['number'], 1)   # numbered per app: hello's first
        self.assertEqual(self.s.api(f'/apps/hello/builds/{b["number"]}').json()['id'], b['id'])
        log = self.s.api(f'/apps/hello/builds/{b["number"]}/log')
        self.assertEqual(log.status_code, 200)
        self.assertIn(f'-----> hello: building {sha[:7]} (main)', log.text)
        apps = {a['name']: a for a in self.s.api('/apps').json()['apps']}
        self.assertEqual(apps['hello']['last_build']['id'], b['id'])
        self.assertIn('hello.git', self.s.repos())

        # a second push of a new commit builds again; pushing nothing new is a no-op
        sha2 = self.s.commit(repo, {'app.txt': 'v2\n'})
        r = self.s.push(repo, 'hello')
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(sha2, self.s.registry.tags('hello'))
        r = self.s.push(repo, 'hello')
        self.assertEqual(r.returncode, 0, r)
        self.assertIn('Everything up-to-date', r.output)

    def test_failing_dockerfile_rejects_the_push(self):
        repo = self.repo('broken', FAILING)
        r = self.s.push(repo, 'broken')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('! [remote rejected] main -> main (pre-receive hook declined)', r.output)
        remote = [l for l in r.output.splitlines() if l.startswith('remote:') and l[7:].strip()]
        self.assertIn('RUN false', '\n'.join(remote))
        last = remote[-1]
        self.assertIn('!', last)
        self.assertIn("returned a non-zero code: 1", last)
        b = self.s.wait_build('broken')
        self.assertEqual(b['status'], 'failed')
        self.assertIn('non-zero code', b['reason'])
        self.assertEqual(self.s.registry.tags('broken'), [])
        # the ref did not move
        self.assertEqual(self.s.git('ls-remote', self.s.remote('broken')).output.strip(), '')

    def test_push_options_reach_the_job(self):
        repo = self.repo('opts')
        r = self.s.push(repo, 'opts', options=['detach', 'note=hi there'])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.s.builds('opts')[0]['push_options'], ['detach', 'note=hi there'])

    # -- refusals ---------------------------------------------------------------------
    def test_wrong_token_gets_401_and_creates_nothing(self):
        repo = self.repo('sneaky')
        before = self.s.repos()
        r = self.s.push(repo, 'sneaky', token='0' * 64)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn('Authentication failed', r.output)
        r = requests.get(f'{self.s.url}/sneaky.git/info/refs?service=git-receive-pack', timeout=10)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.headers['WWW-Authenticate'], 'Basic realm="slipway"')
        r = requests.get(f'{self.s.url}/sneaky.git/info/refs?service=git-receive-pack',
                         auth=('x', 'not-a-token'), timeout=10)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(len(r.text.strip().splitlines()), 1)
        self.assertEqual(self.s.api('/apps', token='0' * 64).status_code, 401)
        self.assertEqual(self.s.api('/apps', token='0' * 64).json(), {'error': 'bad token'})
        self.assertEqual(self.s.repos(), before)
        self.assertNotIn('sneaky', [a['name'] for a in self.s.api('/apps').json()['apps']])

    def raw(self, method, path, headers=None, body=None):
        c = http.client.HTTPConnection('127.0.0.1', self.s.slipwayd.port, timeout=30)
        h = {'Authorization': f'Bearer {self.s.token}'}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)   # path sent as is
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def test_hostile_names_create_nothing(self):
        before = self.s.repos()
        home_before = sorted(os.listdir(self.s.home))
        names = ['../x', 'A', 'a%20b', 'a' * 200, '%2e%2e', '%2e%2e/x', '..%2fx', 'ab', '-abc', '1abc',
                 'abc%00', 'abc%2f..%2f..', 'x' * 31, 'h%c3%a9llo', '.hidden']
        for name in names:
            for path in (f'/{name}.git/info/refs?service=git-receive-pack', f'/{name}.git/git-receive-pack'):
                method = 'POST' if path.endswith('pack') else 'GET'
                status, body = self.raw(method, path, {'Content-Type': 'application/x-git-receive-pack-request'},
                                        b'0000' if method == 'POST' else None)
                self.assertIn(status, (400, 404), (path, status, body))
                self.assertEqual(len(body.decode(errors='replace').strip().splitlines()), 1, (path, body))
            status, body = self.raw('GET', f'/api/v1/apps/{name}/builds')
            self.assertIn(status, (400, 404), (name, status, body))
        # git itself, with a hostile name
        repo = self.repo('hostile')
        r = self.s.git('push', f'http://git:{self.s.token}@127.0.0.1:{self.s.slipwayd.port}/UPPER.git', 'main', cwd=repo)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('400', r.output)
        self.assertEqual(self.s.repos(), before)
        self.assertEqual(sorted(os.listdir(self.s.home)), home_before)

    def test_bad_requests_get_one_line(self):
        self.assertEqual(self.raw('GET', '/nothing-here')[0], 404)
        self.assertEqual(self.raw('GET', '/api/v1/nothing')[0], 404)
        status, body = self.raw('GET', '/api/v1/builds/999999')
        self.assertEqual((status, body), (404, b'{"error":"no such build: 999999"}\n'))
        self.assertEqual(self.raw('DELETE', '/api/v1/apps')[0], 405)
        self.assertEqual(self.raw('GET', '/abcd.git/info/refs')[0], 400)          # dumb HTTP
        self.assertEqual(self.raw('GET', '/abcd.git/objects/info/packs')[0], 404)
        self.assertEqual(self.raw('GET', '/abcd.git/info/refs?service=git-upload-pack')[0], 404)  # no such app
        status, _ = self.raw('GET', '/api/v1/apps', {'X-Big': 'a' * 100000})
        self.assertIn(status, (413, 431))
        status, body = self.raw('POST', '/api/v1/apps', body=b'x' * 200000)
        self.assertEqual(status, 413)
        # the hook's endpoint wants the per-run secret
        status, _ = self.raw('POST', '/internal/v1/jobs', body=b'{}')
        self.assertEqual(status, 401)

    def test_deleting_main_is_refused_and_other_branches_are_stored(self):
        repo = self.repo('keeper')
        self.assertEqual(self.s.push(repo, 'keeper').returncode, 0)
        n = len(self.s.builds('keeper'))
        self.s.git('checkout', '-q', '-b', 'feature-x', cwd=repo, check=True)
        self.s.commit(repo, {'new.txt': 'x\n'})
        r = self.s.push(repo, 'keeper', 'feature-x')
        self.assertEqual(r.returncode, 0, r)
        self.assertIn('feature-x -> feature-x', r.output)
        self.assertEqual(len(self.s.builds('keeper')), n)   # no build for a branch
        r = self.s.push(repo, 'keeper', ':main')
        self.assertNotEqual(r.returncode, 0, r)
        self.assertTrue(lines(r.output, 'remote:  !     deleting main is refused'), r)
        self.assertIn('main', self.s.git('ls-remote', self.s.remote('keeper')).output)
        # deleting another branch is fine
        self.assertEqual(self.s.push(repo, 'keeper', ':feature-x').returncode, 0)

    # -- queueing ---------------------------------------------------------------------
    def test_two_pushes_to_one_app_serialize(self):
        a = self.repo('serial', SLOW.format(secs=3))
        b = self.s.make_repo('serial-b', SLOW.format(secs=1), {'app.txt': f'b {time.time()}\n'}, branch='master')
        first = self.s.start_push(a, 'serial', 'main')
        wait_for('first build running', lambda: any(x['status'] == 'running' for x in self.s.builds('serial')),
                 timeout=60)
        second = self.s.start_push(b, 'serial', 'master')
        out1, _ = first.communicate(timeout=300)
        out2, _ = second.communicate(timeout=300)
        self.assertEqual(first.returncode, 0, out1)
        self.assertEqual(second.returncode, 0, out2)
        builds = sorted(self.s.builds('serial'), key=lambda x: x['id'])
        self.assertEqual(len(builds), 2)
        one, two = builds
        self.assertTrue(lines(out2, f'-----> waiting for build {one["number"]} (started '), out2)
        self.assertEqual([one['status'], two['status']], ['succeeded', 'succeeded'])
        self.assertEqual([one['branch'], two['branch']], ['main', 'master'])
        self.assertGreaterEqual(two['started_at'], one['finished_at'])

    def test_three_apps_at_once_all_build(self):
        apps = ['par-one', 'par-two', 'par-three']
        repos = {a: self.repo(a, SLOW.format(secs=1)) for a in apps}
        procs = {a: self.s.start_push(repos[a], a) for a in apps}
        for a, p in procs.items():
            out, _ = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, out)
        for a in apps:
            sha = self.s.git('rev-parse', 'HEAD', cwd=repos[a]).output.strip()
            self.assertEqual(self.s.builds(a)[0]['status'], 'succeeded')
            self.assertIn(sha, self.s.registry.tags(a))

    # -- hang-ups -----------------------------------------------------------------------
    def test_pusher_killed_mid_build_still_finishes_and_records(self):
        repo = self.repo('hangup', SLOW.format(secs=4))
        sha = self.s.git('rev-parse', 'HEAD', cwd=repo).output.strip()
        p = self.s.start_push(repo, 'hangup')
        wait_for('build running', lambda: any(x['status'] == 'running' for x in self.s.builds('hangup')),
                 timeout=60)
        time.sleep(0.5)
        os.killpg(p.pid, signal.SIGKILL)   # git push and its git-remote-http
        p.communicate()
        b = self.s.wait_build('hangup', timeout=120)
        self.assertEqual(b['status'], 'succeeded', b)
        self.assertIn(sha, self.s.registry.tags('hangup'))
        # git finished the push on the server side: the ref moved
        wait_for('main updated', lambda: sha in self.s.git('ls-remote', self.s.remote('hangup')).output, timeout=30)
        log = self.s.api(f'/builds/{b["id"]}/log').text
        self.assertIn(f'build {sha[:7]} done', log)

    def test_follow_streams_the_log_until_the_build_ends(self):
        repo = self.repo('follow', SLOW.format(secs=2))
        p = self.s.start_push(repo, 'follow')
        wait_for('build exists', lambda: self.s.builds('follow'), timeout=60)
        bid = self.s.builds('follow')[0]['number']
        got = []
        with self.s.api(f'/apps/follow/builds/{bid}/log?follow=1', stream=True, timeout=120) as r:
            self.assertEqual(r.status_code, 200)
            for line in r.iter_lines(decode_unicode=True):
                got.append(line)
        p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0)
        self.assertIn('-----> build', got[-1])
        self.assertEqual(self.s.builds('follow')[0]['status'], 'succeeded')

    # -- reading --------------------------------------------------------------------------
    def test_clone_of_an_app_repo_works(self):
        repo = self.repo('cloned', text='clone me\n')
        self.assertEqual(self.s.push(repo, 'cloned').returncode, 0)
        dest = os.path.join(self.s.workdir, 'cloned-copy')
        r = self.s.git('clone', '-q', self.s.remote('cloned'), dest)
        self.assertEqual(r.returncode, 0, r)
        with open(os.path.join(dest, 'app.txt')) as f:
            self.assertEqual(f.read(), 'clone me\n')
        r = self.s.git('fetch', '-q', 'origin', cwd=dest)
        self.assertEqual(r.returncode, 0, r)
        r = self.s.git('clone', '-q', self.s.remote('cloned', token='f' * 64), dest + '-2')
        self.assertNotEqual(r.returncode, 0)
        r = self.s.git('clone', '-q', self.s.remote('never-pushed'), dest + '-3')
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn('never-pushed.git', self.s.repos())


if __name__ == '__main__':
    unittest.main(verbosity=2)
