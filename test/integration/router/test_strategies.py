"""Blue/green, linear and canary deployments on the engine, as ECS documents them.

A service with a load balancer's advancedConfiguration (an alternate target group and
the production listener rule) and deploymentConfiguration.strategy BLUE_GREEN, LINEAR
or CANARY: the green tasks start beside blue in the alternate target group, the
router's production rule is weighted toward them (all at once, in steps, or the canary
share first), blue keeps running through the bake time, then goes. A load loop runs
through the router the whole time: no request fails. A green release that crashes
during its canary is rolled back, traffic first, and at most 10% of the requests of
the deployment reached it (measured here).

One engine minute lasts one second here (SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS=1).
"""
import time
import unittest

from swengine import Engine, wait_for, wait_rollout
from swrouter import Load, app_image, get

# The test app of swrouter, whose httpd dies CRASH_AFTER seconds after it started answering.
CRASH_AFTER = 4
CRASH_START = ('#!/bin/sh\necho "%%s $(hostname)" > /www/index.html\n'
               "trap 'exit 0' TERM\nhttpd -f -p 8080 -h /www &\nsleep %d\nkill $!\nexit 3\n" % CRASH_AFTER)


class ShiftedApp:
    """Two target groups (blue, alternate), a production rule on NAME.localhost, and a
    service deploying with `config` (deploymentConfiguration)."""

    def __init__(self, eng, name, image, config, desired=1):
        self.name, self.host = name, f'{name}.localhost'
        self.elb, self.ecs = eng.client('elbv2'), eng.client('ecs')
        lb = self.elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
        listener = self.elb.describe_listeners(LoadBalancerArn=lb['LoadBalancerArn'])['Listeners'][0]['ListenerArn']
        self.tgs = [self.elb.create_target_group(
            Name=f'{name}-{side}', Protocol='HTTP', Port=8080, VpcId='vpc-test', TargetType='instance',
            HealthCheckPath='/cgi-bin/check', HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=2, UnhealthyThresholdCount=2, Matcher={'HttpCode': '200'},
        )['TargetGroups'][0]['TargetGroupArn'] for side in ('a', 'b')]
        for tg in self.tgs:
            self.elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
                {'Key': 'deregistration_delay.timeout_seconds', 'Value': '10'}])
        self.rule = self.elb.create_rule(
            ListenerArn=listener, Priority=10,
            Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': [self.host]}}],
            Actions=[{'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
                {'TargetGroupArn': self.tgs[0], 'Weight': 1}, {'TargetGroupArn': self.tgs[1], 'Weight': 0}]}}],
        )['Rules'][0]['RuleArn']
        self.taskdef = self.register(image)
        self.ecs.create_service(
            serviceName=name, taskDefinition=self.taskdef, desiredCount=desired,
            loadBalancers=[{'targetGroupArn': self.tgs[0], 'containerName': 'web', 'containerPort': 8080,
                            'advancedConfiguration': {
                                'alternateTargetGroupArn': self.tgs[1], 'productionListenerRule': self.rule,
                                'roleArn': 'arn:aws:iam::000000000000:role/ecsInfrastructure'}}],
            healthCheckGracePeriodSeconds=0,
            deploymentConfiguration=dict(config, deploymentCircuitBreaker={'enable': True, 'rollback': True}))

    def register(self, image):
        return self.ecs.register_task_definition(family=self.name, containerDefinitions=[{
            'name': 'web', 'image': image, 'memory': 32, 'stopTimeout': 3, 'essential': True,
            'portMappings': [{'containerPort': 8080, 'hostPort': 0}],
        }])['taskDefinition']['taskDefinitionArn']

    def update(self, image, config=None):
        self.taskdef = self.register(image)
        extra = {'deploymentConfiguration': config} if config else {}
        self.ecs.update_service(service=self.name, taskDefinition=self.taskdef, **extra)
        return self.taskdef

    def service(self):
        return self.ecs.describe_services(services=[self.name])['services'][0]

    def weights(self):
        action = self.elb.describe_rules(RuleArns=[self.rule])['Rules'][0]['Actions'][0]
        return {g['TargetGroupArn']: g['Weight'] for g in action['ForwardConfig']['TargetGroups']}

    def messages(self, since):
        return [e['message'] for e in reversed(self.service()['events']) if e['createdAt'].timestamp() >= since - 1]


def roll(test, app, image, load, config=None, timeout=120):
    """Deploy image with the load running; the events of the deployment. The lifecycle
    stages DescribeServiceDeployments showed on the way, with the traffic weight, go to
    app.stages."""
    start = time.time()
    taskdef = app.update(image, config)
    app.stages = []

    def done():
        svc = app.service()
        sd = app.ecs.describe_service_deployments(
            serviceDeploymentArns=[svc['currentServiceDeployment']])['serviceDeployments'][0]
        seen = (sd.get('lifecycleStage'), sd['targetServiceRevision'].get('requestedProductionTrafficWeight'))
        if not app.stages or app.stages[-1] != seen:
            app.stages.append(seen)
        d = svc['deployments']
        return len(d) == 1 and d[0]['taskDefinition'] == taskdef and d[0]['rolloutState'] == 'COMPLETED'
    wait_for(f'{app.name} to complete on {taskdef}', done, timeout=timeout, interval=0.1)
    time.sleep(0.5)
    return app.messages(start)


class Strategies(unittest.TestCase):
    def test_blue_green_canary_linear_lose_nothing(self):
        with Engine(registry=False, env={'SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS': '1'}) as eng:
            images = [app_image(eng, v) for v in ('v1', 'v2', 'v3', 'v4')]
            app = ShiftedApp(eng, 'shift', images[0], {'strategy': 'BLUE_GREEN', 'bakeTimeInMinutes': 2})
            wait_rollout(app.ecs, 'shift', app.taskdef, timeout=90)
            wait_for('v1 answers', lambda: get(eng.router_port, app.host)[1].startswith('v1 '), timeout=30)
            cfg = app.service()['deploymentConfiguration']
            self.assertEqual((cfg['strategy'], cfg['bakeTimeInMinutes']), ('BLUE_GREEN', 2))

            load = Load(eng.router_port, app.host, max_requests=6000, interval=0.01)
            # blue/green: all at once, blue kept through the bake, then stopped
            bg = roll(self, app, images[1], load)
            shifted = next(i for i, m in enumerate(bg) if '100% of production traffic' in m)
            over = next(i for i, m in enumerate(bg) if 'bake time over' in m)
            stopped = next(i for i, m in enumerate(bg) if ' has stopped ' in m)
            self.assertLess(shifted, over, bg)
            self.assertLess(over, stopped, bg)
            self.assertEqual(app.weights(), {app.tgs[0]: 0, app.tgs[1]: 1})
            # canary: 10% first, then the rest; back onto the first target group
            canary = roll(self, app, images[2], load, {
                'strategy': 'CANARY', 'bakeTimeInMinutes': 1,
                'canaryConfiguration': {'canaryPercent': 10.0, 'canaryBakeTimeInMinutes': 3}})
            steps = [m.split(') ')[2].split(' of ')[0] for m in canary if 'of production traffic on' in m]
            self.assertEqual(steps, ['10%', '100%'], canary)
            self.assertIn(('PRODUCTION_TRAFFIC_SHIFT', 10.0), app.stages)
            self.assertEqual([s for s, _ in app.stages if s != 'SCALE_UP'],
                             ['PRODUCTION_TRAFFIC_SHIFT', 'BAKE_TIME', 'CLEAN_UP'], app.stages)
            self.assertEqual(app.weights(), {app.tgs[0]: 1, app.tgs[1]: 0})
            # linear: 40% more every minute
            linear = roll(self, app, images[3], load, {
                'strategy': 'LINEAR', 'bakeTimeInMinutes': 1,
                'linearConfiguration': {'stepPercent': 40.0, 'stepBakeTimeInMinutes': 1}})
            steps = [m.split(') ')[2].split(' of ')[0] for m in linear if 'of production traffic on' in m]
            self.assertEqual(steps, ['40%', '80%', '100%'], linear)
            load.stop()

            self.assertEqual(load.failures(), [], f'{len(load.failures())} of {len(load.results)} requests failed')
            self.assertEqual(load.versions(), ['v1', 'v2', 'v3', 'v4'])
            self.assertEqual({r[2].split(' ')[0] for r in load.results[-20:]}, {'v4'})
            # during the canary, v3 had a share near 10% before it had all
            v3 = [i for i, r in enumerate(load.results) if r[2].startswith('v3 ')]
            window = load.results[v3[0]:v3[0] + 150]
            share = sum(r[2].startswith('v3 ') for r in window) / len(window)
            self.assertLess(share, 0.3, f'v3 had {share:.0%} of the first 150 requests after its first')

    def test_crash_during_canary_rolls_back(self):
        with Engine(registry=False, env={'SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS': '1'}) as eng:
            good, bad = app_image(eng, 'v1'), app_image(eng, 'v2', start=CRASH_START)
            app = ShiftedApp(eng, 'canary', good, {
                'strategy': 'CANARY', 'bakeTimeInMinutes': 5,
                'canaryConfiguration': {'canaryPercent': 10.0, 'canaryBakeTimeInMinutes': 60}})
            first = app.taskdef
            wait_rollout(app.ecs, 'canary', first, timeout=90)
            wait_for('v1 answers', lambda: get(eng.router_port, app.host)[1].startswith('v1 '), timeout=30)
            load = Load(eng.router_port, app.host, max_requests=4000, interval=0.01)
            time.sleep(1)
            start = time.time()
            app.update(bad)
            wait_for('the canary to fail', lambda: any(
                'deployment failed' in m for m in app.messages(start)), timeout=60)
            wait_rollout(app.ecs, 'canary', first, timeout=60)
            back = time.time()
            time.sleep(1)
            load.stop()

            during = [r for r in load.results if r[0] >= start]
            reached = [r for r in during if not (r[1] == 200 and r[2].startswith('v1 '))]
            share = len(reached) / len(during)
            failed = [r for r in during if r[1] != 200]
            print(f'\ncanary crash: {len(reached)} of {len(during)} requests ({share:.1%}) reached v2, '
                  f'{len(failed)} of them failed')
            self.assertTrue(any(r[2].startswith('v2 ') for r in during), 'the canary took some traffic')
            self.assertLessEqual(share, 0.10)
            msgs = app.messages(start)
            self.assertTrue(any('deployment failed: tasks failed under production traffic' in m for m in msgs), msgs)
            self.assertTrue(any('production traffic returned to' in m for m in msgs), msgs)
            self.assertEqual(app.weights(), {app.tgs[0]: 1, app.tgs[1]: 0})
            # requests sent once the rollback completed all reach v1 (results carry when they were sent:
            # one queued for the dying canary can end after that)
            after = [r for r in load.results if r[0] > back]
            self.assertGreater(len(after), 10)
            self.assertEqual({(r[1], r[2].split(' ')[0]) for r in after}, {(200, 'v1')})

    def test_bad_settings_change_nothing(self):
        with Engine(registry=False) as eng:
            img = app_image(eng, 'v1')
            app = ShiftedApp(eng, 'bad', img, {'strategy': 'ROLLING'})
            before = app.service()['deploymentConfiguration']
            for config, words in (({'strategy': 'BLUE_GREEN'}, 'bakeTimeInMinutes must be specified'),
                                  ({'strategy': 'CANARY', 'canaryConfiguration': {'canaryPercent': 0.05}},
                                   'canaryPercent'),
                                  ({'strategy': 'LINEAR', 'linearConfiguration': {'stepPercent': 2.0}}, 'stepPercent'),
                                  ({'strategy': 'CANARY', 'bakeTimeInMinutes': 2000}, 'Bake times')):
                with self.assertRaises(app.ecs.exceptions.InvalidParameterException) as cm:
                    app.update(img, config)
                self.assertIn(words, str(cm.exception))
            self.assertEqual(app.service()['deploymentConfiguration'], before)
            self.assertEqual(len(app.service()['deployments']), 1)
            # the router weighs two target groups per rule, each 0..999
            rule = app.elb.describe_rules(RuleArns=[app.rule])['Rules'][0]
            third = app.elb.create_target_group(Name='bad-c', Protocol='HTTP', Port=8080, VpcId='vpc-test',
                                                TargetType='instance')['TargetGroups'][0]['TargetGroupArn']
            for tgs, words in (([(app.tgs[0], 1), (app.tgs[1], 1), (third, 1)], 'at most two target groups'),
                               ([(app.tgs[0], 1000), (app.tgs[1], 0)], 'between 0 and 999'),
                               ([(app.tgs[0], 0), (app.tgs[1], 0)], 'weight above 0')):
                with self.assertRaises(app.elb.exceptions.ClientError) as cm:
                    app.elb.modify_rule(RuleArn=app.rule, Actions=[{'Type': 'forward', 'ForwardConfig': {
                        'TargetGroups': [{'TargetGroupArn': a, 'Weight': w} for a, w in tgs]}}])
                self.assertIn(words, str(cm.exception))
            self.assertEqual(app.elb.describe_rules(RuleArns=[app.rule])['Rules'][0], rule)


if __name__ == '__main__':
    unittest.main()
