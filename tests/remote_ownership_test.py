"""End to end, both hosts: bumper never rewrites a branch holding a commit it did not make.

README, "The remote flow" (the branch bumper owns): a person's commit on the bot branch, a `--branch` naming
someone else's branch, a stale branch whose PR was closed or merged, and a person's edits to
the PR text, as a reviewer would meet them on GitHub and GitLab.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.invariants import assert_bot_branch_sane
from testing.runs import bump_json, run_bump
from testing.seeds import seed_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, World, make_world

IMAGE = EXAMPLE_IMAGE
BRANCH = EXAMPLE_BRANCH
LINES = EXAMPLE_LINES


@pytest.fixture(params=["github", "gitlab", "gitea"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def run(world: World, tag: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bump(world, f"{IMAGE}:{tag}", *args)


def bump(world: World, tag: str, *args: str) -> dict[str, Any]:
    return bump_json(world, f"{IMAGE}:{tag}", *args)


def seed(world: World, tag: str, *args: str) -> dict[str, Any]:
    """What an earlier run left (testing/seeds.py: bumper's own end state, run once per worker)."""
    return seed_bump(world, f"{IMAGE}:{tag}", *args)


def main_files(world: World, tag: str) -> dict[str, bytes | None]:
    """The image files of main with the image at `tag`."""
    return {p: (world.read("main", p) or b"").replace(b"v1.2.0", tag.encode()) for p, _ in LINES}


def pr_for(world: World, number: int) -> Any:
    return next(p for p in world.host.pulls if p.number == number)


def close(world: World, number: int, *, merged: bool = False) -> None:
    """A person closes (or merges) the PR on the host; its branch is kept, the default on both."""
    pr = pr_for(world, number)
    pr.state = "merged" if merged else "closed"
    pr.head_sha = world.branch_sha(pr.head)


def blocked_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: warning: branch " + BRANCH), proc.stderr
    return lines[0]


# -- a person's commit on the bot branch ---------------------------------------------------------


def test_a_persons_commit_on_the_bot_branch_is_never_force_pushed_away(world: World) -> None:
    first = seed(world, "v1.2.3")
    theirs = repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")

    again = run(world, "v1.2.3")  # a rerun of the same tag
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "blocked"
    assert "already holds these versions" in blocked_line(again)
    assert world.branch_sha(BRANCH) == theirs
    assert pr_for(world, first["pull_request"]["number"]).comments == []  # nothing is waiting

    api, git = world.host.mark(), len(world.git.requests)
    newer = run(world, "v1.3.0")
    result = json.loads(newer.stdout)
    assert newer.returncode == 0 and result["status"] == "blocked"
    assert f"{IMAGE}:v1.3.0 is waiting" in blocked_line(newer)
    assert result["changes"] == [] and result["skipped"][0]["reason"].startswith("blocked: ")
    assert result["pull_request"]["number"] == first["pull_request"]["number"]
    assert world.branch_sha(BRANCH) == theirs and world.pushes(git) == []
    [comment] = pr_for(world, first["pull_request"]["number"]).comments
    assert f"{IMAGE}:v1.3.0" in comment and BRANCH in comment
    assert [w.method for w in world.writes(api)] == ["POST"]  # the comment, nothing else

    api, git = world.host.mark(), len(world.git.requests)
    assert json.loads(run(world, "v1.3.0").stdout)["status"] == "blocked"
    assert world.writes(api) == [] and world.pushes(git) == []  # the rerun says it once more, writes nothing
    assert len(pr_for(world, first["pull_request"]["number"]).comments) == 1


def test_an_amended_bot_commit_is_a_persons_commit(world: World) -> None:
    seed(world, "v1.2.3")
    mine = repos.commit_info(world.bare, BRANCH)["message"]  # the trailers come along on an amend
    files = main_files(world, "v1.2.3")
    files["charts/api/values.yaml"] = (files["charts/api/values.yaml"] or b"").replace(
        b"replicaCount: 1", b"replicaCount: 3"
    )
    amended = repos.add_commit(world.bare, BRANCH, files, message=mine, parent=world.branch_sha("main"))

    proc = run(world, "v1.3.0")
    assert json.loads(proc.stdout)["status"] == "blocked"
    assert "changed after bumper made it" in blocked_line(proc)
    assert world.branch_sha(BRANCH) == amended


def test_a_bot_commit_rebased_onto_a_persons_commit_is_left_alone(world: World) -> None:
    main = world.branch_sha("main")
    theirs = repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"mine\n"}, message="wip", parent=main)
    files = main_files(world, "v1.2.3")
    on_top = repos.add_bot_commit(world.bare, BRANCH, files, message="Bump", parent=theirs)

    proc = run(world, "v1.3.0")
    assert json.loads(proc.stdout)["status"] == "blocked"
    assert "commits bumper did not make" in blocked_line(proc)
    assert world.branch_sha(BRANCH) == on_top


def test_ownership_reads_the_trailers_not_who_committed(world: World) -> None:
    """A commit the host made for bumper (its API commits carry the host's identity) is bumper's."""
    main = world.branch_sha("main")
    repos.add_bot_commit(world.bare, BRANCH, main_files(world, "v1.2.3"), message="Bump", parent=main)
    assert repos.commit_info(world.bare, BRANCH)["committer_name"] != "bumper[bot]"

    result = bump(world, "v1.3.0")
    assert result["status"] == "opened"
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.3.0"}) == "v1.3.0"


def test_a_bot_branch_built_on_an_older_main_is_still_bumpers(world: World) -> None:
    seed(world, "v1.2.3")
    repos.add_commit(world.bare, "main", {"README.md": b"merged meanwhile\n"}, message="docs")
    repos.add_commit(world.bare, "main", {"README.md": b"and again\n"}, message="docs")

    assert bump(world, "v1.3.0")["status"] == "updated"
    assert repos.commit_info(world.bare, BRANCH)["parents"] == world.branch_sha("main")
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.3.0"}) == "v1.3.0"


# -- --branch naming a branch bumper does not own --------------------------------------------------


def test_branch_naming_someone_elses_branch_is_refused(world: World) -> None:
    main = world.branch_sha("main")
    staging = repos.add_commit(world.bare, "staging", {"NOTES.md": b"staging only\n"}, parent=main)
    api = world.host.mark()

    proc = run(world, "v1.2.3", "--branch", "staging")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("bumper: error: --branch 'staging' already exists") and "--branch" in line
    assert world.branch_sha("staging") == staging
    assert world.pushes() == [] and world.writes(api) == []


@pytest.mark.parametrize("how", ["--branch", "--branch-and-base"])
def test_branch_naming_the_base_is_refused_before_any_write(world: World, how: str) -> None:
    """With --base the refusal needs no request; without, the clone names the default branch
    (no separate ls-remote before it, issue 30) and the run stops before any push or API call,
    also where the base's policy sends the change straight to the base (mode: commit)."""
    main = repos.add_commit(world.bare, "main", {".bumper.yaml": b"version: 1\nrules:\n  - mode: commit\n"})
    args = ["--branch", "main"] + (["--base", "main"] if how == "--branch-and-base" else [])
    proc = run(world, "v1.2.3", *args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "bumper: error: --branch 'main' is the base branch; bumper pushes only to a branch of its own"
    ]
    assert world.pushes() == [] and world.host.mark() == 0 and world.branch_sha("main") == main
    if how == "--branch-and-base":
        assert world.git.requests == []


def test_branch_bumper_made_before_is_updated(world: World) -> None:
    seed(world, "v1.2.3", "--branch", "deps/app")
    assert bump(world, "v1.3.0", "--branch", "deps/app")["status"] == "updated"
    assert assert_bot_branch_sane(world, "deps/app", expected_lines=LINES, tags={"v1.3.0"}) == "v1.3.0"


# -- a stale branch: its PR was closed or merged -----------------------------------------------------


def test_a_closed_prs_branch_does_not_hold_back_a_hotfix(world: World) -> None:
    first = seed(world, "v2.0.0")
    close(world, first["pull_request"]["number"])

    result = bump(world, "v1.9.1")
    assert result["status"] == "opened"
    assert result["pull_request"]["number"] != first["pull_request"]["number"]
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.9.1"}) == "v1.9.1"
    [pr] = world.open_pulls()
    assert "v1.9.1" in pr.title and "v2.0.0" not in pr.title + pr.body


def test_a_merged_then_reverted_bump_does_not_come_back(world: World) -> None:
    original = main_files(world, "v1.2.0")
    first = seed(world, "v1.3.0")
    merged = {p: world.read(BRANCH, p) for p, _ in LINES}
    repos.add_commit(world.bare, "main", merged, message="Merge bump")  # the branch is kept
    close(world, first["pull_request"]["number"], merged=True)
    repos.add_commit(world.bare, "main", original, message="Revert bump")

    result = bump(world, "v1.2.1")
    assert result["status"] == "opened"
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.2.1"}) == "v1.2.1"


def test_never_backwards_still_holds_while_the_pr_is_open(world: World) -> None:
    seed(world, "v2.0.0")
    result = bump(world, "v1.9.1")
    assert result["status"] == "up-to-date"
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v2.0.0"}) == "v2.0.0"


# -- a person's edits to the PR text -------------------------------------------------------------------


@pytest.mark.parametrize("keep_marker", [True, False])
def test_a_rerun_keeps_a_persons_title_and_body(world: World, keep_marker: bool) -> None:
    first = seed(world, "v1.2.3")
    pr = pr_for(world, first["pull_request"]["number"])
    marker = pr.body.splitlines()[-1]
    pr.title = "Roll out app v1.2.3 (reviewed by ops)"
    pr.body = "Checked on staging.\n\n" + (marker if keep_marker else "")
    api, git = world.host.mark(), len(world.git.requests)

    assert bump(world, "v1.2.3")["status"] == "up-to-date"
    assert world.writes(api) == [] and world.pushes(git) == []
    assert pr.title == "Roll out app v1.2.3 (reviewed by ops)" and pr.body.startswith("Checked on staging.")
