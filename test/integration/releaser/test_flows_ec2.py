"""slipway's flows on the engine in EC2 mode (bridge networking, instance target groups,
launchType EC2: the engine's cluster has no capacity provider strategy), every AWS
request held to botocore and AWS's documented limits (swflows.py says which flows).
Then an app moving from EC2 to Fargate when the cluster gets FARGATE as its default
strategy: its instance target group replaced by an ip one, not reused; and one whose first
release on Fargate crashes, back on EC2 with its instance target group."""
import unittest

from swengine import EXECUTION_ROLE, wait_for
from swflows import Flows
from swrelease import remote_lines


class Ec2(Flows, unittest.TestCase):
    MODE = 'ec2'
    EXTRA_ENV = {'SLIPWAY_EXECUTION_ROLE_ARN': EXECUTION_ROLE}   # for the move to Fargate

    def test_switch_to_fargate(self):
        ps, elb = self.ps, self.ps.eng.client('elbv2')
        repo = ps.make_repo('switch', 'v1')
        self.push_ok(repo, 'switch')
        old = elb.describe_target_groups(Names=['sw-switch'])['TargetGroups'][0]
        self.assertEqual(old['TargetType'], 'instance')
        self.v.clear()
        ps.ecs.put_cluster_capacity_providers(
            cluster='default', capacityProviders=['FARGATE', 'FARGATE_SPOT'],
            defaultCapacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}])
        r = self.cli('config:set', 'MOVED=1', '-a', 'switch')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        new = self.params('CreateTargetGroup', 'elbv2')
        self.assertEqual([(t['TargetType'], t['Name'][:10], t['Name'][-2:]) for t in new],
                         [('ip', 'sw-switch-', '-b')])
        upd = [u for u in self.params('UpdateService') if u['service'] == 'switch-web'][0]
        self.assertEqual(upd['capacityProviderStrategy'], [{'capacityProvider': 'FARGATE', 'weight': 1}])
        self.assertTrue(upd['forceNewDeployment'])
        self.assertIn('networkConfiguration', upd)
        self.assertEqual(self.params('ModifyRule', 'elbv2')[0]['Actions'][0]['TargetGroupArn'],
                         upd['loadBalancers'][0]['targetGroupArn'])
        # the instance target group goes once the release is live; the app answers from Fargate
        self.assertEqual(self.params('DeleteTargetGroup', 'elbv2'), [{'TargetGroupArn': old['TargetGroupArn']}])
        wait_for('v1 on Fargate', lambda: self.get('switch.localhost') == (200, 'v1'), timeout=60)
        self.v.assert_clean()

    def test_switch_to_fargate_that_fails_goes_back_to_ec2(self):
        """A first release on Fargate that crashes: ECS and slipway take the app back to its
        last live release on EC2, its instance target group and the rule's forward with it."""
        ps, elb = self.ps, self.ps.eng.client('elbv2')
        # EC2 again: no default strategy (the providers stay: an earlier app's tasks use FARGATE)
        ps.ecs.put_cluster_capacity_providers(cluster='default', capacityProviders=['FARGATE', 'FARGATE_SPOT'],
                                              defaultCapacityProviderStrategy=[])
        repo = ps.make_repo('back', 'v1')
        self.push_ok(repo, 'back')
        old = elb.describe_target_groups(Names=['sw-back'])['TargetGroups'][0]
        self.v.clear()
        ps.ecs.put_cluster_capacity_providers(
            cluster='default', capacityProviders=['FARGATE', 'FARGATE_SPOT'],
            defaultCapacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}])
        ps.commit(repo, 'v2', procfile='web: echo booting; exit 3\n')
        r = ps.push(repo, 'back')
        self.assertNotEqual(r.returncode, 0, r.output)
        self.assertRegex(remote_lines(r.output)[-1], r'exit code 3\)\); rolled back to v1$')
        self.assertEqual(ps.release('back', 2)['status'], 'rolled back')
        # v2 ran on Fargate (an ip target group of the app's other name), v1 again on EC2
        self.assertEqual([t['TargetType'] for t in self.params('CreateTargetGroup', 'elbv2')], ['ip'])
        svc = ps.ecs.describe_services(services=['back-web'])['services'][0]
        self.assertEqual(svc['loadBalancers'][0]['targetGroupArn'], old['TargetGroupArn'])
        td = ps.ecs.describe_task_definition(taskDefinition=svc['taskDefinition'])['taskDefinition']
        self.assertEqual(td['networkMode'], 'bridge')
        self.assertEqual(self.params('ModifyRule', 'elbv2')[-1]['Actions'][0]['TargetGroupArn'],
                         old['TargetGroupArn'])
        # slipway's own update took it back, not the circuit breaker's (the launch moved)
        upd = [u for u in self.params('UpdateService') if u['service'] == 'back-web'][-1]
        self.assertEqual((upd['capacityProviderStrategy'], upd['forceNewDeployment']), ([], True))
        self.assertNotIn('networkConfiguration', upd)
        self.assertEqual(svc['launchType'], 'EC2')
        self.assertEqual(self.params('DeleteTargetGroup', 'elbv2'), [])
        wait_for('v1 again on EC2', lambda: self.get('back.localhost') == (200, 'v1'), timeout=60)
        self.v.assert_clean()


if __name__ == '__main__':
    unittest.main()
