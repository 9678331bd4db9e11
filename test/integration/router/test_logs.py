"""CloudWatch Logs and the awslogs driver against the engine.

A task whose container definition uses awslogs prints 1,000 numbered lines: boto3's
GetLogEvents (paging with nextForwardToken) and the AWS CLI's get-log-events and
filter-log-events (paging with --page-size) return all of them in order, under
stream <prefix>/<container>/<task id>; they remain after the task stops. A second
task keeps printing while the engine is killed (-9) and started again: every line is
stored exactly once. Then the API itself: groups, streams, retention, PutLogEvents,
filter patterns, and its errors.
"""
import json
import time
import unittest

from botocore.exceptions import ClientError

from swengine import Engine, wait_for
from swrouter import lines_image


def task_definition(ecs, family, image, group='/ecs/lines', prefix='app'):
    return ecs.register_task_definition(family=family, containerDefinitions=[{
        'name': 'lines', 'image': image, 'memory': 32, 'stopTimeout': 2, 'essential': True,
        'logConfiguration': {'logDriver': 'awslogs', 'options': {
            'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': prefix,
            'awslogs-create-group': 'true'}},
    }])['taskDefinition']['taskDefinitionArn']


def all_events(logs, group, stream, limit=100):
    """GetLogEvents from the head, following nextForwardToken until it repeats."""
    out, token, pages = [], None, 0
    while True:
        kw = {'logGroupName': group, 'logStreamName': stream, 'limit': limit, 'startFromHead': True}
        if token:
            kw['nextToken'] = token
        r = logs.get_log_events(**kw)
        out += r['events']
        pages += 1
        if r['nextForwardToken'] == token:
            return out, pages
        token = r['nextForwardToken']


class AwsLogs(unittest.TestCase):
    def test_task_output_reaches_cloudwatch_logs(self):
        with Engine(registry=False) as eng:
            ecs, logs = eng.client('ecs'), eng.client('logs')
            image = lines_image(eng, 1000)
            td = task_definition(ecs, 'lines', image)
            task = ecs.run_task(taskDefinition=td)['tasks'][0]
            task_id = task['taskArn'].rsplit('/', 1)[1]
            stream = f'app/lines/{task_id}'

            def stored():
                try:
                    r = logs.describe_log_streams(logGroupName='/ecs/lines', logStreamNamePrefix='app/')
                except ClientError:
                    return None
                s = [x for x in r['logStreams'] if x['logStreamName'] == stream]
                return s and s[0].get('storedBytes', 0) >= len(''.join(f'line {i} of 1000' for i in range(1, 1001)))
            wait_for('1,000 lines in CloudWatch Logs', stored, timeout=60)

            expected = [f'line {i} of 1000' for i in range(1, 1001)]
            events, pages = all_events(logs, '/ecs/lines', stream, limit=100)
            self.assertEqual([e['message'] for e in events], expected)
            self.assertGreaterEqual(pages, 10)
            ts = [e['timestamp'] for e in events]
            self.assertEqual(ts, sorted(ts))
            # the latest page by default (startFromHead false), and going back from it
            r = logs.get_log_events(logGroupName='/ecs/lines', logStreamName=stream, limit=10)
            self.assertEqual([e['message'] for e in r['events']], expected[-10:])
            back = logs.get_log_events(logGroupName='/ecs/lines', logStreamName=stream, limit=10,
                                       nextToken=r['nextBackwardToken'])
            self.assertEqual([e['message'] for e in back['events']], expected[-20:-10])

            # the AWS CLI: get-log-events, and filter-log-events paging with --page-size
            out = eng.aws('logs', 'get-log-events', '--log-group-name', '/ecs/lines', '--log-stream-name', stream,
                          '--start-from-head')
            self.assertEqual([e['message'] for e in out['events']], expected)
            out = eng.aws('logs', 'filter-log-events', '--log-group-name', '/ecs/lines', '--page-size', '150')
            self.assertEqual([e['message'] for e in out['events']], expected)
            self.assertTrue(all(e['logStreamName'] == stream for e in out['events']))
            out = eng.aws('logs', 'filter-log-events', '--log-group-name', '/ecs/lines',
                          '--filter-pattern', '"line 99"')
            self.assertEqual([e['message'] for e in out['events']], ['line 99 of 1000'] + [
                f'line {i} of 1000' for i in range(990, 1000)])
            # boto3's paginator over filter_log_events: interleaved, in order, no duplicates
            pages = logs.get_paginator('filter_log_events').paginate(
                logGroupName='/ecs/lines', filterPattern='line', PaginationConfig={'PageSize': 64})
            msgs = [e['message'] for p in pages for e in p['events']]
            self.assertEqual(msgs, expected)

            # the group the driver made, with the default retention
            g = logs.describe_log_groups(logGroupNamePrefix='/ecs/')['logGroups']
            self.assertEqual([x['logGroupName'] for x in g], ['/ecs/lines'])
            self.assertEqual(g[0]['retentionInDays'], 30)
            self.assertTrue(g[0]['arn'].endswith(':log-group:/ecs/lines:*'), g[0])

            # they remain after the task stops
            ecs.stop_task(task=task['taskArn'], reason='test')
            ecs.get_waiter('tasks_stopped').wait(tasks=[task['taskArn']], WaiterConfig={'Delay': 1})
            time.sleep(1)
            events, _ = all_events(logs, '/ecs/lines', stream, limit=1000)
            self.assertEqual([e['message'] for e in events], expected)

    def test_engine_restart_loses_and_repeats_nothing(self):
        with Engine(registry=False) as eng:
            ecs = eng.client('ecs')
            image = lines_image(eng, 3000, every=100, pause=0.25)   # about 8 s of output
            td = task_definition(ecs, 'slow', image, group='/ecs/slow')
            task = ecs.run_task(taskDefinition=td)['tasks'][0]
            stream = 'app/lines/' + task['taskArn'].rsplit('/', 1)[1]

            def some():
                try:
                    r = eng.client('logs').get_log_events(logGroupName='/ecs/slow', logStreamName=stream, limit=5)
                    return r['events']
                except ClientError:
                    return None
            wait_for('the first lines', some, timeout=60)
            eng.kill9()
            time.sleep(2)           # the container keeps printing meanwhile
            eng.start()
            logs = eng.client('logs')
            expected = [f'line {i} of 3000' for i in range(1, 3001)]

            def complete():
                events, _ = all_events(logs, '/ecs/slow', stream, limit=10000)
                return events if len(events) >= 3000 else None
            events = wait_for('3,000 lines', complete, timeout=90, interval=1)
            time.sleep(1)
            events, _ = all_events(logs, '/ecs/slow', stream, limit=10000)
            self.assertEqual([e['message'] for e in events], expected)
            ecs.stop_task(task=task['taskArn'])

    def test_logs_api(self):
        with Engine(registry=False) as eng:
            logs = eng.client('logs')
            logs.create_log_group(logGroupName='app/web')
            with self.assertRaises(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_group(logGroupName='app/web')
            with self.assertRaises(logs.exceptions.InvalidParameterException):
                logs.create_log_group(logGroupName='bad name!')
            with self.assertRaises(logs.exceptions.ResourceNotFoundException):
                logs.create_log_stream(logGroupName='nope', logStreamName='s')
            for s in ('b', 'a', 'c'):
                logs.create_log_stream(logGroupName='app/web', logStreamName=s)
            with self.assertRaises(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_stream(logGroupName='app/web', logStreamName='a')
            now = int(time.time() * 1000)
            r = logs.put_log_events(logGroupName='app/web', logStreamName='a', logEvents=[
                {'timestamp': now - 3000, 'message': 'GET /health 200'},
                {'timestamp': now - 2000, 'message': 'ERROR database is down'},
                {'timestamp': now - 1000, 'message': 'GET /users 500 ERROR'},
            ])
            self.assertIn('nextSequenceToken', r)
            logs.put_log_events(logGroupName='app/web', logStreamName='b', logEvents=[
                {'timestamp': now - 2500, 'message': 'worker started'},
                {'timestamp': now - 1500, 'message': 'worker ERROR retrying'},
            ])
            with self.assertRaises(logs.exceptions.InvalidParameterException):
                logs.put_log_events(logGroupName='app/web', logStreamName='a', logEvents=[
                    {'timestamp': now, 'message': 'x'}, {'timestamp': now - 10, 'message': 'y'}])
            r = logs.put_log_events(logGroupName='app/web', logStreamName='a', logEvents=[
                {'timestamp': now + 3 * 3600 * 1000, 'message': 'from the future'}])
            self.assertEqual(r['rejectedLogEventsInfo'], {'tooNewLogEventStartIndex': 0})

            # interleaved across streams, by time; plain terms, phrases, exclusions
            r = logs.filter_log_events(logGroupName='app/web', filterPattern='ERROR')
            self.assertEqual([(e['logStreamName'], e['message']) for e in r['events']], [
                ('a', 'ERROR database is down'), ('b', 'worker ERROR retrying'), ('a', 'GET /users 500 ERROR')])
            self.assertEqual(sorted(s['logStreamName'] for s in r['searchedLogStreams']), ['a', 'b', 'c'])
            r = logs.filter_log_events(logGroupName='app/web', filterPattern='"GET /users"')
            self.assertEqual([e['message'] for e in r['events']], ['GET /users 500 ERROR'])
            r = logs.filter_log_events(logGroupName='app/web', filterPattern='ERROR -worker')
            self.assertEqual(len(r['events']), 2)
            r = logs.filter_log_events(logGroupName='app/web', logStreamNames=['b'], startTime=now - 2000)
            self.assertEqual([e['message'] for e in r['events']], ['worker ERROR retrying'])
            r = logs.filter_log_events(logGroupName='app/web', startTime=now - 2600, endTime=now - 1500)
            self.assertEqual([e['message'] for e in r['events']], ['worker started', 'ERROR database is down'])
            with self.assertRaises(logs.exceptions.InvalidParameterException):
                logs.filter_log_events(logGroupName='app/web', logStreamNames=['a'], logStreamNamePrefix='a')

            # streams: by name, by last event time, prefix, paging
            r = logs.describe_log_streams(logGroupName='app/web', limit=2)
            self.assertEqual([s['logStreamName'] for s in r['logStreams']], ['a', 'b'])
            r = logs.describe_log_streams(logGroupName='app/web', limit=2, nextToken=r['nextToken'])
            self.assertEqual([s['logStreamName'] for s in r['logStreams']], ['c'])
            self.assertNotIn('nextToken', r)
            r = logs.describe_log_streams(logGroupName='app/web', orderBy='LastEventTime', descending=True)
            self.assertEqual(r['logStreams'][0]['logStreamName'], 'a')
            self.assertEqual(r['logStreams'][0]['lastEventTimestamp'], now - 1000)
            with self.assertRaises(logs.exceptions.InvalidParameterException):
                logs.describe_log_streams(logGroupName='app/web', orderBy='LastEventTime', logStreamNamePrefix='a')

            # retention: set, validated, shown, removed
            logs.put_retention_policy(logGroupName='app/web', retentionInDays=7)
            with self.assertRaises(logs.exceptions.InvalidParameterException):
                logs.put_retention_policy(logGroupName='app/web', retentionInDays=8)
            with self.assertRaises(logs.exceptions.ResourceNotFoundException):
                logs.put_retention_policy(logGroupName='nope', retentionInDays=7)
            g = logs.describe_log_groups(logGroupNamePrefix='app/')['logGroups'][0]
            self.assertEqual(g['retentionInDays'], 7)
            self.assertGreater(g['storedBytes'], 0)
            logs.delete_retention_policy(logGroupName='app/web')
            self.assertNotIn('retentionInDays', logs.describe_log_groups(logGroupNamePrefix='app/')['logGroups'][0])

            # errors in botocore's classes, and the CLI
            with self.assertRaises(logs.exceptions.ResourceNotFoundException):
                logs.get_log_events(logGroupName='app/web', logStreamName='nope')
            with self.assertRaises(logs.exceptions.InvalidParameterException):
                logs.get_log_events(logGroupName='app/web', logStreamName='a', nextToken='garbage')
            out = eng.aws('logs', 'describe-log-streams', '--log-group-name', 'app/web')
            self.assertEqual([s['logStreamName'] for s in out['logStreams']], ['a', 'b', 'c'])
            logs.delete_log_stream(logGroupName='app/web', logStreamName='c')
            logs.delete_log_group(logGroupName='app/web')
            with self.assertRaises(logs.exceptions.ResourceNotFoundException):
                logs.delete_log_group(logGroupName='app/web')


if __name__ == '__main__':
    unittest.main()
