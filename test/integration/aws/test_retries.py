"""Retries and timeouts of sw_aws_call against a local server: throttling twice then
success (3 attempts, the backoff observed between them), a client error (1 attempt), 5xx,
a refused connection, and a server that never answers (timeout, one clear line)."""
import json
import os
import time
import unittest

from swaws import Server, Tool, free_port

ENV = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
ENV.update(AWS_ACCESS_KEY_ID='AKIDRETRY', AWS_SECRET_ACCESS_KEY='secret', AWS_REGION='us-east-1',
           AWS_EC2_METADATA_DISABLED='true', HOME='/nonexistent')


def json_error(code, message, status=400):
    return status, {'Content-Type': 'application/x-amz-json-1.1'}, json.dumps(
        {'__type': f'com.amazonaws.ecs#{code}', 'message': message})


class Scripted:
    """Answers from a list, one per request; the last one repeats."""

    def __init__(self, answers):
        self.answers = answers
        self.n = 0

    def __call__(self, method, path, headers, body):
        a = self.answers[min(self.n, len(self.answers) - 1)]
        self.n += 1
        return a


class Retries(unittest.TestCase):
    def setUp(self):
        self.tool = Tool(ENV)

    def tearDown(self):
        self.tool.close()

    def call(self, url, **kw):
        req = dict(op='call', service='ecs', operation='ListClusters', params={}, endpoint_url=url,
                   random=0.5)
        req.update(kw)
        return self.tool.call(**req)

    def test_throttled_twice_then_success(self):
        ok = (200, {'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'req-3'},
              json.dumps({'clusterArns': ['arn:aws:ecs:us-east-1:1:cluster/default']}))
        with Server(Scripted([json_error('ThrottlingException', 'Rate exceeded'),
                              json_error('ThrottlingException', 'Rate exceeded'), ok])) as srv:
            t0 = time.monotonic()
            res = self.call(srv.url)
            elapsed = time.monotonic() - t0
            reqs = srv.requests
        self.assertTrue(res['ok'], res)
        self.assertEqual(res['response'], {'clusterArns': ['arn:aws:ecs:us-east-1:1:cluster/default']})
        self.assertEqual(res['attempts'], 3)
        self.assertEqual(res['request_id'], 'req-3')
        # random 0.5: 0.5 * 1 s, then 0.5 * 2 s (throttling base 1 s, doubling)
        self.assertEqual(res['backoff_ms'], 1500)
        self.assertEqual(len(reqs), 3)
        gaps = [reqs[i + 1]['time'] - reqs[i]['time'] for i in range(2)]
        self.assertAlmostEqual(gaps[0], 0.5, delta=0.25)
        self.assertAlmostEqual(gaps[1], 1.0, delta=0.25)
        self.assertLess(elapsed, 3)
        # every attempt is signed afresh
        auths = [dict((k.lower(), v) for k, v in r['headers'])['authorization'] for r in reqs]
        self.assertTrue(all(a.startswith('AWS4-HMAC-SHA256 Credential=AKIDRETRY/') for a in auths))

    def test_client_error_is_not_retried(self):
        with Server(Scripted([json_error('ClusterNotFoundException', 'Cluster not found.')])) as srv:
            res = self.call(srv.url, operation='DescribeServices', params={'cluster': 'nope', 'services': ['web']})
            n = len(srv.requests)
        self.assertFalse(res['ok'])
        self.assertEqual(n, 1)
        self.assertEqual(res['attempts'], 1)
        self.assertEqual(res['status'], 400)
        self.assertEqual((res['error_code'], res['error_message']), ('ClusterNotFoundException', 'Cluster not found.'))
        self.assertEqual(res['error'], 'ecs DescribeServices: ClusterNotFoundException: Cluster not found.')
        self.assertEqual(res['code'], -1)  # SW_ERROR

    def test_error_type_header_and_auth_code(self):
        ans = (403, {'x-amzn-ErrorType': 'AccessDeniedException:http://internal.amazon.com/coral/'},
               json.dumps({'Message': 'User is not authorized'}))
        with Server(Scripted([ans])) as srv:
            res = self.call(srv.url)
        self.assertEqual(res['error'], 'ecs ListClusters: AccessDeniedException: User is not authorized')
        self.assertEqual((res['attempts'], res['code']), (1, -7))  # SW_EAUTH

    def test_server_errors_are_retried(self):
        ok = (200, {}, '{}')
        with Server(Scripted([(503, {}, 'busy'), (500, {}, json.dumps({'__type': 'InternalFailure'})), ok])) as srv:
            res = self.call(srv.url)
        self.assertTrue(res['ok'], res)
        self.assertEqual(res['attempts'], 3)
        self.assertEqual(res['backoff_ms'], 25 + 50)  # transient base 50 ms
        with Server(Scripted([(502, {}, '<html>bad gateway</html>')])) as srv:
            res = self.call(srv.url)
        self.assertEqual(res['attempts'], 3)
        self.assertEqual(res['error'], 'ecs ListClusters: HTTP502: <html>bad gateway</html> (3 attempts)')

    def test_connection_refused(self):
        port = free_port()
        res = self.call(f'http://127.0.0.1:{port}')
        self.assertFalse(res['ok'])
        self.assertEqual(res['attempts'], 3)
        self.assertEqual(res['status'], 0)
        self.assertEqual(res['error'], f'ecs ListClusters: cannot connect to http://127.0.0.1:{port}/ (3 attempts)')
        self.assertEqual(res['code'], -8)  # SW_EUNAVAIL

    def test_server_never_answers(self):
        with Server(lambda *a: (None, None, None)) as srv:
            t0 = time.monotonic()
            res = self.call(srv.url, attempt_timeout_ms=700, call_timeout_ms=10000)
            elapsed = time.monotonic() - t0
            n = len(srv.requests)
        self.assertFalse(res['ok'])
        self.assertEqual(res['attempts'], 3)
        self.assertEqual(n, 3)
        self.assertEqual(res['code'], -5)  # SW_ETIMEOUT
        self.assertEqual(res['error'], f'ecs ListClusters: no answer from {srv.url}/ within 0.7 s (3 attempts)')
        self.assertLess(elapsed, 4)
        # the whole-call timeout bounds the retries
        with Server(lambda *a: (None, None, None)) as srv:
            t0 = time.monotonic()
            res = self.call(srv.url, attempt_timeout_ms=5000, call_timeout_ms=1200)
            elapsed = time.monotonic() - t0
        self.assertFalse(res['ok'])
        self.assertEqual(res['code'], -5)
        self.assertLess(elapsed, 3)
        self.assertIn('ecs ListClusters: no answer from', res['error'])

    def test_bad_input_sends_nothing(self):
        with Server(Scripted([(200, {}, '{}')])) as srv:
            for service, op, params, want in [
                    ('s3', 'ListBuckets', {}, "unknown AWS service 's3' (ecs, ecr, elbv2, logs, cloudformation, sts, acm)"),
                    ('ecs', 'List Clusters', {}, "ecs: 'List Clusters' is not an operation name"),
                    ('ecs', 'listClusters', {}, "ecs: 'listClusters' is not an operation name"),
                    ('elbv2', 'DescribeTargetGroups', {'Names': 'x'},
                     'elbv2: DescribeTargetGroups: parameter Names must be an array'),
                    ('elbv2', 'DescribeTargetGroups', {'Bogus': 1},
                     "elbv2: DescribeTargetGroups: unknown parameter 'Bogus'"),
                    ('elbv2', 'NoSuchThing', {}, "elbv2: elbv2 has no operation 'NoSuchThing'")]:
                res = self.call(srv.url, service=service, operation=op, params=params)
                self.assertEqual((res['ok'], res['error'], res['code']), (False, want, -4), (service, op))
            self.assertEqual(srv.requests, [])


if __name__ == '__main__':
    unittest.main()
