"""Custom domains and TLS, through the whole of slipway: real pushes to slipwayd, the
engine as ECS, ELBv2 and ACM, its HAProxy router answering HTTP and HTTPS (curl with
--cacert). `slipway domains:add HOST` routes HOST to the app beside APP.localhost (a
host-header rule of its own); `slipway certs:add HOST` imports a certificate (ACM) that
the HTTPS listener serves by SNI; bad input (an IP address, a malformed name, a host
another app has, a certificate not matching its key or host, or expired) is refused in
one line and changes nothing on the load balancer."""
import datetime
import os
import subprocess
import tempfile
import unittest

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from swengine import wait_for
from swrelease import PushStack
from swstack import ROOT, free_port


def pem_pair(host, ca=None, days=30, start_days=-1):
    """A certificate for host (signed by ca = (cert, key), else self-signed) and its key, as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(ca[0].subject if ca else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=start_days)).not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
         .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None), critical=True))
    cert = b.sign(ca[1] if ca else key, hashes.SHA256())
    return cert, key


def write(dir, name, data):
    path = os.path.join(dir, name)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Domains(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # the local CA and the router's certificates, as scripts/up makes them
        cls.tmp = tempfile.TemporaryDirectory(prefix='sw-tls-')
        subprocess.run([os.path.join(ROOT, 'scripts', 'tls-ca'), cls.tmp.name], check=True)
        cls.tls_port = free_port()
        cls.ps = PushStack(memory_mb=1024, load_balancer='elbv2',
                           env={'SLIPWAY_HEALTH_INTERVAL': '5', 'SLIPWAY_DEREGISTRATION_DELAY': '1'},
                           engine_env={'SLIPWAY_ROUTER_TLS_PORT': str(cls.tls_port),
                                       'SLIPWAY_ROUTER_TLS_CERT': os.path.join(cls.tmp.name, 'tls', 'router.pem'),
                                       'SLIPWAY_ROUTER_TLS_CA': os.path.join(cls.tmp.name, 'tls', 'ca-sign.pem')})

    @classmethod
    def tearDownClass(cls):
        cls.ps.stop()
        cls.tmp.cleanup()

    def https(self, host, cacert, path='/'):
        """curl over HTTPS to the router, verifying with cacert: (exit code, body or error)."""
        p = subprocess.run(['curl', '-sS', '--max-time', '10', '--cacert', cacert, '--resolve',
                            f'{host}:{self.tls_port}:127.0.0.1', f'https://{host}:{self.tls_port}{path}'],
                           capture_output=True, text=True)
        return p.returncode, (p.stdout or p.stderr).strip()

    def get(self, host):
        r = requests.get(f'http://127.0.0.1:{self.ps.eng.router_port}/', headers={'Host': host}, timeout=5)
        return r.status_code, r.text.strip()

    def cli(self, *args, code=0):
        r = self.ps.cli(*args)
        self.assertEqual(r.returncode, code, (args, r.stdout, r.stderr))
        if code == 1:
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertEqual(r.stdout, '', r.stdout)
            return r.stderr.strip()
        return r.stdout

    def rules(self):
        lb = self.ps.eng.aws('elbv2', 'describe-load-balancers')['LoadBalancers'][0]['LoadBalancerArn']
        ls = self.ps.eng.aws('elbv2', 'describe-listeners', '--load-balancer-arn', lb)['Listeners']
        http = [x for x in ls if x['Protocol'] == 'HTTP'][0]['ListenerArn']
        https = [x for x in ls if x['Protocol'] == 'HTTPS'][0]['ListenerArn']
        certs = self.ps.eng.aws('elbv2', 'describe-listener-certificates', '--listener-arn', https)['Certificates']
        return (sorted(c.get('Values') or c['HostHeaderConfig']['Values']
                       for r in self.ps.eng.aws('elbv2', 'describe-rules', '--listener-arn', http)['Rules']
                       for c in r['Conditions']),
                sorted(c['CertificateArn'] for c in certs))

    def test_domains(self):
        ps = self.ps
        # a domain added before the app's first deploy is routed by it
        self.cli('apps:create', 'api')
        self.assertIn('Added api.example.test to api', self.cli('domains:add', 'API.example.test', '-a', 'api'))
        repo = ps.make_repo('web', 'web-v1')
        for app in ('web', 'api'):
            r = ps.push(repo, app)
            self.assertEqual(r.returncode, 0, r.output[-3000:])
        self.assertEqual(self.get('api.example.test'), (200, 'web-v1'))

        # added to a live app: routed at once, beside the app's own host
        self.assertEqual(self.get('www.example.test')[0], 404)
        self.cli('domains:add', 'www.example.test', '-a', 'web')
        # the router applies a listener change within moments (a reload when a certificate comes with it)
        wait_for('www.example.test routed', lambda: self.get('www.example.test') == (200, 'web-v1') or None, timeout=10)
        self.assertEqual(self.get('web.localhost'), (200, 'web-v1'))
        self.assertIn('is already a domain of web', self.cli('domains:add', 'www.example.test', '-a', 'web'))
        out = self.cli('domains', '-a', 'web')
        self.assertIn('web.localhost (the app\'s own)', out)
        self.assertIn('www.example.test', out)

        # refused in one line, nothing changed
        before = self.rules()
        for host, why in (('10.1.2.3', 'is an IP address'), ('::1', 'is an IP address'),
                          ('bad_name.example', 'is not a host name'), ('nodots', 'is not a host name'),
                          ('x-.example.test', 'is not a host name'), ('a.b.123', 'is not a host name'),
                          ('www.example.test', 'is already a domain of web'),
                          ('api.localhost', 'is under the apps domain (localhost)')):
            line = self.cli('domains:add', host, '-a', 'api', code=1)
            self.assertIn(why, line, host)
        self.assertIn('is not a domain of api', self.cli('domains:remove', 'www.example.test', '-a', 'api', code=1))
        self.assertEqual(self.rules(), before)
        self.assertEqual(self.get('www.example.test'), (200, 'web-v1'))

        # removed: that host answers 404 again, the app's own still answers
        self.cli('domains:remove', 'www.example.test', '-a', 'web')
        wait_for('www.example.test to be gone', lambda: self.get('www.example.test')[0] == 404 or None, timeout=10)
        self.assertEqual(self.get('web.localhost'), (200, 'web-v1'))
        self.assertNotIn('www.example.test', self.cli('domains', '-a', 'web'))

    def test_tls(self):
        ps, tmp = self.ps, self.tmp.name
        ca = os.path.join(tmp, 'ca.pem')
        repo = ps.make_repo('tls', 'tls-v1')
        self.assertEqual(ps.push(repo, 'shop').returncode, 0)
        # the app's own host over HTTPS, verified with the local CA (a certificate issued for it)
        self.assertEqual(self.https('shop.localhost', ca), (0, 'tls-v1'))

        # a custom domain with a certificate of its own (another CA's), served by SNI
        self.cli('domains:add', 'shop.example.test', '-a', 'shop')
        other_ca = pem_pair('other test CA', days=365)
        cert, key = pem_pair('shop.example.test', ca=other_ca)
        other = write(tmp, 'other-ca.pem', cert_pem(other_ca[0]))
        certfile = write(tmp, 'shop.pem', cert_pem(cert) + cert_pem(other_ca[0]))   # with its chain
        keyfile = write(tmp, 'shop.key', key_pem(key))
        self.assertIn('Added the certificate of shop.example.test', self.cli(
            'certs:add', 'shop.example.test', '--cert', certfile, '--key', keyfile, '-a', 'shop'))
        wait_for('the certificate served', lambda: self.https('shop.example.test', other) == (0, 'tls-v1') or None,
                 timeout=15)
        self.assertIn('shop.example.test', self.cli('certs', '-a', 'shop'))

        # refused in one line, nothing changed on the load balancer
        before = self.rules()
        wrong_key = write(tmp, 'wrong.key', key_pem(pem_pair('shop.example.test')[1]))
        c2, k2 = pem_pair('elsewhere.example.test', ca=other_ca)
        c3, k3 = pem_pair('shop.example.test', ca=other_ca, days=-1, start_days=-10)
        for cert_path, key_path, host, why in (
                (certfile, wrong_key, 'shop.example.test', 'the key does not match the certificate'),
                (write(tmp, 'c2.pem', cert_pem(c2)), write(tmp, 'k2.key', key_pem(k2)), 'shop.example.test',
                 'the certificate is not valid for shop.example.test (it names elsewhere.example.test)'),
                (write(tmp, 'c3.pem', cert_pem(c3)), write(tmp, 'k3.key', key_pem(k3)), 'shop.example.test',
                 'the certificate has expired'),
                (certfile, keyfile, 'nope.example.test', 'nope.example.test is not a host of shop'),
                (write(tmp, 'junk.pem', b'hello'), keyfile, 'shop.example.test', 'is not a PEM certificate')):
            line = self.cli('certs:add', host, '--cert', cert_path, '--key', key_path, '-a', 'shop', code=1)
            self.assertIn(why, line)
        self.assertEqual(self.rules(), before)

        # HTTP to HTTPS per app: a 301 to the HTTPS port, then back
        self.cli('certs:redirect', 'on', '-a', 'shop')

        def redirected():
            r = requests.get(f'http://127.0.0.1:{ps.eng.router_port}/a?b=1', headers={'Host': 'shop.localhost'},
                             allow_redirects=False, timeout=5)
            return (r.status_code, r.headers.get('Location')) == (301, f'https://shop.localhost:{self.tls_port}/a?b=1') \
                or None
        wait_for('a 301 to HTTPS', redirected, timeout=10)
        self.assertEqual(self.https('shop.localhost', ca), (0, 'tls-v1'))
        self.cli('certs:redirect', 'off', '-a', 'shop')
        wait_for('HTTP again', lambda: self.get('shop.localhost') == (200, 'tls-v1') or None, timeout=10)

        # removed: off the listener and out of ACM
        self.cli('certs:remove', 'shop.example.test', '-a', 'shop')
        self.assertEqual(len(self.rules()[1]), len(before[1]) - 1)
        arns = [c['CertificateArn'] for c in ps.eng.aws('acm', 'list-certificates')['CertificateSummaryList']]
        self.assertEqual(len(arns), 1, arns)   # the router's own, no other
        self.assertTrue(arns[0].endswith(':certificate/router-default'), arns)

        # destroyed with a domain, a certificate and the redirect on: none of its rules stay
        self.cli('certs:add', 'shop.example.test', '--cert', certfile, '--key', keyfile, '-a', 'shop')
        self.cli('certs:redirect', 'on', '-a', 'shop')
        self.cli('apps:destroy', 'shop', '--confirm', 'shop')
        hosts = [h for values in self.rules()[0] for h in values]
        self.assertNotIn('shop.localhost', hosts)
        self.assertNotIn('shop.example.test', hosts)
        self.assertEqual(len(ps.eng.aws('acm', 'list-certificates')['CertificateSummaryList']), 1)


if __name__ == '__main__':
    unittest.main()
