"""The releaser never touches an ECS service it does not own. Names are APP-PROCESS and
both may contain '-': app "own" with process "b-web" and app "own-b" with process "web"
are both the service "own-b-web". A release whose service name is taken by another app's
service (its slipway:app tag), or by a service slipway did not make (no tag), is refused
before anything changes; apps:destroy leaves such a service (and its tasks and task
definitions) alone."""
import unittest

from swrelease import PushStack, WEB_PROCFILE, remote_lines

B_WEB = "b-web: trap 'exit 0' TERM; sleep 100000 & wait\n"


class Ownership(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ps = PushStack(memory_mb=1024)

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()

    def service(self, name):
        s = self.ps.ecs.describe_services(cluster='default', services=[name], include=['TAGS'])['services']
        return s[0] if s else None

    def families(self, family):
        arns = self.ps.ecs.list_task_definitions(familyPrefix=family, status='ACTIVE')['taskDefinitionArns']
        return [a for a in arns if a.split('/')[-1].rsplit(':', 1)[0] == family]

    def test_other_apps_service_is_refused_and_kept(self):
        ps = self.ps
        repo = ps.make_repo('own', 'v1', procfile=WEB_PROCFILE + B_WEB)
        r = ps.push(repo, 'own')
        self.assertEqual(r.returncode, 0, r.output)
        ps.wait_answers('own', ['v1'])
        before = self.service('own-b-web')
        self.assertEqual(before['status'], 'ACTIVE')
        self.assertIn({'key': 'slipway:app', 'value': 'own'}, before['tags'])
        tds = self.families('own-b-web')

        other = ps.make_repo('own-b', 'v1')
        r = ps.push(other, 'own-b')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertIn('[remote rejected] main -> main', r.output)
        self.assertEqual(remote_lines(r.output)[-1],
                         ' !     web: the ECS service own-b-web belongs to app own (slipway:app tag), not own-b: '
                         'rename the process type')
        rel = ps.release('own-b', 1)
        self.assertEqual(rel['status'], 'failed')
        self.assertIn('belongs to app own', rel['reason'])

        after = self.service('own-b-web')
        self.assertEqual(after['taskDefinition'], before['taskDefinition'])
        self.assertEqual(after['desiredCount'], before['desiredCount'])
        self.assertEqual(len(after['deployments']), 1)
        self.assertEqual(self.families('own-b-web'), tds, 'own-b registered into own\'s task family')
        self.assertEqual(ps.answers('own'), ['v1'])

        # destroying own-b leaves own's service, its tasks and task definitions alone
        d = ps.cli('apps:destroy', 'own-b', '--confirm', 'own-b')
        self.assertEqual(d.returncode, 0, d.stderr)
        self.assertIn('kept ECS service own-b-web (of app own)', d.stdout)
        kept = self.service('own-b-web')
        self.assertEqual(kept['status'], 'ACTIVE')
        self.assertEqual(kept['taskDefinition'], before['taskDefinition'])
        self.assertEqual(kept['runningCount'], before['runningCount'])
        self.assertEqual(self.families('own-b-web'), tds)
        self.assertEqual(ps.answers('own'), ['v1'])

    def test_service_not_made_by_slipway_is_refused_and_kept(self):
        ps = self.ps
        td = ps.ecs.register_task_definition(family='stray-web', containerDefinitions=[{
            'name': 'web', 'image': 'slipway/busybox:latest', 'memory': 16,
            'command': ['sleep', '100000']}])['taskDefinition']['taskDefinitionArn']
        ps.ecs.create_service(cluster='default', serviceName='stray-web', taskDefinition=td, desiredCount=0)
        repo = ps.make_repo('stray', 'v1')
        r = ps.push(repo, 'stray')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertEqual(remote_lines(r.output)[-1],
                         ' !     web: the ECS service stray-web is not managed by slipway (no slipway:app tag): '
                         'rename the process type')
        self.assertEqual(ps.release('stray', 1)['status'], 'failed')
        s = self.service('stray-web')
        self.assertEqual(s['status'], 'ACTIVE')
        self.assertEqual(s['taskDefinition'], td)
        self.assertEqual(s['desiredCount'], 0)
        self.assertFalse(s.get('tags'))
        self.assertEqual(self.families('stray-web'), [td])
        # releases made without a push go through the same guard
        c = ps.cli('config:set', 'GREETING=hi', '-a', 'stray')
        self.assertEqual(c.returncode, 1, c.stdout + c.stderr)
        self.assertIn(' !     web: the ECS service stray-web is not managed by slipway', c.stdout)
        self.assertEqual(ps.release('stray', 2)['status'], 'failed')
        s = self.service('stray-web')
        self.assertEqual((s['taskDefinition'], s['desiredCount']), (td, 0))
        self.assertEqual(self.families('stray-web'), [td])


if __name__ == '__main__':
    unittest.main()
