"""Docker killed under the engine (a private dockerd, started as scripts/up starts one:
--live-restore).

While dockerd is down the app keeps answering through the router, the container
instance's agent reads disconnected, and a deployment asked for meanwhile waits: its
task stays PENDING instead of stopping with CannotPullContainerError. dockerd started
again the same way (scripts/lib.sh sw_restart_dockerd) takes the containers back, the
engine sees it within a couple of seconds, and the deployment completes. No request
fails throughout.
"""
import os
import signal
import subprocess
import time
import unittest

from swengine import Engine, wait_for, wait_rollout
from swrouter import LoadBalancedApp, Load, app_image
from swstack import ROOT, temp_dir


def run_lib(script, *args):
    return subprocess.run(['bash', '-c', f'. "$SW_LIB" && {script}', '_'] + list(args), check=True,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, SW_LIB=os.path.join(ROOT, 'scripts', 'lib.sh'))).stdout


class DockerRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir('restart-dockerd-')
        cls.addClassCleanup(run_lib, 'sw_stop_dockerd "$1"', cls.dir)
        cls.docker_host = run_lib('sw_start_dockerd "$1" own-bridge', cls.dir).strip()
        run_lib('DOCKER_HOST="$2" sw_make_base_image', cls.dir, cls.docker_host)
        # the engine, the docker CLI of the helpers and their clean-up all use it
        cls.saved = os.environ.get('DOCKER_HOST')
        os.environ['DOCKER_HOST'] = cls.docker_host
        cls.addClassCleanup(cls.restore_env)

    @classmethod
    def restore_env(cls):
        if cls.saved is None:
            os.environ.pop('DOCKER_HOST', None)
        else:
            os.environ['DOCKER_HOST'] = cls.saved

    def agent_connected(self, ecs):
        arns = ecs.list_container_instances()['containerInstanceArns']
        return ecs.describe_container_instances(containerInstances=arns)['containerInstances'][0]['agentConnected']

    def test_apps_serve_and_a_deployment_waits_for_docker(self):
        with Engine(registry=False) as eng:
            v1, v2 = app_image(eng, 'v1'), app_image(eng, 'v2')
            app = LoadBalancedApp(eng, 'dockerkill', v1)
            app.wait_healthy(1)
            wait_rollout(app.ecs, 'dockerkill', app.taskdef, timeout=60)
            load = Load(eng.router_port, 'dockerkill.localhost', max_requests=6000, interval=0.02)
            with open(os.path.join(self.dir, 'pid')) as f:
                os.kill(int(f.read().strip()), signal.SIGKILL)
            wait_for('the agent to read disconnected', lambda: not self.agent_connected(app.ecs), timeout=15)
            v2_def = app.update(v2)
            time.sleep(4)
            tasks = app.ecs.describe_tasks(tasks=app.ecs.list_tasks(serviceName='dockerkill')['taskArns'])['tasks']
            self.assertEqual(sorted(t['lastStatus'] for t in tasks), ['PENDING', 'RUNNING'], tasks)
            t0 = time.monotonic()
            run_lib('sw_restart_dockerd "$1"', self.dir)
            wait_for('the agent to read connected', lambda: self.agent_connected(app.ecs), timeout=15)
            self.assertLess(time.monotonic() - t0, 15)
            wait_rollout(app.ecs, 'dockerkill', v2_def, timeout=120)
            time.sleep(1)
            load.stop()
            self.assertEqual(load.failures()[:5], [])
            self.assertEqual(load.versions(), ['v1', 'v2'])
            stopped = app.ecs.list_tasks(serviceName='dockerkill', desiredStatus='STOPPED')['taskArns']
            reasons = [t.get('stoppedReason', '') for t in app.ecs.describe_tasks(tasks=stopped)['tasks']] if stopped else []
            self.assertFalse([r for r in reasons if 'CannotPull' in r or 'CannotStart' in r], reasons)


if __name__ == '__main__':
    unittest.main()
