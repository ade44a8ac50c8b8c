"""End to end, both hosts: a clone or fetch the host refuses with its own reason (403 with a
message, as GitHub's SAML single sign-on answers) quotes that reason, as a refused push does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.canary import assert_no_canary
from testing.git_server import FaultAnswer, RequestInfo
from testing.world import CANARY, make_world

IMAGE = "ghcr.io/acme/app"
BRANCH = "bumper/ghcr.io-acme-app"
# GitHub's words (as git prints a text/plain 403), and a secret a careless proxy might echo
SSO = (
    "The 'acme' organization has enabled or enforced SAML SSO. To access\n"
    "this repository, you must re-authorize the OAuth Application `bumper`.\n"
    f"(token {CANARY})\n"
).encode()


def _refuse_nth_read(n: int) -> tuple[list[int], object]:
    """A fault that answers the `n`th git read (1: the clone; 3: the bot branch's fetch) with
    GitHub's SAML 403, and every later read too."""
    seen = [0]

    def fault(info: RequestInfo) -> FaultAnswer:
        if info.method == "GET" and info.query == "service=git-upload-pack":
            seen[0] += 1
        return (403, SSO) if seen[0] >= n else None

    return seen, fault


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("step,nth", [("clone", 1), ("fetch", 3)])
def test_a_refused_read_quotes_the_hosts_reason(tmp_path: Path, provider: str, step: str, nth: int) -> None:
    with make_world(tmp_path, provider) as world:
        first = world.run("bump", f"{IMAGE}:v1.2.3")
        assert first.returncode == 0, first.stderr  # the bot branch exists: the next run fetches it
        tip = world.branch_sha(BRANCH)
        _, fault = _refuse_nth_read(nth)
        world.git.fault = fault  # type: ignore[assignment]
        mark = len(world.git.requests)
        proc = world.run("bump", f"{IMAGE}:v1.2.4", "--output", "json")

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"bumper: error: permission denied for git {step} to "), line
        assert "The 'acme' organization has enabled or enforced SAML SSO." in line, line
        assert "re-authorize the OAuth Application" in line and "needs write access" not in line
        assert "single sign-on" in line.rsplit(";", 1)[1]  # what to do comes last
        assert line.endswith("or give the token read access to the repository contents")
        error = json.loads(proc.stdout)["error"]
        assert error["kind"] == "git" and "SAML SSO" in error["message"]
        assert world.pushes(mark) == [] and world.branch_sha(BRANCH) == tip
        assert_no_canary(world, proc)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_bare_403_on_a_clone_asks_for_read_access(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        world.git.fault = lambda info: (403, b"")  # no reason of the host's own
        proc = world.run("bump", f"{IMAGE}:v1.2.3")
        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert "permission denied for git clone" in line, line
        assert line.endswith("the token needs read access to the repository contents"), line
