"""The credential chain's role profiles, web identity and credential_process, end to end:
`slipway aws sts GetCallerIdentity` (cli/cmd_aws.c) against moto_server's STS, every
request through the validating proxy. moto hands out real-looking temporary keys for
AssumeRole and AssumeRoleWithWebIdentity and its GetCallerIdentity names the assumed role
of the key a request was signed with, so the answer proves which credentials were used;
the proxy shows which keys signed which request (and that the web identity call was not
signed at all).

Refreshing an assumed role before it expires, and the line when it cannot be, run on an
injected clock in test/unit/aws/test_provider.c (moto's roles last an hour)."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from swaws import binary
from swmoto import ACCOUNT, REGION, Moto
from swvalidate import Validator

CONFIG = f"""
[profile base]
aws_access_key_id = AKIABASE
aws_secret_access_key = basesecret

[profile deploy]
role_arn = arn:aws:iam::{ACCOUNT}:role/deployer
source_profile = base
role_session_name = bootstrap
external_id = shop-ext
duration_seconds = 1800

[profile chained]
role_arn = arn:aws:iam::{ACCOUNT}:role/second
source_profile = deploy

[profile fromenv]
role_arn = arn:aws:iam::{ACCOUNT}:role/envrole
credential_source = Environment

[profile self]
role_arn = arn:aws:iam::{ACCOUNT}:role/selfrole
source_profile = self
aws_access_key_id = AKIASELF
aws_secret_access_key = selfsecret

[profile loop1]
role_arn = arn:aws:iam::{ACCOUNT}:role/one
source_profile = loop2

[profile loop2]
role_arn = arn:aws:iam::{ACCOUNT}:role/two
source_profile = loop1

[profile both]
role_arn = arn:aws:iam::{ACCOUNT}:role/x
source_profile = base
credential_source = Environment

[profile mfa]
role_arn = arn:aws:iam::{ACCOUNT}:role/x
source_profile = base
mfa_serial = arn:aws:iam::{ACCOUNT}:mfa/me

[profile web]
role_arn = arn:aws:iam::{ACCOUNT}:role/webrole
web_identity_token_file = {{token}}
role_session_name = from-profile

[profile sso]
sso_session = corp
sso_account_id = {ACCOUNT}
sso_role_name = Admin

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = {REGION}
"""

CREDS_SCRIPT = """#!/bin/sh
# a credential_process: prints Version 1 JSON; the first argument picks the answer
case "$1" in
  good) [ "$3" = 'two "quoted" words' ] || { echo "bad arguments: $*" >&2; exit 9; }
        printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "procsecret", "SessionToken": "proctoken", "Expiration": "2099-01-01T00:00:00Z"}\\n' "$2" ;;
  v2) echo '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "B"}' ;;
  fail) echo "no session for $2: run the login first" >&2; exit 3 ;;
esac
"""


def akid_of(call):
    auth = dict(call.headers).get('Authorization') or next((v for k, v in call.headers if k.lower() == 'authorization'), '')
    m = re.search(r'Credential=([^/]+)/', auth)
    return m.group(1) if m else None


class RoleProfiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='sw-roles-', dir=os.environ.get('SW_TEST_TMP'))
        self.token = os.path.join(self.tmp, 'web token')
        with open(self.token, 'w') as f:
            f.write('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzbGlwd2F5In0.c2lnbmF0dXJl\n')
        self.script = os.path.join(self.tmp, 'creds dir', 'creds.sh')
        os.makedirs(os.path.dirname(self.script))
        with open(self.script, 'w') as f:
            f.write(CREDS_SCRIPT)
        os.chmod(self.script, stat.S_IRWXU)
        self.config = os.path.join(self.tmp, 'config')
        quoted = self.script.replace('creds dir', 'creds\\ dir')
        with open(self.config, 'w') as f:
            f.write(CONFIG.replace('{token}', self.token) +
                    f'\n[profile proc]\ncredential_process = "{self.script}" good \'AKIA\'"PROC" "two \\"quoted\\" words"\n'
                    f'\n[profile procv2]\ncredential_process = {quoted} v2\n'
                    f'\n[profile procfail]\ncredential_process = {quoted} fail me\n')
        self.v = Validator(self.moto.endpoint)

    def tearDown(self):
        self.v.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.v.assert_clean()

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update({'HOME': self.tmp, 'AWS_REGION': REGION, 'AWS_CONFIG_FILE': self.config,
                    'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.tmp, 'no-credentials'),
                    'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_ENDPOINT_URL': self.v.url})
        env.update(extra)
        return env

    def whoami(self, *args, **env):
        r = subprocess.run([binary('slipway'), 'aws', *args, 'sts', 'GetCallerIdentity'], env=self.env(**env),
                           capture_output=True, text=True, timeout=60)
        return r, (json.loads(r.stdout) if r.returncode == 0 else None)

    def signers(self):
        return [(c.operation, akid_of(c)) for c in self.v.calls('sts')]

    def test_assume_role_with_a_source_profile(self):
        r, who = self.whoami(AWS_PROFILE='deploy')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(who['Arn'], f'arn:aws:sts::{ACCOUNT}:assumed-role/deployer/bootstrap')
        (op1, key1), (op2, key2) = self.signers()
        self.assertEqual((op1, key1), ('AssumeRole', 'AKIABASE'))
        self.assertEqual(op2, 'GetCallerIdentity')
        self.assertNotIn(key2, ('AKIABASE', None))
        params = self.v.calls('sts', 'AssumeRole')[0].params
        self.assertEqual(params, {'RoleArn': f'arn:aws:iam::{ACCOUNT}:role/deployer', 'RoleSessionName': 'bootstrap',
                                  'ExternalId': 'shop-ext', 'DurationSeconds': 1800})
        get = self.v.calls('sts', 'GetCallerIdentity')[0]
        self.assertTrue(any(k.lower() == 'x-amz-security-token' for k, _ in get.headers), 'the session token is sent')

    def test_chained_roles_and_a_default_session_name(self):
        r, who = self.whoami(AWS_PROFILE='chained')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(re.fullmatch(rf'arn:aws:sts::{ACCOUNT}:assumed-role/second/slipway-[0-9]+', who['Arn']), who)
        ops = self.signers()
        self.assertEqual([o for o, _ in ops], ['AssumeRole', 'AssumeRole', 'GetCallerIdentity'])
        self.assertEqual(ops[0][1], 'AKIABASE')
        self.assertNotEqual(ops[1][1], 'AKIABASE', 'the second role is assumed with the first one\'s keys')
        roles = [c.params['RoleArn'].split('/')[-1] for c in self.v.calls('sts', 'AssumeRole')]
        self.assertEqual(roles, ['deployer', 'second'])

    def test_credential_source_and_a_profile_of_its_own_keys(self):
        # --profile wins over the environment's keys (they become the role's source)
        r, who = self.whoami('--profile', 'fromenv', AWS_ACCESS_KEY_ID='AKIAENV', AWS_SECRET_ACCESS_KEY='envsecret')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(who['Arn'].split('/')[1], 'envrole')
        self.assertEqual(self.signers()[0], ('AssumeRole', 'AKIAENV'))
        # without --profile the environment's keys come first, as in the SDKs
        self.v.clear()
        r, who = self.whoami(AWS_PROFILE='fromenv', AWS_ACCESS_KEY_ID='AKIAENV', AWS_SECRET_ACCESS_KEY='envsecret')
        self.assertEqual(self.signers(), [('GetCallerIdentity', 'AKIAENV')])
        # a profile that is its own source uses its own keys for the role
        self.v.clear()
        r, who = self.whoami(AWS_PROFILE='self')
        self.assertEqual(who['Arn'].split('/')[1], 'selfrole')
        self.assertEqual(self.signers()[0], ('AssumeRole', 'AKIASELF'))

    def test_web_identity(self):
        # from the environment (as EKS sets it): unsigned, the token from the file
        r, who = self.whoami(AWS_WEB_IDENTITY_TOKEN_FILE=self.token, AWS_ROLE_ARN=f'arn:aws:iam::{ACCOUNT}:role/pods',
                             AWS_ROLE_SESSION_NAME='pod-1')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(who['Arn'], f'arn:aws:sts::{ACCOUNT}:assumed-role/pods/pod-1')
        (op1, key1), (op2, key2) = self.signers()
        self.assertEqual((op1, key1), ('AssumeRoleWithWebIdentity', None), 'AssumeRoleWithWebIdentity is not signed')
        self.assertIsNotNone(key2)
        call = self.v.calls('sts', 'AssumeRoleWithWebIdentity')[0]
        self.assertEqual(call.params['WebIdentityToken'], 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzbGlwd2F5In0.c2lnbmF0dXJl')
        # from the profile
        self.v.clear()
        r, who = self.whoami(AWS_PROFILE='web')
        self.assertEqual(who['Arn'], f'arn:aws:sts::{ACCOUNT}:assumed-role/webrole/from-profile')
        # a token file that is not there: one line
        r, _ = self.whoami(AWS_PROFILE='web', AWS_WEB_IDENTITY_TOKEN_FILE=self.token + '.gone')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"slipway aws: sts GetCallerIdentity: AWS profile 'web': role arn:aws:iam::{ACCOUNT}"
                                   f":role/webrole: web_identity_token_file {self.token}.gone: No such file or "
                                   'directory\n')

    def test_credential_process(self):
        r, who = self.whoami(AWS_PROFILE='proc')
        self.assertEqual(r.returncode, 0, r.stderr)
        # the quoted path with its space, the quoted pieces of one word and the quoted words
        # with their escaped quotes each came to the program as one argument (shlex's rules)
        self.assertEqual(self.signers(), [('GetCallerIdentity', 'AKIAPROC')])
        get = self.v.calls('sts', 'GetCallerIdentity')[0]
        self.assertIn(('X-Amz-Security-Token', 'proctoken'), [(k.title(), v) for k, v in get.headers])
        r, _ = self.whoami(AWS_PROFILE='procfail')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"slipway aws: sts GetCallerIdentity: AWS profile 'procfail': credential_process "
                                   f'{self.script}: exited with 3: no session for me: run the login first\n')
        r, _ = self.whoami(AWS_PROFILE='procv2')
        self.assertEqual(r.returncode, 1)
        self.assertIn("AWS profile 'procv2': credential_process: unsupported Version 2 (slipway reads Version 1)",
                      r.stderr)

    def test_refusals_are_one_line_and_send_nothing(self):
        cases = {
            'sso': "AWS profile 'sso' uses SSO (sso_session), which slipway does not support: after `aws sso login "
                   "--profile sso`, use a profile with credential_process = aws configure export-credentials "
                   "--profile sso --format process",
            'mfa': "AWS profile 'mfa' asks for an MFA code (mfa_serial), which slipway cannot prompt for",
            'both': "AWS profile 'both' has both source_profile and credential_source: keep one",
            'loop1': "AWS profile 'loop2': source_profile 'loop1' makes a cycle",
        }
        for profile, want in cases.items():
            r, _ = self.whoami(AWS_PROFILE=profile)
            self.assertEqual(r.returncode, 1, profile)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(want, r.stderr)
        self.assertEqual(self.v.calls(), [])
        # STS refusing the role: its own line, with the profile and the role
        r, _ = self.whoami(AWS_PROFILE='deploy', AWS_ENDPOINT_URL_STS='http://127.0.0.1:1')
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"AWS profile 'deploy': role arn:aws:iam::{ACCOUNT}:role/deployer: sts AssumeRole: cannot "
                      'connect to http://127.0.0.1:1/', r.stderr)


if __name__ == '__main__':
    unittest.main()
