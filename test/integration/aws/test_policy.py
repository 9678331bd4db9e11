"""slipwayd's IAM policy against slipwayd's code: the policy file (scripts/aws/slipwayd-policy.json)
allows exactly the AWS operations the code calls, the template's managed policy
(scripts/aws/slipway.yml) holds the same actions as the file, and every action is a real one.

The operations are read from the C sources outside engine/ (the engine serves AWS, it does
not call it), cli/ (the CLI runs with the operator's own credentials) and test/: every call
of a function named *call whose second argument is a service literal, the pattern of
common/aws/client.h (sw_aws_call(aws, "ecs", "DescribeServices", ...)) and of its wrappers
(sw_runenv_call(e, "elbv2", "CreateRule", ...), teardown's call(e, "ecr", "ListImages", ...)).
The operation argument must hold string literals (a ternary of two is two operations): one
that is a variable fails here, so a new call cannot slip past.
"""
import fnmatch
import json
import os
import re
import unittest

import botocore.session
from cfnlint.decode import cfn_yaml

ROOT = os.environ.get('SW_ROOT') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
TEMPLATE = os.path.join(ROOT, 'scripts', 'aws', 'slipway.yml')
POLICY = os.path.join(ROOT, 'scripts', 'aws', 'slipwayd-policy.json')

# Top-level folders whose code is not slipwayd's (build folders and dot folders are skipped too).
NOT_SLIPWAYD = {'engine', 'cli', 'test'}

# slipway's service names (common/aws/endpoint.c) -> IAM action prefixes.
IAM_PREFIX = {'ecs': 'ecs', 'ecr': 'ecr', 'elbv2': 'elasticloadbalancing', 'logs': 'logs',
              'cloudformation': 'cloudformation', 'sts': 'sts', 'iam': 'iam', 'acm': 'acm'}

# Actions no operation name shows, each required as long as its evidence is in the code.
IMPLICIT = [
    # A task definition that names an execution (or task) role passes it to ECS, and so
    # does a service whose load balancer names the role ECS shifts traffic with.
    (['iam:PassRole'], 'a task definition or a service names a role', r'"(?:executionRoleArn|taskRoleArn|roleArn)"'),
    # ECS authorizes tags given at creation (CreateService, RegisterTaskDefinition) as
    # ecs:TagResource with ecs:CreateAction.
    (['ecs:TagResource'], 'ECS resources are created with tags', r'"tags"\s*,\s*"key"'),
    # The builder pushes images through the Docker engine with ECR's token: the registry
    # API is authorized as these actions.
    (['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload', 'ecr:PutImage'], 'images are pushed to the registry', r'/images/%s/push'),
    # ... and reads manifests (image reuse per tree, the pushed digest): BatchGetImage.
    (['ecr:BatchGetImage'], 'manifests are read from the registry', r'/v2/%s/manifests/'),
]

# Calls slipwayd makes that its own policy does not authorize: the credential chain's STS
# calls for a role profile (common/aws/client.c's STS caller) are allowed by the role's
# trust policy and the source identity's own policy, never by slipwayd's.
NOT_SLIPWAYDS_POLICY = {'sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity'}

_CALL = re.compile(r'\b(\w*call)\s*\(\s*((?:[^(),"]|\([^()]*\))+),\s*"(%s)"\s*,' % '|'.join(IAM_PREFIX))


def strip_comments(text):
    """C source without comments (newlines kept, so line numbers stay), strings intact."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append('\n' * text.count('\n', i, j))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def _argument(text, start):
    """The argument that starts at text[start]: up to the ',' or ')' that ends it."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == '\\' else 1
        elif c == '(':
            depth += 1
        elif c == ')':
            if depth == 0:
                break
            depth -= 1
        elif c == ',' and depth == 0:
            break
        i += 1
    return text[start:i]


def calls_in(text):
    """[(service, operation or None, line)] of the AWS calls in C source text (None: the
    operation is not a literal)."""
    text = strip_comments(text)
    out = []
    for m in _CALL.finditer(text):
        line = text.count('\n', 0, m.start()) + 1
        arg = _argument(text, m.end())
        ops = re.findall(r'"([^"\\]*)"', arg)
        if not ops:
            out.append((m.group(3), None, line))
        for op in ops:
            out.append((m.group(3), op, line))
    return out


def slipwayd_sources():
    for top in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, top)
        if (top in NOT_SLIPWAYD or top.startswith('.') or not os.path.isdir(path)
                or os.path.exists(os.path.join(path, 'CMakeCache.txt'))):   # a build folder
            continue
        for d, dirs, files in os.walk(path):
            dirs[:] = sorted(x for x in dirs if not x.startswith('.'))
            for f in sorted(files):
                if f.endswith(('.c', '.h')):
                    yield os.path.join(d, f)


def code_calls():
    """({'ecs:CreateService': ['releaser/deploy.c:292', ...]}, [unresolved 'file:line'], all text)."""
    found, unresolved, texts = {}, [], []
    for path in slipwayd_sources():
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        texts.append(strip_comments(text))
        rel = os.path.relpath(path, ROOT)
        for service, op, line in calls_in(text):
            if op is None:
                unresolved.append(f'{rel}:{line} ({service})')
            else:
                found.setdefault(f'{IAM_PREFIX[service]}:{op}', []).append(f'{rel}:{line}')
    return found, unresolved, '\n'.join(texts)


def policy_actions(doc):
    out = set()
    for st in doc['Statement']:
        acts = st['Action']
        out.update([acts] if isinstance(acts, str) else acts)
    return out


class Policy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.calls, cls.unresolved, cls.code = code_calls()
        with open(POLICY) as f:
            cls.file = json.load(f)
        cls.template = cfn_yaml.load(TEMPLATE)
        cls.stack_doc = cls.template['Resources']['SlipwaydPolicy']['Properties']['PolicyDocument']

    def test_extractor(self):
        """The extraction itself: comments skipped, ternaries and multi-line calls read,
        a variable operation reported, non-calls ignored."""
        src = '''
            /* sw_aws_call(aws, "ecs", "InComment", p, &r); */
            // call(e, "ecs", "InLineComment", p);
            ret = sw_runenv_call(e, "ecs", exists ? "UpdateService" : "CreateService", req, &resp, &code, NULL);
            r = call(e,
                     "elbv2", "DescribeRules", json_pack("{s:s}", "ListenerArn", str(l, "ListenerArn")), &rs);
            sw_runenv_call(&ls->e, "logs", "FilterLogEvents", req, &resp, NULL, NULL);
            sw_aws_call(aws, "ecr", op, req, &res);
            { "ecs", "ECS", "ECS", "ecs", "ecs", "ecs", SW_AWS_JSON },
            const char *s = "sw_aws_call(a, \\"ecs\\", \\"InString\\", p)";
        '''
        got = [(s, o) for s, o, _ in calls_in(src)]
        self.assertEqual(got, [('ecs', 'UpdateService'), ('ecs', 'CreateService'), ('elbv2', 'DescribeRules'),
                               ('logs', 'FilterLogEvents'), ('ecr', None)])

    def test_every_call_names_its_operation(self):
        self.assertEqual(self.unresolved, [], 'AWS calls whose operation is not a string literal: '
                         'write the operation names out (or teach this test the new pattern)')

    def test_code_calls_real_operations(self):
        session = botocore.session.get_session()
        back = {v: k for k, v in IAM_PREFIX.items()}
        for action, where in sorted(self.calls.items()):
            prefix, op = action.split(':')
            model = session.get_service_model(back[prefix])
            self.assertIn(op, model.operation_names, f'{action} ({where[0]}) is not an operation of {back[prefix]}')

    def test_policy_file_allows_exactly_what_slipwayd_calls(self):
        expected = {a: f'called at {", ".join(w[:3])}' for a, w in self.calls.items()
                    if a not in NOT_SLIPWAYDS_POLICY}
        lost = []
        for actions, why, evidence in IMPLICIT:
            if re.search(evidence, self.code):
                for a in actions:
                    expected.setdefault(a, f'implicit: {why}')
            else:
                lost.append(f'{actions} ("{why}": /{evidence}/ is no longer in the code)')
        allowed = policy_actions(self.file)
        missing = sorted(f'{a} ({expected[a]})' for a in set(expected) - allowed)
        extra = sorted(allowed - set(expected))
        self.assertEqual((missing, extra), ([], []),
                         f'\nslipwayd calls but the policy does not allow: {missing}'
                         f'\nthe policy allows but slipwayd never calls: {extra}'
                         + (f'\nimplicit actions whose reason is gone: {lost}' if lost else ''))
        self.assertGreater(len(self.calls), 30, 'the extraction found too few calls: has the calling pattern changed?')

    def test_fits_a_managed_policy(self):
        """IAM takes managed policies of up to 6,144 characters, whitespace not counted."""
        self.assertLess(len(re.sub(r'\s', '', json.dumps(self.file))), 6144)

    def test_no_wildcard_actions(self):
        for doc in (self.file, self.stack_doc):
            for a in policy_actions(doc):
                self.assertNotIn('*', a, f'{a}: the policy names every action it allows')

    def test_template_policy_holds_the_file_actions(self):
        """Statement by statement: same Sid, effect, actions and condition keys; each of
        the template's resources (resolved with sample stack values) within the file's."""
        file_st = {s['Sid']: s for s in self.file['Statement']}
        stack_st = {s['Sid']: s for s in self.stack_doc['Statement']}
        self.assertEqual(sorted(file_st), sorted(stack_st))
        self.assertEqual(policy_actions(self.file), policy_actions(self.stack_doc))
        sample = {
            'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012',
            'AWS::StackName': 'slipway', 'Cluster': 'slipway',
            'HttpListener': 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/slipway-LoadB-1X2Y3Z/'
                            '0123456789abcdef/1111111111111111',
            'HttpsListener': 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/slipway-LoadB-1X2Y3Z/'
                             '0123456789abcdef/2222222222222222',
            ('Cluster', 'Arn'): 'arn:aws:ecs:eu-west-1:123456789012:cluster/slipway',
            ('ExecutionRole', 'Arn'): 'arn:aws:iam::123456789012:role/slipway-ExecutionRole-ABC',
            ('LoadBalancerRole', 'Arn'): 'arn:aws:iam::123456789012:role/slipway-LoadBalancerRole-DEF',
        }

        def resolve(v, conditions, names=None):
            """The value of v, a template expression, for this sample stack."""
            names = names or {}
            r = lambda x: resolve(x, conditions, names)
            if isinstance(v, list):
                return [r(x) for x in v]
            if not isinstance(v, dict):
                return v
            (fn, arg), = v.items() if len(v) == 1 else ((None, None),)
            if fn == 'Ref':
                return sample[arg]
            if fn == 'Fn::GetAtt':
                return sample[tuple(arg)]
            if fn == 'Fn::If':
                return r(arg[1] if conditions[arg[0]] else arg[2])
            if fn == 'Fn::Select':
                return r(arg[1])[int(arg[0])]
            if fn == 'Fn::Split':
                return r(arg[1]).split(arg[0])
            if fn == 'Fn::Sub':
                text, more = (arg, {}) if isinstance(arg, str) else (arg[0], {k: r(x) for k, x in arg[1].items()})
                return re.sub(r'\$\{([^}]+)\}', lambda m: more.get(m.group(1)) or sample[m.group(1)], text)
            return {k: r(x) for k, x in v.items()}

        def as_list(v):
            return v if isinstance(v, list) else [v]

        for sid, fs in file_st.items():
            ss = stack_st[sid]
            self.assertEqual(fs['Effect'], ss['Effect'], sid)
            self.assertEqual(sorted(as_list(fs['Action'])), sorted(as_list(ss['Action'])), sid)
            keys = lambda st: sorted(k for kv in st.get('Condition', {}).values() for k in kv)
            self.assertEqual(keys(fs), keys(ss), f'{sid}: condition keys')
            for https in (False, True):
                for r in as_list(resolve(ss['Resource'], {'HasCertificate': https})):
                    self.assertTrue(any(fnmatch.fnmatchcase(r, p) for p in as_list(fs['Resource'])),
                                    f'{sid}: the stack\'s {r} is outside the file\'s {fs["Resource"]}')

    def test_actions_are_iam_actions(self):
        """Every action exists in IAM's service authorization data (cfn-lint's copy)."""
        import cfnlint.data.AdditionalSpecs as specs
        with open(os.path.join(os.path.dirname(specs.__file__), 'Policies.json')) as f:
            iam = json.load(f)
        for a in sorted(policy_actions(self.file)):
            prefix, name = a.split(':')
            self.assertIn(name.lower(), iam[prefix]['Actions'], f'{a} is not an IAM action')


if __name__ == '__main__':
    unittest.main()
