"""End to end, GitHub, GitLab and Gitea: however many commits a person (or the host's "update
branch" button) put on top of bumper's, and however they got there (two commits, a merge, a
force-push that rewrote the branch, a commit slipped in under a later bot commit), the next run
never overwrites them; and a run of another image set whose default name reads alike still sees
whose branch it is, so it takes its twin instead of waiting on the other set's PR (README, "The
remote flow"; docs/reference.md, "Bot branches")."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.alike import ALIKE_BRANCH, TREE, A, B
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world

ALIKE = ALIKE_BRANCH
TWIN_B = f"{ALIKE}-{hashlib.sha256(B.encode()).hexdigest()[:8]}"


@pytest.fixture(params=["github", "gitlab", "gitea"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param) as w:
        yield w


@pytest.fixture(params=["github", "gitlab", "gitea"])
def alike(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def blocked_and_kept(world: World, tag: str, tip: str | None) -> dict[str, Any]:
    """A run of `tag` leaves the bot branch at `tip` (nothing pushed) and answers `blocked`."""
    git = len(world.git.requests)
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:{tag}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "blocked", result
    assert world.branch_sha(EXAMPLE_BRANCH) == tip and world.pushes(git) == []
    return result


def test_two_reviewer_commits_stay_through_reruns(world: World) -> None:
    bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"one\n"}, message="review 1")
    tip = repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"two\n"}, message="review 2")
    for tag in ("v1.2.3", "v1.3.0", "v1.3.0"):
        blocked_and_kept(world, tag, tip)


def test_a_merge_of_the_base_and_a_commit_on_it_stay(world: World) -> None:
    bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    repos.add_commit(world.bare, "main", {"NOTES.md": b"meanwhile\n"}, message="docs")
    repos.merge(world.bare, EXAMPLE_BRANCH, "main", f"Merge branch 'main' into {EXAMPLE_BRANCH}")
    blocked_and_kept(world, "v1.3.0", world.branch_sha(EXAMPLE_BRANCH))
    tip = repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"after the merge\n"}, message="fix")
    blocked_and_kept(world, "v1.4.0", tip)


def test_a_reviewers_commit_under_a_later_bot_commit_stays(world: World) -> None:
    """A person's commit, then a commit carrying bumper's trailers on top of it (a bumper run
    racing the push, or bumper's commit cherry-picked back on top): the tip looks like bumper's,
    but its parent is not on the base, so the branch holds someone's work."""
    first = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    theirs = repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"review\n"}, message="review")
    deploy = next(c["file"] for c in first["changes"])
    text = (world.read(EXAMPLE_BRANCH, deploy) or b"").replace(b"v1.2.3", b"v1.2.4")
    tip = repos.add_bot_commit(world.bare, EXAMPLE_BRANCH, {deploy: text}, message="Bump", parent=theirs)
    assert repos.commit_trailers(world.bare, EXAMPLE_BRANCH)["Bumper-Branch"] == EXAMPLE_BRANCH
    result = blocked_and_kept(world, "v1.3.0", tip)
    assert "not make" in result["skipped"][0]["reason"]


@pytest.mark.parametrize("rewrite", ["persons", "trailers-copied"])
def test_a_force_push_that_rewrote_the_branch_stays(world: World, rewrite: str) -> None:
    """Someone force-pushed the bot branch to their own commit on main: plainly theirs, or
    carrying the trailers of bumper's commit copied into its message (its content differs)."""
    bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    message = "rewritten by hand"
    if rewrite == "trailers-copied":
        trailers = repos.commit_trailers(world.bare, EXAMPLE_BRANCH)
        message += "\n\n" + "\n".join(f"{k}: {v}" for k, v in trailers.items())
    main = world.branch_sha("main")
    tip = repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"mine\n"}, message=message, parent=main)
    blocked_and_kept(world, "v1.3.0", tip)
    blocked_and_kept(world, "v1.3.0", tip)  # a rerun too


def test_another_sets_branch_under_three_commits_is_still_the_other_sets(alike: World) -> None:
    """A's branch with two reviewer commits and a merge of main on top: B's run, whose default
    name reads alike, reads past them to A's commit, takes its twin and leaves A's branch and PR
    alone (before, two commits deep, it found no commit of bumper's, took the name and waited
    on A's PR, `blocked`, commenting there)."""
    first = bump_json(alike, f"{A}:v2.0.0")
    repos.add_commit(alike.bare, ALIKE, {"NOTES.md": b"one\n"}, message="review 1")
    repos.add_commit(alike.bare, ALIKE, {"NOTES.md": b"two\n"}, message="review 2")
    repos.add_commit(alike.bare, "main", {"OTHER.md": b"meanwhile\n"}, message="docs")
    theirs = repos.merge(alike.bare, ALIKE, "main", f"Merge branch 'main' into {ALIKE}")

    second = bump_json(alike, f"{B}:v3.0.0")
    assert second["status"] == "opened" and second["branch"] == TWIN_B
    assert alike.branch_sha(ALIKE) == theirs
    pr = next(p for p in alike.host.pulls if p.number == first["pull_request"]["number"])
    assert pr.comments == [] and f"{A}:v2.0.0" in pr.title
    assert repos.commit_trailers(alike.bare, TWIN_B)["Bumper-Images"] == B
