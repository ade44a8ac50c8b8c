"""End to end, both hosts, `--commit-via api`: a failed update never leaves the bot branch
emptier than before (the error says where it is), and a reviewer's commit that lands between
bumper's read and the host's commit is refused by the host, never overwritten."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import repos
from testing.fake_provider import RecordedRequest, Response
from testing.runs import bump_json, run_bump, start_bump, stop
from testing.seeds import seed_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world

BRANCH = EXAMPLE_BRANCH
FILE = "apps/web/deployment.yaml"  # a file every bump of the example image changes


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param) as w:
        w.extra_env["BUMPER_COMMIT_VIA"] = "api"
        yield w


def _is_commit_call(world: World, req: RecordedRequest) -> bool:
    """The request that makes the commit (after GitHub's reset of the branch)."""
    if world.provider == "github":
        return req.path == "/api/graphql" and "createCommitOnBranch" in str(req.body)
    return req.method == "POST" and req.path.endswith("/repository/commits")


REFUSALS: dict[str, dict[str, Response]] = {
    "github": {
        "forbidden": (
            200,
            {},
            {
                "data": {"createCommitOnBranch": None},
                "errors": [{"type": "FORBIDDEN", "message": "Resource not accessible by integration"}],
            },
        ),
        "server-error": (502, {}, {"message": "Server Error"}),
    },
    "gitlab": {
        "forbidden": (403, {}, {"message": "403 Forbidden - You are not allowed to push into this branch"}),
        "server-error": (502, {}, {"message": "502 Bad Gateway"}),
    },
}


@pytest.mark.parametrize("refusal", ["forbidden", "server-error"])
def test_a_failed_commit_leaves_the_branch_and_its_pr_as_they_were(world: World, refusal: str) -> None:
    assert seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")["status"] == "opened"
    before = world.branch_sha(BRANCH)
    content = world.read(BRANCH, FILE)
    answer = REFUSALS[world.provider][refusal]
    world.host.fault = lambda req: answer if _is_commit_call(world, req) else None

    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0")
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    assert world.branch_sha(BRANCH) == before  # never emptier: the open PR still shows the bump
    assert world.read(BRANCH, FILE) == content and b"v1.2.3" in (content or b"")
    assert [p.number for p in world.open_pulls()] == [1]
    if world.provider == "github":
        assert f"branch {BRANCH} was put back at its earlier commit {before[:12]}" in line, line  # type: ignore[index]
    else:
        assert f"branch {BRANCH} holds what it held before" in line, line
    assert json.loads(proc.stdout)["status"] == "failed"

    world.host.fault = None  # the host healthy again: the rerun delivers
    assert bump_json(world, f"{EXAMPLE_IMAGE}:v1.3.0")["status"] == "updated"
    assert b"v1.3.0" in (world.read(BRANCH, FILE) or b"")


@pytest.mark.parametrize("world", ["github"], indirect=True)  # GitLab has no reset step
def test_a_failed_put_back_says_where_the_branch_is(world: World) -> None:
    """GitHub only (GitLab has no reset): the commit fails, then so does putting it back."""
    assert seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")["status"] == "opened"
    before = world.branch_sha(BRANCH)
    main = world.branch_sha("main")
    resets: list[int] = []

    def fault(req: RecordedRequest) -> Response | None:
        if _is_commit_call(world, req):
            return REFUSALS["github"]["server-error"]
        if req.path == "/api/graphql" and "updateRefs" in str(req.body):
            resets.append(1)
            if len(resets) > 1:  # the reset went through, putting it back does not
                return (502, {}, {"message": "Server Error"})
        return None

    world.host.fault = fault
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0")
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    assert f"branch {BRANCH} could not be put back" in line, line
    assert f"left at the base commit {main[:12]}" in line and before[:12] in line, line  # type: ignore[index]
    assert "a rerun fills it again" in line

    world.host.fault = None
    assert bump_json(world, f"{EXAMPLE_IMAGE}:v1.3.0")["status"] == "updated"


@pytest.mark.parametrize("when", ["before-the-check", "at-the-commit"])
def test_a_reviewers_commit_between_the_read_and_the_commit_is_kept(world: World, when: str) -> None:
    """The reviewer edits a file bumper is about to replace (at the commit: GitLab's
    last_commit_id refuses; GitHub's compare-and-swap), or another file just before the host is
    asked (GitLab: the branch read before the commit). Either way their commit stays, and the
    run says the branch is blocked."""
    assert seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")["status"] == "opened"
    theirs: list[str] = []

    def first_request_of_the_write(req: RecordedRequest) -> bool:
        if when == "at-the-commit":
            return _is_commit_call(world, req)
        if world.provider == "github":
            return req.path == "/api/graphql" and "updateRefs" in str(req.body)
        return req.method == "GET" and "/repository/branches/" in req.path

    def reviewer_pushes(req: RecordedRequest) -> None:
        if not theirs and first_request_of_the_write(req):
            change = {FILE: b"# reviewer's fix\n"} if when == "at-the-commit" else {"NOTES.md": b"fixup\n"}
            theirs.append(repos.add_commit(world.bare, BRANCH, change, message="reviewer fixup"))
        return None

    world.host.fault = reviewer_pushes
    result = bump_json(world, f"{EXAMPLE_IMAGE}:v1.3.0")
    assert theirs, "the race was not staged"
    assert result["status"] == "blocked"
    assert world.branch_sha(BRANCH) == theirs[0]  # the reviewer's commit was not overwritten
    if when == "at-the-commit":
        assert world.read(BRANCH, FILE) == b"# reviewer's fix\n"


@pytest.mark.parametrize("world", ["github"], indirect=True)  # GitLab has no reset step
def test_sigterm_between_the_reset_and_the_commit_puts_the_branch_back(world: World, tmp_path: Path) -> None:
    """GitHub only (GitLab has no reset): CI cancels the job while createCommitOnBranch is under
    way; the branch goes back to bumper's earlier commit before bumper exits."""
    assert seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")["status"] == "opened"
    before = world.branch_sha(BRANCH)
    reached = threading.Event()

    def slow_commit(req: RecordedRequest) -> Response | None:
        if _is_commit_call(world, req):
            reached.set()
            time.sleep(3)
            return (502, {}, {"message": "Server Error"})  # the job was cancelled meanwhile anyway
        return None

    world.host.fault = slow_commit
    proc = start_bump(world, tmp_path, f"{EXAMPLE_IMAGE}:v1.3.0")
    assert reached.wait(60), proc.communicate()
    assert world.branch_sha(BRANCH) != before  # reset to the base: the window is open
    _, err = stop(proc, signal.SIGTERM)
    assert proc.returncode == 143, err
    assert world.branch_sha(BRANCH) == before  # put back before bumper exited
    assert [p.number for p in world.open_pulls()] == [1]


def test_a_reviewers_commit_on_a_branch_left_at_the_base_is_kept(world: World) -> None:
    """A bot branch left at a commit of the base (a run killed between GitHub's two calls) is
    filled by the next run, but never over a commit pushed to it at that moment."""
    main = world.branch_sha("main")
    assert main is not None
    repos.git("update-ref", f"refs/heads/{BRANCH}", main, cwd=world.bare)
    theirs: list[str] = []

    def reviewer_pushes(req: RecordedRequest) -> None:
        if not theirs and _is_commit_call(world, req):
            theirs.append(repos.add_commit(world.bare, BRANCH, {FILE: b"# mine\n"}, message="mine"))
        return None

    world.host.fault = reviewer_pushes
    result = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    assert theirs and result["status"] == "blocked"
    assert world.branch_sha(BRANCH) == theirs[0] and world.read(BRANCH, FILE) == b"# mine\n"
