"""slipway's flows on the engine in Fargate mode, the launch read from the cluster's
default capacity provider strategy (FARGATE, as `slipway aws:bootstrap` makes it): awsvpc
task definitions with task-level sizes, ip target groups, the capacity provider strategy
and network configuration in CreateService, UpdateService and RunTask, the router
reaching each task at its own address; every AWS request held to botocore and AWS's
documented limits (swflows.py says which flows)."""
import unittest

from swflows import Flows


class Fargate(Flows, unittest.TestCase):
    MODE = 'fargate'


if __name__ == '__main__':
    unittest.main()
