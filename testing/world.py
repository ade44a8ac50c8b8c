"""A whole loopback GitOps world: a git server, a fake GitHub, GitLab or Gitea, one manifests repo.

Both servers take the same canary token, as a real host does, so an end-to-end run of
`bumper bump --repo` needs nothing but the environment this module builds.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testing import forkserver, repos
from testing.fake_azure_devops import FakeAzureDevOps
from testing.fake_bitbucket import FakeBitbucket, FakeBitbucketServer
from testing.fake_gitea import FakeGitea
from testing.fake_github import FakeGitHub
from testing.fake_gitlab import FakeGitLab
from testing.git_server import GitServer, serve_git
from testing.tls import ServerTls

CANARY = "canary-token-CANARYcanary0123456789abcdef42"  # noqa: S105 - grepped for in every output
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "manifests"
REPO_PATH = "acme/manifests"
# The image the example tree references, its default bot branch, and where each reference is.
EXAMPLE_IMAGE = "ghcr.io/acme/app"
EXAMPLE_BRANCH = "bumper/ghcr.io-acme-app"
# A tree whose .bumper.yaml commits staging straight to the base (mode: commit) and sends prod
# through a PR: the mixed run that checks the token and the host before its direct commit.
MIXED_MODE_TREE = {
    ".bumper.yaml": (
        b"version: 1\nrules:\n  - paths: [clusters/staging]\n    mode: commit\n  - paths: [clusters/prod]\n"
    ),
    "clusters/staging/app.yaml": b"image: ghcr.io/acme/app:v1.4.0\n",
    "clusters/prod/app.yaml": b"image: ghcr.io/acme/app:v1.4.0\n",
}
EXAMPLE_LINES = {
    ("apps/web/deployment.yaml", 20): EXAMPLE_IMAGE,
    ("apps/web/deployment.yaml", 24): EXAMPLE_IMAGE,
    ("charts/api/values.yaml", 6): EXAMPLE_IMAGE,
    ("overlays/prod/kustomization.yaml", 7): EXAMPLE_IMAGE,
}
# The runner's own settings that would change what bumper does: its variables, the CI's, and
# the CA files git and requests read (a TLS test names its own).
_NOT_INHERITED = (
    "BUMPER_", "GITHUB_", "GITLAB_", "GITEA_", "FORGEJO_", "CI_", "GIT_SSL_", "SSL_CERT_",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "BITBUCKET_", "AZURE_DEVOPS_", "SYSTEM_", "BUILD_", "TF_BUILD",
)  # fmt: skip
# Where each host serves acme/manifests: its repository path on the host's API, the path of its
# clone URL (the host's URL layout) and how its git takes the token (testing/git_server.py).
HOST_LAYOUTS = {
    "bitbucket": ("acme/manifests", "acme/manifests.git", {"basic_user": "x-token-auth"}),
    "bitbucket-server": ("PLAT/manifests", "scm/PLAT/manifests.git", {"bearer": True, "basic_user": "-"}),
    "azure-devops": (
        "platform/manifests",
        "acme/platform/_git/manifests",
        {"bearer": True, "basic_user": ""},
    ),
}


@dataclass
class World:
    """The servers, the bare repo behind them, and how to run bumper against them."""

    provider: str
    git: GitServer
    host: FakeGitHub | FakeGitLab | FakeGitea | FakeBitbucket | FakeBitbucketServer | FakeAzureDevOps
    bare: Path
    repo_url: str
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of a CI job: the token, unthrottled API, fast retries."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
        env.update(
            BUMPER_TOKEN=CANARY,
            BUMPER_REPO=self.repo_url,
            BUMPER_PROVIDER=self.provider,
            BUMPER_API_URL=self.host.api_url,
            BUMPER_API_THROTTLE="0",
            BUMPER_API_BACKOFF="0.001",
            NO_COLOR="1",
        )
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """`bumper ARGS` in a subprocess, as CI runs it."""
        return forkserver.run(args, env=self.env(**env), timeout=timeout)

    # -- what a test asserts on -------------------------------------------------------------

    def branch_sha(self, branch: str) -> str | None:
        return repos.branch_sha(self.bare, branch)

    def read(self, ref: str, relpath: str) -> bytes | None:
        return repos.read_file(self.bare, ref, relpath)

    def open_pulls(self) -> list[Any]:
        return self.host.open_pulls()

    def writes(self, since: int = 0) -> list[Any]:
        """API requests that change something (anything but GET)."""
        return [r for r in self.host.requests[since:] if r.method != "GET"]

    def pushes(self, since: int = 0) -> list[Any]:
        return [
            r for r in self.git.requests[since:] if r.method == "POST" and r.path.endswith("git-receive-pack")
        ]


@contextmanager
def make_world(
    root: Path,
    provider: str,
    tree: Mapping[str, bytes] | Path = EXAMPLES,
    *,
    tls: ServerTls | None = None,
    gitlab_prefix: str = "",
    one_origin: bool = False,
) -> Iterator[World]:
    """Serve `tree` as acme/manifests over loopback git, with a fake `provider` host; both over
    HTTPS with a certificate of `tls`'s CA when given. `gitlab_prefix` ("/gitlab") serves the
    GitLab instance under that path (the clone URL then starts with it too); `one_origin` has
    the git server answer the API's paths, as one real host does."""
    if provider in HOST_LAYOUTS:
        with _host_world(root, provider, tree) as world:
            yield world
        return
    host: FakeGitHub | FakeGitLab | FakeGitea
    context = tls.context if tls is not None else None
    if provider == "github":
        host = FakeGitHub(token=CANARY, tls=context)
        host.add_repo(REPO_PATH)
    elif provider == "gitea":  # Gitea's URL layout: http://HOST/owner/repo.git, API under /api/v1
        host = FakeGitea(token=CANARY, tls=context)
        host.add_repo(REPO_PATH)
        for user in ("alice", "bob"):
            host.add_user(user)
    else:
        host = FakeGitLab(token=CANARY, tls=context, prefix=gitlab_prefix)
        host.add_project(REPO_PATH)
        for user in ("alice", "bob"):
            host.add_user(user)
    served = gitlab_prefix.strip("/") + "/" + REPO_PATH if gitlab_prefix else REPO_PATH
    try:
        with serve_git(root / "srv", CANARY, tls=context) as git:
            if one_origin:
                git.api = host
                host.api_url = git.base_url + host.api_url.removeprefix(host.base_url)
            bare = repos.make_bare_repo(git.path_for(served), tree)
            host.serve_git_repo(REPO_PATH, bare)  # --commit-via api commits land in the served repo
            yield World(provider, git, host, bare, git.url_for(served))
            # every request a published API description rejects (the fake answered it 422)
            assert getattr(host, "schema_violations", []) == []
    finally:
        host.close()


@contextmanager
def _host_world(root: Path, provider: str, tree: Mapping[str, bytes] | Path) -> Iterator[World]:
    """A world for Bitbucket Cloud, Bitbucket Data Center or Azure DevOps (HOST_LAYOUTS): the
    clone URL has the host's layout, and git must present the token as that host takes it."""
    path, served, auth = HOST_LAYOUTS[provider]
    host: FakeBitbucket | FakeBitbucketServer | FakeAzureDevOps
    if provider == "bitbucket":
        host = FakeBitbucket(token=CANARY)
        for user in ("alice", "bob"):
            host.add_member(user)
    elif provider == "bitbucket-server":
        host = FakeBitbucketServer(token=CANARY)
        host.users |= {"alice", "bob"}
    else:
        host = FakeAzureDevOps(token=CANARY)
        for user in ("alice", "bob"):
            host.add_identity(user)
    host.add_repo(path)
    try:
        with serve_git(root / "srv", CANARY) as git:
            git.bearer = bool(auth.get("bearer"))
            git.basic_user = auth.get("basic_user")  # type: ignore[assignment]
            bare = repos.make_bare_repo(git.root / served, tree)
            yield World(provider, git, host, bare, f"{git.base_url}/{served}")
    finally:
        host.close()


EVERY_HOST = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")


def world_on_each(hosts: tuple[str, ...] = EVERY_HOST) -> Any:
    """A `world` fixture run once per host of `hosts` (`world = world_on_each()` in a module):
    the example tree served with each host's fake."""

    @pytest.fixture(params=hosts, name="world")
    def fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
        with make_world(tmp_path, request.param) as world:
            yield world

    return fixture
