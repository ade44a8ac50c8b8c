"""`--provider auto` on a local repository (a path or file:// URL): the run says why no pull
request is opened in its own words, never naming a `--provider none` the user did not pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing import forkserver

REF = "nginx:1.27.2"


@pytest.fixture
def local_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "manifests"
    repo.mkdir()
    (repo / "app.yaml").write_text("image: nginx:1.27.1\n")
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "first"]):
        subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", *args], cwd=repo, check=True)
    return repo


@pytest.mark.parametrize("spelling", ["file", "path"])
def test_auto_on_a_local_repository_does_not_talk_about_provider_none(
    local_repo: Path, spelling: str
) -> None:
    url = local_repo.as_uri() if spelling == "file" else str(local_repo)
    dry = forkserver.run(["bump", REF, "--repo", url, "--dry-run"])
    assert dry.returncode == 0, dry.stderr
    assert "--provider none" not in dry.stderr
    assert "a local repository (a path or file:// URL) has no Git host API" in dry.stderr
    api = forkserver.run(["bump", REF, "--repo", url, "--commit-via", "api"])
    assert api.returncode == 2
    assert api.stderr == (
        "bumper: error: --commit-via api needs a Git host's API: a local repository "
        "(a path or file:// URL) has none; use --commit-via git\n"
    )
    wait = forkserver.run(["bump", REF, "--repo", url, "--wait", "merged"])
    assert wait.returncode == 2
    assert wait.stderr == (
        "bumper: error: --wait merged needs a Git host's API: a local repository "
        "(a path or file:// URL) has none; drop --wait\n"
    )


def test_provider_none_still_says_so(local_repo: Path) -> None:
    dry = forkserver.run(["bump", REF, "--repo", local_repo.as_uri(), "--dry-run", "--provider", "none"])
    assert dry.returncode == 0, dry.stderr
    assert "--provider none opens no pull request" in dry.stderr
