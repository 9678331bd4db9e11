"""Bad ref names pushed to an app with the releaser on: each refused update gets one
line and changes nothing. Release tags (vN, review/<app>/vN) are slipway's: a user can
neither create, move nor delete one; other tags are stored as pushed. Branches git's
porcelain would not make (HEAD, -x) are refused; names git itself calls funny (a..b,
x.lock, control characters) are refused by git receive-pack before the hook, which a raw
receive-pack request (the git client refuses to send them) shows."""
import hashlib
import struct
import unittest

import requests

from swengine import wait_for
from swrelease import PushStack, remote_lines

FAIL = ' !     '
Z40 = '0' * 40


def pkt(data):
    return b'%04x' % (len(data) + 4) + data


def sideband(data):
    """receive-pack's answer with side-band-64k: (band 1 = report-status, band 2 = progress)."""
    bands = {1: b'', 2: b''}
    i = 0
    while i + 4 <= len(data):
        n = int(data[i:i + 4], 16)
        if n == 0:
            i += 4
            continue
        chunk = data[i + 4:i + n]
        if chunk[:1] in (b'\x01', b'\x02'):
            bands[chunk[0]] += chunk[1:]
        i += n
    return bands[1], bands[2].replace(b'\r', b'\n')


class Refs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack()
        cls.app = 'refs'
        cls.repo = cls.ps.make_repo('refs', 'v1')
        r = cls.ps.push(cls.repo, cls.app)
        assert r.returncode == 0, r.output
        wait_for('v1 tagged', lambda: cls.ps.release(cls.app, 1)['tagged'] or None, timeout=30)
        cls.ps.commit(cls.repo, 'v2')

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def refs(self):
        r = self.ps.git('ls-remote', self.ps.st.remote(self.app))
        self.assertEqual(r.returncode, 0, r.output)
        return sorted(r.output.splitlines())

    def refused(self, spec, line):
        before = self.refs()
        r = self.ps.git('push', self.ps.st.remote(self.app), spec, cwd=self.repo)
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn('(pre-receive hook declined)', r.output)
        lines = remote_lines(r.output)
        self.assertEqual([x for x in lines if x.startswith(FAIL)], [FAIL + line], r.output)
        self.assertEqual(lines[-1], FAIL + line)
        self.assertEqual(self.refs(), before)

    def test_release_tags_are_slipways(self):
        msg = 'tag {} is refused: slipway tags its live releases vN (and review/<app>/vN); push your tag under another name'
        for spec, tag in (('+HEAD:refs/tags/v1', 'v1'), (':refs/tags/v1', 'v1'), ('HEAD:refs/tags/v7', 'v7'),
                          ('HEAD:refs/tags/review/x/v1', 'review/x/v1')):
            with self.subTest(spec):
                self.refused(spec, msg.format(tag))
        self.assertEqual(self.ps.git('ls-remote', self.ps.st.remote(self.app), 'refs/tags/v1^{}').output.split()[0],
                         self.ps.release(self.app, 1)['commit'])
        # a tag of the user's own is stored as pushed, and makes no release
        r = self.ps.git('push', self.ps.st.remote(self.app), 'HEAD:refs/tags/v1.0', cwd=self.repo)
        self.assertEqual(r.returncode, 0, r.output)
        self.assertEqual(remote_lines(r.output), [])
        self.assertTrue(any(line.endswith('\trefs/tags/v1.0') for line in self.refs()))
        self.assertEqual([x['version'] for x in self.ps.releases(self.app)], [1])

    def test_branches_git_would_not_make(self):
        self.refused('HEAD:refs/heads/HEAD', 'branch HEAD is refused: HEAD names the checked-out commit, not a branch')
        self.refused('HEAD:refs/heads/-x', "branch -x is refused: a name starting with '-' reads as an option")
        self.refused(':refs/heads/main', 'deleting main is refused: slipway deploys from it')
        apps = self.ps.st.api('/apps').json()['apps']
        self.assertEqual([a['name'] for a in apps if a['name'] != self.app], [])   # no review app made

    def test_funny_names_refused_by_git(self):
        """What the git client will not send, sent raw: the hook refuses it with one line (git
        receive-pack runs it before its own check of the name)."""
        head = [line.split()[0] for line in self.refs() if line.endswith('\trefs/heads/main')][0]
        s = requests.Session()
        s.auth = ('git', self.ps.token)
        url = f'{self.ps.sd.url}/{self.app}.git/git-receive-pack'
        empty_pack = b'PACK' + struct.pack('>II', 2, 0)
        empty_pack += hashlib.sha1(empty_pack).digest()
        for ref in (b'refs/heads/a..b', b'refs/heads/x.lock', b'refs/heads/a\x01b', b'refs/heads/a b',
                    b'refs/tags/v1^{}', b'refs/heads/@{x}'):
            with self.subTest(ref):
                before = self.refs()
                body = pkt(f'{Z40} {head} '.encode() + ref + b'\0report-status side-band-64k\n') + b'0000' + \
                    empty_pack
                r = s.post(url, data=body, headers={'Content-Type': 'application/x-git-receive-pack-request'},
                           timeout=60)
                self.assertEqual(r.status_code, 200, r.text)
                status, progress = sideband(r.content)
                self.assertIn(b'unpack ok', status)
                self.assertIn(b'ng ' + ref + b' pre-receive hook declined', status)
                shown = ref.decode().replace('\x01', '?')
                self.assertEqual([line for line in progress.decode().splitlines() if line.strip()],
                                 [f'{FAIL}invalid ref name: {shown}'])
                self.assertEqual(self.refs(), before)

    def test_zz_a_push_still_goes_live(self):
        r = self.ps.push(self.repo, self.app)
        self.assertEqual(r.returncode, 0, r.output)
        wait_for('v2 tagged', lambda: self.ps.release(self.app, 2)['tagged'] or None, timeout=30)


if __name__ == '__main__':
    unittest.main()
