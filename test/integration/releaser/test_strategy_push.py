"""A push goes live the way the app asks: a canary from the Procfile's `# slipway:`
comment, blue/green from `slipway deploy:settings` (which wins over the manifest), each
stage streamed to the pusher and no request failing through the router (nor through a
custom domain's rule, which shifts with the app's own); a bad setting is
one line and changes nothing; `slipway rollback` during a bake gives the traffic back to
the live release at once.

One engine minute lasts one second here (SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS=1): "bake=2m"
bakes two seconds.
"""
import requests
import time
import unittest

from swengine import wait_for
from swops import Load
from swrelease import WEB_PROCFILE, PushStack, remote_lines

CANARY = '# slipway: strategy=canary canary_percent=20 canary_bake=2m bake=2m\n'


def stage(ps, app):
    svc = ps.ecs.describe_services(cluster='default', services=[f'{app}-web'])['services'][0]
    sd = ps.ecs.describe_service_deployments(serviceDeploymentArns=[svc['currentServiceDeployment']])
    return sd['serviceDeployments'][0].get('lifecycleStage')


def push_under_load(test, ps, repo, app, version):
    """Commit version and push it with a load loop through the router: (push output lines, load)."""
    ps.commit(repo, version)
    with Load(ps.eng.router_port, app) as load:
        r = ps.push(repo, app)
        time.sleep(0.5)
    test.assertEqual(r.returncode, 0, r.output)
    test.assertEqual(load.failures, [])
    test.assertEqual(load.answers[-1], version)
    return remote_lines(r.output), load


class StrategyPush(unittest.TestCase):
    def test_canary_blue_green_and_rollback_during_bake(self):
        with PushStack(load_balancer='elbv2', engine_env={'SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS': '1'},
                       env={'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_DEREGISTRATION_DELAY': '2'}) as ps:
            app = 'shifty'
            repo = ps.make_repo(app, 'v1', procfile=CANARY + WEB_PROCFILE)
            r = ps.push(repo, app)
            self.assertEqual(r.returncode, 0, r.output)

            # v2: the Procfile's canary, streamed, nothing lost
            lines, load = push_under_load(self, ps, repo, app, 'v2')
            print('\nthe canary push, from its first stage line:\n  ' + '\n  '.join(
                lines[next(i for i, l in enumerate(lines) if 'starting beside' in l):]))
            self.assertIn('       web: canary: 20% of web traffic on v2', lines)
            self.assertIn('       web: shifting 100% of web traffic to v2, baking 2m with the old tasks kept', lines)
            self.assertIn('       web: v2 healthy for 2m: stopping the old tasks', lines)
            self.assertEqual(sorted(set(load.answers)), ['v1', 'v2'])

            # deploy:settings wins over the manifest; a bad value is one line and changes nothing
            bad = ps.cli('deploy:settings', 'strategy=purple', 'bake=1m', '-a', app)
            self.assertEqual(bad.returncode, 1, bad)
            self.assertEqual(bad.stderr.strip().count('\n'), 0, bad.stderr)
            self.assertIn("strategy must be rolling, blue-green, linear or canary, not 'purple'", bad.stderr)
            self.assertIn('no deploy settings', ps.cli('deploy:settings', '-a', app).stdout)
            bad = ps.cli('deploy:settings', 'bake=90s', '-a', app)
            self.assertIn('bake must be whole minutes', bad.stderr)
            ok = ps.cli('deploy:settings', 'strategy=blue-green', 'bake=1m', '-a', app)
            self.assertEqual(ok.returncode, 0, ok)
            self.assertEqual(ok.stdout.split(), ['bake=1m', 'strategy=blue-green'])

            # a custom domain added after the canary (the app's traffic on its alternate group)
            # answers from the live tasks and keeps answering through the blue/green push
            self.assertEqual(ps.cli('domains:add', 'www.shifty.test', '-a', app).returncode, 0)
            # the new rule reaches the router a moment later (as on an ALB): the load that
            # must see no failure starts once the domain answers
            wait_for('the domain answering', lambda: requests.get(
                f'http://127.0.0.1:{ps.eng.router_port}/', headers={'Host': 'www.shifty.test'},
                timeout=5).status_code == 200, timeout=30)
            domain = Load(ps.eng.router_port, app)
            domain.host = 'www.shifty.test'
            with domain:
                wait_for('the load answered', lambda: domain.answers, timeout=30)
                lines, load = push_under_load(self, ps, repo, app, 'v3')
            self.assertEqual(domain.failures, [])
            self.assertEqual(domain.answers[0], 'v2')
            self.assertEqual(domain.answers[-1], 'v3')
            self.assertFalse([l for l in lines if 'canary:' in l], lines)
            self.assertIn('       web: shifting 100% of web traffic to v3, baking 1m with the old tasks kept', lines)

            # v4 bakes 30 "minutes": `slipway rollback` during the bake gives traffic back to v3 at once
            self.assertEqual(ps.cli('deploy:settings', 'bake=30m', '-a', app).returncode, 0)
            ps.commit(repo, 'v4')
            with Load(ps.eng.router_port, app) as load:
                push = ps.st.start_push(repo, app)
                try:
                    wait_for('v4 baking', lambda: stage(ps, app) == 'BAKE_TIME', timeout=120)
                    time.sleep(1)
                    t0 = time.time()
                    rb = ps.cli('rollback', '-a', app)
                    back = wait_for('v3 answering', lambda: load.answers[-3:] == ['v3'] * 3
                                    and time.time(), timeout=60)
                    out, _ = push.communicate(timeout=120)
                finally:
                    if push.poll() is None:
                        push.kill()
                time.sleep(0.5)
            print(f'\nrollback during the bake: v3 answering again {back - t0:.1f}s after `slipway rollback`')
            self.assertEqual(rb.returncode, 0, rb)
            self.assertNotEqual(push.returncode, 0, out)
            self.assertIn('-----> rolling back to v3', remote_lines(out), out)
            self.assertEqual(load.failures, [])
            after = [a for a in load.answers[load.answers.index('v4'):]]
            self.assertEqual(after[-1], 'v3')
            self.assertEqual(ps.release(app, 4)['status'], 'rolled back')

            # apps:destroy takes both target groups
            elb = ps.eng.client('elbv2')
            names = lambda: sorted(t['TargetGroupName'] for t in elb.describe_target_groups()['TargetGroups'])
            self.assertEqual([n for n in names() if 'shifty' in n], ['sw-2-shifty', 'sw-shifty'])
            gone = ps.cli('apps:destroy', '--confirm', app, app)
            self.assertEqual(gone.returncode, 0, gone)
            self.assertEqual([n for n in names() if 'shifty' in n], [])


if __name__ == '__main__':
    unittest.main()
