"""Hostile trees pushed to an app. The builder reads the commit's tree with libgit2 and
streams it to Docker as a tar; the releaser reads Procfile / docker-compose.yml from the
same tree. Each case is rejected with one clear last line, nothing is recorded as built
or released, the ref does not land, and nothing outside the pushed tree is read on the
server: symlinks are never followed (a Dockerfile or manifest that is a symlink is
refused; Docker resolves a COPY through a symlink inside the context only), and a name
with a control character is refused before Docker sees it.

Trees are made with git's plumbing (hash-object, mktree -z, commit-tree), so they hold
what a porcelain would not write: a Dockerfile that is a directory or a gitlink, names
with newlines and escapes, symlink loops."""
import os
import subprocess
import unittest

from swstack import Stack, git_env, temp_dir
from swrelease import PushStack, remote_lines

DOCKERFILE = 'FROM slipway/busybox:latest\nCOPY . /app\nCMD ["sh", "-c", "sleep 1000"]\n'
NO_COMMIT = '1' * 40   # a gitlink's target is not in the repository
FAIL = ' !     '


class Tree:
    """Commits built from entries [(mode, name, content)], content: str/bytes for a blob
    (a symlink's target for 120000), ('tree', entries), or ('commit', sha) for a gitlink."""

    def __init__(self, stack, name):
        self.st = stack
        self.repo = os.path.join(stack.workdir, name)
        stack.git('init', '-q', '--bare', self.repo, check=True)

    def _run(self, args, data):
        p = subprocess.run(['git', *args], cwd=self.repo, input=data, capture_output=True,
                           env=git_env(self.st.workdir))
        if p.returncode:
            raise RuntimeError(f'git {args}: {p.stderr.decode(errors="replace")}')
        return p.stdout.decode().strip()

    def tree(self, entries):
        lines = []
        for mode, name, content in entries:
            if isinstance(content, tuple) and content[0] == 'tree':
                kind, sha = 'tree', self.tree(content[1])
            elif isinstance(content, tuple):
                kind, sha = 'commit', content[1]
            else:
                data = content if isinstance(content, bytes) else content.encode()
                kind, sha = 'blob', self._run(['hash-object', '-w', '--stdin'], data)
            lines.append(f'{mode} {kind} {sha}\t{name}')
        return self._run(['mktree', '-z', '--missing'], ('\0'.join(lines) + '\0').encode())

    def commit(self, entries):
        return self._run(['commit-tree', self.tree(entries), '-m', 'hostile'], b'')


class Hostile:
    """The checks shared by both stacks (a mixin: self.st is a swstack.Stack)."""

    def push(self, app, entries):
        sha = self.trees.commit(entries)
        r = self.st.git('push', self.st.remote(app), f'{sha}:refs/heads/main', cwd=self.trees.repo)
        return sha, r

    def assert_rejected(self, app, r, last=None, last_prefix=None, before_build=True):
        """Rejected with the reason as the one failing, last line; nothing built or stored."""
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertRegex(r.output, r'\[remote rejected\] \w+ -> main \(pre-receive hook declined\)')
        lines = remote_lines(r.output)
        failing = [line for line in lines if line.startswith(FAIL)]
        self.assertEqual(failing, lines[-1:], r.output)
        if last is not None:
            self.assertEqual(lines[-1], FAIL + last)
        if last_prefix is not None:
            self.assertTrue(lines[-1].startswith(FAIL + last_prefix), lines[-1])
        if before_build:
            self.assertNotIn('Step 1/', r.output)
        for secret in ('root:x:0:0', self.canary_text):
            self.assertNotIn(secret, r.output)
        builds = self.st.builds(app)
        self.assertEqual([(b['status'], b['digest'], b['reason']) for b in builds],
                         [('failed', None, lines[-1][len(FAIL):])])
        ls = self.st.git('ls-remote', self.st.remote(app))
        self.assertEqual((ls.returncode, ls.output.strip()), (0, ''))   # no ref landed
        return lines[-1]

    @classmethod
    def make_canary(cls):
        """A file outside every tree, on the server's disk: no build may read it."""
        d = temp_dir('canary-')
        cls.canary = os.path.join(d, 'secret')
        cls.canary_text = 'canary-' + os.urandom(8).hex()
        with open(cls.canary, 'w') as f:
            f.write(cls.canary_text + '\n')


class BuilderTrees(Hostile, unittest.TestCase):
    """slipwayd without the releaser: what the builder alone answers."""

    @classmethod
    def setUpClass(cls):
        cls.st = Stack('hostile', env={'SLIPWAY_RELEASER': 'off'}).start()
        cls.trees = Tree(cls.st, 'trees')
        cls.make_canary()

    @classmethod
    def tearDownClass(cls):
        cls.st.stop()

    def test_dockerfile_not_a_regular_file(self):
        for app, entry, what in (
                ('df-passwd', ('120000', 'Dockerfile', '/etc/passwd'), 'a symlink'),
                ('df-canary', ('120000', 'Dockerfile', self.canary), 'a symlink'),
                ('df-up', ('120000', 'Dockerfile', '../../x'), 'a symlink'),
                ('df-dir', ('040000', 'Dockerfile', ('tree', [('100644', 'x', DOCKERFILE)])), 'a directory'),
                ('df-gitlink', ('160000', 'Dockerfile', ('commit', NO_COMMIT)), 'a submodule')):
            with self.subTest(app):
                sha, r = self.push(app, [entry, ('100644', 'app.txt', 'x')])
                self.assert_rejected(app, r, f'the Dockerfile at the root of {sha[:7]} is {what}, '
                                             'not a regular file')

    def test_only_a_submodule(self):
        sha, r = self.push('only-sub', [('160000', 'vendor', ('commit', NO_COMMIT))])
        self.assert_rejected('only-sub', r, f'no Dockerfile at the root of {sha[:7]}')

    def test_copy_through_symlinks_stays_in_the_context(self):
        up = os.path.relpath(self.canary, '/')
        for app, links, src in (
                ('loop', [('a', 'b'), ('b', 'a')], 'a'),
                ('abs-file', [('p', self.canary)], 'p'),
                ('abs-dir', [('d', os.path.dirname(self.canary))], 'd/'),
                ('up-file', [('p', '../' * 12 + up)], 'p'),
                ('passwd', [('p', '/etc/passwd')], 'p')):
            with self.subTest(app):
                df = f'FROM slipway/busybox:latest\nCOPY {src} /x\nRUN cat /x /x/* 2>&1 || true\n'
                entries = [('100644', 'Dockerfile', df)] + [('120000', n, t) for n, t in links]
                _, r = self.push(app, entries)
                self.assert_rejected(app, r, last_prefix='build failed: COPY failed: ', before_build=False)

    def test_control_characters_in_names(self):
        for app, name, shown in (
                ('nl-file', 'a\nremote: -----> v9 is live', r'a\nremote: -----> v9 is live'),
                ('esc-file', 'a\x1b[31mred', r'a\x1b[31mred'),
                ('tab-dir', 'd\tx', r'd\tx'),
                ('nl-gitlink', 's\nx', r's\nx')):
            with self.subTest(app):
                content = ('commit', NO_COMMIT) if 'gitlink' in app else \
                    ('tree', [('100644', 'f', 'x')]) if 'dir' in app else 'x'
                mode = '160000' if 'gitlink' in app else '040000' if 'dir' in app else '100644'
                _, r = self.push(app, [('100644', 'Dockerfile', DOCKERFILE), (mode, name, content)])
                self.assert_rejected(app, r, f'build context: "{shown}" has a control character in its '
                                             'name: rename it, or list it in .dockerignore')

    def test_control_character_names_dockerignored_are_not_sent(self):
        _, r = self.push('nl-ignored', [('100644', 'Dockerfile', DOCKERFILE),
                                        ('100644', '.dockerignore', 'bad*\n'),
                                        ('100644', 'bad\nname', 'x')])
        self.assertEqual(r.returncode, 0, r.output)
        self.assertEqual(self.st.builds('nl-ignored')[0]['status'], 'succeeded')


class ManifestTrees(Hostile, unittest.TestCase):
    """slipwayd with the releaser (the engine as ECS): the manifest is read before the build."""

    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack()
        cls.st = cls.ps.st
        cls.trees = Tree(cls.st, 'trees')
        cls.make_canary()

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def assert_rejected(self, app, r, *args, **kw):
        line = super().assert_rejected(app, r, *args, **kw)
        self.assertEqual(self.ps.releases(app), [])
        return line

    def test_manifest_files(self):
        huge = 'web: ' + 'x' * (300 * 1024) + '\n'
        bomb = ''.join(f'{k}: &{k} [{", ".join([f"*{p}"] * 9) if p else ", ".join(["x"] * 9)}]\n'
                       for p, k in zip([None, 'a', 'b', 'c', 'd', 'e', 'f'], 'abcdefg'))
        for app, name, mode, content, last in (
                ('procfile-link', 'Procfile', '120000', '/etc/passwd', 'Procfile at the root is a symlink, not a regular file'),
                ('procfile-canary', 'Procfile', '120000', self.canary, 'Procfile at the root is a symlink, not a regular file'),
                ('procfile-dir', 'Procfile', '040000', ('tree', [('100644', 'web', 'x')]),
                 'Procfile at the root is a directory, not a regular file'),
                ('procfile-nul', 'Procfile', '100644', b'\x00\x01\xff\xfeweb: \x00x\n',
                 'Procfile: not a text file (contains NUL bytes)'),
                ('procfile-bytes', 'Procfile', '100644', b'\xff\xfe\x80web: x\x1b[2J\n', None),
                ('procfile-huge', 'Procfile', '100644', huge, 'Procfile is larger than 256 KB'),
                ('compose-link', 'docker-compose.yml', '120000', '../../../etc/passwd',
                 'docker-compose.yml at the root is a symlink, not a regular file'),
                ('compose-gitlink', 'docker-compose.yml', '160000', ('commit', NO_COMMIT),
                 'docker-compose.yml at the root is a submodule, not a regular file'),
                ('compose-nul', 'docker-compose.yml', '100644', b'\x00\xff\xfe\x01services:',
                 'docker-compose.yml:1:1: control characters are not allowed'),
                ('compose-utf8', 'docker-compose.yml', '100644',
                 b'services:\n  web:\n    build: .\n    command: "\xff\xfe"\n',
                 'docker-compose.yml:1:1: invalid leading UTF-8 octet'),
                ('compose-huge', 'docker-compose.yml', '100644', 'services:\n' + '#' * (300 * 1024),
                 'docker-compose.yml is larger than 256 KB'),
                ('compose-bomb', 'docker-compose.yml', '100644',
                 bomb + 'services:\n  web:\n    build: .\n    command: *g\n', None),
                ('df-link', 'Dockerfile', '120000', '/etc/passwd',
                 'Dockerfile at the root is a symlink, not a regular file')):
            with self.subTest(app):
                entries = [(mode, name, content)]
                if name != 'Dockerfile':
                    entries.append(('100644', 'Dockerfile', DOCKERFILE))
                _, r = self.push(app, entries)
                line = self.assert_rejected(app, r, last)
                if last is None:   # the parser's own words: one line, printable, bounded
                    self.assertTrue(line.isprintable() and len(line) < 300, repr(line))


if __name__ == '__main__':
    unittest.main()
