"""End to end, every host: a reviewer retargets bumper's open PR to another base (main ->
release-1). The next run for main finds that PR by its head branch, pushes nothing to it and
opens no second PR from the same branch: `blocked`, said once on stdout/stderr and once as a PR
comment. Retargeted back, bumper updates it again; closed or merged while retargeted, the branch
is stale and the next run starts again from main (docs/reference.md, "A retargeted pull request").
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.git_server import FaultAnswer, RequestInfo
from testing.invariants import assert_bot_branch_sane
from testing.runs import bump_json, run_bump
from testing.seeds import seed_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, World, make_world

HOSTS = ["github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops"]
BRANCH, IMAGE = EXAMPLE_BRANCH, EXAMPLE_IMAGE


@pytest.fixture(params=HOSTS)
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def run(world: World, tag: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bump(world, f"{IMAGE}:{tag}", *args)


def pr_for(world: World, number: int) -> Any:
    return next(p for p in world.host.pulls if p.number == number)


def retarget(world: World, number: int, base: str = "release-1") -> Any:
    """A reviewer changes the PR's base on the host (the branch `base` exists there)."""
    if world.branch_sha(base) is None:
        repos.git("branch", base, "main", cwd=world.bare)
    pr = pr_for(world, number)
    pr.base = base
    return pr


def opened(world: World, tag: str = "v1.2.3") -> Any:
    first = seed_bump(world, f"{IMAGE}:{tag}")
    assert first["status"] == "opened"
    return pr_for(world, first["pull_request"]["number"])


def test_a_retargeted_pr_is_left_alone_and_no_second_pr_is_opened(world: World) -> None:
    pr = opened(world)
    retarget(world, pr.number)
    tip = world.branch_sha(BRANCH)
    git = len(world.git.requests)

    proc = run(world, "v1.3.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "blocked" and result["branch"] == BRANCH
    assert result["pull_request"]["number"] == pr.number
    [skip] = result["skipped"]
    assert skip["reason"].startswith("blocked: ") and "release-1" in skip["reason"]
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"bumper: warning: branch {BRANCH} ") and f"#{pr.number}" in line
    assert "release-1" in line and f"{IMAGE}:v1.3.0 is waiting" in line
    assert "retarget" in line  # what to do

    assert world.branch_sha(BRANCH) == tip and world.pushes(git) == []  # nothing pushed
    assert [p.number for p in world.open_pulls()] == [pr.number]  # no second PR
    assert pr.base == "release-1" and "v1.2.3" in pr.title  # its base and text as the reviewer left them
    assert len(pr.comments) == 1 and "release-1" in pr.comments[0] and "v1.3.0" in pr.comments[0]

    api, git = world.host.mark(), len(world.git.requests)
    again = run(world, "v1.3.0")  # a rerun: said again, written nowhere
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "blocked"
    assert world.writes(api) == [] and world.pushes(git) == []
    assert len(pr.comments) == 1


def test_a_dry_run_says_blocked_and_writes_nothing(world: World) -> None:
    pr = opened(world)
    retarget(world, pr.number)
    api, git = world.host.mark(), len(world.git.requests)
    proc = run(world, "v1.3.0", "--dry-run")
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "blocked"
    assert world.writes(api) == [] and world.pushes(git) == [] and pr.comments == []


def test_a_retargeted_pr_holding_these_versions_gets_no_comment(world: World) -> None:
    pr = opened(world)
    retarget(world, pr.number)
    proc = run(world, "v1.2.3")
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "blocked"
    assert "already holds these versions" in proc.stderr and pr.comments == []


def test_retargeted_back_to_main_it_is_updated_again(world: World) -> None:
    pr = opened(world)
    retarget(world, pr.number)
    assert run(world, "v1.3.0").returncode == 0
    pr.base = "main"  # the reviewer changes their mind

    result = bump_json(world, f"{IMAGE}:v1.3.0")
    assert result["status"] == "updated" and result["pull_request"]["number"] == pr.number
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=EXAMPLE_LINES, tags={"v1.3.0"}) == "v1.3.0"
    assert [p.number for p in world.open_pulls()] == [pr.number] and "v1.3.0" in pr.title


@pytest.mark.parametrize("state", ["closed", "merged"])
def test_closed_or_merged_while_retargeted_the_branch_is_stale(world: World, state: str) -> None:
    pr = opened(world, "v2.0.0")
    retarget(world, pr.number)
    pr.state, pr.head_sha = state, world.branch_sha(BRANCH)

    result = bump_json(world, f"{IMAGE}:v1.9.1")  # lower than the closed PR's: not held back by it
    assert result["status"] == "opened" and result["pull_request"]["number"] != pr.number
    [new] = world.open_pulls()
    assert new.base == "main" and new.head == BRANCH
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=EXAMPLE_LINES, tags={"v1.9.1"}) == "v1.9.1"


def test_a_pr_into_main_wins_over_a_retargeted_one(world: World) -> None:
    """Someone retargeted bumper's PR and a later PR from the same branch into main exists (a
    person opened it): that one is bumper's for main, and is updated."""
    pr = opened(world)
    retarget(world, pr.number)
    host: Any = world.host
    other = type(pr)(pr.repo, pr.number + 1, "Bump app", "by hand", BRANCH, "main")
    host.pulls.append(other)
    result = bump_json(world, f"{IMAGE}:v1.3.0")
    assert result["status"] == "updated" and result["pull_request"]["number"] == other.number
    assert pr.comments == [] and pr.base == "release-1"


def test_a_persons_commit_on_a_retargeted_prs_branch_stays(world: World) -> None:
    pr = opened(world)
    retarget(world, pr.number)
    theirs = repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"backport note\n"}, message="note")
    proc = run(world, "v1.3.0")
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "blocked"
    assert world.branch_sha(BRANCH) == theirs and [p.number for p in world.open_pulls()] == [pr.number]


def test_a_renamed_default_branch_carries_the_pr_and_bumper_follows(world: World) -> None:
    """The base is renamed (main -> trunk; the hosts retarget open PRs with it): the next run,
    on the remote's default branch, finds its PR into trunk and updates it."""
    pr = opened(world)
    repos.git("branch", "-m", "main", "trunk", cwd=world.bare)
    repos.git("symbolic-ref", "HEAD", "refs/heads/trunk", cwd=world.bare)
    pr.base = "trunk"
    result = bump_json(world, f"{IMAGE}:v1.3.0")
    assert result["status"] == "updated" and result["pull_request"]["number"] == pr.number
    assert [p.number for p in world.open_pulls()] == [pr.number] and "v1.3.0" in pr.title
    assert b"v1.3.0" in (world.read(BRANCH, "apps/web/deployment.yaml") or b"")


def test_retargeted_while_bumper_pushes_the_next_attempt_leaves_it_alone(world: World) -> None:
    """The reviewer changes the base between bumper's lookup and its push: the check after the
    push sees it, the attempt starts again and leaves the PR alone; never a second PR."""
    pr = opened(world)
    repos.git("branch", "release-1", "main", cwd=world.bare)

    def fault(info: RequestInfo) -> FaultAnswer:
        if info.method == "POST" and info.path.endswith("git-receive-pack"):
            pr.base = "release-1"  # as the push arrives
        return None

    world.git.fault = fault
    proc = run(world, "v1.3.0")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "blocked"
    assert [p.number for p in world.open_pulls()] == [pr.number] and pr.base == "release-1"
    # The push that landed before the retarget was seen stays; the PR's text describes it.
    assert b"v1.3.0" in (world.read(BRANCH, "apps/web/deployment.yaml") or b"") and "v1.3.0" in pr.title
    assert "already holds these versions" in proc.stderr and pr.comments == []


def test_a_comment_the_host_refuses_leaves_the_run_blocked_and_said(world: World) -> None:
    """A locked conversation, a token that may not comment, an outage: the comment's 403 ended
    the run in exit 1 with only that error, so the line saying why the branch was left alone
    (and what to do) was never printed. Now it is `blocked` (exit 0), said, plus the refusal."""
    pr = opened(world)
    retarget(world, pr.number)
    refusal = (403, {}, {"message": "locked"})
    world.host.inject(refusal, method="POST", path="(comments|notes|threads)$", times=9)
    proc = run(world, "v1.3.0")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "blocked"
    blocked, refused = proc.stderr.splitlines()
    assert blocked.startswith(f"bumper: warning: branch {BRANCH} ") and "release-1" in blocked
    assert refused.startswith("bumper: warning: ") and "403" in refused and f"{pr.number}" in refused
    assert pr.comments == [] and pr.base == "release-1"
