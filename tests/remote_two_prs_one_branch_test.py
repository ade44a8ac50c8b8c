"""End to end, every host: two open PRs from one bot branch (a person opened a second one by
hand, into another base, or retargeted one). bumper picks one the same way on every host and
whatever order the host lists them in: the PR into the run's base, else the lowest number; it
edits only that one, and a push to the branch, which the other PR shows too, is said in one line
naming it (docs/reference.md, "Bot branches"; README, "A PR a person retargeted is theirs too")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from testing import repos
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, world_on_each

BRANCH, IMAGE = EXAMPLE_BRANCH, EXAMPLE_IMAGE


world = world_on_each()


def by_hand(world: World, base: str, *, listed_first: bool = False) -> Any:
    """A person opens a PR from the bot branch into `base` (created from main when missing)."""
    if world.branch_sha(base) is None:
        repos.git("branch", base, "main", cwd=world.bare)
    host: Any = world.host
    model = host.pulls[0]
    number = max(p.number for p in host.pulls) + 1
    pr = type(model)(model.repo, number, "Backport app to " + base, "by hand", BRANCH, base)
    if listed_first:  # hosts list open PRs in orders of their own: bumper must not depend on it
        host.pulls.insert(0, pr)
    else:
        host.pulls.append(pr)
    return pr


def opened(world: World) -> Any:
    first = bump_json(world, f"{IMAGE}:v1.2.3")
    assert first["status"] == "opened"
    return next(p for p in world.host.pulls if p.number == first["pull_request"]["number"])


def test_a_second_pr_into_another_base_is_left_alone_and_the_push_said(world: World) -> None:
    mine = opened(world)
    theirs = by_hand(world, "release-1")
    proc = run_bump(world, f"{IMAGE}:v1.3.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "updated" and result["pull_request"]["number"] == mine.number
    assert "v1.3.0" in mine.title
    assert (theirs.title, theirs.body, theirs.base, theirs.comments) == (
        "Backport app to release-1",
        "by hand",
        "release-1",
        [],
    )
    [line] = [ln for ln in proc.stderr.splitlines() if f"#{theirs.number} into release-1" in ln]
    assert line.startswith("bumper: ") and f"#{mine.number} into main" in line and BRANCH in line

    api = world.host.mark()
    again = run_bump(world, f"{IMAGE}:v1.3.0")  # nothing new: no write, nothing to say
    assert json.loads(again.stdout)["status"] == "up-to-date" and world.writes(api) == []
    assert f"#{theirs.number}" not in again.stderr


@pytest.mark.parametrize("listed_first", [False, True])
def test_with_no_pr_into_the_base_the_lowest_number_is_the_one_left_alone(
    world: World, listed_first: bool
) -> None:
    mine = opened(world)
    repos.git("branch", "release-1", "main", cwd=world.bare)
    mine.base = "release-1"  # a reviewer retargeted bumper's PR
    theirs = by_hand(world, "release-2", listed_first=listed_first)
    git = len(world.git.requests)
    for tag in ("v1.3.0", "v1.4.0"):
        proc = run_bump(world, f"{IMAGE}:{tag}")
        result = json.loads(proc.stdout)
        assert proc.returncode == 0 and result["status"] == "blocked", proc.stderr
        assert result["pull_request"]["number"] == mine.number and "release-1" in proc.stderr
    assert world.pushes(git) == [] and sorted(p.number for p in world.open_pulls()) == sorted(
        [mine.number, theirs.number]
    )
    assert len(mine.comments) == 1 and "v1.4.0" in mine.comments[0] and theirs.comments == []
