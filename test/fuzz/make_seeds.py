#!/usr/bin/env python3
"""Write the fuzzers' seeds, OUT/<harness>/<sha1>, from the unit tests' inline strings and
test/data/aws-sig-v4-test-suite, each cut the way its harness reads an input (the selector
byte and fields described at the top of test/fuzz/<harness>.c).

    python3 test/fuzz/make_seeds.py OUT     # rewrites OUT/<harness>/ for every harness

test/fuzz/run.sh runs it before each run (OUT = $build/fuzz-seeds), so the seeds follow the
unit tests and none are kept in the tree. The fuzzers keep what they find in their build
directory ($build/fuzz-corpus/), never in the tree either."""
import hashlib
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "test", "unit")
SUITE = os.path.join(ROOT, "test", "data", "aws-sig-v4-test-suite")
MAX_SEED = 16 * 1024

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'", "0": b"\0",
           "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v", "?": b"?"}


def c_string(body):
    """The bytes of a C string literal's body (between its quotes)."""
    out, i = bytearray(), 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = body[i + 1]
        if e == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", body[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        elif e in "01234567" and re.match(r"[0-7]{2,3}", body[i + 1:]):
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
        else:
            out += ESCAPES.get(e, e.encode())
            i += 2
    return bytes(out)


LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def statements(path):
    """Each statement (up to a ';') of a C file as (its text, its string literals), adjacent
    literals joined as the compiler joins them. Comments and #include lines are skipped."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"^\s*#\s*include.*$", "", text, flags=re.M)
    text = re.sub(r"//[^\n]*", "", text)
    for stmt in text.split(";"):
        lits, last_end = [], None
        for m in LITERAL.finditer(stmt):
            b = c_string(m.group(1))
            if last_end is not None and stmt[last_end:m.start()].strip() == "":
                lits[-1] += b
            else:
                lits.append(b)
            last_end = m.end()
        if lits:
            yield stmt, lits


def literals(*paths):
    seen = []
    for p in paths:
        for _, lits in statements(os.path.join(UNIT, p)):
            for b in lits:
                if b not in seen:
                    seen.append(b)
    return seen


def operations(service):
    """The operation names of a compiled model, in table order (the harnesses pick one by index)."""
    with open(os.path.join(ROOT, "common", "aws", service + "_model.c"), encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("operations[] = {"):]
    table = table[:table.index("};")]
    return re.findall(r'\{ "(\w+)",', table)


def write(out, harness, seeds):
    d = os.path.join(out, harness)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    n = 0
    for s in seeds:
        if len(s) > MAX_SEED:
            continue
        with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
        n += 1
    print(f"{harness}: {n} seeds")


def manifest():
    lits = literals("releaser/test_manifest.c", "releaser/test_manifest_read.c", "releaser/test_formation.c")
    dockerfiles = [b for b in lits if b.startswith(b"FROM") or b"\nFROM" in b]
    procfiles = [b for b in lits if re.match(rb"\s*(#[^\n]*\n)?\s*[A-Za-z0-9_-]+\s*:", b) and b"\n" in b
                 and not b.startswith(b"FROM")]
    memories = [b for b in lits if re.fullmatch(rb"[0-9.]+[A-Za-z]*", b)]
    seeds = [b"\x01" + p for p in procfiles] + [b"\x02" + d for d in dockerfiles]
    seeds += [b"\x00" + d + b"\0" + p for d in dockerfiles[:3] for p in procfiles]
    seeds += [b"\x03" + m + b"\0web" for m in memories]
    return seeds


def compose():
    files = [b for b in literals("releaser/test_compose.c", "releaser/test_manifest_read.c")
             if b"services" in b or b"x-slipway" in b]
    return [b"\x00" + f for f in files] + [b"\x01FROM x\nEXPOSE 9999\n\0" + f for f in files]


def dockerignore():
    lits = literals("builder/test_dockerignore.c", "builder/test_context.c")
    files = [b for b in lits if b"\n" in b]
    patterns = [b for b in lits if b"\n" not in b and len(b) < 100]
    paths = b"\n".join(patterns[:60])
    seeds = [f + b"\0" + paths for f in files]
    # each short pattern as a one-line file, matched against the others
    seeds += [patterns[i] + b"\n\0" + b"\n".join(patterns[i + 1:i + 6]) for i in range(len(patterns))]
    return seeds


def sigv4():
    seeds = []
    for dirpath, _, names in sorted(os.walk(SUITE)):
        for n in sorted(names):
            with open(os.path.join(dirpath, n), "rb") as f:
                text = f.read()
            if n.endswith(".sreq"):   # signed: verified as they are, for both protocols
                seeds += [b"\x00" + text, b"\x03" + text]
                if b"X-Amz-Security-Token" in text:
                    seeds.append(b"\x08" + text)
            elif n.endswith(".req"):  # unsigned: signed first, then verified
                seeds += [b"\x04" + text, b"\x0c" + text]
    return seeds


def aws_query():
    ops = {"elbv2": operations("elbv2"), "cloudformation": operations("cloudformation"),
           "sts": operations("sts")}
    model_bits = {"elbv2": 0, "cloudformation": 1, "sts": 2}
    seeds = []
    for path, model in (("aws/test_query.c", "elbv2"), ("aws/test_stack.c", "cloudformation"),
                        ("aws/test_credentials.c", "sts"), ("aws/test_provider.c", "sts")):
        for b in literals(path):
            if b.startswith(b"Action="):
                seeds.append(b"\x00" + b)
            elif b.lstrip().startswith(b"<"):
                if b"<ErrorResponse" in b or b"<Errors>" in b:
                    seeds.append(b"\x02" + b)
                m = re.search(rb"<(\w+)Response", b)
                if m and m.group(1).decode() in ops[model]:
                    op = ops[model].index(m.group(1).decode())
                    seeds.append(bytes([1 | model_bits[model] << 2, op]) + b)
    # what slipway's releaser sends and reads most (names from botocore's elbv2 model)
    seeds += [b"\x00" + f for f in (
        b"Action=CreateTargetGroup&Version=2015-12-01&Name=sw-hello-web&Protocol=HTTP&Port=8080&VpcId=vpc-1"
        b"&TargetType=ip&HealthCheckPath=%2Fcheck&HealthCheckIntervalSeconds=5&Matcher.HttpCode=200-299",
        b"Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=arn%3Aaws%3Atg%2F1"
        b"&Targets.member.1.Id=10.0.0.7&Targets.member.1.Port=32768&Targets.member.2.Id=10.0.0.8",
        b"Action=CreateRule&Version=2015-12-01&ListenerArn=l-1&Priority=10"
        b"&Conditions.member.1.Field=host-header&Conditions.member.1.HostHeaderConfig.Values.member.1=hello.localhost"
        b"&Actions.member.1.Type=forward&Actions.member.1.TargetGroupArn=tg-1",
        b"Action=ModifyTargetGroupAttributes&Version=2015-12-01&TargetGroupArn=tg-1"
        b"&Attributes.member.1.Key=deregistration_delay.timeout_seconds&Attributes.member.1.Value=5",
        b"Action=AddTags&Version=2015-12-01&ResourceArns.member.1=tg-1&Tags.member.1.Key=app&Tags.member.1.Value=x")]
    elbv2 = ops["elbv2"]
    for op, xml in (
            ("DescribeTargetHealth", b"<DescribeTargetHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/"
             b"doc/2015-12-01/\"><DescribeTargetHealthResult><TargetHealthDescriptions><member><Target><Id>10.0.0.7</Id>"
             b"<Port>32768</Port></Target><HealthCheckPort>32768</HealthCheckPort><TargetHealth><State>unhealthy</State>"
             b"<Reason>Target.ResponseCodeMismatch</Reason><Description>Health checks failed with these codes: [404]"
             b"</Description></TargetHealth></member></TargetHealthDescriptions></DescribeTargetHealthResult>"
             b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeTargetHealthResponse>"),
            ("DescribeLoadBalancers", b"<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers>"
             b"<member><LoadBalancerArn>lb-1</LoadBalancerArn><DNSName>x.localhost</DNSName><CreatedTime>"
             b"2026-01-02T03:04:05.000Z</CreatedTime><State><Code>active</Code></State><AvailabilityZones><member>"
             b"<ZoneName>local</ZoneName></member></AvailabilityZones></member></LoadBalancers>"
             b"<NextMarker>m</NextMarker></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>"),
            ("DescribeTargetGroupAttributes", b"<DescribeTargetGroupAttributesResponse><DescribeTargetGroupAttributesResult>"
             b"<Attributes><member><Key>stickiness.enabled</Key><Value>false</Value></member></Attributes>"
             b"</DescribeTargetGroupAttributesResult></DescribeTargetGroupAttributesResponse>")):
        seeds.append(bytes([1, elbv2.index(op)]) + xml)
    seeds.append(b"\x02<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error>"
                 b"<Type>Sender</Type><Code>TargetGroupNotFound</Code><Message>One or more target groups not found"
                 b"</Message></Error><RequestId>r-2</RequestId></ErrorResponse>")
    seeds.append(b"\x02<Response><Errors><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
                 b"</Errors><RequestID>r-3</RequestID></Response>")
    return seeds


def engine_input():
    ops = {"ecs": operations("ecs"), "ecr": operations("ecr"), "logs": operations("logs")}
    seeds = []
    for stmt, lits in statements(os.path.join(UNIT, "engine/api/test_shape.c")):
        if len(lits) >= 2 and lits[0].decode() in ops["ecs"] and lits[1].startswith(b"{"):
            seeds.append(bytes([0, ops["ecs"].index(lits[0].decode())]) + lits[1])
    for stmt, lits in statements(os.path.join(UNIT, "engine/logs/test_filter_pattern.c")):
        if "matches(" in stmt and len(lits) == 2:
            seeds.append(b"\x03" + lits[0] + b"\0" + lits[1])
    for op, body in (("RegisterTaskDefinition", b'{"family":"web","containerDefinitions":[{"name":"web",'
                      b'"image":"127.0.0.1:5000/hello@sha256:00","memory":128,"portMappings":'
                      b'[{"containerPort":8080}],"environment":[{"name":"PORT","value":"8080"}]}]}'),
                     ("UpdateService", b'{"cluster":"slipway","service":"hello-web","taskDefinition":"web:3",'
                      b'"desiredCount":2,"deploymentConfiguration":{"maximumPercent":200,'
                      b'"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}'),
                     ("DescribeServices", b'{"cluster":"slipway","services":["hello-web"]}')):
        seeds.append(bytes([0, ops["ecs"].index(op)]) + body)
    seeds.append(bytes([1, ops["ecr"].index("GetAuthorizationToken")]) + b"{}")
    seeds.append(bytes([1, ops["ecr"].index("CreateRepository")]) + b'{"repositoryName":"hello"}')
    seeds.append(bytes([2, ops["logs"].index("GetLogEvents")]) +
                 b'{"logGroupName":"/slipway/hello","logStreamName":"web/web/abc","startFromHead":true,"limit":10}')
    seeds.append(bytes([2, ops["logs"].index("FilterLogEvents")]) +
                 b'{"logGroupName":"/slipway/hello","filterPattern":"ERROR -debug","startTime":0}')
    for hosts, paths, matcher in (([b"demo.localhost", b"*.demo.localhost"], [b"/api/*", b"/v?"], b"200-299"),
                                  ([b"a.localhost"], [], b"200,302"), ([], [b"/x$y+z"], b"200")):
        seeds.append(bytes([4, len(hosts) | len(paths) << 4]) + b"".join(f + b"\0" for f in hosts + paths) + matcher)
    return seeds


def api_json():
    cmds = {b"config": 0, b"scale": 1, b"rollback": 2}
    seeds = []
    for b in literals("releaser/test_command.c", "releaser/test_appconfig.c", "releaser/test_formation.c"):
        m = re.search(rb'"command": "(\w+)"', b)
        if b.startswith(b"{") and m and m.group(1) in cmds:
            seeds.append(bytes([cmds[m.group(1)] << 2 | 0]) + b)
    seeds += [b"\x01" + b for b in (
        b'{"command": ["sh", "-c", "exit 3"], "process": "web", "env": {"K": "V", "DATABASE_URL": "x"}}',
        b'{"command": ["bin/migrate"]}', b'{"command": [], "process": "web"}',
        b'{"command": ["ls"], "env": {"1BAD": "x"}}')]
    seeds += [b"\x02" + b for b in (
        b'{"name": "hello"}', b'{"url": "https://example.com/hook", "events": "build.*,release.live"}',
        b'{"limit": 5, "idle": "7d"}', b'{"idle": "off"}', b'{"idle": "12h"}')]
    return seeds


def names():
    seeds = []
    for b in literals("receiver/test_app.c"):
        seeds.append(b"\x00\x00" + b)
    a40, b40, z40 = b"4f2a1c9e0b8d7a6f5e4d3c2b1a09f8e7d6c5b4a3", b"77e0c1a00000000000000000000000000000beef", b"0" * 40
    for line in (a40 + b" " + b40 + b" refs/heads/main", z40 + b" " + a40 + b" refs/heads/feature/x",
                 a40 + b" " + z40 + b" refs/tags/v12", z40 + b" " + a40 + b" refs/tags/review/x/v3",
                 a40 + b" " + b40 + b" refs/heads/a..b", b"a" * 64 + b" " + b"b" * 64 + b" refs/heads/sha256"):
        seeds.append(b"\x01\x00" + line)
    for b in literals("common/test_gitref.c"):
        if b.startswith(b"refs/") or b.startswith(b" refs/"):
            seeds.append(b"\x01\x00" + b.strip())
    for b in literals("releaser/test_review.c"):
        if len(b) < 80 and b"\n" not in b:
            seeds.append(b"\x02\x20" + b)
    for b in literals("receiver/test_request.c", "receiver/test_auth.c", "common/test_time.c"):
        if len(b) < 200:
            seeds.append(b"\x03\x00" + b)
    return seeds


def credentials():
    seeds = []
    for b in literals("cli/test_netrc.c"):
        seeds.append(b"\x00127.0.0.1\0" + b)
    for b in literals("aws/test_profile.c", "aws/test_credentials.c", "aws/test_endpoint.c"):
        if b"[" in b and b"=" in b:
            seeds.append(b"\x01" + b)
    procs = literals("aws/test_process.c")
    commands = [b for b in procs if not b.startswith(b"{") and len(b) < 100]
    outputs = [b for b in procs if b.startswith(b"{")]
    for i, o in enumerate(outputs):
        seeds.append(b"\x02" + commands[i % len(commands)] + b"\0" + o)
    return seeds


def cgi():
    return [b for b in literals("receiver/test_cgi.c") if b"\n" in b]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py OUT (the folder that gets one folder of seeds per harness)")
    if not os.path.isdir(UNIT):
        sys.exit("make_seeds.py: test/unit is missing beside test/fuzz")
    out = sys.argv[1]
    for name, make in (("fuzz_manifest", manifest), ("fuzz_compose", compose), ("fuzz_dockerignore", dockerignore),
                       ("fuzz_sigv4", sigv4), ("fuzz_aws_query", aws_query), ("fuzz_engine_input", engine_input),
                       ("fuzz_api_json", api_json), ("fuzz_names", names), ("fuzz_credentials", credentials),
                       ("fuzz_cgi", cgi)):
        seeds = []
        for s in make():
            if s not in seeds:
                seeds.append(s)
        write(out, name, seeds)


if __name__ == "__main__":
    main()
