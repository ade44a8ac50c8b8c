"""End to end, every host: a repository URL whose path has a `.` or `..` segment, or a query.

git resolves such a segment before it asks the host (`/zzz/../acme/manifests.git` clones
`acme/manifests`), but the providers were given the path as written: GitLab answered 404 for
the project after the whole clone (exit 1), Gitea was asked about `./manifests`, and Azure
DevOps or Bitbucket Data Center took `zzz/..` for the organization or the context path, so the
API could name another repository than the one cloned. Now it is bad input, said before any
request to the host.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testing.runs import run_bump
from testing.world import EXAMPLE_IMAGE, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")


@pytest.mark.parametrize("segment", ["zzz/..", ".", "zzz/%2E%2e"])
@pytest.mark.parametrize("provider", HOSTS)
def test_a_dot_segment_is_refused_before_any_request(tmp_path: Path, provider: str, segment: str) -> None:
    with make_world(tmp_path, provider) as world:
        url = re.sub(r"^(https?://[^/]+)/", rf"\1/{segment}/", world.repo_url)
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REPO=url)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: repository URL ") and "'.' or '..' path segment" in line
        assert world.git.requests == [] and world.host.requests == []


@pytest.mark.parametrize("tail", ["?path=%2F&version=GBmain", "#readme", "?"])
@pytest.mark.parametrize("provider", HOSTS)
def test_a_query_or_fragment_is_bad_input(tmp_path: Path, provider: str, tail: str) -> None:
    """Pasted from the browser: git asked for `…?query/info/refs` and the run ended in
    "repository not found" (exit 1) though the repository is there."""
    with make_world(tmp_path, provider) as world:
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REPO=world.repo_url + tail)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: repository URL ") and "has a query or fragment" in line
        assert world.git.requests == [] and world.host.requests == []


@pytest.mark.parametrize("userinfo", ["bot@", "bot:pw@"])
def test_a_query_is_not_echoed_by_the_credentials_refusal(tmp_path: Path, userinfo: str) -> None:
    """The credentials check comes first: it quoted the URL with its query, so a secret that is
    not the run's token (a pasted `private_token=`) reached the log."""
    secret = "plain-words-not-token-shaped"
    with make_world(tmp_path, "gitlab") as world:
        url = world.repo_url.replace("://", f"://{userinfo}", 1) + f"?private_token={secret}"
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REPO=url)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()
        assert "contains credentials" in line and secret not in line, line
        assert world.git.requests == [] and world.host.requests == []


@pytest.mark.parametrize("tail", ["\r", "\n", " ", "\t", "\x1b[0m"])
@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_whitespace_or_a_control_character_is_bad_input(tmp_path: Path, provider: str, tail: str) -> None:
    """A CI variable's trailing CR or space: git was given it and the run ended in a "network
    error" (exit 1) whose line held the raw CR. Refused as `--api-url` refuses it."""
    with make_world(tmp_path, provider) as world:
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REPO=world.repo_url + tail)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: invalid repository URL ") and "\r" not in line, line
        assert world.git.requests == [] and world.host.requests == []
