"""A validating proxy for AWS requests, for the integration tests.

It sits between an AWS client (slipwayd, the slipway CLI, boto3, the AWS CLI) and its AWS
endpoint (slipway-engine or moto_server): the client's endpoint URL is the proxy's. Every
request is forwarded unchanged (method, path, headers -- Host included: the engine checks
SigV4 over the Host the client signed -- and body), its answer is passed back unchanged,
and the request is recorded and validated against botocore's INPUT shape for its
operation:

- JSON 1.1 (ECS, ECR, CloudWatch Logs): the operation from X-Amz-Target, the body a JSON
  object; Query (ELBv2, CloudFormation, STS, IAM): Action and Version from the form, the
  flattened members (Tags.member.1.Key, Attributes.member.2.Value, X.entry.1.key) parsed
  back into the shape, guided by the model; a parameter the shape has no place for is a
  violation, as botocore's own validator reports one;
- required members, types, enums, min AND max (lengths, counts and values) and `pattern`
  (botocore's ParamValidator checks neither max nor pattern). Patterns are matched whole,
  as the services match them ("failed to satisfy constraint: Member must satisfy regular
  expression pattern"); Java's \\p{L}, \\p{Z}, \\p{N} classes are translated;
- documented limits the models do not carry (RULES below): target group and load
  balancer names, ECS family/service/cluster/container names and references, tags,
  listener rule priorities, CloudWatch Logs group names (also in awslogs options);
- the protocol around it: Content-Type, the API Version, the SigV4 scope's service.

    with Validator(engine.endpoint) as v:          # strict: violations fail the block
        env['AWS_ENDPOINT_URL'] = v.url            # slipwayd / the CLI / boto3 talk to v.url
        ...
        v.operations()    # ['ecs:RegisterTaskDefinition', 'elbv2:CreateRule', ...]
        v.calls('elbv2', 'CreateRule')[0].params   # the decoded request, botocore-shaped
        v.violations()    # [Violation(service, operation, path, message), ...]

The answers are not judged: only what the client sends.
"""
import base64
import datetime
import gzip
import http.client
import http.server
import json
import re
import threading
import time
import unicodedata
import urllib.parse

import botocore.session

# Services a request may be for: slipway's name (botocore's) for each.
SERVICES = ('ecs', 'ecr', 'logs', 'elbv2', 'cloudformation', 'sts', 'iam')

# Request headers a proxy must not pass on as they are, and answer headers it recomputes.
_HOP = {'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'}
_ANSWER_SKIP = _HOP | {'transfer-encoding', 'content-length', 'server', 'date'}


class Violation:
    """One broken rule: the operation, the member path ("Tags[0].Key", "" for the request
    itself) and what is wrong."""

    def __init__(self, service, operation, path, message):
        self.service = service
        self.operation = operation
        self.path = path
        self.message = message

    def __str__(self):
        return f'{self.service} {self.operation} {self.path or "(request)"}: {self.message}'

    __repr__ = __str__

    def as_dict(self):
        return {'service': self.service, 'operation': self.operation, 'path': self.path,
                'message': self.message}


class Call:
    """One request that went through the proxy, and what came back."""

    def __init__(self, seq, method, path, headers, body):
        self.seq = seq
        self.time = time.time()
        self.method = method
        self.path = path
        self.headers = headers          # [(name, value)] as received
        self.body = body                # bytes as received
        self.service = None             # 'ecs', 'elbv2', ... (None: not an AWS API call)
        self.operation = None           # 'RegisterTaskDefinition'
        self.protocol = None            # 'json' or 'query'
        self.params = None              # the decoded input, botocore-shaped
        self.violations = []
        self.status = None              # the upstream's HTTP status (None: no answer)
        self.error_code = None          # its error code, if it answered one
        self.answer = b''

    @property
    def name(self):
        return f'{self.service}:{self.operation}'

    def __repr__(self):
        return f'<Call {self.seq} {self.name} -> {self.status} {self.error_code or ""}>'


# ---- patterns: the models' (Java) regular expressions in Python ---------------------------

_CATEGORY_RANGES = {}
_PATTERNS = {}


def _category_ranges(cat):
    """A character-class body for the Unicode general category cat ('L', 'N', 'Z', 'Lu'...)."""
    if not _CATEGORY_RANGES:
        found = {}
        for cp in range(0x110000):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            c = unicodedata.category(chr(cp))
            for key in (c[0], c):
                r = found.setdefault(key, [])
                if r and r[-1][1] == cp - 1:
                    r[-1][1] = cp
                else:
                    r.append([cp, cp])
        for key, ranges in found.items():
            _CATEGORY_RANGES[key] = ''.join(
                f'\\U{a:08x}' if a == b else f'\\U{a:08x}-\\U{b:08x}' for a, b in ranges)
    if cat not in _CATEGORY_RANGES:
        raise ValueError(f'unknown Unicode category \\p{{{cat}}}')
    return _CATEGORY_RANGES[cat]


def _translate(pattern):
    """Java regex -> Python: \\p{X} classes spelled out, a '-' right after a class escape
    inside [...] taken literally (Java reads [\\w-_] as \\w, '-', '_')."""
    out, i, in_class, after_class_escape = [], 0, False, False
    while i < len(pattern):
        c = pattern[i]
        if c == '\\' and i + 1 < len(pattern):
            n = pattern[i + 1]
            if n in 'pP' and pattern[i + 2:i + 3] == '{':
                end = pattern.index('}', i)
                if n == 'P':
                    raise ValueError('\\P{...} is not supported')
                body = _category_ranges(pattern[i + 3:end])
                out.append(body if in_class else f'[{body}]')
                i, after_class_escape = end + 1, True
                continue
            out.append(pattern[i:i + 2])
            i, after_class_escape = i + 2, n in 'wWdDsS'
            continue
        if c == '[' and not in_class:
            in_class = True
            out.append(c)
            i += 1
            if pattern[i:i + 1] == '^':
                out.append('^')
                i += 1
            after_class_escape = False
            continue
        if c == ']' and in_class:
            in_class = False
        elif c == '-' and in_class and after_class_escape:
            c = '\\-'
        out.append(c)
        after_class_escape = False
        i += 1
    return ''.join(out)


def _pattern(pattern):
    rx = _PATTERNS.get(pattern)
    if rx is None:
        rx = _PATTERNS[pattern] = re.compile(_translate(pattern), re.ASCII)
    return rx


# ---- documented limits the models do not carry ---------------------------------------------

_ECS_NAME = re.compile(r'[A-Za-z0-9_-]{1,255}', re.ASCII)
_ECS_ARN = r'arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:'
_ELB_NAME = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?', re.ASCII)
_LOG_GROUP = re.compile(r'[.\-_/#A-Za-z0-9]{1,512}', re.ASCII)


def _ecs_name(what):
    def check(v):
        if not _ECS_NAME.fullmatch(v):
            return f'{what} {v!r}: up to 255 letters, digits, hyphens and underscores'
        return None
    return check


def _ecs_ref(what, arn_kind):
    """A name, or the ARN of a resource of kind arn_kind (a regex for what follows the
    account: 'cluster/NAME', 'service/[CLUSTER/]NAME', 'task-definition/FAMILY:REV')."""
    arn = re.compile(_ECS_ARN + arn_kind, re.ASCII)

    def check(v):
        if v.startswith('arn:'):
            return None if arn.fullmatch(v) else f'{what} {v!r}: not a valid {what} ARN'
        return _ecs_name(what)(v)
    return check


def _task_definition_ref(v):
    if v.startswith('arn:'):
        ok = re.fullmatch(_ECS_ARN + r'task-definition/[A-Za-z0-9_-]{1,255}:[0-9]+', v, re.ASCII)
        return None if ok else f'task definition {v!r}: not a valid task definition ARN'
    if not re.fullmatch(r'[A-Za-z0-9_-]{1,255}(:[0-9]+)?', v, re.ASCII):
        return f'task definition {v!r}: want FAMILY or FAMILY:REVISION (up to 255 letters, digits, - and _)'
    return None


def _elb_name(what, internal_ok=True):
    def check(v):
        if len(v) > 32:
            return f'{what} {v!r} is {len(v)} characters long: at most 32'
        if not _ELB_NAME.fullmatch(v):
            return f'{what} {v!r}: only letters, digits and hyphens, not starting or ending with a hyphen'
        if '--' in v:   # CloudFormation's "cannot contain '--'"; the console and moto refuse it too
            return f'{what} {v!r} holds "--": no two hyphens in a row'
        if not internal_ok and v.startswith('internal-'):
            return f'{what} {v!r} may not start with "internal-"'
        return None
    return check


def _log_group(v):
    if len(v) > 512:
        return f'log group name is {len(v)} characters long: at most 512'
    if not _LOG_GROUP.fullmatch(v):
        return f'log group name {v!r}: only letters, digits and . - _ / #'
    return None


def _priority(v):
    if isinstance(v, str):
        if not v.isdigit():
            return f'rule priority {v!r} is not a number'
        v = int(v)
    if not 1 <= v <= 50000:
        return f'rule priority {v} is outside 1..50000'
    return None


# (service, operation regex, member path regex, check): check(value) -> message or None,
# for values of the member's modelled type. Paths: "a.b[0].c", map keys as "options[key]".
RULES = [
    ('ecs', r'RegisterTaskDefinition', r'family', _ecs_name('task definition family')),
    ('ecs', r'RegisterTaskDefinition', r'containerDefinitions\[\d+\]\.name', _ecs_name('container name')),
    ('ecs', r'RegisterTaskDefinition',
     r'containerDefinitions\[\d+\]\.logConfiguration\.options\[awslogs-group\]', _log_group),
    ('ecs', r'CreateService', r'serviceName', _ecs_name('service name')),
    ('ecs', r'CreateCluster', r'clusterName', _ecs_name('cluster name')),
    ('ecs', r'.*', r'cluster|clusters\[\d+\]', _ecs_ref('cluster', r'cluster/[A-Za-z0-9_-]{1,255}')),
    ('ecs', r'.*', r'service|services\[\d+\]',
     _ecs_ref('service', r'service/(?:[A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255}')),
    ('ecs', r'.*', r'taskDefinition', _task_definition_ref),
    ('elbv2', r'CreateRule', r'Priority', _priority),
    ('elbv2', r'SetRulePriorities', r'RulePriorities\[\d+\]\.Priority', _priority),
]

# (service, shape name, check): for every value of that shape, wherever it appears.
SHAPE_RULES = [
    ('elbv2', 'TargetGroupName', _elb_name('target group name')),
    ('elbv2', 'LoadBalancerName', _elb_name('load balancer name', internal_ok=False)),
    ('logs', 'LogGroupName', _log_group),
]

MAX_TAGS = 50


def _check_tags(tags, path):
    """tags: [(key, value, member path of the key, of the value)] of one request member.
    [(path, message)] for what AWS refuses."""
    out = []
    if len(tags) > MAX_TAGS:
        out.append((path, f'{len(tags)} tags: at most {MAX_TAGS} per resource'))
    for key, value, kpath, vpath in tags:
        if not isinstance(key, str):
            continue
        if len(key) > 128:
            out.append((kpath, f'tag key {key[:20]!r}... is {len(key)} characters long: at most 128'))
        if key.lower().startswith('aws:'):
            out.append((kpath, f'tag key {key!r}: the aws: prefix is reserved'))
        if isinstance(value, str) and len(value) > 256:
            out.append((vpath, f'tag value of {key!r} is {len(value)} characters long: at most 256'))
    return out


def _tag_pairs(shape, value, path):
    """The tags when shape is a tag list (structures named *Tag* with a key member) or a
    tag map, as _check_tags wants them; else None."""
    if shape.type_name == 'list' and shape.member.type_name == 'structure' and isinstance(value, list):
        names = {n.lower(): n for n in shape.member.members}
        if 'tag' in shape.member.name.lower() and 'key' in names:
            k, v = names['key'], names.get('value')
            return [(t.get(k), t.get(v) if v else None, f'{path}[{i}].{k}', f'{path}[{i}].{v}')
                    for i, t in enumerate(value) if isinstance(t, dict)]
    if shape.type_name == 'map' and shape.name.lower() in ('tags', 'tagmap', 'tagsmap') and isinstance(value, dict):
        return [(k, v, f'{path}[{k}]', f'{path}[{k}]') for k, v in value.items()]
    return None


# ---- the models -----------------------------------------------------------------------------

class Models:
    """botocore's service models, and how to tell which one a request is for."""

    def __init__(self, services=SERVICES):
        session = botocore.session.get_session()
        self.models = {s: session.get_service_model(s) for s in services}
        self.by_target = {}
        self.by_query = {}
        for name, m in self.models.items():
            if m.protocol == 'json':
                self.by_target[m.metadata['targetPrefix']] = name
            elif m.protocol == 'query':
                for op in m.operation_names:
                    self.by_query[(m.api_version, op)] = name
        self.rules = [(s, re.compile(o), re.compile(p), f) for s, o, p, f in RULES]
        self.shape_rules = {(s, n): f for s, n, f in SHAPE_RULES}

    def check(self, service, operation, params):
        """Violations of params (botocore-shaped input) for service's operation."""
        out = []
        m = self.models[service]
        if operation not in m.operation_names:
            return [Violation(service, operation, '', 'no such operation in the model')]
        shape = m.operation_model(operation).input_shape
        walker = _Walker(self, service, operation, out)
        if shape is None:
            if params:
                out.append(Violation(service, operation, '', 'the operation takes no input'))
            return out
        walker.walk(shape, params, '')
        return out


def _join(path, member):
    return f'{path}.{member}' if path else member


class _Walker:
    def __init__(self, models, service, operation, out):
        self.models = models
        self.service = service
        self.operation = operation
        self.out = out

    def bad(self, path, message):
        self.out.append(Violation(self.service, self.operation, path, message))

    def walk(self, shape, value, path):
        if value is None:
            return
        t = shape.type_name
        check = getattr(self, 'walk_' + t, None)
        if check is None:
            return
        before = len(self.out)
        if check(shape, value, path) is False:
            return
        if any(v.path == path for v in self.out[before:]):
            return   # one complaint per value: the model's own constraint said it
        for service, op, rx, fn in self.models.rules:
            if service == self.service and op.fullmatch(self.operation) and rx.fullmatch(path):
                msg = fn(value)
                if msg:
                    self.bad(path, msg)
        fn = self.models.shape_rules.get((self.service, shape.name))
        if fn:
            msg = fn(value)
            if msg:
                self.bad(path, msg)
        tags = _tag_pairs(shape, value, path)
        if tags is not None:
            for where, msg in _check_tags(tags, path):
                self.bad(where, msg)

    def _is(self, shape, value, path, kinds):
        """Is value of the Python type(s) kinds (bool is never a number)? Else report it."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)):
            return True
        self.bad(path, f'expected {shape.type_name} ({shape.name}), got {type(value).__name__}')
        return False

    def walk_structure(self, shape, value, path):
        if not self._is(shape, value, path, dict):
            return False
        if shape.metadata.get('document'):
            return True
        for name in shape.required_members:
            if value.get(name) is None:
                self.bad(_join(path, name), f'missing required member of {shape.name}')
        for name, v in value.items():
            member = shape.members.get(name)
            if member is None:
                self.bad(_join(path, name), f'unknown member: {shape.name} has no {name!r}')
                continue
            self.walk(member, v, _join(path, name))
        if shape.metadata.get('union'):
            set_ = [k for k, v in value.items() if v is not None]
            if len(set_) != 1:
                self.bad(path, f'{shape.name} is a union: exactly one member, not {len(set_)}')
        return True

    def _bounds(self, shape, n, path, what):
        lo, hi = shape.metadata.get('min'), shape.metadata.get('max')
        if lo is not None and n < lo:
            self.bad(path, f'{what} {n} is below the minimum {lo}')
        if hi is not None and n > hi:
            self.bad(path, f'{what} {n} is above the maximum {hi}')

    def walk_list(self, shape, value, path):
        if not self._is(shape, value, path, list):
            return False
        self._bounds(shape, len(value), path, 'list length')
        for i, v in enumerate(value):
            if v is None:
                self.bad(f'{path}[{i}]', 'null list element')
                continue
            self.walk(shape.member, v, f'{path}[{i}]')
        return True

    def walk_map(self, shape, value, path):
        if not self._is(shape, value, path, dict):
            return False
        self._bounds(shape, len(value), path, 'map size')
        for k, v in value.items():
            self.walk(shape.key, k, f'{path}[{k}]')
            self.walk(shape.value, v, f'{path}[{k}]')
        return True

    def walk_string(self, shape, value, path):
        if not self._is(shape, value, path, str):
            return False
        if shape.enum and value not in shape.enum:
            self.bad(path, f'{value!r} is not one of {shape.name}: {", ".join(shape.enum)}')
        self._bounds(shape, len(value), path, 'length')
        pattern = shape.metadata.get('pattern')
        if pattern is not None and not _pattern(pattern).fullmatch(value):
            self.bad(path, f'{value!r} does not match {shape.name}\'s pattern {pattern}')
        return True

    def _number(self, shape, value, path, kinds):
        if not self._is(shape, value, path, kinds):
            return False
        self._bounds(shape, value, path, 'value')
        return True

    def walk_integer(self, shape, value, path):
        return self._number(shape, value, path, int)

    walk_long = walk_integer

    def walk_double(self, shape, value, path):
        return self._number(shape, value, path, (int, float))

    walk_float = walk_double

    def walk_boolean(self, shape, value, path):
        return self._is(shape, value, path, bool)

    def walk_timestamp(self, shape, value, path):
        if not self._is(shape, value, path, (int, float, str, datetime.datetime)):
            return False
        if isinstance(value, str):
            try:
                datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
            except ValueError:
                self.bad(path, f'{value!r} is not an ISO 8601 timestamp')
                return False
        return True

    def walk_blob(self, shape, value, path):
        if isinstance(value, str):
            try:
                data = base64.b64decode(value, validate=True)
            except ValueError:
                self.bad(path, f'blob ({shape.name}) is not base64')
                return False
        elif isinstance(value, (bytes, bytearray)):
            data = value
        else:
            self.bad(path, f'expected a blob ({shape.name}), got {type(value).__name__}')
            return False
        self._bounds(shape, len(data), path, 'size')
        return True


# ---- Query protocol: flattened form -> the input shape ------------------------------------------

class _QueryParser:
    """Parses form parameters back into a botocore-shaped value, by the model (the inverse
    of botocore.serialize.QuerySerializer). Keys it has no place for are reported."""

    def __init__(self, service, operation, form, bad):
        self.service = service
        self.operation = operation
        self.form = form
        self.used = set()
        self.bad = bad                  # bad(path, message)

    def _has(self, key):
        return key in self.form or any(k.startswith(key + '.') for k in self.form)

    def parse(self, shape, key, path):
        t = shape.type_name
        if t == 'structure':
            return self.structure(shape, key, path)
        if t == 'list':
            return self.list(shape, key, path)
        if t == 'map':
            return self.map(shape, key, path)
        return self.scalar(shape, key, path)

    def structure(self, shape, prefix, path):
        out = {}
        if prefix and prefix in self.form:
            self.used.add(prefix)
            self.bad(path, f'{prefix}={self.form[prefix]!r}: {shape.name} is a structure, not a value')
        for name, member in shape.members.items():
            wire = member.serialization.get('name', name)
            key = f'{prefix}.{wire}' if prefix else wire
            if self._has(key):
                out[name] = self.parse(member, key, _join(path, name))
        return out

    def _items(self, list_prefix, path):
        """{index: key} of the elements under list_prefix (index from 1)."""
        found = {}
        for k in self.form:
            if not k.startswith(list_prefix + '.'):
                continue
            head = k[len(list_prefix) + 1:].split('.', 1)[0]
            if not head.isdigit() or head.startswith('0'):
                self.used.add(k)
                self.bad(path, f'{k}: list elements are numbered from 1')
                continue
            found[int(head)] = f'{list_prefix}.{head}'
        if found and sorted(found) != list(range(1, len(found) + 1)):
            self.bad(path, f'{list_prefix}: element numbers {sorted(found)} are not 1..{len(found)}')
        return found

    def list(self, shape, prefix, path):
        if prefix in self.form:
            self.used.add(prefix)
            if self.form[prefix] != '':
                self.bad(path, f'{prefix}={self.form[prefix]!r}: a list is sent as {prefix}.member.N')
            return []
        if shape.serialization.get('flattened'):
            list_prefix = prefix
            if shape.member.serialization.get('name'):
                list_prefix = '.'.join(prefix.split('.')[:-1] + [shape.member.serialization['name']])
        else:
            list_prefix = f'{prefix}.{shape.member.serialization.get("name", "member")}'
        items = self._items(list_prefix, path)
        return [self.parse(shape.member, items[i], f'{path}[{n}]') for n, i in enumerate(sorted(items))]

    def map(self, shape, prefix, path):
        kname = shape.key.serialization.get('name', 'key')
        vname = shape.value.serialization.get('name', 'value')
        entries = prefix if shape.serialization.get('flattened') else f'{prefix}.entry'
        out = {}
        for i in sorted(self._items(entries, path)):
            kkey = f'{entries}.{i}.{kname}'
            if kkey not in self.form:
                self.bad(path, f'{entries}.{i}: no {kname}')
                continue
            k = self.scalar(shape.key, kkey, path)
            out[k] = self.parse(shape.value, f'{entries}.{i}.{vname}', f'{path}[{k}]')
        return out

    def scalar(self, shape, key, path):
        if key not in self.form:
            self.bad(path, f'{key}: a {shape.type_name} is sent as one parameter')
            return None
        self.used.add(key)
        raw = self.form[key]
        t = shape.type_name
        try:
            if t in ('integer', 'long'):
                if not re.fullmatch(r'-?[0-9]+', raw):
                    raise ValueError
                return int(raw)
            if t in ('double', 'float'):
                return float(raw)
            if t == 'boolean':
                if raw not in ('true', 'false'):
                    raise ValueError
                return raw == 'true'
        except ValueError:
            self.bad(path, f'{key}={raw!r} is not a {t}')
            return None
        return raw   # string, timestamp (ISO 8601), blob (base64): the walker checks them


# ---- one request ----------------------------------------------------------------------------

def _header(headers, name):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _scope_service(headers):
    auth = _header(headers, 'authorization') or ''
    m = re.search(r'Credential=[^/,]+/[0-9]{8}/[^/,]+/([^/,]+)/aws4_request', auth)
    return m.group(1) if m else None


def _form(text, bad):
    form = {}
    for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True):
        if k in form:
            bad('', f'parameter {k} given twice')
        form[k] = v
    return form


def inspect(models, call):
    """Fill call.service/operation/protocol/params/violations from the raw request."""
    headers, body = call.headers, call.body
    if (_header(headers, 'content-encoding') or '').lower() == 'gzip':
        body = gzip.decompress(body)
    target = _header(headers, 'x-amz-target')
    ctype = (_header(headers, 'content-type') or '').split(';')[0].strip().lower()
    scope = _scope_service(headers)
    out = call.violations

    if target:
        prefix, _, op = target.partition('.')
        service = models.by_target.get(prefix)
        call.protocol, call.operation = 'json', op
        if service is None:
            call.service = prefix
            out.append(Violation(prefix, op, '', f'unknown X-Amz-Target {target!r}'))
            return
        call.service = service
        m = models.models[service]

        def bad(path, message):
            out.append(Violation(service, op, path, message))
        want = f'application/x-amz-json-{m.metadata.get("jsonVersion", "1.1")}'
        if ctype != want:
            bad('', f'Content-Type {ctype!r}: the JSON protocol wants {want}')
        try:
            params = json.loads(body.decode('utf-8') or '{}')
        except (UnicodeDecodeError, ValueError) as e:
            bad('', f'the body is not JSON: {e}')
            return
        if not isinstance(params, dict):
            bad('', 'the body is not a JSON object')
            return
    else:
        text = ''
        if call.method == 'POST' and ctype == 'application/x-www-form-urlencoded':
            text = body.decode('utf-8', 'replace')
        query = urllib.parse.urlsplit(call.path).query
        pending = []
        form = _form('&'.join(x for x in (query, text) if x), lambda p, msg: pending.append(msg))
        action, version = form.pop('Action', None), form.pop('Version', None)
        if not action:
            if _header(headers, 'authorization'):
                out.append(Violation(scope or '?', '?', '', 'a signed request with neither X-Amz-Target nor Action'))
            return   # not an API call (a health probe, a registry request...)
        service = models.by_query.get((version, action))
        call.protocol, call.operation = 'query', action
        if service is None:
            known = [s for (v, a), s in models.by_query.items() if a == action]
            call.service = known[0] if known else (scope or '?')
            out.append(Violation(call.service, action, '',
                                 f'Version {version!r} does not name a service with action {action}'))
            return
        call.service = service
        m = models.models[service]

        def bad(path, message):
            out.append(Violation(service, action, path, message))
        for msg in pending:
            bad('', msg)
        if call.method == 'POST' and ctype != 'application/x-www-form-urlencoded':
            bad('', f'Content-Type {ctype!r}: the Query protocol wants application/x-www-form-urlencoded')
        shape = m.operation_model(action).input_shape
        parser = _QueryParser(service, action, form, bad)
        params = parser.structure(shape, '', '') if shape is not None else {}
        for k in sorted(set(form) - parser.used):
            bad(k, f'parameter {k} has no place in {shape.name if shape else "the input"}')

    signing = m.metadata.get('signingName') or m.metadata.get('endpointPrefix')
    if scope and scope != signing:
        bad('', f'signed for service {scope!r}: {service} is signed as {signing!r}')
    call.params = params
    out.extend(models.check(service, call.operation, params))


def _error_code(call):
    if call.status is None or call.status < 300:
        return None
    text = call.answer.decode('utf-8', 'replace')
    try:
        doc = json.loads(text)
        code = doc.get('__type') or doc.get('code')
        return code.rsplit('#', 1)[-1] if code else None
    except (ValueError, AttributeError):
        m = re.search(r'<Code>([^<]+)</Code>', text)
        return m.group(1) if m else None


# ---- the proxy ------------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _body(self):
        """(the bytes to forward, the decoded body): a chunked body goes on as it came."""
        if (self.headers.get('Transfer-Encoding') or '').lower() == 'chunked':
            raw, data = bytearray(), bytearray()
            while True:
                line = self.rfile.readline()
                raw += line
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while line not in (b'\r\n', b'\n', b''):
                        line = self.rfile.readline()
                        raw += line
                    return bytes(raw), bytes(data)
                chunk = self.rfile.read(size + 2)
                raw += chunk
                data += chunk[:size]
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else b''
        return body, body

    def _any(self):
        v = self.server.validator
        raw, body = self._body()
        headers = list(self.headers.items())
        call = v._record(self.command, self.path, headers, body)
        status, reason, answer_headers, answer = v._forward(self.command, self.path, headers, raw)
        call.status = status
        call.answer = answer
        call.error_code = _error_code(call)
        if status is None:
            status, reason, answer_headers = 502, 'Bad Gateway', [('Content-Type', 'text/plain')]
        self.send_response_only(status, reason)
        for k, val in answer_headers:
            if k.lower() not in _ANSWER_SKIP:
                self.send_header(k, val)
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any


class Validator:
    """The proxy: Validator(upstream_url) starts it (a thread) on a free loopback port."""

    def __init__(self, upstream, strict=True, models=None, timeout=300):
        self.retarget(upstream)
        self.strict = strict
        self.timeout = timeout
        self.models = models or Models()
        self._lock = threading.Lock()
        self._calls = []
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.validator = self
        self.port = self.httpd.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def retarget(self, upstream):
        """Forward to upstream from now on (for a proxy started before its upstream, e.g.
        when the engine's port is chosen by a helper that also starts slipwayd)."""
        u = urllib.parse.urlsplit(upstream)
        if u.scheme not in ('http', 'https') or not u.hostname:
            raise ValueError(f'upstream {upstream!r}: want http(s)://host[:port]')
        self.upstream = upstream
        self._scheme, self._host = u.scheme, u.hostname
        self._port = u.port or (443 if u.scheme == 'https' else 80)

    # ---- what the tests read ---------------------------------------------------------------
    def calls(self, service=None, operation=None):
        """The API calls so far (oldest first), optionally of one service / operation."""
        with self._lock:
            out = list(self._calls)
        return [c for c in out if c.service and (service is None or c.service == service)
                and (operation is None or c.operation == operation)]

    def operations(self):
        """'service:Operation' of every API call so far, in order."""
        return [c.name for c in self.calls()]

    def violations(self):
        out = []
        for c in self.calls():
            out.extend(c.violations)
        return out

    def clear(self):
        with self._lock:
            self._calls = []

    def report(self):
        v = self.violations()
        return '\n'.join(str(x) for x in v) if v else 'no violations'

    def assert_clean(self):
        v = self.violations()
        if v:
            raise AssertionError(f'{len(v)} AWS request violation(s):\n' + '\n'.join(str(x) for x in v))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        self.close()
        if exc_type is None and self.strict:
            self.assert_clean()

    # ---- the proxy's work ------------------------------------------------------------------
    def _record(self, method, path, headers, body):
        with self._lock:
            call = Call(len(self._calls) + 1, method, path, headers, body)
        try:
            inspect(self.models, call)
        except Exception as e:   # the validator's own failure must show, not pass silently
            call.violations.append(Violation(call.service or '?', call.operation or '?', '',
                                             f'validator error: {type(e).__name__}: {e}'))
        if call.service or call.violations:
            with self._lock:
                self._calls.append(call)
        return call

    def _forward(self, method, path, headers, body):
        cls = http.client.HTTPSConnection if self._scheme == 'https' else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, val in headers:
                if k.lower() not in _HOP:
                    conn.putheader(k, val)
            conn.endheaders(body if body else None)
            r = conn.getresponse()
            answer = r.read()
            return r.status, r.reason, r.getheaders(), answer
        except OSError as e:
            return None, None, [], f'validator: upstream {self.upstream}: {e}\n'.encode()
        finally:
            conn.close()
