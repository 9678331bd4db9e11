"""ECR's lifecycle policies and PutImage on the engine, with boto3 as against ECR: a policy
put is read back, one ECR would refuse is refused with its message, a repository without
one says LifecyclePolicyNotFoundException; an image already pushed is tagged with PutImage
(the manifest BatchGetImage gave), a tag already on that digest is ImageAlreadyExists, a
tag moved to another image leaves the first, a digest that does not match is refused.
A policy of slipwayd's shape (releaser/ecr.h) is among those accepted; the flows tests
(test/integration/releaser/test_flows_*.py) read slipwayd's own back through doctor."""
import json
import unittest

from swengine import Engine

# slipwayd's policy (releaser/ecr.h): keep what carries a release- tag, expire the rest after a week
SLIPWAY_POLICY = json.dumps({'rules': [
    {'rulePriority': 1, 'description': 'slipway: the images of the last 20 releases and the live one',
     'selection': {'tagStatus': 'tagged', 'tagPrefixList': ['release-'], 'countType': 'imageCountMoreThan',
                   'countNumber': 21}, 'action': {'type': 'expire'}},
    {'rulePriority': 2, 'description': 'slipway: any other image, a week after its push',
     'selection': {'tagStatus': 'any', 'countType': 'sinceImagePushed', 'countUnit': 'days', 'countNumber': 7},
     'action': {'type': 'expire'}}]})

RULE = {'rulePriority': 1, 'description': 'keep five', 'selection': {
    'tagStatus': 'tagged', 'tagPrefixList': ['v'], 'countType': 'imageCountMoreThan', 'countNumber': 5},
    'action': {'type': 'expire'}}


class Lifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eng = Engine()
        cls.ecr = cls.eng.client('ecr', max_attempts=1)
        cls.repo = cls.ecr.create_repository(repositoryName='lc')['repository']

    @classmethod
    def tearDownClass(cls):
        cls.eng.stop()

    def refused(self, code, fn, **kw):
        with self.assertRaises(self.ecr.exceptions.ClientError) as cm:
            fn(**kw)
        err = cm.exception.response['Error']
        self.assertEqual(err['Code'], code, err)
        return err['Message']

    def test_policies(self):
        ecr = self.ecr
        msg = self.refused('LifecyclePolicyNotFoundException', ecr.get_lifecycle_policy, repositoryName='lc')
        self.assertEqual(msg, "Lifecycle policy does not exist for the repository with name 'lc' in the registry "
                              "with id '000000000000'")
        text = SLIPWAY_POLICY
        out = ecr.put_lifecycle_policy(repositoryName='lc', lifecyclePolicyText=text)
        self.assertEqual((out['repositoryName'], out['lifecyclePolicyText']), ('lc', text))
        got = ecr.get_lifecycle_policy(repositoryName='lc')
        self.assertEqual(json.loads(got['lifecyclePolicyText']), json.loads(text))
        self.assertIn('lastEvaluatedAt', got)
        # what ECR refuses
        bad = [
            ({'rules': [dict(RULE, selection={'tagStatus': 'tagged', 'countType': 'imageCountMoreThan',
                                              'countNumber': 5})]},
             'a tagged rule needs a tagPrefixList or a tagPatternList'),
            ({'rules': [dict(RULE, selection={'tagStatus': 'any', 'countType': 'imageCountMoreThan',
                                              'countNumber': 1}), dict(RULE, rulePriority=2)]},
             'a rule with tagStatus any must have the highest rulePriority'),
            ({'rules': [RULE, dict(RULE)]}, 'rulePriority must be unique'),
            ({'rules': [dict(RULE, selection={'tagStatus': 'untagged', 'countType': 'sinceImagePushed',
                                              'countNumber': 3, 'padding': 'x' * 20})]},
             'sinceImagePushed needs countUnit "days"'),
        ]
        for doc, why in bad:
            msg = self.refused('InvalidParameterException', ecr.put_lifecycle_policy, repositoryName='lc',
                               lifecyclePolicyText=json.dumps(doc))
            self.assertEqual(msg, "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
                                  f"'Lifecycle policy validation failure: {why}'")
        self.refused('RepositoryNotFoundException', ecr.put_lifecycle_policy, repositoryName='nope',
                     lifecyclePolicyText=text)
        # the one that was put stays
        self.assertEqual(json.loads(ecr.get_lifecycle_policy(repositoryName='lc')['lifecyclePolicyText']),
                         json.loads(text))

    def test_put_image(self):
        ecr, eng = self.ecr, self.eng
        uri = self.repo['repositoryUri']
        eng.push(eng.web_image('one'), uri, 'build-1')
        eng.push(eng.web_image('two'), uri, 'build-2')
        one = ecr.batch_get_image(repositoryName='lc', imageIds=[{'imageTag': 'build-1'}])['images'][0]
        two = ecr.batch_get_image(repositoryName='lc', imageIds=[{'imageTag': 'build-2'}])['images'][0]
        digest = one['imageId']['imageDigest']
        out = ecr.put_image(repositoryName='lc', imageManifest=one['imageManifest'],
                            imageManifestMediaType=one['imageManifestMediaType'], imageTag='release-keep-01',
                            imageDigest=digest)['image']
        self.assertEqual(out['imageId'], {'imageDigest': digest, 'imageTag': 'release-keep-01'})
        tags = {d['imageDigest']: sorted(d.get('imageTags', [])) for d in
                ecr.describe_images(repositoryName='lc')['imageDetails']}
        self.assertEqual(tags[digest], ['build-1', 'release-keep-01'])
        msg = self.refused('ImageAlreadyExistsException', ecr.put_image, repositoryName='lc',
                           imageManifest=one['imageManifest'], imageTag='release-keep-01')
        self.assertIn(f"Image with digest '{digest}' and tag 'release-keep-01' already exists", msg)
        # the tag moves to another image: the first keeps its other tags
        ecr.put_image(repositoryName='lc', imageManifest=two['imageManifest'], imageTag='release-keep-01',
                      imageManifestMediaType=two['imageManifestMediaType'])
        tags = {d['imageDigest']: sorted(d.get('imageTags', [])) for d in
                ecr.describe_images(repositoryName='lc')['imageDetails']}
        self.assertEqual(tags[digest], ['build-1'])
        self.assertEqual(tags[two['imageId']['imageDigest']], ['build-2', 'release-keep-01'])
        self.refused('ImageDigestDoesNotMatchException', ecr.put_image, repositoryName='lc',
                     imageManifest=one['imageManifest'], imageTag='x', imageDigest=two['imageId']['imageDigest'])


if __name__ == '__main__':
    unittest.main()
