"""slipwayd killed (kill -9) in the middle of a push and started again: the pusher's
connection belongs to slipway-push, the hook reconnects and relays the rest of the job's
log, and the push ends as if nothing happened: the verdict line, exit 0, main moved, the
release tagged vN. A pusher that goes away does not stop the push either."""
import os
import signal
import subprocess
import time
import unittest

from swengine import binary, wait_for
from swrelease import PushStack, APP_DOCKERFILE, remote_lines

SLOW_BUILD = APP_DOCKERFILE + 'RUN sleep 4\n'
SLOW_START = "web: sleep 3; trap 'exit 0' TERM; httpd -f -p $PORT -h /www & wait\n"


class RestartMidPush(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            print('---- slipwayd log (tail) ----\n' + self.ps.sd.log_text()[-6000:])

    def building(self, app):
        """1 when app exists and has a build running."""
        r = self.ps.st.api(f'/apps/{app}/builds')
        return r.status_code == 200 and any(b['status'] == 'running' for b in r.json()['builds'])

    def head(self, repo):
        return self.ps.git('rev-parse', 'HEAD', cwd=repo).output.strip()

    def main_on_server(self, app):
        out = self.ps.git('ls-remote', self.ps.st.remote(app), 'refs/heads/main').output.split()
        return out[0] if out else ''

    def restart(self, delay=1.0):
        self.ps.sd.kill()
        time.sleep(delay)
        self.ps.sd.start()

    def lands_live_and_tagged(self, app, repo, p, version):
        out, _ = p.communicate(timeout=300)
        lines = remote_lines(out)
        self.assertEqual(p.returncode, 0, out)
        self.assertRegex(lines[-1], rf'^-----> v{version} is live', out)
        self.assertTrue(any(line.startswith('-----> slipwayd is back') for line in lines), out)
        self.assertEqual(self.main_on_server(app), self.head(repo))
        wait_for(f'v{version} tagged', lambda: self.ps.release(app, version)['tagged'] or None, timeout=30)
        self.assertEqual(self.ps.release(app, version)['commit'], self.head(repo))
        build = self.ps.st.builds(app)[0]
        self.assertEqual(build['status'], 'succeeded', build)
        return out

    def test_killed_mid_build(self):
        ps = self.ps
        repo = ps.make_repo('midbuild', 'v1')
        self.assertEqual(ps.push(repo, 'midbuild').returncode, 0)
        ps.commit(repo, files={'Dockerfile': SLOW_BUILD.replace('%s', 'v2')})
        p = ps.st.start_push(repo, 'midbuild')
        wait_for('build 2 running', lambda: any(b['status'] == 'running' and b['number'] == 2
                                                for b in ps.st.builds('midbuild')), timeout=60)
        time.sleep(1.5)
        self.restart()
        out = self.lands_live_and_tagged('midbuild', repo, p, 2)
        self.assertIn('-----> slipwayd restarted: building again', remote_lines(out))
        ps.wait_answers('midbuild', ['v2'])

    def test_killed_mid_release(self):
        ps = self.ps
        repo = ps.make_repo('midrelease', 'v1')
        self.assertEqual(ps.push(repo, 'midrelease').returncode, 0)
        ps.commit(repo, 'v2', procfile=SLOW_START)
        p = ps.st.start_push(repo, 'midrelease')
        wait_for('v2 deploying', lambda: any(r['version'] == 2 and r['status'] == 'deploying'
                                             for r in ps.releases('midrelease')), timeout=60, interval=0.1)
        time.sleep(0.5)
        self.restart()
        out = self.lands_live_and_tagged('midrelease', repo, p, 2)
        self.assertTrue(any('its rollout resumed' in line for line in remote_lines(out)), out)
        ps.wait_answers('midrelease', ['v2'])

    def test_killed_mid_command_the_cli_gets_its_verdict(self):
        ps = self.ps
        repo = ps.make_repo('midconfig', 'v1', procfile=SLOW_START)
        self.assertEqual(ps.push(repo, 'midconfig').returncode, 0)
        env = dict(os.environ, SLIPWAY_URL=ps.sd.url, SLIPWAY_TOKEN=ps.token)
        p = subprocess.Popen([binary('slipway'), 'config:set', 'GREETING=hi', '-a', 'midconfig'], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for('v2 deploying', lambda: any(r['version'] == 2 and r['status'] == 'deploying'
                                             for r in ps.releases('midconfig')), timeout=60, interval=0.1)
        time.sleep(0.5)
        self.restart()
        out, _ = p.communicate(timeout=180)
        self.assertEqual(p.returncode, 0, out)
        self.assertIn('lost the connection to slipwayd', out)
        self.assertRegex(out, r'-----> v2 is live')
        job = ps.st.builds('midconfig', kinds=None)[0]
        self.assertEqual((job['kind'], job['status'], job['release']), ('config', 'succeeded', 2), job)

    def test_pusher_gone_the_push_still_lands(self):
        ps = self.ps
        repo = ps.make_repo('leaver', 'v1')
        ps.commit(repo, files={'Dockerfile': SLOW_BUILD.replace('%s', 'v1')})
        p = ps.st.start_push(repo, 'leaver')
        wait_for('build running', lambda: self.building('leaver'), timeout=60)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        wait_for('v1 live', lambda: any(r['version'] == 1 and r['status'] == 'live' for r in ps.releases('leaver')),
                 timeout=120)
        wait_for('main landed', lambda: self.main_on_server('leaver') == self.head(repo) or None, timeout=30)
        wait_for('v1 tagged', lambda: ps.release('leaver', 1)['tagged'] or None, timeout=30)

    def process_of(self, program, app):
        """The pid of program (slipway-push, slipway-hook) working on app's push (its
        environment names the app), or None."""
        exe = os.path.realpath(binary(program))
        for pid in os.listdir('/proc'):
            try:
                if not pid.isdigit() or os.path.realpath(f'/proc/{pid}/exe') != exe:
                    continue
                with open(f'/proc/{pid}/environ', 'rb') as f:
                    if f'SLIPWAY_APP={app}'.encode() in f.read().split(b'\0'):
                        return int(pid)
            except OSError:
                continue
        return None

    def test_hook_killed_mid_release_flags_the_release(self):
        ps = self.ps
        repo = ps.make_repo('orphan', 'v1')
        self.assertEqual(ps.push(repo, 'orphan').returncode, 0)
        first = self.head(repo)
        ps.commit(repo, 'v2', procfile=SLOW_START)
        p = ps.st.start_push(repo, 'orphan')
        wait_for('v2 deploying', lambda: any(r['version'] == 2 and r['status'] == 'deploying'
                                             for r in ps.releases('orphan')), timeout=60, interval=0.1)
        pid = self.process_of('slipway-hook', 'orphan')
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGKILL)   # git rejects the push and drops its objects; the job goes on
        p.communicate(timeout=60)
        wait_for('v2 live', lambda: ps.release('orphan', 2)['status'] == 'live', timeout=120)
        wait_for('build over', lambda: ps.st.builds('orphan')[0]['status'] != 'running' or None, timeout=60)
        self.assertEqual(self.main_on_server('orphan'), first)
        flag = 'commit not in the repository: push it again to tag it'
        wait_for('v2 flagged', lambda: ps.release('orphan', 2)['reason'] == flag or None, timeout=30)
        self.assertIn(flag, ps.cli('releases', '-a', 'orphan').stdout)
        self.assertFalse(ps.release('orphan', 2)['tagged'])

        # the same commit pushed again lands, and v2 is tagged with it
        r = ps.push(repo, 'orphan')
        self.assertEqual(r.returncode, 0, r.output)
        self.assertEqual(self.main_on_server('orphan'), self.head(repo))
        wait_for('v2 tagged', lambda: ps.release('orphan', 2)['tagged'] or None, timeout=30)
        self.assertIsNone(ps.release('orphan', 2)['reason'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
