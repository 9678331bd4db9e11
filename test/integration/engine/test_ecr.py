"""ECR backed by the real registry: repositories, images pushed with the ECR token, BatchGetImage,
BatchDeleteImage, and tasks pulling from it (and failing to, with CannotPullContainerError)."""
import base64
import unittest

from swengine import Engine, docker, wait_for


class Ecr(unittest.TestCase):
    def test_repositories_images_and_pulls(self):
        with Engine() as eng:
            ecr, ecs = eng.client('ecr'), eng.client('ecs')
            repo = ecr.create_repository(repositoryName='demo/web', tags=[{'Key': 'app', 'Value': 'demo'}])
            repo = repo['repository']
            self.assertEqual(repo['repositoryUri'], f'127.0.0.1:{eng.registry_port}/demo/web')
            self.assertEqual(repo['repositoryArn'], 'arn:aws:ecr:us-east-1:000000000000:repository/demo/web')
            with self.assertRaises(ecr.exceptions.RepositoryAlreadyExistsException):
                ecr.create_repository(repositoryName='demo/web')
            names = [r['repositoryName'] for r in ecr.describe_repositories()['repositories']]
            self.assertEqual(names, ['demo/web'])
            self.assertEqual(ecr.list_images(repositoryName='demo/web')['imageIds'], [])

            auth = ecr.get_authorization_token()['authorizationData'][0]
            self.assertEqual(base64.b64decode(auth['authorizationToken']).decode(), 'AWS:' + eng.password)
            self.assertEqual(auth['proxyEndpoint'], f'http://127.0.0.1:{eng.registry_port}')

            image = eng.web_image('v1')
            eng.push(image, repo['repositoryUri'], 'v1')
            eng.push(image, repo['repositoryUri'], 'stable')
            details = ecr.describe_images(repositoryName='demo/web')['imageDetails']
            self.assertEqual(len(details), 1)
            self.assertEqual(sorted(details[0]['imageTags']), ['stable', 'v1'])
            self.assertGreater(details[0]['imageSizeInBytes'], 0)
            digest = details[0]['imageDigest']
            self.assertTrue(digest.startswith('sha256:'))
            got = ecr.batch_get_image(repositoryName='demo/web', imageIds=[{'imageTag': 'v1'}, {'imageTag': 'nope'}])
            self.assertEqual(got['images'][0]['imageId'], {'imageDigest': digest, 'imageTag': 'v1'})
            self.assertIn('"layers"', got['images'][0]['imageManifest'])
            self.assertEqual(got['failures'][0]['failureCode'], 'ImageNotFound')
            with self.assertRaises(ecr.exceptions.ImageNotFoundException):
                ecr.describe_images(repositoryName='demo/web', imageIds=[{'imageTag': 'nope'}])

            # a task from the registry, by digest, with the local copy gone: pulled with the ECR token
            ref = f"{repo['repositoryUri']}@{digest}"
            docker('rmi', '-f', f"{repo['repositoryUri']}:v1", f"{repo['repositoryUri']}:stable", check=False)
            ecs.register_task_definition(family='pulled', containerDefinitions=[
                {'name': 'c', 'image': ref, 'memory': 16, 'command': ['sh', '-c', 'exit 4']}])
            eng.images.append(ref)
            arn = ecs.run_task(taskDefinition='pulled')['tasks'][0]['taskArn']
            ecs.get_waiter('tasks_stopped').wait(tasks=[arn], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
            t = ecs.describe_tasks(tasks=[arn])['tasks'][0]
            self.assertEqual(t['containers'][0]['exitCode'], 4)
            self.assertEqual(t['containers'][0]['imageDigest'], digest)
            self.assertGreaterEqual(t['pullStoppedAt'], t['pullStartedAt'])

            # an image that is not there
            ecs.register_task_definition(family='missing', containerDefinitions=[
                {'name': 'c', 'image': f"{repo['repositoryUri']}:v9", 'memory': 16}])
            arn = ecs.run_task(taskDefinition='missing')['tasks'][0]['taskArn']
            ecs.get_waiter('tasks_stopped').wait(tasks=[arn], WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
            t = ecs.describe_tasks(tasks=[arn])['tasks'][0]
            self.assertEqual(t['stopCode'], 'TaskFailedToStart')
            self.assertTrue(t['stoppedReason'].startswith('CannotPullContainerError: '), t['stoppedReason'])
            self.assertIn('v9', t['stoppedReason'])
            wait_for('its container to be removed', lambda: eng.containers() == [], 10, interval=0.1)

            deleted = ecr.batch_delete_image(repositoryName='demo/web', imageIds=[{'imageTag': 'v1'}])
            self.assertEqual(deleted['imageIds'][0]['imageDigest'], digest)
            self.assertEqual(ecr.list_images(repositoryName='demo/web')['imageIds'], [])
            again = ecr.batch_delete_image(repositoryName='demo/web', imageIds=[{'imageTag': 'v1'}])
            self.assertEqual(again['failures'][0]['failureCode'], 'ImageNotFound')


if __name__ == '__main__':
    unittest.main(verbosity=2)
