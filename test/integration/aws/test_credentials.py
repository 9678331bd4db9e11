"""The credential chain (common/aws/credentials.c) through sw-aws-testtool, with a local
HTTP server playing the ECS container endpoint and EC2 instance metadata (IMDSv2):
each source in turn, the precedence order, expiry and refresh on an injected clock, and
the one line that names what was tried when nothing is found."""
import datetime
import json
import os
import shutil
import tempfile
import threading
import unittest

from swaws import Server, Tool

T0 = 1700000000


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class Metadata:
    """IMDSv2 and the container endpoint. Credentials are numbered: each fetch of the role's
    credentials (or the container's) hands out the next set unless `fail` is set."""

    def __init__(self):
        self.lock = threading.Lock()
        self.imds_serial = 0
        self.container_serial = 0
        self.fail = False
        self.expires_in = 3600
        self.now = T0
        self.role = 'slipway-role'
        self.token = 'imds-token-123'
        self.seen = []
        self.server = Server(self.handle)

    def creds(self, kind, serial):
        return {'Code': 'Success', 'Type': 'AWS-HMAC', 'AccessKeyId': f'{kind}AKID{serial}',
                'SecretAccessKey': f'{kind}secret{serial}', 'Token': f'{kind}token{serial}',
                'Expiration': iso(self.now + self.expires_in), 'LastUpdated': iso(self.now)}

    def handle(self, method, path, headers, body):
        with self.lock:
            self.seen.append((method, path, dict(headers)))
            if self.fail:
                return 500, {}, 'down'
            if path.startswith('/latest/'):
                if method == 'PUT' and path == '/latest/api/token':
                    if headers.get('x-aws-ec2-metadata-token-ttl-seconds') != '21600':
                        return 400, {}, 'missing ttl'
                    return 200, {}, self.token
                if headers.get('x-aws-ec2-metadata-token') != self.token:
                    return 401, {}, 'IMDSv2 token required'
                if method == 'GET' and path == '/latest/meta-data/iam/security-credentials/':
                    return 200, {}, self.role + '\n'
                if method == 'GET' and path == f'/latest/meta-data/iam/security-credentials/{self.role}':
                    self.imds_serial += 1
                    return 200, {'Content-Type': 'text/plain'}, json.dumps(self.creds('imds', self.imds_serial))
                return 404, {}, 'not found'
            if path.startswith('/v2/credentials/'):
                if headers.get('Authorization') != 'container-auth-token':
                    return 403, {}, 'bad authorization'
                self.container_serial += 1
                return 200, {'Content-Type': 'application/json'}, json.dumps(
                    self.creds('container', self.container_serial))
            return 404, {}, 'not found'

    def close(self):
        self.server.close()


class CredentialChain(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='sw-aws-creds-', dir=os.environ.get('SW_TEST_TMP'))
        self.md = Metadata()
        self.home = os.path.join(self.tmp, 'home')
        os.makedirs(os.path.join(self.home, '.aws'))
        self.tools = []

    def tearDown(self):
        for t in self.tools:
            t.close()
        self.md.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env['HOME'] = self.home
        env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] = self.md.server.url
        env.update({k: v for k, v in extra.items() if v is not None})
        return env

    def write(self, name, text):
        path = os.path.join(self.home, '.aws', name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def chain(self, container=True, **env):
        tool = Tool(self.env(**env))
        self.tools.append(tool)
        ans = tool.call(op='creds_new', container_base=self.md.server.url if container else None)
        self.assertTrue(ans['ok'], ans)
        return tool

    def get(self, tool, now=T0):
        return tool.call(op='creds_get', now=now)

    def everything(self):
        self.write('credentials', '[default]\naws_access_key_id = FILEAKID\naws_secret_access_key = filesecret\n')
        self.write('config', '[default]\naws_access_key_id = CONFAKID\naws_secret_access_key = confsecret\n')
        return dict(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/abc',
                    AWS_CONTAINER_AUTHORIZATION_TOKEN='container-auth-token')

    def test_precedence(self):
        env = self.everything()
        c = self.get(self.chain(AWS_ACCESS_KEY_ID='ENVAKID', AWS_SECRET_ACCESS_KEY='envsecret',
                                AWS_SESSION_TOKEN='envtoken', **env))
        self.assertEqual((c['akid'], c['secret'], c['token'], c['source'], c['expiration']),
                         ('ENVAKID', 'envsecret', 'envtoken', 'environment', 0))
        c = self.get(self.chain(**env))
        self.assertEqual((c['akid'], c['source']), ('FILEAKID', 'shared-credentials-file'))
        os.unlink(os.path.join(self.home, '.aws', 'credentials'))
        c = self.get(self.chain(**env))
        self.assertEqual((c['akid'], c['source']), ('CONFAKID', 'shared-config-file'))
        os.unlink(os.path.join(self.home, '.aws', 'config'))
        c = self.get(self.chain(**env))
        self.assertEqual((c['akid'], c['token'], c['source']), ('containerAKID1', 'containertoken1',
                                                                 'container-endpoint'))
        c = self.get(self.chain())
        self.assertEqual((c['akid'], c['secret'], c['token'], c['source']),
                         ('imdsAKID1', 'imdssecret1', 'imdstoken1', 'instance-metadata'))
        self.assertEqual(c['expiration'], T0 + 3600)
        # IMDSv2: the token PUT came first, the role and its credentials used the token
        imds = [(m, p) for m, p, h in self.md.seen if p.startswith('/latest/')]
        self.assertEqual(imds, [('PUT', '/latest/api/token'),
                                ('GET', '/latest/meta-data/iam/security-credentials/'),
                                ('GET', '/latest/meta-data/iam/security-credentials/slipway-role')])

    def test_profiles_and_files(self):
        cred = self.write('other-credentials', '[dev]\naws_access_key_id = DEVAKID\n'
                                               'aws_secret_access_key = devsecret\naws_session_token = devtoken\n')
        conf = self.write('other-config', '[profile ops]\naws_access_key_id = OPSAKID\naws_secret_access_key = ops\n'
                                          '[profile sso]\nsso_session = corp\n')
        c = self.get(self.chain(AWS_PROFILE='dev', AWS_SHARED_CREDENTIALS_FILE=cred, AWS_CONFIG_FILE=conf))
        self.assertEqual((c['akid'], c['token'], c['source']), ('DEVAKID', 'devtoken', 'shared-credentials-file'))
        c = self.get(self.chain(AWS_PROFILE='ops', AWS_SHARED_CREDENTIALS_FILE=cred, AWS_CONFIG_FILE=conf))
        self.assertEqual((c['akid'], c['source']), ('OPSAKID', 'shared-config-file'))
        # a named profile that does not exist is an error, not a fall-through to IMDS
        c = self.get(self.chain(AWS_PROFILE='nope', AWS_SHARED_CREDENTIALS_FILE=cred, AWS_CONFIG_FILE=conf))
        self.assertFalse(c['ok'])
        self.assertEqual(c['error'], f"AWS profile 'nope' not found in {cred} or {conf}")
        # an SSO profile is refused in one line naming what to use instead (no fall-through)
        c = self.get(self.chain(AWS_PROFILE='sso', AWS_SHARED_CREDENTIALS_FILE=cred, AWS_CONFIG_FILE=conf))
        self.assertFalse(c['ok'])
        self.assertTrue(c['error'].startswith("AWS profile 'sso' uses SSO (sso_session), which slipway does not "
                                              'support: after `aws sso login --profile sso`, use a profile with '
                                              'credential_process = aws configure export-credentials --profile sso '
                                              '--format process'), c['error'])
        self.assertNotIn('\n', c['error'])
        self.assertEqual(self.md.imds_serial, 0)
        # partial credentials are an error
        c = self.get(self.chain(AWS_ACCESS_KEY_ID='ONLYKEY'))
        self.assertFalse(c['ok'])
        self.assertIn('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not', c['error'])
        bad = self.write('bad-config', '[default]\nthis is not ini\n')
        c = self.get(self.chain(AWS_CONFIG_FILE=bad))
        self.assertFalse(c['ok'])
        self.assertEqual(c['error'], f"{bad}:2: not a [section], 'key = value' or comment")

    def test_container_endpoint(self):
        token_file = os.path.join(self.tmp, 'token')
        with open(token_file, 'w') as f:
            f.write('container-auth-token\n')
        c = self.get(self.chain(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/x',
                                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN='ignored-when-the-file-is-set'))
        self.assertEqual((c['akid'], c['source']), ('containerAKID1', 'container-endpoint'))
        c = self.get(self.chain(container=False,
                                AWS_CONTAINER_CREDENTIALS_FULL_URI=self.md.server.url + '/v2/credentials/full',
                                AWS_CONTAINER_AUTHORIZATION_TOKEN='container-auth-token'))
        self.assertEqual(c['akid'], 'containerAKID2')
        # http FULL_URI to anything but loopback / the ECS and EKS addresses is refused
        c = self.get(self.chain(container=False, AWS_CONTAINER_CREDENTIALS_FULL_URI='http://10.1.2.3/creds'))
        self.assertFalse(c['ok'])
        self.assertIn('http is only allowed to loopback', c['error'])
        # a configured container endpoint that refuses is final: no fall-through to IMDS
        c = self.get(self.chain(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='/v2/credentials/x',
                                AWS_CONTAINER_AUTHORIZATION_TOKEN='wrong'))
        self.assertFalse(c['ok'])
        self.assertIn(f'container credentials endpoint {self.md.server.url}/v2/credentials/x: answered HTTP 403',
                      c['error'])
        self.assertEqual(self.md.imds_serial, 0)

    def test_expiry_and_refresh(self):
        tool = self.chain()
        exp = T0 + 3600
        c = self.get(tool, T0)
        self.assertEqual((c['akid'], c['expiration']), ('imdsAKID1', exp))
        # cached until 15 minutes before the expiration: no new fetch
        c = self.get(tool, exp - 16 * 60)
        self.assertEqual(c['akid'], 'imdsAKID1')
        self.assertEqual(self.md.imds_serial, 1)
        # inside the advisory window a failing refresh keeps the old credentials
        self.md.fail = True
        c = self.get(tool, exp - 12 * 60)
        self.assertTrue(c['ok'], c)
        self.assertEqual(c['akid'], 'imdsAKID1')
        # inside the mandatory window it is an error naming the source
        c = self.get(tool, exp - 9 * 60)
        self.assertFalse(c['ok'])
        self.assertIn('AWS credentials from instance-metadata expire in 540s and could not be refreshed', c['error'])
        # the service comes back: a new set with a new expiration
        self.md.fail = False
        self.md.now = exp - 9 * 60
        c = self.get(tool, exp - 9 * 60)
        self.assertEqual((c['akid'], c['expiration']), ('imdsAKID2', exp - 9 * 60 + 3600))
        # and the refresh happens on its own ahead of the next expiration
        t = exp - 9 * 60 + 3600 - 14 * 60
        self.md.now = t
        c = self.get(tool, t)
        self.assertEqual((c['akid'], c['expiration']), ('imdsAKID3', t + 3600))
        before = self.md.imds_serial
        c = self.get(tool, t + 60)  # fresh again: cached
        self.assertEqual((c['akid'], self.md.imds_serial), ('imdsAKID3', before))

    def test_nothing_found(self):
        tool = self.chain(AWS_EC2_METADATA_DISABLED='true')
        c = self.get(tool)
        self.assertFalse(c['ok'])
        h = self.home
        self.assertEqual(c['error'],
                         'no AWS credentials: environment (AWS_ACCESS_KEY_ID not set); '
                         f'shared credentials file {h}/.aws/credentials (no such file); '
                         f'shared config file {h}/.aws/config (no such file); '
                         'container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set); '
                         'instance metadata (disabled by AWS_EC2_METADATA_DISABLED)')
        self.assertEqual(c['code'], -2)  # SW_ENOTFOUND
        # with IMDS on but the instance without a role
        self.write('config', '[default]\nregion = us-east-1\n')
        self.md.role = ''
        dead = Server(lambda *a: (404, {}, ''))
        try:
            tool = self.chain(AWS_EC2_METADATA_SERVICE_ENDPOINT=dead.url)
            c = self.get(tool)
        finally:
            dead.close()
        self.assertIn(f'shared config file {h}/.aws/config ([default] has no aws_access_key_id)', c['error'])
        self.assertIn(f'instance metadata {dead.url} (token request answered HTTP 404)', c['error'])
        self.assertNotIn('\n', c['error'])


if __name__ == '__main__':
    unittest.main()
