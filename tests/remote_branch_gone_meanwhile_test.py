"""End to end, GitHub, GitLab and Gitea: the bot branch goes away while bumper runs. A person
merges the PR and the host deletes its branch (or someone renames the branch: its old name is
gone) between bumper's read of the branch and its push. The push, leased on the tip read,
fails; the attempt starts again from a fresh read, finds no branch and no open PR, and opens a
new PR for the new version. Nothing is pushed over the renamed branch, and the merged PR is not
edited (docs/reliability.md, "A person's work, stale branches and big bumps")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from testing import repos
from testing.git_server import FaultAnswer, RequestInfo
from testing.invariants import assert_bot_branch_sane
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, World, world_on_each

world = world_on_each(("github", "gitlab", "gitea"))


def at_the_push(world: World, act: Any) -> None:
    """Run `act` once, when git first asks to push (before the push is served)."""
    done: list[bool] = []

    def hook(info: RequestInfo) -> FaultAnswer:
        if not done and "git-receive-pack" in info.path + info.query:
            done.append(True)
            act()
        return None

    world.git.fault = hook


@pytest.mark.parametrize("how", ["merged-and-deleted", "renamed"])
def test_a_branch_gone_before_the_push_gets_a_new_pr(world: World, how: str) -> None:
    first = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    host: Any = world.host
    old = next(p for p in host.pulls if p.number == first["pull_request"]["number"])
    tip = world.branch_sha(EXAMPLE_BRANCH)
    assert tip is not None

    def gone() -> None:
        if how == "renamed":
            repos.git("branch", "-m", EXAMPLE_BRANCH, "review/app", cwd=world.bare)
            old.head = "review/app"  # the host moves the PR with its branch
        else:
            repos.git("update-ref", "-d", f"refs/heads/{EXAMPLE_BRANCH}", cwd=world.bare)
            old.state, old.head_sha = "merged", tip

    at_the_push(world, gone)
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "opened" and result["pull_request"]["number"] != old.number
    assert assert_bot_branch_sane(world, EXAMPLE_BRANCH, expected_lines=EXAMPLE_LINES, tags={"v1.3.0"})
    assert "v1.2.3" in old.title and old.comments == []  # the PR that went away is not edited
    if how == "renamed":
        assert world.branch_sha("review/app") == tip  # the renamed branch is left as it was
    [new] = [p for p in world.open_pulls() if p.head == EXAMPLE_BRANCH]
    assert "v1.3.0" in new.title
