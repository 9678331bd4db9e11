"""ELBv2 (Query protocol) against botocore's model and botocore's own serializer and parser,
for every operation of the elbv2 model:
 - responses: random instances of each output shape, written as AWS writes them (by a
   small renderer here), parsed by botocore's QueryParser and by the C decoder (libxml2):
   the results must be equal;
 - errors: every error shape of the model as an <ErrorResponse>: same code, message and
   request id as botocore reads;
 - requests: random instances of each input shape, serialized by the C encoder and by
   botocore's QuerySerializer: the same form parameters;
 - the engine side: the C form parser reads the C encoder's body back into the same
   parameters, and the C XML renderer's answers parse in botocore to the same result."""
import datetime
import os
import random
import string
import unittest
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import botocore.session
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer
from botocore.utils import parse_timestamp

from swaws import Tool

SEED = int(os.environ.get('SW_TEST_SEED', '1512'))
MODEL = botocore.session.get_session().get_service_model('elbv2')
TEXT = string.ascii_letters + string.digits + ' -_./:<>&"\'é€\n'


def rand_value(rng, shape, depth=0):
    t = shape.type_name
    if t == 'structure':
        out = {}
        for name, m in shape.members.items():
            if depth > 5 and m.type_name in ('structure', 'list', 'map'):
                continue
            if rng.random() < 0.7:
                out[name] = rand_value(rng, m, depth + 1)
        return out
    if t == 'list':
        return [rand_value(rng, shape.member, depth + 1) for _ in range(rng.randint(0, 3 if depth < 4 else 1))]
    if t == 'map':
        return {''.join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 6))):
                rand_value(rng, shape.value, depth + 1) for _ in range(rng.randint(0, 3))}
    if t == 'string':
        if shape.enum:
            return rng.choice(shape.enum)
        r = rng.random()
        if r < 0.05:
            return ''
        if r < 0.08:
            return '   '
        return ''.join(rng.choice(TEXT) for _ in range(rng.randint(1, 20)))
    if t in ('integer', 'long'):
        return rng.randint(-5, 70000)
    if t == 'boolean':
        return rng.random() < 0.5
    if t == 'double':
        return round(rng.uniform(-1000, 1000), 3)
    if t == 'timestamp':
        return datetime.datetime(2024, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                 rng.randint(0, 59), rng.randint(0, 59), tzinfo=datetime.timezone.utc)
    raise AssertionError(f'unexpected shape type {t}')


def to_json(v):
    """Instance -> what the C side takes and gives: timestamps as ISO 8601 strings."""
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, datetime.datetime):
        return v.strftime('%Y-%m-%dT%H:%M:%S.000Z')
    return v


def render(shape, value, name):
    """XML as AWS Query services write it (non-flattened lists with <member>, maps with
    <entry><key/><value/></entry>), independent of the C renderer."""
    tag = shape.serialization.get('name', name)
    t = shape.type_name
    if t == 'structure':
        inner = ''.join(render(shape.members[k], v, k) for k, v in value.items())
    elif t == 'list':
        mname = shape.member.serialization.get('name', 'member')
        inner = ''.join(render(shape.member, v, mname) for v in value)
    elif t == 'map':
        inner = ''.join(f'<entry><key>{escape(k)}</key>{render(shape.value, v, "value")}</entry>'
                        for k, v in value.items())
    elif t == 'boolean':
        inner = 'true' if value else 'false'
    elif t == 'timestamp':
        inner = value.strftime('%Y-%m-%dT%H:%M:%S.000Z')
    else:
        inner = escape(str(value), {'"': '&quot;'})
    return f'<{tag}>{inner}</{tag}>'


def response_xml(op, value, request_id):
    out = op.output_shape
    wrapper = out.serialization['resultWrapper']
    inner = ''.join(render(out.members[k], v, k) for k, v in value.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{op.name}Response '
            f'xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">\n'
            f'  <{wrapper}>{inner}</{wrapper}>\n'
            f'  <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\n'
            f'</{op.name}Response>\n')


def botocore_parse(op, xml, status=200):
    parsed = QueryParser().parse({'body': xml.encode(), 'headers': {}, 'status_code': status},
                                 op.output_shape if status == 200 else None)
    parsed.pop('ResponseMetadata', None)
    return parsed


def normalize(shape, v):
    """C results carry timestamps as strings: read them back as datetimes to compare."""
    t = shape.type_name
    if t == 'structure':
        return {k: normalize(shape.members[k], x) for k, x in v.items()}
    if t == 'list':
        return [normalize(shape.member, x) for x in v]
    if t == 'map':
        return {k: normalize(shape.value, x) for k, x in v.items()}
    if t == 'timestamp' and isinstance(v, str):
        return parse_timestamp(v)
    return v


ABSENT = object()


def on_the_wire(shape, v, top=False):
    """What the Query wire carries back: an empty list is sent ("Name="), but a structure or
    map that holds nothing sends no parameter at all, so it comes back absent."""
    t = shape.type_name
    if t == 'structure':
        out = {}
        for k, x in v.items():
            x = on_the_wire(shape.members[k], x)
            if x is not ABSENT:
                out[k] = x
        return out if out or top else ABSENT
    if t == 'list':
        if not v:
            return []
        items = [x for x in (on_the_wire(shape.member, y) for y in v) if x is not ABSENT]
        return items if items else ABSENT
    if t == 'map':
        out = {k: y for k, y in ((k, on_the_wire(shape.value, x)) for k, x in v.items()) if y is not ABSENT}
        return out if out else ABSENT
    return v


class Elbv2Query(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = Tool()

    @classmethod
    def tearDownClass(cls):
        cls.tool.close()

    def test_responses_parse_like_botocore(self):
        rng = random.Random(SEED)
        n = 0
        for name in MODEL.operation_names:
            op = MODEL.operation_model(name)
            for i in range(4):
                value = rand_value(rng, op.output_shape)
                xml = response_xml(op, value, f'rid-{name}-{i}')
                want = botocore_parse(op, xml)
                got = self.tool.call(op='query_decode', operation=name, xml=xml)
                self.assertTrue(got['ok'], f'{name}: {got}\n{xml}')
                self.assertEqual(normalize(op.output_shape, got['response']), want, f'{name}:\n{xml}')
                self.assertEqual(got['request_id'], f'rid-{name}-{i}')
                n += 1
        self.assertGreaterEqual(n, 200)

    def test_known_answer(self):
        xml = """<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult>
    <TargetHealthDescriptions>
      <member>
        <HealthCheckPort>80</HealthCheckPort>
        <TargetHealth><State>healthy</State></TargetHealth>
        <Target><Port>80</Port><Id>i-0376fadf</Id></Target>
      </member>
      <member>
        <TargetHealth><State>unhealthy</State><Reason>Target.FailedHealthChecks</Reason>
          <Description>Health checks failed</Description></TargetHealth>
        <Target><Port>8080</Port><Id>10.0.0.7</Id></Target>
      </member>
    </TargetHealthDescriptions>
  </DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>c534f810-f389-11e5-9192-3fff33344cfa</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>"""
        got = self.tool.call(op='query_decode', operation='DescribeTargetHealth', xml=xml)
        self.assertEqual(got['response'], {'TargetHealthDescriptions': [
            {'HealthCheckPort': '80', 'TargetHealth': {'State': 'healthy'}, 'Target': {'Port': 80, 'Id': 'i-0376fadf'}},
            {'TargetHealth': {'State': 'unhealthy', 'Reason': 'Target.FailedHealthChecks',
                              'Description': 'Health checks failed'},
             'Target': {'Port': 8080, 'Id': '10.0.0.7'}}]})
        self.assertEqual(got['request_id'], 'c534f810-f389-11e5-9192-3fff33344cfa')
        # an empty list is an empty array, an absent one is absent
        got = self.tool.call(op='query_decode', operation='DescribeTargetGroups',
                             xml='<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups/>'
                                 '</DescribeTargetGroupsResult></DescribeTargetGroupsResponse>')
        self.assertEqual(got['response'], {'TargetGroups': []})
        for bad in ['not xml', '<a><b></a>', '<DescribeTargetGroupsResponse><DescribeTargetGroupsResult>'
                    '<TargetGroups><member><Port>eighty</Port></member></TargetGroups>'
                    '</DescribeTargetGroupsResult></DescribeTargetGroupsResponse>',
                    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>']:
            got = self.tool.call(op='query_decode', operation='DescribeTargetGroups', xml=bad)
            if got['ok']:
                self.assertNotIn('root:', str(got['response']))  # no external entities
            else:
                self.assertTrue(got['error'].startswith('elbv2 DescribeTargetGroups'), got)

    def test_errors_parse_like_botocore(self):
        n = 0
        for shape in MODEL.error_shapes:
            code = shape.metadata.get('error', {}).get('code', shape.name)
            msg = f'The {shape.name} <happened> & "was" reported'
            xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="http://elasticloadbalancing.'
                   'amazonaws.com/doc/2015-12-01/">\n  <Error>\n    <Type>Sender</Type>\n'
                   f'    <Code>{code}</Code>\n    <Message>{escape(msg)}</Message>\n  </Error>\n'
                   f'  <RequestId>err-{n}</RequestId>\n</ErrorResponse>\n')
            want = QueryParser().parse({'body': xml.encode(), 'headers': {}, 'status_code': 400}, None)
            got = self.tool.call(op='query_error', xml=xml)
            self.assertTrue(got['ok'], got)
            self.assertEqual((got['code'], got['message'], got['request_id']),
                             (want['Error']['Code'], want['Error']['Message'], want['ResponseMetadata']['RequestId']))
            n += 1
        self.assertGreater(n, 30)

    def test_requests_serialize_like_botocore(self):
        rng = random.Random(SEED + 1)
        for name in MODEL.operation_names:
            op = MODEL.operation_model(name)
            for _ in range(4):
                params = rand_value(rng, op.input_shape) if op.input_shape else {}
                want = QuerySerializer().serialize_to_request(params, op)['body']
                want = sorted((k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in want.items())
                got = self.tool.call(op='query_encode', operation=name, params=to_json(params))
                self.assertTrue(got['ok'], got)
                self.assertEqual(sorted(parse_qsl(got['body'], keep_blank_values=True)), want, name)
                # the engine reads it back
                back = self.tool.call(op='query_parse', body=got['body'])
                self.assertTrue(back['ok'], back)
                want_back = to_json(on_the_wire(op.input_shape, params, top=True)) if op.input_shape else {}
                self.assertEqual((back['action'], back['params']), (name, want_back), name)

    def test_rendered_answers_parse_in_botocore(self):
        rng = random.Random(SEED + 2)
        for name in MODEL.operation_names:
            op = MODEL.operation_model(name)
            for i in range(3):
                value = rand_value(rng, op.output_shape)
                got = self.tool.call(op='query_render', operation=name, result=to_json(value),
                                     request_id=f'r{i}')
                self.assertTrue(got['ok'], got)
                parsed = QueryParser().parse({'body': got['xml'].encode(), 'headers': {}, 'status_code': 200},
                                             op.output_shape)
                self.assertEqual(parsed.pop('ResponseMetadata')['RequestId'], f'r{i}')
                self.assertEqual(parsed, value, name)

    def test_server_side_errors(self):
        bad = self.tool.call(op='query_parse', body='Version=2015-12-01')
        self.assertEqual((bad['ok'], bad['code']), (False, -2))
        bad = self.tool.call(op='query_parse', body='Action=Nope&Version=2015-12-01')
        self.assertEqual((bad['ok'], bad['code'], bad['error']),
                         (False, -2, 'Could not find operation Nope for version 2015-12-01'))
        bad = self.tool.call(op='query_parse', body='Action=DescribeTargetGroups&PageSize=ten')
        self.assertEqual((bad['ok'], bad['code']), (False, -4))
        self.assertIn("Value 'ten' at 'PageSize'", bad['error'])
        bad = self.tool.call(op='query_parse', body='Action=DescribeTargetGroups&Names.member.0=x')
        self.assertEqual((bad['ok'], bad['code']), (False, -4))
        bad = self.tool.call(op='query_parse', body='Action=DescribeTargetGroups&Bogus=1')
        self.assertEqual(bad['error'], "unknown parameter 'Bogus'")
        ok = self.tool.call(op='query_parse',
                            body='Action=DescribeTargetGroups&Names.member.2=b+c&Names.member.1=a%26&Names=')
        self.assertEqual(ok['params'], {'Names': ['a&', 'b c']})


if __name__ == '__main__':
    unittest.main()
