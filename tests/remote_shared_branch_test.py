"""End to end, GitHub, GitLab and Gitea: two image sets given one `--branch` (a CI template's
`BUMPER_BRANCH: bumper/deploy` for every pipeline) never drop each other's pending bump.

B's run rebuilt the branch from the base with B's change alone: A's bump under review vanished
from the branch and A's PR was retitled B's, in silence. Now B's run is `blocked` while the
branch's open PR holds images outside B's run (one line, one PR comment, nothing pushed), goes
on once that PR is closed or merged, and a run naming every image on the branch updates it
(docs/reference.md, "Bot branches").
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.runs import bump_json, run_bump
from testing.seeds import seed_bump
from testing.world import World, make_world

A, B = "ghcr.io/acme/app-a", "ghcr.io/acme/app-b"
TREE = {"a/app.yaml": f"image: {A}:v1.0.0\n".encode(), "b/app.yaml": f"image: {B}:v1.0.0\n".encode()}
SHARED = "bumper/deploy"


@pytest.fixture(params=["github", "gitlab", "gitea"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def run(world: World, *refs: str) -> subprocess.CompletedProcess[str]:
    return run_bump(world, *refs, "--branch", SHARED)


def pr_for(world: World, number: int) -> Any:
    return next(p for p in world.host.pulls if p.number == number)


def held(world: World) -> tuple[bytes | None, bytes | None]:
    return world.read(SHARED, "a/app.yaml"), world.read(SHARED, "b/app.yaml")


def test_another_sets_pending_bump_on_a_shared_branch_is_never_dropped(world: World) -> None:
    first = seed_bump(world, f"{A}:v1.1.0", "--branch", SHARED)
    pr = pr_for(world, first["pull_request"]["number"])
    tip, api, git = world.branch_sha(SHARED), world.host.mark(), len(world.git.requests)

    proc = run(world, f"{B}:v1.1.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "blocked" and result["branch"] == SHARED
    assert result["pull_request"]["number"] == pr.number
    [line] = proc.stderr.splitlines()
    assert line.startswith(
        f"bumper: warning: branch {SHARED} holds a bump of other images ({A}) under review in pull "
        f"request #{pr.number} (tip "
    )
    assert line.endswith(
        f"left as it is: {B}:v1.1.0 is waiting; merge or close pull request #{pr.number}, or give "
        "each image set a --branch of its own, and bumper will continue"
    )
    assert world.branch_sha(SHARED) == tip and world.pushes(git) == []
    assert held(world) == (f"image: {A}:v1.1.0\n".encode(), f"image: {B}:v1.0.0\n".encode())
    assert f"{A}:v1.1.0" in pr.title and f"{B}" not in pr.title + pr.body
    assert len(pr.comments) == 1 and f"{B}:v1.1.0" in pr.comments[0] and A in pr.comments[0]
    assert [w.method for w in world.writes(api)] == ["POST"]  # the comment, nothing else

    api = world.host.mark()
    again = run(world, f"{B}:v1.1.0")  # a rerun: said again, written nowhere
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "blocked"
    assert world.writes(api) == [] and len(pr.comments) == 1


def test_a_run_naming_every_image_on_the_shared_branch_updates_it(world: World) -> None:
    first = seed_bump(world, f"{A}:v1.1.0", "--branch", SHARED)
    both = json.loads(run(world, f"{A}:v1.0.5", f"{B}:v1.1.0").stdout)  # A never goes backwards
    assert both["status"] == "updated" and both["pull_request"] == first["pull_request"]
    assert held(world) == (f"image: {A}:v1.1.0\n".encode(), f"image: {B}:v1.1.0\n".encode())
    assert repos.commit_trailers(world.bare, SHARED)["Bumper-Images"] == f"{A} {B}"


def test_once_the_other_sets_pr_is_closed_the_shared_branch_starts_again(world: World) -> None:
    first = seed_bump(world, f"{A}:v1.1.0", "--branch", SHARED)
    pr = pr_for(world, first["pull_request"]["number"])
    pr.state, pr.head_sha = "closed", world.branch_sha(SHARED)

    result = json.loads(run(world, f"{B}:v1.1.0").stdout)
    assert result["status"] == "opened" and result["pull_request"]["number"] != pr.number
    assert held(world) == (f"image: {A}:v1.0.0\n".encode(), f"image: {B}:v1.1.0\n".encode())


def test_a_run_naming_an_image_no_longer_in_the_tree_may_drop_it(world: World) -> None:
    """The branch holds A and B; B's file is gone from the base since: a run naming both (B
    found nowhere now) goes on with A alone, as it did; only images the run does not name block."""
    bump_json(world, f"{A}:v1.1.0", f"{B}:v1.1.0", "--branch", SHARED)
    repos.add_commit(world.bare, "main", {"b/app.yaml": None}, message="retire b")
    proc = run(world, f"{A}:v1.2.0", f"{B}:v1.2.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "updated" and result["not_found"] == [f"{B}:v1.2.0"]
    assert held(world) == (f"image: {A}:v1.2.0\n".encode(), None)
