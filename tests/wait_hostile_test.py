"""End to end, both hosts: `--wait merged` against a host that half-fails while it waits. An
outage (5xx, 429) of the PR-state request is asked again at the next poll until the deadline;
a host that refuses the token or lost the PR ends the wait at once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.seeds import seed_bump
from testing.world import World, make_world

REF = "ghcr.io/acme/app:v1.2.3"
STATE = r"/(pulls|merge_requests)/\d+$"  # GET of one PR: the request each poll makes


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def failed_polls(world: World) -> int:
    return sum(1 for r in world.host.requests if r.fault is not None and r.method == "GET")


@pytest.mark.parametrize("status", [500, 503, 429])
def test_an_outage_while_waiting_is_asked_again_until_the_pr_is_merged(world: World, status: int) -> None:
    seed_bump(world, REF)
    [pr] = world.open_pulls()
    world.host.inject((status, {}, {"message": "unavailable"}), method="GET", path=STATE, times=15)
    proc = forkserver.start(
        ("bump", REF, "--wait", "merged", "--wait-timeout", "10m", "--output", "json"), env=world.env()
    )
    deadline = time.monotonic() + 60
    while failed_polls(world) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    pr.merge_commit, pr.state = "f" * 40, "merged"
    out, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]

    assert proc.wait() == 0, err  # type: ignore[attr-defined]
    assert json.loads(out)["status"] == "merged"
    assert "asking again" in err


def test_a_refused_token_while_waiting_ends_the_wait_at_once(world: World) -> None:
    seed_bump(world, REF)
    world.host.inject((401, {}, {"message": "Bad credentials"}), method="GET", path=STATE, times=1000)
    started = time.monotonic()
    proc = world.run("bump", REF, "--wait", "merged", "--wait-timeout", "1h", "--output", "json")

    assert proc.returncode == 1, proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["kind"] == "provider" and "401" in error["message"], error
    assert time.monotonic() - started < 60


def test_a_blocked_run_with_wait_is_exit_1_not_a_silent_success(world: World) -> None:
    """A person pushed to the bot branch, so the new version is not delivered: a pipeline that
    waits for the merge must not go on to its next stage as if it were."""
    seed_bump(world, REF)
    branch = "bumper/ghcr.io-acme-app"
    repos.add_commit(world.bare, branch, {"notes.txt": b"a reviewer's fix\n"}, message="reviewer fix")
    proc = world.run(
        "bump", "ghcr.io/acme/app:v1.2.4", "--wait", "merged", "--wait-timeout", "1h", "--output", "json"
    )

    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "blocked"
    assert "--wait merged" in proc.stderr and "not delivered" in proc.stderr


def test_a_wait_that_times_out_still_names_the_pr_in_json(world: World) -> None:
    """The PR was opened before the time ran out: a script (the Action's `pr-url` output) gets
    its number, URL and branch beside the wait-timeout error."""
    proc = world.run("bump", REF, "--wait", "merged", "--wait-timeout", "1s", "--output", "json")

    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    [pr] = world.open_pulls()
    assert result["error"]["kind"] == "wait-timeout" and result["status"] == "failed"
    assert result["pull_request"]["number"] == pr.number and result["branch"] == "bumper/ghcr.io-acme-app"
