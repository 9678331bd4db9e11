"""Helpers for the builder's integration tests: a private registry, git repos, slipway-build."""
import os
import shutil
import signal
import subprocess
import time
import uuid

SW_ROOT = os.environ.get("SW_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Registry:
    """Distribution's registry on a free loopback port, with htpasswd (bcrypt) auth."""

    def __init__(self, tmp, user="builder", password="s3cret-pw"):
        self.dir = os.path.join(tmp, "registry-" + uuid.uuid4().hex[:8])
        os.makedirs(self.dir)
        self.user, self.password = user, password
        htpasswd = os.path.join(self.dir, "htpasswd")
        line = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True)
        with open(htpasswd, "w") as f:
            f.write(line.stdout.strip() + "\n")
        self.port = free_port()
        subprocess.run(["bash", "-c", '. "$1/scripts/lib.sh" && sw_start_registry "$2" "$3" "$4"', "_",
                        SW_ROOT, self.dir, str(self.port), htpasswd], check=True)
        self.host = "127.0.0.1:%d" % self.port

    def tags(self, app):
        import requests
        r = requests.get("http://%s/v2/%s/tags/list" % (self.host, app), auth=(self.user, self.password), timeout=10)
        if r.status_code == 404:
            return []
        r.raise_for_status()
        return r.json().get("tags") or []

    def stop(self):
        pidfile = os.path.join(self.dir, "pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def git(repo, *args, env=None):
    e = dict(os.environ, GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.com",
             GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.com")
    if env:
        e.update(env)
    return subprocess.run(["git", "-C", repo] + list(args), check=True, capture_output=True, text=True, env=e).stdout


def make_repo(path, files, links=None, executables=(), submodules=None):
    """A git repo at path with one commit of files {name: text}; returns the commit's full sha."""
    os.makedirs(path)
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        full = os.path.join(path, name)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
        if name in executables:
            os.chmod(full, 0o755)
    for name, target in (links or {}).items():
        full = os.path.join(path, name)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink(target, full)
    git(path, "add", "-A")
    for name, sha in (submodules or {}).items():
        git(path, "update-index", "--add", "--cacheinfo", "160000,%s,%s" % (sha, name))
    git(path, "commit", "-q", "-m", "test")
    return git(path, "rev-parse", "HEAD").strip()


def build(repo, sha, app, registry, user=None, password=None, env=None, timeout=600):
    """Run slipway-build; returns (exit status, stdout lines)."""
    args = ["slipway-build", "--repo", repo, "--commit", sha, "--app", app, "--registry", registry]
    if user:
        args += ["--user", user, "--password", password]
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=e)
    return p.returncode, p.stdout.splitlines()


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check, timeout=300)


def unique_app(prefix="bt"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])

