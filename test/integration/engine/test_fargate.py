"""Fargate and awsvpc on the engine, driven with boto3 as on ECS.

A cluster with the FARGATE / FARGATE_SPOT capacity providers and a default strategy; an
awsvpc FARGATE task definition; a service (no launch type: the cluster's strategy) behind
an ip target group and a host-header rule, reached through the router; each task's own
address in DescribeTasks' attachments answering HTTP itself and registered as its target;
a rolling update to a new revision going live; botocore's waiters (services_stable,
tasks_running, tasks_stopped); RunTask with a networkConfiguration on FARGATE; Fargate's
capacity message; and ECS's refusals (no networkConfiguration, a cpu/memory pair Fargate
does not have, launchType with a capacity provider strategy, an instance target group for
an awsvpc service, a provider in use).
"""
import http.client
import sys
import unittest

from swengine import EXECUTION_ROLE, FARGATE_NETWORK, Engine, wait_for, wait_rollout, web_task_definition
from swrouter import app_image, get

CLUSTER = 'fargate'
HOST = 'fg.localhost'
WAIT = {'Delay': 1, 'MaxAttempts': 120}


def direct(ip, timeout=5):
    """GET http://ip:8080/ (the task's own address): the body, or None."""
    conn = http.client.HTTPConnection(ip, 8080, timeout=timeout)
    try:
        conn.request('GET', '/')
        return conn.getresponse().read().decode().strip()
    except OSError:
        return None
    finally:
        conn.close()


def eni(task):
    """The task's ElasticNetworkInterface attachment: (status, {name: value})."""
    att = [a for a in task['attachments'] if a['type'] == 'ElasticNetworkInterface']
    return att[0]['status'], {d['name']: d['value'] for d in att[0]['details']}


class Fargate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine(registry=False, memory_mb=4096)
        cls.ecs = cls.eng.client('ecs')
        cls.elb = cls.eng.client('elbv2')
        cls.v1 = app_image(cls.eng, 'v1')
        cls.v2 = app_image(cls.eng, 'v2')

    @classmethod
    def tearDownClass(cls):
        if sys.exc_info()[0]:
            print(cls.eng.log())
        cls.eng.stop()

    def refused(self, code, message, fn, **kw):
        with self.assertRaises(self.ecs.exceptions.ClientError) as cm:
            fn(**kw)
        err = cm.exception.response['Error']
        self.assertEqual((err['Code'], err['Message']), (code, message))

    def tasks(self, service):
        arns = self.ecs.list_tasks(cluster=CLUSTER, serviceName=service)['taskArns']
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)['tasks'] if arns else []

    def test_1_cluster(self):
        ecs = self.ecs
        c = ecs.create_cluster(clusterName=CLUSTER, capacityProviders=['FARGATE', 'FARGATE_SPOT'],
                               defaultCapacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}])['cluster']
        self.assertEqual(c['capacityProviders'], ['FARGATE', 'FARGATE_SPOT'])
        c = ecs.describe_clusters(clusters=[CLUSTER], include=['SETTINGS', 'STATISTICS', 'ATTACHMENTS'])['clusters'][0]
        self.assertEqual(c['defaultCapacityProviderStrategy'], [{'capacityProvider': 'FARGATE', 'weight': 1, 'base': 0}])
        self.assertEqual(c['settings'], [{'name': 'containerInsights', 'value': 'disabled'}])
        self.assertEqual({s['name']: s['value'] for s in c['statistics']}['runningFargateTasksCount'], '0')
        self.assertEqual(c['attachmentsStatus'], 'UPDATE_COMPLETE')
        # a cluster made without providers gets them later
        ecs.create_cluster(clusterName='later')
        c = ecs.put_cluster_capacity_providers(cluster='later', capacityProviders=['FARGATE_SPOT'],
                                               defaultCapacityProviderStrategy=[
                                                   {'capacityProvider': 'FARGATE_SPOT', 'weight': 2, 'base': 1}])['cluster']
        self.assertEqual(c['capacityProviders'], ['FARGATE_SPOT'])
        c = ecs.describe_clusters(clusters=['later'])['clusters'][0]
        self.assertEqual(c['defaultCapacityProviderStrategy'],
                         [{'capacityProvider': 'FARGATE_SPOT', 'weight': 2, 'base': 1}])
        self.refused('InvalidParameterException', 'The specified capacity provider was not found. Specify a valid '
                     'capacity provider and try again.', ecs.put_cluster_capacity_providers, cluster='later',
                     capacityProviders=['my-asg'], defaultCapacityProviderStrategy=[])

    def test_2_task_definition(self):
        td = web_task_definition(self.ecs, 'fg-web', self.v1, health=False, launch='fargate')
        self.assertEqual((td['networkMode'], td['cpu'], td['memory']), ('awsvpc', '256', '512'))
        self.assertEqual(td['requiresCompatibilities'], ['FARGATE'])
        self.assertIn('FARGATE', td['compatibilities'])
        self.assertEqual(td['executionRoleArn'], EXECUTION_ROLE)
        self.assertEqual(td['containerDefinitions'][0]['portMappings'][0]['hostPort'], 8080)
        self.refused('ClientException', 'No Fargate configuration exists for given values: 256 CPU, 4096 memory. '
                     'See the Amazon ECS documentation for the valid values.', web_task_definition, ecs=self.ecs,
                     family='fg-web', image=self.v1, memory=4096, launch='fargate')
        self.refused('ClientException', 'When networkMode=awsvpc, the host ports and container ports in port '
                     'mappings must match.', web_task_definition, ecs=self.ecs, family='fg-web', image=self.v1,
                     launch='fargate', extra={'portMappings': [{'containerPort': 8080, 'hostPort': 80}]})
        self.assertEqual(self.ecs.describe_task_definition(taskDefinition='fg-web')['taskDefinition']['revision'], 1)

    def test_3_refusals(self):
        ecs, elb = self.ecs, self.elb
        self.refused('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' "
                     "is specified.", ecs.create_service, cluster=CLUSTER, serviceName='web', taskDefinition='fg-web',
                     desiredCount=1)
        self.refused('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is '
                     'not supported. Remove one and try again.', ecs.create_service, cluster=CLUSTER,
                     serviceName='web', taskDefinition='fg-web', desiredCount=1, launchType='FARGATE',
                     capacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}],
                     networkConfiguration=FARGATE_NETWORK)
        lb = elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
        listener = elb.describe_listeners(LoadBalancerArn=lb['LoadBalancerArn'])['Listeners'][0]['ListenerArn']
        tg = elb.create_target_group(Name='fg-instance', Protocol='HTTP', Port=8080, VpcId=lb['VpcId'],
                                     TargetType='instance')['TargetGroups'][0]['TargetGroupArn']
        elb.create_rule(ListenerArn=listener, Priority=90, Actions=[{'Type': 'forward', 'TargetGroupArn': tg}],
                        Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': ['inst.localhost']}}])
        self.refused('InvalidParameterException', f'The provided target group {tg} has target type instance, which '
                     'is incompatible with the awsvpc network mode specified in the task definition.',
                     ecs.create_service, cluster=CLUSTER, serviceName='web', taskDefinition='fg-web', desiredCount=1,
                     networkConfiguration=FARGATE_NETWORK,
                     loadBalancers=[{'targetGroupArn': tg, 'containerName': 'web', 'containerPort': 8080}])
        self.refused('InvalidParameterException', 'Network Configuration is not valid for the given networkMode of '
                     'this task definition.', ecs.run_task, cluster=CLUSTER, launchType='EC2',
                     taskDefinition=web_task_definition(ecs, 'bridge-web', self.v1)['taskDefinitionArn'],
                     networkConfiguration=FARGATE_NETWORK)
        self.assertEqual(ecs.list_services(cluster=CLUSTER)['serviceArns'], [])

    def test_3b_back_to_the_launch_type(self):
        """A service moved from launchType EC2 to the FARGATE provider goes back to EC2 by an
        update with an empty strategy (ECS: "Pass an empty list in the capacityProviderStrategy
        parameter"); an empty strategy on a service of a launch type changes nothing."""
        ecs = self.ecs
        bridge = web_task_definition(ecs, 'bridge-web', self.v1)['taskDefinitionArn']
        s = ecs.create_service(cluster=CLUSTER, serviceName='moving', taskDefinition=bridge, desiredCount=0,
                               launchType='EC2')['service']
        self.assertEqual((s['launchType'], s.get('capacityProviderStrategy')), ('EC2', None))
        s = ecs.update_service(cluster=CLUSTER, service='moving', taskDefinition='fg-web', forceNewDeployment=True,
                               capacityProviderStrategy=[{'capacityProvider': 'FARGATE', 'weight': 1}],
                               networkConfiguration=FARGATE_NETWORK)['service']
        self.assertEqual(s['capacityProviderStrategy'], [{'capacityProvider': 'FARGATE', 'weight': 1, 'base': 0}])
        self.assertNotIn('launchType', s)
        s = ecs.update_service(cluster=CLUSTER, service='moving', taskDefinition=bridge, forceNewDeployment=True,
                               capacityProviderStrategy=[])['service']
        self.assertEqual((s['launchType'], s.get('capacityProviderStrategy'), s.get('platformVersion')),
                         ('EC2', None, None))
        self.assertEqual(s['deployments'][0]['launchType'], 'EC2')
        s = ecs.update_service(cluster=CLUSTER, service='moving', capacityProviderStrategy=[])['service']
        self.assertEqual((s['launchType'], s.get('capacityProviderStrategy')), ('EC2', None))
        ecs.delete_service(cluster=CLUSTER, service='moving')

    def test_4_service_behind_ip_target_group(self):
        ecs, elb = self.ecs, self.elb
        lb = elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
        listener = elb.describe_listeners(LoadBalancerArn=lb['LoadBalancerArn'])['Listeners'][0]['ListenerArn']
        tg = elb.create_target_group(
            Name='fg-web', Protocol='HTTP', Port=8080, VpcId=lb['VpcId'], TargetType='ip',
            HealthCheckPath='/cgi-bin/check', HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=2, UnhealthyThresholdCount=2)['TargetGroups'][0]['TargetGroupArn']
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {'Key': 'deregistration_delay.timeout_seconds', 'Value': '2'}])
        elb.create_rule(ListenerArn=listener, Priority=10, Actions=[{'Type': 'forward', 'TargetGroupArn': tg}],
                        Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': [HOST]}}])
        s = ecs.create_service(cluster=CLUSTER, serviceName='web', taskDefinition='fg-web', desiredCount=2,
                               networkConfiguration=FARGATE_NETWORK,
                               loadBalancers=[{'targetGroupArn': tg, 'containerName': 'web', 'containerPort': 8080}],
                               deploymentConfiguration={'minimumHealthyPercent': 100, 'maximumPercent': 200})['service']
        # no launch type asked: the cluster's default strategy, Fargate's LATEST
        self.assertNotIn('launchType', s)
        self.assertEqual(s['capacityProviderStrategy'], [{'capacityProvider': 'FARGATE', 'weight': 1, 'base': 0}])
        self.assertEqual(s['platformVersion'], 'LATEST')
        self.assertEqual(s['networkConfiguration'], FARGATE_NETWORK)
        self.assertEqual(s['deployments'][0]['platformVersion'], '1.4.0')
        self.assertEqual(s['deployments'][0]['capacityProviderStrategy'], s['capacityProviderStrategy'])

        ecs.get_waiter('services_stable').wait(cluster=CLUSTER, services=['web'], WaiterConfig=WAIT)
        # live once the targets are healthy
        wait_rollout(ecs, 'web', s['taskDefinition'], cluster=CLUSTER)
        tasks = self.tasks('web')
        self.assertEqual(len(tasks), 2)
        ecs.get_waiter('tasks_running').wait(cluster=CLUSTER, tasks=[t['taskArn'] for t in tasks], WaiterConfig=WAIT)
        ips = set()
        for t in tasks:
            self.assertEqual((t['launchType'], t['capacityProviderName'], t['platformVersion']),
                             ('FARGATE', 'FARGATE', '1.4.0'))
            self.assertNotIn('containerInstanceArn', t)
            status, details = eni(t)
            self.assertEqual(status, 'ATTACHED')
            self.assertEqual(details['subnetId'], 'subnet-0a1b2c3d4e5f60718')
            self.assertRegex(details['networkInterfaceId'], r'^eni-[0-9a-f]{17}$')
            self.assertRegex(details['macAddress'], r'^([0-9a-f]{2}:){5}[0-9a-f]{2}$')
            ip = details['privateIPv4Address']
            self.assertEqual(details['privateDnsName'], 'ip-' + ip.replace('.', '-') + '.ec2.internal')
            c = t['containers'][0]
            self.assertEqual(c['networkBindings'], [])
            self.assertEqual(c['networkInterfaces'], [{'attachmentId': t['attachments'][0]['id'],
                                                       'privateIpv4Address': ip}])
            # the address the task shows is the one that answers
            self.assertTrue((direct(ip) or '').startswith('v1 '), ip)
            ips.add(ip)
        self.assertEqual(len(ips), 2)
        health = elb.describe_target_health(TargetGroupArn=tg)['TargetHealthDescriptions']
        self.assertEqual(sorted((h['Target']['Id'], h['Target']['Port'], h['TargetHealth']['State']) for h in health),
                         sorted((ip, 8080, 'healthy') for ip in ips))
        status, body = get(self.eng.router_port, HOST)
        self.assertEqual(status, 200, body)
        self.assertTrue(body.startswith('v1 '), body)
        c = ecs.describe_clusters(clusters=[CLUSTER], include=['STATISTICS'])['clusters'][0]
        self.assertEqual({s['name']: s['value'] for s in c['statistics']}['runningFargateTasksCount'], '2')
        self.assertEqual({s['name']: s['value'] for s in c['statistics']}['activeFargateServiceCount'], '1')
        self.__class__.tg, self.__class__.ips = tg, ips

        # a provider a service uses cannot go
        self.refused('ResourceInUseException', 'The specified capacity provider is in use and cannot be removed.',
                     ecs.put_cluster_capacity_providers, cluster=CLUSTER, capacityProviders=['FARGATE_SPOT'],
                     defaultCapacityProviderStrategy=[])

    def test_5_rolling_update(self):
        ecs, elb = self.ecs, self.elb
        old = [t['taskArn'] for t in self.tasks('web')]
        td2 = web_task_definition(ecs, 'fg-web', self.v2, health=False, launch='fargate')
        s = ecs.update_service(cluster=CLUSTER, service='web', taskDefinition=td2['taskDefinitionArn'])['service']
        self.assertEqual([d['status'] for d in s['deployments']], ['PRIMARY', 'ACTIVE'])
        self.assertEqual(s['deployments'][0]['platformVersion'], '1.4.0')
        self.assertEqual(s['deployments'][0]['networkConfiguration'], FARGATE_NETWORK)
        ecs.get_waiter('services_stable').wait(cluster=CLUSTER, services=['web'], WaiterConfig=WAIT)
        ecs.get_waiter('tasks_stopped').wait(cluster=CLUSTER, tasks=old, WaiterConfig=WAIT)
        s = wait_rollout(ecs, 'web', td2['taskDefinitionArn'], cluster=CLUSTER)
        self.assertEqual(s['taskDefinition'], td2['taskDefinitionArn'])
        new_ips = {eni(t)[1]['privateIPv4Address'] for t in self.tasks('web')}
        for ip in new_ips:
            self.assertTrue((direct(ip) or '').startswith('v2 '), ip)
        # the old targets drained away; only the new addresses are in the target group
        wait_for('only the new targets', lambda: {h['Target']['Id'] for h in elb.describe_target_health(
            TargetGroupArn=self.tg)['TargetHealthDescriptions']} == new_ips or None, timeout=30)
        for _ in range(6):
            status, body = get(self.eng.router_port, HOST)
            self.assertEqual(status, 200, body)
            self.assertTrue(body.startswith('v2 '), body)
        for t in ecs.describe_tasks(cluster=CLUSTER, tasks=old)['tasks']:
            status, details = eni(t)
            self.assertEqual(status, 'DELETED')
            self.assertIn(details['privateIPv4Address'], self.ips)

    def test_6_run_task(self):
        ecs = self.ecs
        td = web_task_definition(ecs, 'fg-job', self.v1, health=False, launch='fargate')
        self.refused('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' "
                     "is specified.", ecs.run_task, cluster=CLUSTER, taskDefinition='fg-job', launchType='FARGATE')
        self.refused('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is '
                     'not supported. Remove one and try again.', ecs.run_task, cluster=CLUSTER,
                     taskDefinition='fg-job', launchType='FARGATE', networkConfiguration=FARGATE_NETWORK,
                     capacityProviderStrategy=[{'capacityProvider': 'FARGATE_SPOT', 'weight': 1}])
        r = ecs.run_task(cluster=CLUSTER, taskDefinition=td['taskDefinitionArn'], launchType='FARGATE',
                         networkConfiguration=FARGATE_NETWORK, overrides={'containerOverrides': [
                             {'name': 'web', 'command': ['sh', '-c', 'echo migrated; exit 0']}]})
        self.assertEqual(r['failures'], [])
        t = r['tasks'][0]
        self.assertEqual((t['launchType'], t['platformVersion']), ('FARGATE', '1.4.0'))
        self.assertNotIn('capacityProviderName', t)
        status, details = eni(t)
        self.assertEqual((status, details), ('PRECREATED', {'subnetId': 'subnet-0a1b2c3d4e5f60718'}))
        ecs.get_waiter('tasks_stopped').wait(cluster=CLUSTER, tasks=[t['taskArn']], WaiterConfig=WAIT)
        t = ecs.describe_tasks(cluster=CLUSTER, tasks=[t['taskArn']])['tasks'][0]
        self.assertEqual(t['containers'][0]['exitCode'], 0)
        self.assertEqual(t['stopCode'], 'EssentialContainerExited')
        self.assertEqual(eni(t)[0], 'DELETED')

        # a task's containers share its network interface: a second one reaches the first on localhost
        pair = ecs.register_task_definition(
            family='fg-pair', networkMode='awsvpc', requiresCompatibilities=['FARGATE'], cpu='256', memory='512',
            executionRoleArn=EXECUTION_ROLE, containerDefinitions=[
                {'name': 'web', 'image': self.v1, 'essential': False, 'portMappings': [{'containerPort': 8080}]},
                {'name': 'probe', 'image': self.v1, 'command': [
                    'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/ && exit 0; '
                    'sleep 0.5; done; exit 1']}])['taskDefinition']
        r = ecs.run_task(cluster=CLUSTER, taskDefinition=pair['taskDefinitionArn'], launchType='FARGATE',
                         networkConfiguration=FARGATE_NETWORK)
        ecs.get_waiter('tasks_stopped').wait(cluster=CLUSTER, tasks=[r['tasks'][0]['taskArn']], WaiterConfig=WAIT)
        t = ecs.describe_tasks(cluster=CLUSTER, tasks=[r['tasks'][0]['taskArn']])['tasks'][0]
        probe = [c for c in t['containers'] if c['name'] == 'probe'][0]
        self.assertEqual(probe['exitCode'], 0, t)
        self.assertEqual({c['networkInterfaces'][0]['privateIpv4Address'] for c in t['containers']},
                         {eni(t)[1]['privateIPv4Address']})

        # on FARGATE_SPOT through a strategy
        r = ecs.run_task(cluster=CLUSTER, taskDefinition='fg-job', networkConfiguration=FARGATE_NETWORK,
                         capacityProviderStrategy=[{'capacityProvider': 'FARGATE_SPOT', 'weight': 1}])
        t = r['tasks'][0]
        self.assertEqual((t['launchType'], t['capacityProviderName']), ('FARGATE', 'FARGATE_SPOT'))
        ecs.get_waiter('tasks_running').wait(cluster=CLUSTER, tasks=[t['taskArn']], WaiterConfig=WAIT)
        ecs.stop_task(cluster=CLUSTER, task=t['taskArn'])
        ecs.get_waiter('tasks_stopped').wait(cluster=CLUSTER, tasks=[t['taskArn']], WaiterConfig=WAIT)

    def test_7_capacity(self):
        """A Fargate size beyond what the engine has left: Fargate's capacity message."""
        ecs = self.ecs
        web_task_definition(ecs, 'fg-big', self.v1, health=False, launch='fargate', cpu='1024', memory=8192)
        r = ecs.run_task(cluster=CLUSTER, taskDefinition='fg-big', launchType='FARGATE',
                         networkConfiguration=FARGATE_NETWORK)
        self.assertEqual(r['tasks'], [])
        self.assertEqual(r['failures'], [{'reason': 'Capacity is unavailable at this time. Please try again later '
                                                    'or in a different availability zone'}])

    def test_8_teardown(self):
        ecs = self.ecs
        ecs.update_service(cluster=CLUSTER, service='web', desiredCount=0)
        ecs.delete_service(cluster=CLUSTER, service='web')
        ecs.get_waiter('services_inactive').wait(cluster=CLUSTER, services=['web'], WaiterConfig=WAIT)
        # with no service on it, a provider can go
        c = ecs.put_cluster_capacity_providers(cluster=CLUSTER, capacityProviders=['FARGATE_SPOT'],
                                               defaultCapacityProviderStrategy=[])['cluster']
        self.assertEqual(c['capacityProviders'], ['FARGATE_SPOT'])


if __name__ == '__main__':
    unittest.main()
