"""slipway's flows on the engine in EC2 mode (bridge networking, instance target groups,
launchType EC2: the engine's cluster has no capacity provider strategy), every AWS
request held to botocore and AWS's documented limits (swflows.py says which flows)."""
import unittest

from swflows import Flows


class Ec2(Flows, unittest.TestCase):
    MODE = 'ec2'


if __name__ == '__main__':
    unittest.main()
