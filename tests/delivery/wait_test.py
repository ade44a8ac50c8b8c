"""End to end, every host (GitHub, GitLab, Gitea, Bitbucket Cloud and Data Center, Azure DevOps):
`--wait merged` follows the PR a run opened until it is merged (exit 0),
closed unmerged (exit 1) or the time is up (exit 1, kind wait-timeout); SIGTERM ends the wait."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from bumper.duration import parse_duration
from bumper.errors import ConfigError
from testing import forkserver
from testing.fake_provider import PullRecord
from testing.seeds import seed_bump
from testing.world import CANARY, World, make_world

REF = "ghcr.io/acme/app:v1.2.3"
MERGE_SHA = "f" * 40


@pytest.fixture(params=["github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def start(world: World, *args: str) -> forkserver.ForkedRun | object:
    return forkserver.start(("bump", REF, "--wait", "merged", "--output", "json", *args), env=world.env())


def opened(world: World) -> PullRecord:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pulls = world.open_pulls()
        if pulls:
            time.sleep(0.2)  # a few polls see it open first
            return pulls[0]
        time.sleep(0.02)
    raise AssertionError("bumper opened no pull request")


def test_a_merged_pr_ends_the_wait_with_status_merged_and_its_commit(world: World) -> None:
    proc = start(world)
    pr = opened(world)
    pr.merge_commit, pr.state = MERGE_SHA, "merged"
    out, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]

    assert proc.wait() == 0, err  # type: ignore[attr-defined]
    result = json.loads(out)
    # Bitbucket Cloud names commits in a PR by their first 12 digits; every other host in full.
    shown = MERGE_SHA[:12] if world.provider == "bitbucket" else MERGE_SHA
    assert (result["status"], result["merge_commit"]) == ("merged", shown)
    assert result["pull_request"]["number"] == pr.number
    assert "waiting for" in err and CANARY not in out + err


def test_a_closed_pr_is_exit_1_with_status_closed(world: World) -> None:
    proc = start(world)
    opened(world).state = "closed"
    out, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]

    assert proc.wait() == 1, err  # type: ignore[attr-defined]
    assert json.loads(out)["status"] == "closed"
    assert "was closed without being merged" in err


def test_a_pr_merged_into_another_base_is_not_delivered(world: World) -> None:
    """A reviewer changed the PR's base while bumper waited (main -> release-1), then merged it:
    main never got the version, so the pipeline must not go on as if it had (exit 0 `merged`)."""
    proc = start(world)
    pr = opened(world)
    polled(world, pr)
    pr.base, pr.merge_commit, pr.state = "release-1", MERGE_SHA, "merged"
    out, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]

    assert proc.wait() == 1, err  # type: ignore[attr-defined]
    result = json.loads(out)
    assert result["status"] == "closed" and "merge_commit" not in result
    assert result["pull_request"]["number"] == pr.number
    [line] = [x for x in err.splitlines() if x.startswith("bumper: error:")]
    assert "was merged into release-1, not main" in line, err
    assert "rerun" in line  # what to do: the branch is stale, a rerun opens a PR into main


def test_an_open_pr_past_the_timeout_is_exit_1_naming_it(world: World) -> None:
    started = time.monotonic()
    proc = world.run("bump", REF, "--wait", "merged", "--wait-timeout", "1s", "--output", "json")

    assert proc.returncode == 1, proc.stderr
    error = json.loads(proc.stdout)["error"]
    [pr] = world.open_pulls()
    assert error["kind"] == "wait-timeout"
    assert str(pr.number) in error["message"] and "still open after 1s" in error["message"]
    assert 1 <= time.monotonic() - started < 30


def polled(world: World, pr: PullRecord) -> None:
    """Until the run has asked the host for the PR by its number: it is waiting. (`opened` alone
    left a loaded machine's run still finishing the PR step, whose SIGTERM line names the pushed
    branch: the whole suite failed so once on GitLab.)"""
    deadline = time.monotonic() + 60
    host = world.host
    while time.monotonic() < deadline:
        if any(r.method == "GET" and r.path.rstrip("/").endswith(f"/{pr.number}") for r in host.requests):
            return
        time.sleep(0.02)
    raise AssertionError("bumper never asked for the pull request it waits on")


def test_sigterm_ends_the_wait_cleanly(world: World) -> None:
    proc = start(world)
    polled(world, opened(world))
    proc.send_signal(signal.SIGTERM)  # type: ignore[attr-defined]
    _, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]

    assert proc.wait() == 143  # type: ignore[attr-defined]
    assert err.splitlines()[-1] == "bumper: terminated (SIGTERM)"


def test_a_run_that_has_no_pr_returns_at_once(world: World) -> None:
    assert world.run("bump", REF, "--mode", "commit").returncode == 0  # the base holds it now
    writes = len(world.writes())
    proc = world.run("bump", REF, "--wait", "merged", "--wait-timeout", "1h", "--output", "json", timeout=30)

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["status"], result["pull_request"]) == ("up-to-date", None)
    assert len(world.writes()) == writes


def test_a_rerun_follows_the_pr_it_finds_up_to_date(world: World) -> None:
    seed_bump(world, REF)
    proc = world.run("bump", REF, "--wait", "merged", "--wait-timeout", "1s", "--output", "json")

    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["error"]["kind"] == "wait-timeout"


def test_wait_without_a_host_api_is_refused_before_any_write(world: World) -> None:
    proc = world.run("bump", REF, "--wait", "merged", "--provider", "none")
    assert proc.returncode == 2 and "--provider none" in proc.stderr
    assert world.pushes() == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("45", 45), ("1.5", 1.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "--wait-timeout") == seconds


@pytest.mark.parametrize("text", ["", "soon", "0s", "-5m", "1d", "200h", "5 m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError, match="--wait-timeout"):
        parse_duration(text, "--wait-timeout")
