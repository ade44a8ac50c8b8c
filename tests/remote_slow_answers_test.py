"""End to end, every host: an API answer that trickles in, a byte every 0.2 s, its headers or its
body, once hung a run for ever (each socket read waited at most 30 s, the answer as a whole had
no limit). Now every request has a whole-answer deadline (BUMPER_REQUEST_DEADLINE, 1 s here): the
run ends within it in one line naming the host and the request (never the query or the token),
saying what it pushed, exit 1.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testing import forkserver, repos
from testing.fake_provider import AfterApply, Fault, RecordedRequest, Trickle
from testing.runs import run_bump
from testing.seeds import seed_bump
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
LIST = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)$", re.IGNORECASE)
# Far below the trickle's own length (a 20 kB answer at 5 bytes a second), far above the run's work.
BOUND = 30.0
REQUEST = re.compile(r"(GET|POST) /\S*(pulls|merge_requests|pullrequests|pull-requests) on 127\.0\.0\.1:\d+ ")


def _one_line(proc_stderr: str) -> str:
    lines = proc_stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), proc_stderr
    line = lines[0]
    assert "within 1 s (BUMPER_REQUEST_DEADLINE)" in line and REQUEST.search(line), line
    assert "?" not in line and "state=" not in line, line  # the request's path, not its query
    return line


def _failed_within_the_deadline(
    world: Any, fault: Callable[[RecordedRequest], Fault], deadline: str
) -> tuple[Any, str]:
    """Run a bump against `world` whose host answers through `fault`: it ends well within BOUND,
    exit 1, in the one line _one_line checks; the run and that line."""
    world.host.fault = fault
    started = time.monotonic()
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REQUEST_DEADLINE=deadline)
    assert time.monotonic() - started < BOUND
    assert proc.returncode == 1, proc.stderr
    return proc, _one_line(proc.stderr)


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickled_lookup_ends_the_run_before_any_push(tmp_path: Path, provider: str, part: str) -> None:
    with make_world(tmp_path, provider) as world:

        def slow(req: RecordedRequest) -> Fault:
            return Trickle(part) if req.method == "GET" and LIST.search(req.path) else None

        proc, line = _failed_within_the_deadline(world, slow, "1")
        assert "GET " in line and "pushed" not in line, line
        assert json.loads(proc.stdout)["status"] == "failed"
        assert world.branch_sha(EXAMPLE_BRANCH) is None and world.pushes() == []
        assert world.writes() == []


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("applied", [False, True], ids=["not-applied", "applied"])
def test_a_trickled_create_after_the_push_says_the_branch_stays(
    tmp_path: Path, provider: str, applied: bool
) -> None:
    with make_world(tmp_path, provider) as world:

        def slow(req: RecordedRequest) -> Fault:
            if req.method == "POST" and LIST.search(req.path):
                return AfterApply(Trickle("body")) if applied else Trickle("body")
            return None

        _, line = _failed_within_the_deadline(world, slow, "1s")
        sha = world.branch_sha(EXAMPLE_BRANCH)
        assert sha is not None and len(world.pushes()) == 1
        assert f"branch {EXAMPLE_BRANCH} was already pushed with commit {sha[:12]} and stays there" in line
        assert "POST " in line, line
        assert len(world.open_pulls()) == (1 if applied else 0)

        # The rerun, with the host well again, finds the branch and does only the PR step.
        world.host.fault = None
        again = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert again.returncode == 0, again.stderr
        assert world.branch_sha(EXAMPLE_BRANCH) == sha and len(world.open_pulls()) == 1


@pytest.mark.parametrize("value", ["soon", "0", "-5", "2h", "1x"])
def test_a_bad_deadline_is_exit_2_naming_the_variable_before_any_request(tmp_path: Path, value: str) -> None:
    with make_world(tmp_path, "gitea") as world:
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REQUEST_DEADLINE=value)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith("bumper: error: ") and "BUMPER_REQUEST_DEADLINE" in line, line
        assert world.host.requests == [] and world.pushes() == []


@pytest.mark.parametrize("provider", HOSTS)
def test_a_trickled_lookup_after_the_push_says_the_branch_stays(tmp_path: Path, provider: str) -> None:
    """The bot branch was reset to the base while its PR stayed open: the rerun fills it again,
    and asks once more whether the PR is still open (its text needed no update); that answer
    trickles. The line says the branch was pushed (before, this step's failures did not)."""
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        repos.git("update-ref", f"refs/heads/{EXAMPLE_BRANCH}", "refs/heads/main", cwd=world.bare)
        pushed_before = len(world.pushes())

        def slow(req: RecordedRequest) -> Fault:
            after_push = len(world.pushes()) > pushed_before
            return Trickle("body") if after_push and req.method == "GET" and LIST.search(req.path) else None

        world.host.fault = slow
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REQUEST_DEADLINE="1")
        assert proc.returncode == 1, proc.stderr
        line = _one_line(proc.stderr)
        sha = world.branch_sha(EXAMPLE_BRANCH)
        assert sha is not None and sha != world.branch_sha("main")
        assert f"branch {EXAMPLE_BRANCH} was already pushed with commit {sha[:12]} and stays there" in line
        assert len(world.open_pulls()) == 1


@pytest.mark.parametrize("provider", HOSTS)
def test_a_rate_limit_wait_longer_than_the_deadline_is_waited_not_cut(tmp_path: Path, provider: str) -> None:
    """The deadline runs per attempt: a 429's Retry-After (2 s) between two attempts is not part
    of either, so a 1 s deadline does not cut it and the run succeeds."""
    with make_world(tmp_path, provider) as world:
        world.host.inject(
            (429, {"Retry-After": "2"}, {"message": "slow down"}), method="GET", path=LIST.pattern
        )
        started = time.monotonic()
        # BUMPER_API_BACKOFF=1: the 2 s wait is not scaled down as the world's retries are
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_REQUEST_DEADLINE="1", BUMPER_API_BACKOFF="1")
        assert proc.returncode == 0, proc.stderr
        assert time.monotonic() - started >= 2.0
        assert [r.fault for r in world.host.requests].count("429") == 1
        assert json.loads(proc.stdout)["status"] == "opened" and len(world.open_pulls()) == 1


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("applied", [False, True], ids=["not-applied", "applied"])
def test_a_trickled_api_commit_leaves_the_branch_as_the_line_says(
    tmp_path: Path, provider: str, applied: bool
) -> None:
    """--commit-via api, updating an open PR: the host's commit call answers too slowly, whether
    or not it made the commit. GitHub puts the branch back from the base it reset it to (its
    compare-and-swap refuses when the host did make the commit: the branch then holds the new
    one); GitLab's one call moves the branch or not. Either way the line matches the branch."""
    with make_world(tmp_path, provider) as world:
        world.extra_env["BUMPER_COMMIT_VIA"] = "api"
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        before = world.branch_sha(EXAMPLE_BRANCH)
        assert before is not None

        def slow(req: RecordedRequest) -> Fault:
            github = req.path == "/api/graphql" and "createCommitOnBranch" in str(req.body)
            if github or (req.method == "POST" and req.path.endswith("/repository/commits")):
                return AfterApply(Trickle("body")) if applied else Trickle("body")
            return None

        world.host.fault = slow
        # 2 s, not 1: on a loaded machine the host must have applied the commit before bumper
        # gives up on its answer, or `applied` would test a commit the host made after the put-back.
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0", BUMPER_REQUEST_DEADLINE="2")
        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert "POST /" in line and "within 2 s (BUMPER_REQUEST_DEADLINE)" in line, line
        after = world.branch_sha(EXAMPLE_BRANCH)
        holds = world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b""
        if not applied:
            assert after == before and b"v1.2.3" in holds
        else:
            assert b"v1.3.0" in holds  # the host made it: nothing bumper said undoes it
        if provider == "github" and not applied:
            assert f"was put back at its earlier commit {before[:12]}" in line, line
        elif provider == "github":
            assert "or GitHub made this commit though its answer was lost): left as it is" in line, line
        else:
            assert "holds what it held before (or this commit, had a lost answer applied it)" in line, line
        assert [p.number for p in world.open_pulls()] == [1]

        world.host.fault = None  # healthy again: the rerun delivers, or finds it delivered
        assert run_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0").returncode == 0
        assert b"v1.3.0" in (world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b"")


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_trickled_poll_while_waiting_is_asked_again(tmp_path: Path, provider: str) -> None:
    """--wait merged: a poll whose answer trickles past the deadline is an outage like a 5xx,
    one warning line and the next poll, not the end of the wait."""
    with make_world(tmp_path, provider) as world:
        ref = f"{EXAMPLE_IMAGE}:v1.2.3"
        seed_bump(world, ref)
        [pr] = world.open_pulls()
        world.host.inject(Trickle("body"), method="GET", path=r"/(pulls|merge_requests)/\d+$", times=2)
        proc = forkserver.start(
            ("bump", ref, "--wait", "merged", "--wait-timeout", "10m", "--output", "json"),
            env=world.env(BUMPER_REQUEST_DEADLINE="1"),
        )
        ends = time.monotonic() + BOUND
        while sum(r.fault == "trickle-body" for r in world.host.requests) < 2 and time.monotonic() < ends:
            time.sleep(0.05)
        pr.merge_commit, pr.state = "f" * 40, "merged"
        out, err = proc.communicate(timeout=BOUND)  # type: ignore[attr-defined]
        assert proc.wait() == 0, err  # type: ignore[attr-defined]
        assert json.loads(out)["status"] == "merged"
        warnings = [line for line in err.splitlines() if "BUMPER_REQUEST_DEADLINE" in line]
        assert warnings and all("asking again at the next poll" in line for line in warnings), err
        assert CANARY not in out + err


def test_a_trickled_label_step_after_the_pr_exists_is_a_warning(tmp_path: Path) -> None:
    """GitHub: the PR is open, adding its label answers too slowly: a warning on the result,
    as a 5xx there is (the PR exists; failing would hide it), exit 0."""
    with make_world(tmp_path, "github") as world:
        labels = re.compile(r"/issues/\d+(/labels)?$")  # labels and assignees: PATCH of the issue
        world.host.fault = lambda req: Trickle("body") if labels.search(req.path) else None
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", "--label", "deps", BUMPER_REQUEST_DEADLINE="1")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "opened" and len(world.open_pulls()) == 1
        [warning] = [line for line in proc.stderr.splitlines() if "BUMPER_REQUEST_DEADLINE" in line]
        assert re.search(r"/issues/1\S* on 127\.0\.0\.1:\d+ did not finish answering within 1 s", warning)
