"""Stopping a task whose app is PID 1 and ignores SIGTERM (busybox httpd, as README's quick
start runs it).

With `linuxParameters.initProcessEnabled` the engine runs Docker's init (docker-init, tini)
as PID 1 (HostConfig.Init): StopTask's SIGTERM reaches the app, which exits at once (exit
code 143), long before the container's stopTimeout. Without it the engine keeps ECS's
semantics: SIGTERM, then SIGKILL once stopTimeout has passed (exit code 137).
"""
import time
import unittest

from swengine import Engine, docker, wait_for

PID1_HTTPD = ('FROM slipway/busybox:latest\nRUN mkdir -p /www && echo hi > /www/index.html\n'
              'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n')


class StopSignal(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine(registry=False)
        cls.ecs = cls.eng.client('ecs')
        cls.image = cls.eng.build_image('pid1:v1', PID1_HTTPD)

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def run_and_stop(self, family, stop_timeout, init):
        c = {'name': 'web', 'image': self.image, 'memory': 32, 'stopTimeout': stop_timeout, 'essential': True,
             'portMappings': [{'containerPort': 8080, 'hostPort': 0}]}
        if init is not None:
            c['linuxParameters'] = {'initProcessEnabled': init}
        td = self.ecs.register_task_definition(family=family, containerDefinitions=[c])['taskDefinition']
        if init is not None:
            self.assertEqual(td['containerDefinitions'][0]['linuxParameters'], {'initProcessEnabled': init})
        arn = self.ecs.run_task(taskDefinition=td['taskDefinitionArn'])['tasks'][0]['taskArn']

        def task():
            return self.ecs.describe_tasks(tasks=[arn])['tasks'][0]
        wait_for(f'{family} to run', lambda: task()['lastStatus'] == 'RUNNING' or None, timeout=60)
        cid = task()['containers'][0]['runtimeId']
        inspected = docker('inspect', '--format', '{{.HostConfig.Init}} {{.Path}}', cid).stdout.split()
        t0 = time.monotonic()
        self.ecs.stop_task(task=arn, reason='test')
        done = wait_for(f'{family} to stop', lambda: (lambda t: t if t['lastStatus'] == 'STOPPED' else None)(task()),
                        timeout=stop_timeout + 30, interval=0.1)
        return time.monotonic() - t0, done['containers'][0].get('exitCode'), inspected

    def test_init_forwards_sigterm_to_a_pid1_app(self):
        took, code, inspected = self.run_and_stop('withinit', 30, True)
        self.assertEqual(inspected[0], 'true', inspected)
        self.assertEqual(code, 143, 'the app died of SIGTERM, not of SIGKILL')
        self.assertLess(took, 8, f'stopped in {took:.1f}s with a stopTimeout of 30s')

    def test_without_init_stop_timeout_still_applies(self):
        took, code, inspected = self.run_and_stop('noinit', 3, None)
        self.assertIn(inspected[0], ('false', '<nil>'), inspected)
        self.assertEqual(code, 137, 'SIGTERM ignored by PID 1: killed after stopTimeout')
        self.assertGreaterEqual(took, 2.5)
        self.assertLess(took, 15)


if __name__ == '__main__':
    unittest.main()
