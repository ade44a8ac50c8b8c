"""End to end, both hosts: a person closes or merges the bot branch's PR while bumper pushes to it.

The PR lookup runs before the push (beside the bot branch's ls-remote). A PR closed or merged
between that answer and the push once left the run updating a closed PR's title and reporting
it as `updated`: the new commit then sat on a branch no open PR showed. Now the run sees the PR
is gone after its push and starts again, opening a PR for its commit; the closed PR's title and
body, rewritten before the run could know, are put back as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.git_server import FaultAnswer, RequestInfo
from testing.runs import run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world


def _close_during_push(world: World, state: str) -> None:
    """Close (or merge) every PR of the host while the git server takes bumper's push."""

    def close(info: RequestInfo) -> FaultAnswer:
        if info.method == "POST" and info.path.endswith("git-receive-pack"):
            for pull in world.host.pulls:
                pull.state = state
        return None

    world.git.fault = close


@pytest.mark.parametrize(
    ("provider", "state"),
    [
        ("github", "closed"),
        ("github", "merged"),
        ("gitlab", "closed"),
        ("gitlab", "merged"),
        ("gitea", "closed"),
    ]
    + [("bitbucket", "merged"), ("bitbucket-server", "closed"), ("azure-devops", "merged")],
)
def test_a_pr_closed_during_the_push_gets_an_open_pr_for_the_new_commit(
    tmp_path: Path, provider: str, state: str
) -> None:
    with make_world(tmp_path, provider) as world:
        first = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["pull_request"]["number"] == 1
        [closed] = world.host.pulls
        text_at_close = (closed.title, closed.body)
        _close_during_push(world, state)

        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        [pull] = world.open_pulls()
        assert result["status"] == "opened" and result["pull_request"]["number"] == pull.number != 1
        assert f"{EXAMPLE_IMAGE}:v1.2.4" in pull.title
        # the PR the person closed reads as they closed it, not as the v1.2.4 it never held
        assert (closed.title, closed.body) == text_at_close and "v1.2.3" in closed.title
        tip = world.branch_sha(EXAMPLE_BRANCH)
        assert tip is not None and b"v1.2.4" in (
            world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b""
        )

        world.git.fault = None
        again = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")  # converged: nothing more to do
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] == "up-to-date"
        assert world.branch_sha(EXAMPLE_BRANCH) == tip and len(world.open_pulls()) == 1
