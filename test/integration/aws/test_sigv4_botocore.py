"""The C signer against botocore.auth.SigV4Auth, and the C verifier against botocore-signed
requests: 240 generated requests (random methods, paths needing escaping and dot segments,
repeated and unsorted query keys, header values with runs of spaces, duplicate headers,
empty and large bodies, session tokens) signed by both at the same fixed time must carry
identical headers; the verifier accepts each botocore-signed request and refuses it after a
one-byte change to the method, the path, the query, a signed header or the body."""
import datetime
import os
import random
import string
import sys
import unittest
from urllib.parse import quote

from swaws import Tool, b64, botocore_sign

N = 240
SEED = int(os.environ.get('SW_TEST_SEED', '20150830'))
WHEN = datetime.datetime(2023, 11, 14, 22, 13, 20)
NOW = 1700000000  # WHEN as epoch seconds

SEG_CHARS = string.ascii_letters + string.digits + "-._~ !$&'()*+,;=:@%é€ሴ"
QCHARS = string.ascii_letters + string.digits + "-._~ /?=&+%é,;:!*'()"


def rand_text(rng, chars, lo, hi):
    return ''.join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def rand_path(rng):
    segs = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.1:
            segs.append('.')
        elif r < 0.18:
            segs.append('..')
        elif r < 0.25:
            segs.append('')
        else:
            seg = rand_text(rng, SEG_CHARS, 1, 12)
            # most segments go %-encoded on the wire (as SDKs send them), some raw
            segs.append(quote(seg, safe='') if rng.random() < 0.8 else seg.replace('%', 'pct'))
    path = '/' + '/'.join(segs)
    if rng.random() < 0.2:
        path += '/'
    return path


def rand_query(rng):
    if rng.random() < 0.2:
        return ''
    keys = [rand_text(rng, QCHARS, 1, 8) for _ in range(rng.randint(1, 3))]
    pairs = []
    for _ in range(rng.randint(1, 7)):
        k = rng.choice(keys)  # repeated keys, in no order
        v = rand_text(rng, QCHARS, 0, 10)
        enc = quote(k, safe='-_.~')
        pairs.append(enc if (not v and rng.random() < 0.3) else enc + '=' + quote(v, safe='-_.~'))
    return '&'.join(pairs)


def rand_value(rng):
    words = [rand_text(rng, string.ascii_letters + string.digits + '-_/;=,"', 1, 8)
             for _ in range(rng.randint(1, 4))]
    out = ' ' * rng.randint(0, 2)
    for w in words:
        out += w + rng.choice([' ', '  ', '   ', '\t', ' \t '])
    return out


def rand_headers(rng, host):
    headers = [('Host', host)]
    names = ['X-Custom-' + rand_text(rng, string.ascii_letters, 1, 6) for _ in range(rng.randint(0, 4))]
    for n in names:
        for _ in range(rng.randint(1, 3)):  # duplicates keep their order
            headers.append((rng.choice([n, n.lower(), n.upper()]), rand_value(rng)))
    if rng.random() < 0.5:
        headers.append(('Content-Type', rng.choice(['application/x-amz-json-1.1',
                                                    'application/x-www-form-urlencoded; charset=utf-8'])))
    if rng.random() < 0.3:
        headers.append(('X-Amz-Target', 'AmazonEC2ContainerServiceV20141113.ListClusters'))
    if rng.random() < 0.2:
        headers.append(('User-Agent', 'tests  agent/1.0'))  # never signed
    rng.shuffle(headers)
    return headers


def rand_body(rng):
    r = rng.random()
    if r < 0.3:
        return b''
    if r < 0.4:
        return os.urandom(rng.randint(512 * 1024, 2 * 1024 * 1024))
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))


ALNUM = string.ascii_letters + string.digits


def other_alnum(rng, c):
    return rng.choice([x for x in ALNUM if x != c])


def surviving_positions(path):
    """Byte positions of alphanumerics in path segments that survive botocore's dot-segment
    removal (a change elsewhere could normalise away, which AWS would accept too)."""
    segs, pos = [], 0
    for seg in path.split('/'):
        segs.append((seg, pos))
        pos += len(seg) + 1
    kept = []
    for seg, start in segs:
        if not seg or seg == '.':
            continue
        if seg == '..':
            if kept:
                kept.pop()
            continue
        kept.append((seg, start))
    out = []
    for seg, start in kept:
        i = 0
        while i < len(seg):
            if seg[i] == '%':
                i += 3
                continue
            if seg[i] in ALNUM:
                out.append(start + i)
            i += 1
    return out


def mutate_query(rng, q):
    positions, i = [], 0
    while i < len(q):
        if q[i] == '%':
            i += 3  # a hex digit's case is not a change
            continue
        if q[i] in ALNUM:
            positions.append(i)
        i += 1
    if not positions:
        return q + 'a' if q else 'a'
    p = rng.choice(positions)
    return q[:p] + other_alnum(rng, q[p]) + q[p + 1:]


class BotocoreParity(unittest.TestCase):
    def test_sign_and_verify(self):
        rng = random.Random(SEED)
        regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
        services = ['ecs', 'ecr', 'logs', 'elasticloadbalancing', 'service']
        stats = {'tokens': 0, 'large': 0, 'empty': 0, 'dups': 0, 'mutations': 0}
        with Tool() as tool:
            for n in range(N):
                method = rng.choice(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH'])
                region, service = rng.choice(regions), rng.choice(services)
                host = rng.choice([f'{service}.{region}.amazonaws.com', '127.0.0.1:5482', 'localhost:8080'])
                path, query = rand_path(rng), rand_query(rng)
                headers = rand_headers(rng, host)
                body = rand_body(rng)
                akid = 'AKIA' + rand_text(rng, string.ascii_uppercase + string.digits, 16, 16)
                secret = rand_text(rng, ALNUM + '/+', 40, 40)
                token = rand_text(rng, ALNUM + '/+=', 100, 300) if rng.random() < 0.5 else None
                stats['tokens'] += bool(token)
                stats['large'] += len(body) > 100000
                stats['empty'] += not body
                stats['dups'] += len({h[0].lower() for h in headers}) < len(headers)

                url = f'http://{host}{path}' + (f'?{query}' if query else '')
                want = botocore_sign(method, url, headers, body, akid, secret, token, region, service, WHEN)
                got = tool.call(op='sign', method=method, path=path, query=query, headers=headers,
                                body_b64=b64(body), akid=akid, secret=secret, token=token,
                                region=region, service=service, now=NOW)
                ctx = f'case {n}: {method} {url!r} headers={headers!r}'
                self.assertTrue(got['ok'], f'{ctx}: {got}')
                mine = sorted((k.lower(), v) for k, v in headers + [tuple(h) for h in got['headers']])
                theirs = sorted((k.lower(), v) for k, v in want)
                self.assertEqual(mine, theirs, f'{ctx}\nC canonical request:\n{got["canonical_request"]}')

                # the verifier, on the request as botocore signed it
                keys = {akid: {'secret': secret, **({'token': token} if token else {})}}
                base = dict(op='verify', protocol=rng.choice(['json', 'query']), method=method, path=path,
                            query=query, headers=want, body_b64=b64(body), region=region, service=service,
                            now=NOW + rng.randint(-299, 299), keys=keys)
                ok = tool.call(**base)
                self.assertTrue(ok['ok'], f'{ctx}: verifier refused a botocore-signed request: {ok}')
                self.assertEqual(ok['akid'], akid)

                auth = [v for k, v in want if k.lower() == 'authorization'][0]
                signed = auth.split('SignedHeaders=')[1].split(',')[0].split(';')
                mutations = {}
                mutations['method'] = dict(base, method=method[:-1] + rng.choice(
                    [c for c in string.ascii_uppercase if c != method[-1]]))
                positions = surviving_positions(path)
                if positions:
                    p = rng.choice(positions)
                    mpath = path[:p] + other_alnum(rng, path[p]) + path[p + 1:]
                else:
                    mpath = path + 'a' if path != '/' else '/a'
                mutations['path'] = dict(base, path=mpath)
                mutations['query'] = dict(base, query=mutate_query(rng, query))
                hname = rng.choice(signed)
                idx = [i for i, (k, v) in enumerate(want) if k.lower() == hname][0]
                k, v = want[idx]
                spots = [i for i, c in enumerate(v) if not c.isspace()]
                if spots:
                    p = rng.choice(spots)
                    c = v[p]
                    nv = v[:p] + (other_alnum(rng, c) if c in ALNUM else 'x') + v[p + 1:]
                else:
                    nv = v + 'x'
                mheaders = list(want)
                mheaders[idx] = (k, nv)
                mutations[f'header {hname}'] = dict(base, headers=mheaders)
                if body:
                    p = rng.randrange(len(body))
                    mbody = body[:p] + bytes([body[p] ^ (1 << rng.randrange(8))]) + body[p + 1:]
                else:
                    mbody = b'x'
                mutations['body'] = dict(base, body_b64=b64(mbody))
                for what, req in mutations.items():
                    bad = tool.call(**req)
                    stats['mutations'] += 1
                    self.assertFalse(bad['ok'], f'{ctx}: verifier accepted a request with a changed {what}')
                    self.assertIn(bad['status'], (400, 403), f'{ctx}: {what}: {bad}')
                    codes = ('InvalidSignatureException', 'SignatureDoesNotMatch')
                    if what == 'header x-amz-security-token':  # another token: an unknown client
                        codes = ('UnrecognizedClientException', 'InvalidClientTokenId')
                    if what == 'header x-amz-date':  # bad date, other day, or out of the 5 minutes
                        codes += ('IncompleteSignatureException', 'IncompleteSignature')
                    self.assertIn(bad['code'], codes, f'{ctx}: {what}: {bad}')
        print(f'\n{N} requests, botocore-identical headers; {stats}', file=sys.stderr)
        self.assertGreater(stats['tokens'], 50)
        self.assertGreater(stats['large'], 5)
        self.assertGreater(stats['empty'], 20)
        self.assertGreater(stats['dups'], 20)


if __name__ == '__main__':
    unittest.main()
