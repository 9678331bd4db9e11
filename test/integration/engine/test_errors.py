"""Bad input at every entry point: missing required members, wrong types, unknown clusters and
services, bad signatures, protocol errors and the optional throttle — each answered with the
error name and HTTP status botocore turns into the right exception class."""
import json
import unittest
import urllib.request

import boto3
import botocore
from botocore import UNSIGNED
from botocore.config import Config

from swengine import REGION, Engine, wait_for, web_task_definition

TD = {'family': 'e', 'containerDefinitions': [{'name': 'c', 'image': 'slipway/busybox:latest', 'memory': 8}]}

# operation -> a valid call (the required members), used to derive the bad ones
ECS_CALLS = {
    'register_task_definition': TD,
    'describe_task_definition': {'taskDefinition': 'e'},
    'deregister_task_definition': {'taskDefinition': 'e:1'},
    'create_service': {'serviceName': 'svc', 'taskDefinition': 'e'},
    'update_service': {'service': 'svc'},
    'describe_services': {'services': ['svc']},
    'delete_service': {'service': 'svc'},
    'run_task': {'taskDefinition': 'e'},
    'describe_tasks': {'tasks': ['0123']},
    'stop_task': {'task': '0123'},
    'describe_container_instances': {'containerInstances': ['x']},
    'list_tags_for_resource': {'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/default'},
    'tag_resource': {'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/default',
                     'tags': [{'key': 'k', 'value': 'v'}]},
    'untag_resource': {'resourceArn': 'arn:aws:ecs:us-east-1:000000000000:cluster/default', 'tagKeys': ['k']},
}
WITH_CLUSTER = ['update_service', 'describe_services', 'delete_service', 'run_task', 'describe_tasks', 'stop_task',
                'list_tasks', 'list_services', 'describe_container_instances', 'list_container_instances']


class Errors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine()
        cls.ecs = cls.eng.client('ecs')
        cls.raw = cls.eng.client('ecs', parameter_validation=False)   # lets bad input reach the engine
        cls.ecr = cls.eng.client('ecr', parameter_validation=False)
        web_task_definition(cls.ecs, 'e', 'slipway/busybox:latest', health=False)

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def expect(self, client, exc_name, status, fn, **kw):
        cls = getattr(client.exceptions, exc_name, None)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            getattr(client, fn)(**kw)
        err = cm.exception
        self.assertEqual(err.response['Error']['Code'], exc_name, f'{fn}({kw}): {err}')
        self.assertEqual(err.response['ResponseMetadata']['HTTPStatusCode'], status, f'{fn}({kw})')
        if cls is not None:
            self.assertIsInstance(err, cls, f'{fn}: botocore raised {type(err).__name__}')
        return err

    def test_missing_required_members(self):
        model = self.raw.meta.service_model
        for fn, good in ECS_CALLS.items():
            op = model.operation_model(self.raw.meta.method_to_api_mapping[fn])
            required = op.input_shape.required_members
            self.assertTrue(required, fn)
            for member in required:
                bad = {k: v for k, v in good.items() if k != member}
                with self.subTest(op=fn, missing=member):
                    err = self.expect(self.raw, 'InvalidParameterException', 400, fn, **bad)
                    self.assertIn(f"'{member}'", str(err))
                    self.assertIn('Member must not be null', str(err))

    def test_wrong_types(self):
        cases = [
            ('create_service', {'serviceName': 'svc', 'taskDefinition': 'e', 'desiredCount': 'two'}, 'desiredCount'),
            ('create_service', {'serviceName': 7}, 'serviceName'),
            ('update_service', {'service': 'svc', 'forceNewDeployment': 'yes'}, 'forceNewDeployment'),
            ('run_task', {'taskDefinition': 'e', 'count': 1.5}, 'count'),
            ('register_task_definition', dict(TD, containerDefinitions=[{'name': 'c', 'memory': '8'}]),
             'containerDefinitions.1.member.memory'),
            ('list_tasks', {'desiredStatus': 'SOMETIMES'}, 'desiredStatus'),
            ('list_services', {'maxResults': {}}, 'maxResults'),
        ]
        for fn, kw, where in cases:
            with self.subTest(op=fn, where=where):
                err = self.expect(self.raw, 'InvalidParameterException', 400, fn, **kw)
                self.assertIn(f"'{where}'", str(err))
        for fn in WITH_CLUSTER:
            kw = dict(ECS_CALLS.get(fn, {}), cluster=['default'])
            with self.subTest(op=fn, where='cluster'):
                self.expect(self.raw, 'InvalidParameterException', 400, fn, **kw)

    def test_unknown_cluster(self):
        for fn in WITH_CLUSTER:
            kw = dict(ECS_CALLS.get(fn, {}), cluster='no-such-cluster')
            with self.subTest(op=fn):
                err = self.expect(self.ecs, 'ClusterNotFoundException', 400, fn, **kw)
                self.assertEqual(err.response['Error']['Message'], 'Cluster not found.')
        self.expect(self.ecs, 'ClusterNotFoundException', 400, 'create_service', cluster='nope',
                    serviceName='svc', taskDefinition='e')
        out = self.ecs.describe_clusters(clusters=['nope', 'default'])
        self.assertEqual(out['failures'][0]['reason'], 'MISSING')
        self.assertEqual(out['clusters'][0]['clusterName'], 'default')

    def test_unknown_service_task_taskdef(self):
        self.expect(self.ecs, 'ServiceNotFoundException', 400, 'update_service', service='nope')
        self.expect(self.ecs, 'ServiceNotFoundException', 400, 'delete_service', service='nope')
        self.expect(self.ecs, 'ServiceNotFoundException', 400, 'list_tasks', serviceName='nope')
        out = self.ecs.describe_services(services=['nope'])
        self.assertEqual(out['services'], [])
        self.assertEqual(out['failures'], [{'arn': 'arn:aws:ecs:us-east-1:000000000000:service/default/nope',
                                            'reason': 'MISSING'}])
        out = self.ecs.describe_tasks(tasks=['0123'])
        self.assertEqual(out['failures'][0]['reason'], 'MISSING')
        self.assertEqual(out['failures'][0]['arn'], 'arn:aws:ecs:us-east-1:000000000000:task/default/0123')
        self.expect(self.ecs, 'InvalidParameterException', 400, 'stop_task', task='0123')
        self.expect(self.ecs, 'ClientException', 400, 'describe_task_definition', taskDefinition='nope:9')
        self.expect(self.ecs, 'ClientException', 400, 'run_task', taskDefinition='nope')
        self.expect(self.ecs, 'ClientException', 400, 'create_service', serviceName='x', taskDefinition='nope')
        self.expect(self.ecs, 'InvalidParameterException', 400, 'create_service', serviceName='x')
        self.expect(self.ecs, 'ClientException', 400, 'register_task_definition', family='e',
                    containerDefinitions=[{'name': 'c', 'image': 'x'}])     # neither memory nor reservation
        self.expect(self.ecs, 'ResourceNotFoundException', 400, 'list_tags_for_resource',
                    resourceArn='arn:aws:ecs:us-east-1:000000000000:service/default/nope')

    def test_service_lifecycle_errors(self):
        ecs = self.ecs
        ecs.create_service(serviceName='life', taskDefinition='e', desiredCount=0, clientToken='t1')
        # the same client token is idempotent; anything else is not
        self.assertEqual(ecs.create_service(serviceName='life', taskDefinition='e', desiredCount=0,
                                            clientToken='t1')['service']['serviceName'], 'life')
        err = self.expect(ecs, 'InvalidParameterException', 400, 'create_service', serviceName='life',
                          taskDefinition='e')
        self.assertEqual(err.response['Error']['Message'], 'Creation of service was not idempotent.')
        ecs.update_service(service='life', desiredCount=1)
        err = self.expect(ecs, 'InvalidParameterException', 400, 'delete_service', service='life')
        self.assertIn('scaled above 0', err.response['Error']['Message'])
        s = ecs.delete_service(service='life', force=True)['service']
        self.assertEqual(s['status'], 'DRAINING')
        ecs.get_waiter('services_inactive').wait(services=['life'], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        err = self.expect(ecs, 'ServiceNotActiveException', 400, 'update_service', service='life', desiredCount=2)
        self.assertEqual(err.response['Error']['Message'], 'Service was not ACTIVE.')
        self.assertEqual(ecs.describe_services(services=['life'])['services'][0]['status'], 'INACTIVE')
        # and it can be created again
        ecs.create_service(serviceName='life', taskDefinition='e', desiredCount=0)
        ecs.delete_service(service='life')
        # deregistered definitions stay describable, and refuse new work
        td = ecs.deregister_task_definition(taskDefinition='e:1')['taskDefinition']
        self.assertEqual(td['status'], 'INACTIVE')
        self.assertEqual(ecs.describe_task_definition(taskDefinition='e:1')['taskDefinition']['status'], 'INACTIVE')
        self.expect(ecs, 'ClientException', 400, 'run_task', taskDefinition='e:1')
        self.assertNotIn(td['taskDefinitionArn'], ecs.list_task_definitions()['taskDefinitionArns'])
        self.assertIn(td['taskDefinitionArn'], ecs.list_task_definitions(status='INACTIVE')['taskDefinitionArns'])
        web_task_definition(ecs, 'e', 'slipway/busybox:latest', health=False)   # e:2 for other tests

    def test_signatures(self):
        key, secret = self.eng.credentials()
        wrong_secret = boto3.client('ecs', endpoint_url=self.eng.endpoint, region_name=REGION,
                                    aws_access_key_id=key, aws_secret_access_key='x' * 40)
        self.expect(wrong_secret, 'InvalidSignatureException', 400, 'list_clusters')
        other_key = boto3.client('ecs', endpoint_url=self.eng.endpoint, region_name=REGION,
                                 aws_access_key_id='AKIAIOSFODNN7EXAMPLE', aws_secret_access_key=secret)
        self.expect(other_key, 'UnrecognizedClientException', 400, 'list_clusters')
        unsigned = boto3.client('ecs', endpoint_url=self.eng.endpoint, region_name=REGION,
                                config=Config(signature_version=UNSIGNED))
        self.expect(unsigned, 'MissingAuthenticationTokenException', 400, 'list_clusters')
        other_region = boto3.client('ecs', endpoint_url=self.eng.endpoint, region_name='eu-west-1',
                                    aws_access_key_id=key, aws_secret_access_key=secret)
        self.expect(other_region, 'InvalidSignatureException', 400, 'list_clusters')
        ecr_wrong = boto3.client('ecr', endpoint_url=self.eng.endpoint, region_name=REGION,
                                 aws_access_key_id=key, aws_secret_access_key='y' * 40)
        self.expect(ecr_wrong, 'InvalidSignatureException', 400, 'get_authorization_token')

    def raw_post(self, target, body, content_type='application/x-amz-json-1.1'):
        """A signed request with a body botocore would never send."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        key, secret = self.eng.credentials()
        req = AWSRequest(method='POST', url=self.eng.endpoint + '/', data=body,
                         headers={'X-Amz-Target': target, 'Content-Type': content_type})
        SigV4Auth(Credentials(key, secret), 'ecs', REGION).add_auth(req)
        r = urllib.request.Request(self.eng.endpoint + '/', data=body, method='POST', headers=dict(req.headers))
        try:
            with urllib.request.urlopen(r) as resp:
                return resp.status, json.loads(resp.read() or b'{}')
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b'{}')

    def test_protocol_errors(self):
        status, doc = self.raw_post('AmazonEC2ContainerServiceV20141113.ListClusters', b'{not json')
        self.assertEqual((status, doc['__type']), (400, 'SerializationException'))
        status, doc = self.raw_post('AmazonEC2ContainerServiceV20141113.ListClusters', b'[1,2]')
        self.assertEqual((status, doc['__type']), (400, 'SerializationException'))
        # a string where a list belongs (botocore itself would never send it)
        status, doc = self.raw_post('AmazonEC2ContainerServiceV20141113.DescribeServices', b'{"services":"svc"}')
        self.assertEqual((status, doc['__type']), (400, 'InvalidParameterException'))
        self.assertIn("'services'", doc['message'])
        status, doc = self.raw_post('AmazonEC2ContainerServiceV20141113.FlyToTheMoon', b'{}')
        self.assertEqual((status, doc['__type']), (400, 'UnknownOperationException'))
        status, doc = self.raw_post('AmazonEC2ContainerServiceV20141113.ListClusters', b'{}')
        self.assertEqual(status, 200)
        status, doc = self.raw_post('AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition',
                                    b'{"family":"' + b'x' * (2 << 20) + b'"}')
        self.assertEqual(status, 413)
        # the engine still answers
        self.assertIn('clusterArns', self.ecs.list_clusters())

    def test_ecr_errors(self):
        self.expect(self.ecr, 'InvalidParameterException', 400, 'create_repository')
        self.expect(self.ecr, 'InvalidParameterException', 400, 'create_repository', repositoryName='Bad Name')
        self.expect(self.ecr, 'InvalidParameterException', 400, 'describe_images', repositoryName=5)
        self.expect(self.ecr, 'RepositoryNotFoundException', 400, 'describe_images', repositoryName='nothere')
        self.expect(self.ecr, 'RepositoryNotFoundException', 400, 'batch_get_image', repositoryName='nothere',
                    imageIds=[{'imageTag': 'x'}])
        self.expect(self.ecr, 'RepositoryNotFoundException', 400, 'describe_repositories',
                    repositoryNames=['nothere'])


class Throttle(unittest.TestCase):
    def test_rate_exceeded_and_backoff(self):
        with Engine(registry=False, env={'SLIPWAY_ENGINE_THROTTLE_RATE': '2',
                                         'SLIPWAY_ENGINE_THROTTLE_BURST': '3'}) as eng:
            no_retry = eng.client('ecs', max_attempts=1)
            codes = []
            for _ in range(8):
                try:
                    no_retry.list_clusters()
                    codes.append('ok')
                except botocore.exceptions.ClientError as e:
                    codes.append(e.response['Error']['Code'])
                    self.assertEqual(e.response['Error']['Message'], 'Rate exceeded')
                    self.assertEqual(e.response['ResponseMetadata']['HTTPStatusCode'], 400)
            self.assertIn('ThrottlingException', codes)
            self.assertGreaterEqual(codes.count('ok'), 3)
            # botocore's standard retry mode backs off and gets through
            patient = eng.client('ecs', max_attempts=10)
            for _ in range(6):
                self.assertIn('clusterArns', patient.list_clusters())


if __name__ == '__main__':
    unittest.main(verbosity=2)
