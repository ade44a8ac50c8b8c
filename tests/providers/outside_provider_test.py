"""An outside package adds a provider through the `bumper.providers.v1` entry point, with no
change to bumper: `bumper bump --provider tiny` runs end to end against loopback git."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bumper.providers import registry
from testing import repos
from testing.git_server import serve_git
from testing.world import CANARY, EXAMPLES, REPO_PATH

# The whole outside package: one module holding its registration and its implementation.
TINY_MODULE = '''
"""tiny: a Git host whose pull requests live in the JSON file named by TINY_STATE."""
import json
import os
from pathlib import Path

from bumper.providers.api import PullRequest
from bumper.providers.registry import ProviderSpec

TINY = ProviderSpec(
    name="tiny",
    implementation="tiny_bumper_provider:TinyProvider",
    token_variables=("TINY_TOKEN",),
    hosts=("tiny.invalid",),
)


class TinyProvider:
    name = "tiny"

    def __init__(self, settings):
        self.state = Path(os.environ["TINY_STATE"])
        self.token = settings.token

    def _pulls(self):
        return json.loads(self.state.read_text()) if self.state.exists() else []

    def _save(self, pulls):
        self.state.write_text(json.dumps(pulls))

    def _as_pr(self, p):
        return PullRequest(p["number"], f"https://tiny.invalid/pr/{p['number']}", p["title"],
                           p["body"], p["head"], p["base"])

    def find_pull_request(self, head_branch, base_branch):
        if os.environ.get("TINY_REFUSE"):  # a host that quotes the token back in its refusal
            from bumper.errors import ProviderError
            raise ProviderError(f"tiny refused the token {self.token}")
        for p in self._pulls():
            if (p["head"], p["base"]) == (head_branch, base_branch):
                return self._as_pr(p)
        return None

    def open_pull_request(self, spec):
        pulls = self._pulls()
        pulls.append({"number": len(pulls) + 1, "title": spec.title, "body": spec.body,
                      "head": spec.head_branch, "base": spec.base_branch,
                      "labels": list(spec.labels), "token_seen": self.token == os.environ["TINY_TOKEN"]})
        self._save(pulls)
        return self._as_pr(pulls[-1])

    def update_pull_request(self, pr, title, body):
        pulls = self._pulls()
        for p in pulls:
            if p["number"] == pr.number:
                p["title"], p["body"] = title, body
        self._save(pulls)
        return self.find_pull_request(pr.head_branch, pr.base_branch)
'''


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory holding the installed outside distribution, as pip would leave it."""
    site = tmp_path / "site"
    info = site / "tiny_bumper_provider-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "tiny_bumper_provider.py").write_text(TINY_MODULE)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-bumper-provider\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[bumper.providers.v1]\ntiny = tiny_bumper_provider:TINY\n")
    return site


def run(site: Path, state: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "GITHUB_", "GITLAB_", "GH_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        TINY_TOKEN=CANARY,  # the only token: bumper must read the variable tiny declares
        TINY_STATE=str(state),
        NO_COLOR="1",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-m", "bumper", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bump_through_an_outside_provider(tmp_path: Path, site: Path) -> None:
    state = tmp_path / "tiny-pulls.json"
    with serve_git(tmp_path / "srv", CANARY) as git:
        bare = repos.make_bare_repo(git.path_for(REPO_PATH), EXAMPLES)
        args = ("bump", "ghcr.io/acme/app:v1.2.3", "--repo", git.url_for(REPO_PATH), "--provider", "tiny")
        proc = run(site, state, *args, "--label", "deps", "--output", "json")
        assert proc.returncode == 0, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened"
        assert result["pull_request"] == {"url": "https://tiny.invalid/pr/1", "number": 1}
        [pull] = json.loads(state.read_text())
        assert (pull["head"], pull["base"], pull["labels"]) == (result["branch"], "main", ["deps"])
        assert "ghcr.io/acme/app:v1.2.3" in pull["title"] and pull["token_seen"]
        assert b"ghcr.io/acme/app:v1.2.3" in (
            repos.read_file(bare, result["branch"], "apps/web/deployment.yaml") or b""
        )

        again = run(site, state, *args, "--output", "json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] == "up-to-date"
        assert len(json.loads(state.read_text())) == 1


def test_an_unknown_provider_lists_the_outside_one_too(tmp_path: Path, site: Path) -> None:
    proc = run(
        site,
        tmp_path / "state.json",
        "bump",
        "ghcr.io/acme/app:v1.2.3",
        "--dir",
        str(tmp_path),
        "--provider",
        "gogs",
    )
    assert proc.returncode == 2
    known = ", ".join(sorted([*registry.providers(), "tiny"]))
    assert proc.stderr == f"bumper: error: unknown provider 'gogs'; available: {known}\n"


def test_an_outside_providers_token_is_scrubbed_from_its_errors(tmp_path: Path, site: Path) -> None:
    """The variable an outside provider declares is a secret to every message bumper prints,
    as the built-ins' are (secrets.py reads the registrations themselves)."""
    with serve_git(tmp_path / "srv", CANARY) as git:
        repos.make_bare_repo(git.path_for(REPO_PATH), EXAMPLES)
        args = ("bump", "ghcr.io/acme/app:v1.2.3", "--repo", git.url_for(REPO_PATH), "--provider", "tiny")
        proc = run(site, tmp_path / "state.json", *args, TINY_REFUSE="1")
    assert proc.returncode == 1, proc.stderr
    assert "tiny refused the token ***" in proc.stderr
    assert CANARY not in proc.stdout + proc.stderr


BROKEN_SPEC = """
from bumper.providers.registry import ProviderSpec

BROKEN = ProviderSpec(
    name="broken",
    implementation="broken_bumper_impl:BrokenProvider",
    token_variables=("TINY_TOKEN",),
)
"""


def test_a_provider_whose_sdk_does_not_load_fails_in_one_line(tmp_path: Path, site: Path) -> None:
    """Its SDK is imported ahead of need beside the clone, and again where the provider is built:
    the failure is said once, as a line naming the provider (no thread's traceback), before any
    push."""
    (site / "broken_bumper_provider.py").write_text(BROKEN_SPEC)
    (site / "broken_bumper_impl.py").write_text("import sdk_that_is_not_installed  # noqa\n")
    info = site / "tiny_bumper_provider-0.1.dist-info" / "entry_points.txt"
    info.write_text(info.read_text() + "broken = broken_bumper_provider:BROKEN\n")
    with serve_git(tmp_path / "srv", CANARY) as git:
        bare = repos.make_bare_repo(git.path_for(REPO_PATH), EXAMPLES)
        args = ("bump", "ghcr.io/acme/app:v1.2.3", "--repo", git.url_for(REPO_PATH), "--provider", "broken")
        proc = run(site, tmp_path / "state.json", *args)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.splitlines() == [
            "bumper: error: provider 'broken' does not load: broken_bumper_impl:BrokenProvider "
            "(ModuleNotFoundError: No module named 'sdk_that_is_not_installed'); "
            "reinstall it with what it needs"
        ]
        assert repos.list_branches(bare) == ["main"]
