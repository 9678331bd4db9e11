"""slipway's flows on the engine in Fargate mode, the launch read from the cluster's
default capacity provider strategy (FARGATE, as `slipway aws:bootstrap` makes it): awsvpc
task definitions with task-level sizes, ip target groups, the capacity provider strategy
and network configuration in CreateService, UpdateService and RunTask, the router
reaching each task at its own address; every AWS request held to botocore and AWS's
documented limits (swflows.py says which flows). Then a blue/green release on Fargate:
its alternate target group of type ip in the listener's VPC, the rule weighted between
the two, ECS's advancedConfiguration in the service's requests."""
import unittest

from swengine import wait_for
from swflows import Flows


class Fargate(Flows, unittest.TestCase):
    MODE = 'fargate'

    def test_blue_green(self):
        ps = self.ps
        repo = ps.make_repo('bgapp', 'v1')
        self.push_ok(repo, 'bgapp')
        r = self.cli('deploy:settings', 'strategy=blue-green', 'bake=0', '-a', 'bgapp')
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.v.clear()
        ps.commit(repo, 'v2')
        lines = self.push_ok(repo, 'bgapp')
        self.assertTrue(any(l.startswith('       web: goes live blue-green') for l in lines), lines)
        alt = self.params('CreateTargetGroup', 'elbv2')
        self.assertEqual([(t['Name'], t['TargetType'], t['VpcId']) for t in alt],
                         [('sw-2-bgapp', 'ip', 'vpc-00000000000slipway')])
        upd = [u for u in self.params('UpdateService') if u['service'] == 'bgapp-web'][-1]
        self.assertEqual(upd['deploymentConfiguration']['strategy'], 'BLUE_GREEN')
        self.assertIn('alternateTargetGroupArn', upd['loadBalancers'][0]['advancedConfiguration'])
        self.assertIn('networkConfiguration', upd)
        wait_for('v2 on Fargate', lambda: self.get('bgapp.localhost') == (200, 'v2'), timeout=60)
        self.v.assert_clean()


if __name__ == '__main__':
    unittest.main()
