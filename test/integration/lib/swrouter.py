"""Helpers for the load balancer / router / logs tests (test/integration/router).

They drive a private slipway-engine (swengine.Engine) with boto3's elbv2, ecs and logs
clients and send HTTP through the engine's router (HAProxy) on eng.router_port.

    with Engine(registry=False) as eng:
        img = app_image(eng, 'v1')
        lb = LoadBalancedApp(eng, 'demo', img)     # target group, rule demo.localhost, service
        lb.wait_healthy(1)
        status, body = get(eng.router_port, 'demo.localhost')
"""
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from swengine import wait_for

# The test app: busybox httpd on 8080 answering "<version> <hostname>" on /, its health on
# /cgi-bin/check (status chosen at build time), "slow <version>" after SLOW seconds on
# /cgi-bin/slow, the request's headers on /cgi-bin/env. SIGTERM ends it at once.
CHECK = '#!/bin/sh\nprintf "Status: %s\\r\\nContent-Type: text/plain\\r\\n\\r\\ncheck\\n"\n'
SLOW = '#!/bin/sh\nsleep %s\nprintf "Content-Type: text/plain\\r\\n\\r\\nslow %s\\n"\n'
ENV = '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nenv | grep -E "^(HTTP_|REMOTE_ADDR)" | sort\n'
START = ('#!/bin/sh\necho "%s $(hostname)" > /www/index.html\n'
         "trap 'exit 0' TERM\nhttpd -f -p 8080 -h /www &\nwait\n")
LINES = ('#!/bin/sh\n# numbered lines on stdout (a pause every EVERY lines), then stay up\n'
         'trap "exit 0" TERM\ni=1\nwhile [ $i -le %(count)d ]; do echo "line $i of %(count)d"; '
         'if [ $((i %% %(every)d)) -eq 0 ]; then usleep %(pause_us)d; fi; i=$((i+1)); done\n'
         'while :; do sleep 1; done\n')


def build_image(eng, name, files, dockerfile):
    """Build name from files ({path: text}, made executable) and dockerfile (removed when eng stops)."""
    ctx = tempfile.mkdtemp(dir=eng.tmp)
    for path, text in dict(files, Dockerfile=dockerfile).items():
        os.makedirs(os.path.dirname(os.path.join(ctx, path)), exist_ok=True)
        with open(os.path.join(ctx, path), 'w') as f:
            f.write(text)
        os.chmod(os.path.join(ctx, path), 0o755)
    r = subprocess.run(['docker', 'build', '-q', '-t', name, ctx], capture_output=True, text=True,
                       env=dict(os.environ, DOCKER_BUILDKIT='0'))
    shutil.rmtree(ctx, ignore_errors=True)
    if r.returncode:
        raise AssertionError(f'docker build {name}: {r.stderr}')
    eng.images.append(name)
    return name


def app_image(eng, version, check_status=200, slow_seconds=4, start=None):
    """Build the test app as <prefix>/lbapp:<version> (removed when eng stops); start: another
    start.sh (a % version format)."""
    files = {
        'www/cgi-bin/check': CHECK % check_status,
        'www/cgi-bin/slow': SLOW % (slow_seconds, version),
        'www/cgi-bin/env': ENV,
        'start.sh': (start or START) % version,
    }
    return build_image(eng, f'{eng.tag_prefix}/lbapp:{version}', files,
                       'FROM slipway/busybox:latest\nCOPY www /www\nCOPY start.sh /start.sh\n'
                       'CMD ["/bin/sh", "/start.sh"]\n')


def lines_image(eng, count, every=1000000, pause=0.0):
    """An image printing `count` numbered lines ("line i of count"), pausing `pause`
    seconds every `every` lines, then idling until SIGTERM (for the logs tests)."""
    return build_image(eng, f'{eng.tag_prefix}/lines:{count}-{every}',
                       {'lines.sh': LINES % {'count': count, 'every': every, 'pause_us': int(pause * 1e6)}},
                       'FROM slipway/busybox:latest\nCOPY lines.sh /lines.sh\nCMD ["/bin/sh", "/lines.sh"]\n')


def get(port, host, path='/', timeout=10):
    """GET through the router with a Host header: (status, body) or (None, error)."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request('GET', path, headers={'Host': host, 'Connection': 'close'})
        r = conn.getresponse()
        return r.status, r.read().decode(errors='replace').strip()
    except (OSError, http.client.HTTPException) as e:
        return None, repr(e)
    finally:
        conn.close()


def raw(port, data, timeout=10):
    """Send raw bytes to the router; the status line's code (or None)."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(data)
        out = b''
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
    line = out.split(b'\r\n', 1)[0].split()
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else None


class Load:
    """A bounded load loop through the router (new connection per request).

    Records every answer: (t, status, body). stop() ends it; failures() lists the
    requests that did not answer 200.
    """

    def __init__(self, port, host, path='/', max_requests=2000, interval=0.02):
        self.port, self.host, self.path = port, host, path
        self.max_requests, self.interval = max_requests, interval
        self.results = []
        self._stop = threading.Event()
        self._th = threading.Thread(target=self._run, daemon=True)
        self._th.start()

    def _run(self):
        while not self._stop.is_set() and len(self.results) < self.max_requests:
            t = time.time()
            status, body = get(self.port, self.host, self.path)
            self.results.append((t, status, body))
            time.sleep(self.interval)

    def stop(self):
        self._stop.set()
        self._th.join(timeout=30)
        return self

    def failures(self):
        return [r for r in self.results if r[1] != 200]

    def versions(self):
        """The versions answering, in order of first appearance."""
        seen = []
        for _, status, body in self.results:
            v = body.split(' ')[0] if status == 200 else None
            if v and v not in seen:
                seen.append(v)
        return seen


class LoadBalancedApp:
    """A target group for the app, a host-header rule on the engine's listener, and an
    ECS service with the load balancer. Health checks as fast as ALB allows (5 s, 2)."""

    def __init__(self, eng, name, image, desired=1, priority=10, grace=0, circuit_breaker=False,
                 drain_seconds=None, host=None):
        self.eng = eng
        self.name = name
        self.host = host or f'{name}.localhost'
        self.elb = eng.client('elbv2')
        self.ecs = eng.client('ecs')
        lb = self.elb.describe_load_balancers(Names=['slipway'])['LoadBalancers'][0]
        self.lb_arn = lb['LoadBalancerArn']
        self.listener = self.elb.describe_listeners(LoadBalancerArn=self.lb_arn)['Listeners'][0]['ListenerArn']
        self.tg = self.elb.create_target_group(
            Name=name, Protocol='HTTP', Port=8080, VpcId='vpc-test', TargetType='instance',
            HealthCheckPath='/cgi-bin/check', HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=2, UnhealthyThresholdCount=2, Matcher={'HttpCode': '200'},
        )['TargetGroups'][0]['TargetGroupArn']
        if drain_seconds is not None:
            self.elb.modify_target_group_attributes(TargetGroupArn=self.tg, Attributes=[
                {'Key': 'deregistration_delay.timeout_seconds', 'Value': str(drain_seconds)}])
        self.rule = self.elb.create_rule(
            ListenerArn=self.listener, Priority=priority,
            Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': [self.host]}}],
            Actions=[{'Type': 'forward', 'TargetGroupArn': self.tg}])['Rules'][0]['RuleArn']
        self.taskdef = self.register(image)
        deployment = {'minimumHealthyPercent': 100, 'maximumPercent': 200}
        if circuit_breaker:
            deployment['deploymentCircuitBreaker'] = {'enable': True, 'rollback': True}
        self.ecs.create_service(
            serviceName=name, taskDefinition=self.taskdef, desiredCount=desired,
            loadBalancers=[{'targetGroupArn': self.tg, 'containerName': 'web', 'containerPort': 8080}],
            healthCheckGracePeriodSeconds=grace, deploymentConfiguration=deployment)

    def register(self, image):
        return self.ecs.register_task_definition(family=self.name, containerDefinitions=[{
            'name': 'web', 'image': image, 'memory': 32, 'stopTimeout': 3, 'essential': True,
            'portMappings': [{'containerPort': 8080, 'hostPort': 0}],
        }])['taskDefinition']['taskDefinitionArn']

    def health(self):
        """[(port, state, reason)] of the target group's targets."""
        out = self.elb.describe_target_health(TargetGroupArn=self.tg)['TargetHealthDescriptions']
        return sorted((d['Target']['Port'], d['TargetHealth']['State'], d['TargetHealth'].get('Reason'))
                      for d in out)

    def wait_healthy(self, n, timeout=90):
        return wait_for(f'{n} healthy targets in {self.name}',
                        lambda: (lambda h: h if len([x for x in h if x[1] == 'healthy']) == n else None)(self.health()),
                        timeout=timeout)

    def service(self):
        return self.ecs.describe_services(services=[self.name])['services'][0]

    def update(self, image):
        self.taskdef = self.register(image)
        self.ecs.update_service(service=self.name, taskDefinition=self.taskdef)
        return self.taskdef
