"""End to end, GitHub and GitLab: a person closed bumper's PR for a version (they declined it);
a rerun for that same version (a CI retry) opened a second PR proposing it again, which
--automerge would then merge. Now the stale branch that still holds exactly those versions is
left as it is: `blocked`, nothing pushed, no PR. A newer version opens a new PR as before, and
deleting the branch has the version proposed again (docs/reference.md, "Bot branches")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import repos
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world

BRANCH, IMAGE = EXAMPLE_BRANCH, EXAMPLE_IMAGE


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def declined(world: World, tag: str) -> int:
    """bumper opens a PR for `tag`; a person closes it without merging. Its number."""
    assert bump_json(world, f"{IMAGE}:{tag}")["status"] == "opened"
    [pr] = world.open_pulls()
    pr.state, pr.head_sha = "closed", world.branch_sha(BRANCH) or ""
    return pr.number


def test_a_rerun_of_a_declined_version_opens_no_pr_again(world: World) -> None:
    number = declined(world, "v2.0.0")
    tip, git = world.branch_sha(BRANCH), len(world.git.requests)

    proc = run_bump(world, f"{IMAGE}:v2.0.0", "--automerge")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["status"], result["pull_request"], result["changes"]) == ("blocked", None, [])
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"bumper: warning: branch {BRANCH} was the head of a pull request with these")
    assert "delete the branch" in line
    assert world.open_pulls() == [] and [p.number for p in world.host.pulls] == [number]
    assert world.branch_sha(BRANCH) == tip and world.pushes(git) == []

    newer = bump_json(world, f"{IMAGE}:v2.0.1")  # a newer version: a new PR, as before
    assert newer["status"] == "opened" and newer["pull_request"]["number"] != number


def test_deleting_the_declined_branch_has_the_version_proposed_again(world: World) -> None:
    number = declined(world, "v2.0.0")
    repos.git("branch", "-D", BRANCH, cwd=world.bare)

    again = bump_json(world, f"{IMAGE}:v2.0.0")
    assert again["status"] == "opened" and again["pull_request"]["number"] != number
