"""End to end on both providers: a run that commits straight to the base and also opens a PR
asks everything that can fail before its first push; a failure after that push names the
commit that landed, in the error line and in JSON `commit`."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.canary import assert_no_canary
from testing.fake_github import server_error
from testing.fake_provider import RecordedRequest
from testing.git_server import FaultAnswer, RequestInfo
from testing.runs import start_bump, stop
from testing.world import EVERY_HOST, MIXED_MODE_TREE, World, make_world

TREE = MIXED_MODE_TREE
REF = "ghcr.io/acme/app:v1.5.0"
BRANCH = "bumper/ghcr.io-acme-app"


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def _failed(world: World, **env: str) -> tuple[str, dict[str, Any]]:
    proc = world.run("bump", REF, "--output", "json", **env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("bumper: error: "), line
    assert_no_canary(world, proc)
    payload = json.loads(proc.stdout)
    assert payload["status"] == "failed" and payload["exit_code"] == 1
    return line, payload


def _cannot_open(world: World) -> None:
    """A token the host lets read and push (git), but not open a PR."""
    if world.provider == "github":
        world.host.role = "triage"  # type: ignore[union-attr]
    else:
        world.host.access_level = 20  # type: ignore[union-attr]  # Reporter


def _scopes_short(world: World) -> None:
    """A token whose scopes let it read the API (and push with git), not open a PR."""
    if world.provider == "github":
        world.host.scopes = ["read:org", "workflow"]  # type: ignore[union-attr]
    else:
        world.host.scopes = ["read_api", "write_repository"]  # type: ignore[union-attr]


CHECKS: dict[str, tuple[Callable[[World], dict[str, str]], str]] = {
    "wrong-api-url": (lambda w: {"BUMPER_API_URL": w.host.api_url + "/not-the-api"}, ""),
    "role-cannot-write": (lambda w: _cannot_open(w) or {}, "push"),
    "scopes-short": (lambda w: _scopes_short(w) or {}, "scope"),
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_a_check_that_fails_fails_before_the_direct_commit(world: World, check: str) -> None:
    old_main = world.branch_sha("main")
    prepare, says = CHECKS[check]
    line, payload = _failed(world, **prepare(world))
    assert world.branch_sha("main") == old_main and world.pushes() == []  # nothing landed
    assert world.branch_sha(BRANCH) is None and world.open_pulls() == []
    assert payload["commit"] is None and "already pushed" not in line
    assert says in line, line
    if check != "wrong-api-url":
        assert payload["error"]["kind"] == "provider"


def _open_fails(world: World) -> None:
    path = r"/pulls$" if world.provider == "github" else r"/merge_requests$"
    world.host.inject(server_error(502), method="POST", path=path, times=50)


def _bot_push_refused(world: World) -> None:
    pushes = [0]

    def fault(info: RequestInfo) -> FaultAnswer:
        if info.method == "POST" and info.path.endswith("git-receive-pack"):
            pushes[0] += 1
            if pushes[0] > 1:  # the direct commit goes through, the bot branch does not
                return (403, b"GH006: Protected branch update failed for refs/heads/bumper/*\n")
        return None

    world.git.fault = fault


@pytest.mark.parametrize("fault", [_open_fails, _bot_push_refused], ids=["open-pr-5xx", "bot-push-403"])
def test_a_failure_after_the_direct_commit_names_it(world: World, fault: Callable[[World], None]) -> None:
    old_main = world.branch_sha("main")
    fault(world)
    line, payload = _failed(world)

    main = world.branch_sha("main")
    assert main != old_main and repos.commit_info(world.bare, main)["parents"] == old_main
    assert payload["commit"] == {"branch": "main", "sha": main}
    assert f"the direct commit {main[:12]} was already pushed to main" in line, line  # type: ignore[index]
    assert world.open_pulls() == []

    # the rerun, the host healthy again, finds the base up to date and does only the rest
    world.git.fault = None
    world.host._injections.clear()
    proc = world.run("bump", REF, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    assert again["status"] == "opened" and again["commit"] is None
    assert world.branch_sha("main") == main


def test_a_base_that_keeps_moving_is_named_with_what_to_do(world: World) -> None:
    """People push to main before every one of bumper's pushes: the run names the base, not
    "the bot branch", and since nothing of the run landed, no commit."""
    moved: list[str] = []

    def person_pushes_first(info: RequestInfo) -> FaultAnswer:
        if info.method == "POST" and info.path.endswith("git-receive-pack"):
            moved.append(repos.add_commit(world.bare, "main", {"README.md": f"edit {len(moved)}\n".encode()}))
        return None

    world.git.fault = person_pushes_first
    line, payload = _failed(world)
    assert "the base branch main kept moving during 6 attempts" in line, line
    assert "bot branch" not in line and "mode: pr" in line
    assert payload["error"]["kind"] == "git" and payload["commit"] is None
    assert world.branch_sha("main") == moved[-1] and len(moved) == 6  # every person's commit kept
    assert world.branch_sha(BRANCH) is None and world.open_pulls() == []


@pytest.mark.parametrize(
    ("signum", "said", "code", "kind"),
    [
        (signal.SIGTERM, "terminated (SIGTERM)", 143, "terminated"),
        (signal.SIGINT, "interrupted", 130, "interrupted"),  # came as click's Abort: no word of it
    ],
)
def test_sigterm_after_the_direct_commit_names_it(
    world: World, tmp_path: Path, signum: int, said: str, code: int, kind: str
) -> None:
    """CI cancels the job (or a person presses Ctrl-C) while the PR is being opened: the direct
    commit has landed, and so has the bot branch; the last line says both, the JSON the commit."""
    reached = threading.Event()

    def slow_open(req: RecordedRequest) -> None:
        if req.method == "POST" and req.path.endswith(("/pulls", "/merge_requests")):
            reached.set()
            time.sleep(5)
        return None

    world.host.fault = slow_open
    old_main = world.branch_sha("main")
    proc = start_bump(world, tmp_path, REF, "--output", "json")
    assert reached.wait(60), proc.communicate()
    out, err = stop(proc, signum)

    main = world.branch_sha("main")
    assert proc.returncode == code, err
    assert main != old_main
    tip = world.branch_sha(BRANCH)  # the PR half's branch was pushed too, its PR not opened
    assert (
        err.splitlines()[-1]
        == (
            f"bumper: {said}; the direct commit {main[:12]} was already pushed to main "  # type: ignore[index]
            f"and stays there (a rerun finds it and only does the rest); branch {BRANCH} was already "
            f"pushed with commit {tip[:12]} and stays there (a rerun finds it and opens the pull request)"  # type: ignore[index]
        )
    )
    payload = json.loads(out)
    assert payload["error"]["kind"] == kind and payload["commit"] == {"branch": "main", "sha": main}


@pytest.fixture(params=EVERY_HOST)
def any_host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


_CLOSED_STATES = {"closed", "all", "ALL", "MERGED", "DECLINED", "SUPERSEDED", "completed", "abandoned"}


def _closed_listing(req: RecordedRequest) -> bool:
    """A host's listing of closed (or closed and open) PRs: the stale-branch lookup."""
    return req.method == "GET" and any(v in _CLOSED_STATES for vs in req.query.values() for v in vs)


def test_a_failing_closed_pr_lookup_fails_before_the_direct_commit(any_host: World) -> None:
    """The bot branch is left from a PR a person closed; the host's listing of closed PRs (read
    to tell a stale branch) answers 502. That read can fail without writing, so it runs before
    the direct commit is pushed: the run fails with nothing landed (before, main got the
    direct commit, and the run then failed on the listing)."""
    world = any_host
    first = json.loads(world.run("bump", "ghcr.io/acme/app:v1.4.5", "--output=json", BUMPER_MODE="pr").stdout)
    assert first["status"] == "opened", first
    host: Any = world.host
    [pull] = host.open_pulls()
    pull.state, pull.head_sha = "closed", world.branch_sha(BRANCH) or ""
    old_main, tip, git = world.branch_sha("main"), world.branch_sha(BRANCH), len(world.git.requests)

    host.fault = lambda req: (502, {}, {"message": "Bad Gateway"}) if _closed_listing(req) else None
    line, payload = _failed(world)
    assert world.branch_sha("main") == old_main and world.pushes(git) == []  # nothing landed
    assert world.branch_sha(BRANCH) == tip and world.open_pulls() == []
    assert payload["commit"] is None and "already pushed" not in line, line


def test_a_branch_of_someone_elses_named_by_branch_is_refused_before_the_direct_commit(
    any_host: World,
) -> None:
    """`--branch release` names a person's branch (no PR from it): the PR half refuses it
    (exit 2: bumper never rewrites a branch it does not own). That is known from a read, so the
    refusal comes before the direct commit is pushed (before, main got the commit, then exit 2)."""
    world = any_host
    old_main = world.branch_sha("main")
    theirs = repos.add_commit(world.bare, "release", {"NOTES.md": b"theirs\n"}, parent=old_main)
    proc = world.run("bump", REF, "--branch", "release", "--output", "json")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("bumper: error: --branch 'release' already exists"), line
    assert "already pushed" not in line, line
    assert world.branch_sha("main") == old_main and world.pushes() == []  # nothing landed
    assert world.branch_sha("release") == theirs and world.open_pulls() == []
    assert json.loads(proc.stdout)["commit"] is None


def test_wait_merged_on_a_blocked_pr_half_names_the_direct_commit(tmp_path: Path) -> None:
    """A person pushed to the bot branch (bumper leaves it alone: blocked), and `--wait merged`
    then fails the run, as nothing will be merged. The direct commit to main landed before
    that: the error line says so (before: 'the new version was not delivered', no word of it)."""
    with make_world(tmp_path, "github", TREE) as world:
        first = world.run("bump", "ghcr.io/acme/app:v1.4.5", "--output=json", BUMPER_MODE="pr")
        assert json.loads(first.stdout)["status"] == "opened", first.stderr
        tip = world.branch_sha(BRANCH)
        repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"mine\n"}, parent=tip)
        old_main = world.branch_sha("main")

        proc = world.run("bump", REF, "--wait", "merged")

        assert proc.returncode == 1, proc.stderr
        main = world.branch_sha("main")
        assert main != old_main
        line = proc.stderr.splitlines()[-1]
        assert line.startswith("bumper: error: --wait merged:"), line
        assert f"the direct commit {main[:12]} was already pushed to main" in line, line  # type: ignore[index]
