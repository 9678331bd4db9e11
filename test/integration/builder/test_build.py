"""The builder end to end: slipway-build against the test run's Docker and a private registry
(htpasswd auth) on a free port. Each failure must be one line; nothing is pushed then."""
import os
import signal
import subprocess
import time
import unittest

import swbuilder
from swbuilder import build, docker, make_repo, unique_app

TMP = os.environ.get("SW_TEST_TMP", "/tmp")
BASE = "FROM slipway/busybox:latest\n"


class BuilderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = os.path.join(TMP, "builder-" + unique_app("t"))
        os.makedirs(cls.tmp)
        cls.reg = swbuilder.Registry(cls.tmp)
        cls.images = []

    @classmethod
    def tearDownClass(cls):
        for image in cls.images:
            docker("rmi", "-f", image, check=False)
        cls.reg.stop()

    def repo(self, files, **kw):
        path = os.path.join(self.tmp, unique_app("repo"))
        return path, make_repo(path, files, **kw)

    def build(self, path, sha, app, **kw):
        kw.setdefault("user", self.reg.user)
        kw.setdefault("password", self.reg.password)
        rc, lines = build(path, sha, app, kw.pop("registry", self.reg.host), **kw)
        self.images.append("%s/%s:%s" % (self.reg.host, app, sha))
        return rc, lines

    def assert_one_line_failure(self, rc, lines, want):
        self.assertEqual(rc, 1, lines)
        failures = [l for l in lines if l.startswith(" !     ") and "warning:" not in l]
        self.assertEqual(len(failures), 1, lines)
        self.assertEqual(lines[-1], failures[0])
        self.assertIn(want, failures[0])

    def test_build_push_then_reuse(self):
        app = unique_app()
        path, sha = self.repo({"Dockerfile": BASE + "COPY . /app\nRUN echo built-here\n", "hello.txt": "hello\n"})
        rc, lines = self.build(path, sha, app)
        self.assertEqual(rc, 0, lines)
        self.assertIn("Step 1/3 : FROM slipway/busybox:latest", lines)
        self.assertIn("built-here", lines)
        pushing = [l for l in lines if l.startswith("-----> pushing ")]
        self.assertEqual(len(pushing), 1, lines)
        self.assertRegex(pushing[0], r"^-----> pushing %s/%s:%s \.\.\. sha256:[0-9a-f]{64} \([0-9.]+ [kM]?B\)$"
                         % (self.reg.host.replace(".", r"\."), app, sha[:7]))
        self.assertRegex(lines[-1], r"^-----> build %s done in [0-9]+\.[0-9]s$" % sha[:7])
        self.assertEqual(self.reg.tags(app), [sha])

        # the same commit again: the registry has it, nothing is built
        rc, lines = self.build(path, sha, app)
        self.assertEqual(rc, 0, lines)
        self.assertEqual(lines, ["-----> image for %s already built, reusing" % sha[:7]])

    def test_failing_run_step(self):
        app = unique_app()
        path, sha = self.repo({"Dockerfile": BASE + "RUN false\n"})
        rc, lines = self.build(path, sha, app)
        self.assert_one_line_failure(rc, lines, "build failed: The command '/bin/sh -c false' returned a non-zero code: 1")
        self.assertEqual(lines[-1], " !     build failed: The command '/bin/sh -c false' returned a non-zero code: 1")
        self.assertIn("Step 2/2 : RUN false", lines)
        self.assertEqual(self.reg.tags(app), [])

    def test_no_dockerfile(self):
        app = unique_app()
        path, sha = self.repo({"README": "no Dockerfile\n"})
        rc, lines = self.build(path, sha, app)
        self.assertEqual(lines, [" !     no Dockerfile at the root of %s" % sha[:7]])
        self.assertEqual(rc, 1)

    def test_registry_unreachable(self):
        app = unique_app()
        path, sha = self.repo({"Dockerfile": BASE})
        port = swbuilder.free_port()
        rc, lines = self.build(path, sha, app, registry="127.0.0.1:%d" % port)
        self.assertEqual(lines, [" !     cannot reach the registry at 127.0.0.1:%d" % port])
        self.assertEqual(rc, 1)

    def test_registry_credentials(self):
        app = unique_app()
        path, sha = self.repo({"Dockerfile": BASE})
        rc, lines = self.build(path, sha, app, password="wrong")
        self.assertEqual(rc, 1)
        self.assertEqual(lines, [" !     registry %s refused the credentials of %s (401)" % (self.reg.host, self.reg.user)])
        rc, lines = self.build(path, sha, app, user=None, password=None)
        self.assertEqual(rc, 1)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("wants credentials", lines[0])

    def test_docker_unreachable(self):
        app = unique_app()
        path, sha = self.repo({"Dockerfile": BASE})
        sock = os.path.join(self.tmp, "no-docker.sock")
        rc, lines = self.build(path, sha, app, env={"DOCKER_HOST": "unix://" + sock})
        self.assertEqual(lines, [" !     cannot reach Docker at %s" % sock])
        self.assertEqual(rc, 1)
        self.assertEqual(self.reg.tags(app), [])

    def test_bad_input(self):
        path, sha = self.repo({"Dockerfile": BASE})
        for app, commit, want in [
            ("../x", sha, 'bad app name "../x"'),
            ("UPPER", sha, 'bad app name "UPPER"'),
            (unique_app(), "HEAD", 'bad commit id "HEAD"'),
            (unique_app(), "0" * 40, "commit 0000000 not found"),
        ]:
            rc, lines = self.build(path, commit, app)
            self.assertEqual(rc, 1, lines)
            self.assertEqual(len(lines), 1, lines)
            self.assertIn(want, lines[0])

    def test_context_in_the_image(self):
        """.dockerignore honoured, executable bit, symlink, long and UTF-8 names, submodule skipped."""
        app = unique_app()
        long_name = "d" * 60 + "/" + "f" * 70 + ".txt"
        files = {
            "Dockerfile": BASE + "COPY . /app\nRUN /app/run.sh\n",
            ".dockerignore": "*.log\nsecret/\n!secret/public.txt\n",
            "run.sh": "#!/bin/sh\necho run-sh-ran\n",
            "debug.log": "ignored\n",
            "keep.txt": "kept\n",
            "secret/key.pem": "ignored\n",
            "secret/public.txt": "public\n",
            long_name: "long\n",
            "caf\u00e9/\u65e5\u672c.txt": "utf-8\n",
        }
        path, sha = self.repo(files, links={"link": "keep.txt"}, executables={"run.sh"},
                              submodules={"vendor/lib": "1234567890123456789012345678901234567890"})
        rc, lines = self.build(path, sha, app)
        self.assertEqual(rc, 0, lines)
        self.assertIn("run-sh-ran", lines)  # the executable ran during the build
        warnings = [l for l in lines if "warning:" in l]
        self.assertEqual(warnings, [" !     warning: 1 submodule skipped (not part of the build context): vendor/lib"])
        image = "%s/%s:%s" % (self.reg.host, app, sha)
        listing = docker("run", "--rm", image, "find", "/app").stdout.split()
        self.assertIn("/app/keep.txt", listing)
        self.assertIn("/app/secret/public.txt", listing)
        self.assertNotIn("/app/debug.log", listing)
        self.assertNotIn("/app/secret/key.pem", listing)
        self.assertIn("/app/Dockerfile", listing)
        self.assertIn("/app/.dockerignore", listing)
        self.assertIn("/app/" + long_name, listing)
        self.assertIn("/app/caf\u00e9/\u65e5\u672c.txt", listing)
        self.assertNotIn("/app/vendor/lib", listing)
        out = docker("run", "--rm", image, "sh", "-c", "stat -c %a /app/run.sh /app/keep.txt; readlink /app/link; "
                     "test -L /app/link && echo is-link").stdout.split()
        self.assertEqual(out, ["755", "644", "keep.txt", "is-link"])

    def test_cancel_stops_docker(self):
        app = unique_app()
        marker = "cancel-me-" + app
        path, sha = self.repo({"Dockerfile": BASE + "RUN echo %s && sleep 300\n" % marker})
        p = subprocess.Popen(["slipway-build", "--repo", path, "--commit", sha, "--app", app, "--registry",
                              self.reg.host, "--user", self.reg.user, "--password", self.reg.password],
                             stdout=subprocess.PIPE, text=True)
        self.images.append("%s/%s:%s" % (self.reg.host, app, sha))
        lines = []
        deadline = time.time() + 120
        for line in p.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip() == marker or time.time() > deadline:
                break
        self.assertIn(marker, lines)
        running = docker("ps", "--no-trunc", "--format", "{{.Command}}").stdout
        self.assertIn(marker, running)
        start = time.time()
        p.send_signal(signal.SIGTERM)
        rest, _ = p.communicate(timeout=30)
        lines += rest.splitlines()
        self.assertLess(time.time() - start, 10)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(lines[-1], " !     cancelled")
        # Docker noticed the client going away and stopped the build's container
        for _ in range(60):
            if marker not in docker("ps", "-a", "--no-trunc", "--format", "{{.Command}}").stdout:
                break
            time.sleep(0.5)
        self.assertNotIn(marker, docker("ps", "-a", "--no-trunc", "--format", "{{.Command}}").stdout)
        self.assertEqual(self.reg.tags(app), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
