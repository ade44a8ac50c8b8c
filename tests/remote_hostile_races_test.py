"""End to end, both hosts: a person closes or merges the bot branch's PR while bumper pushes to it.

The PR lookup runs before the push (beside the bot branch's ls-remote). A PR closed or merged
between that answer and the push once left the run updating a closed PR's title and reporting
it as `updated`: the new commit then sat on a branch no open PR showed. Now the run sees the PR
is gone after its push and starts again, opening a PR for its commit; the closed PR's title and
body, rewritten before the run could know, are put back as they were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.fake_provider import Fault, RecordedRequest
from testing.git_server import FaultAnswer, RequestInfo
from testing.runs import run_bump
from testing.seeds import seed_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world


def _close_during_push(world: World, state: str) -> None:
    """Close (or merge) every PR of the host while the git server takes bumper's push."""

    def close(info: RequestInfo) -> FaultAnswer:
        if info.method == "POST" and info.path.endswith("git-receive-pack"):
            for pull in world.host.pulls:
                pull.state = state
        return None

    world.git.fault = close


@pytest.mark.parametrize(
    ("provider", "state"),
    [
        ("github", "closed"),
        ("github", "merged"),
        ("gitlab", "closed"),
        ("gitlab", "merged"),
        ("gitea", "closed"),
    ]
    + [("bitbucket", "merged"), ("bitbucket-server", "closed"), ("azure-devops", "merged")],
)
def test_a_pr_closed_during_the_push_gets_an_open_pr_for_the_new_commit(
    tmp_path: Path, provider: str, state: str
) -> None:
    with make_world(tmp_path, provider) as world:
        first = seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert first["pull_request"]["number"] == 1
        [closed] = world.host.pulls
        text_at_close = (closed.title, closed.body)
        _close_during_push(world, state)

        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        [pull] = world.open_pulls()
        assert result["status"] == "opened" and result["pull_request"]["number"] == pull.number != 1
        assert f"{EXAMPLE_IMAGE}:v1.2.4" in pull.title
        # the PR the person closed reads as they closed it, not as the v1.2.4 it never held
        assert (closed.title, closed.body) == text_at_close and "v1.2.3" in closed.title
        tip = world.branch_sha(EXAMPLE_BRANCH)
        assert tip is not None and b"v1.2.4" in (
            world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b""
        )

        world.git.fault = None
        again = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")  # converged: nothing more to do
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] == "up-to-date"
        assert world.branch_sha(EXAMPLE_BRANCH) == tip and len(world.open_pulls()) == 1


HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
EDIT = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)/\d+$")  # a PR's text, every host


def _refuse_edits_of_closed(world: World, answer: Callable[[int], Fault]) -> list[int]:
    """Answer the n-th edit of a PR no longer open with `answer(n)` (None: as the host would);
    the list counts them."""
    edits: list[int] = []

    def refuse(req: RecordedRequest) -> Fault:
        if req.method in ("PUT", "PATCH") and EDIT.search(req.path) and world.host.pulls[0].state != "open":
            edits.append(len(edits) + 1)
            return answer(edits[-1])
        return None

    world.host.fault = refuse
    return edits


@pytest.mark.parametrize(
    ("provider", "state", "status"),
    [
        ("github", "merged", 422),
        ("gitlab", "closed", 405),
        ("gitea", "closed", 409),
        ("bitbucket", "merged", 400),
        ("bitbucket-server", "closed", 409),
        ("azure-devops", "merged", 400),
    ],
)
def test_a_host_refusing_to_edit_the_closed_pr_still_gets_an_open_pr_for_the_commit(
    tmp_path: Path, provider: str, state: str, status: int
) -> None:
    """The update of a PR closed since the lookup refused for it (a host may refuse any edit of a
    PR that is not open): the host is asked the PR's state, and the attempt starts again as when
    the host edits it and says closed. Was the run's error."""
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        [closed] = world.host.pulls
        text_at_close = (closed.title, closed.body)
        _close_during_push(world, state)
        refusal = (status, {}, {"message": "the pull request cannot be edited due to its state"})
        edits = _refuse_edits_of_closed(world, lambda _: refusal)

        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        [pull] = world.open_pulls()
        assert result["status"] == "opened" and result["pull_request"]["number"] == pull.number != 1
        assert edits == [1] and (closed.title, closed.body) == text_at_close


@pytest.mark.parametrize(
    ("provider", "answer"),
    [
        (provider, "{}")
        for provider in ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
    ]
    + [("gitlab", "[]"), ("github", "500"), ("bitbucket-server", "reset")],
)
def test_a_put_back_that_fails_leaves_the_run_as_it_was(tmp_path: Path, provider: str, answer: str) -> None:
    """The host edits the closed PR, then answers the put-back of its text with no PR at all (a
    proxy's `{}`), a 500 or a reset: the run still opens a PR for its commit (exit 0)."""
    canned: dict[str, Fault] = {
        "{}": (200, {}, {}),
        "[]": (200, {}, []),
        "500": (500, {}, {"message": "down"}),
    }
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        _close_during_push(world, "closed")
        edits = _refuse_edits_of_closed(world, lambda n: None if n == 1 else canned.get(answer, "reset"))

        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert proc.returncode == 0, proc.stderr
        [pull] = world.open_pulls()
        assert json.loads(proc.stdout)["pull_request"]["number"] == pull.number != 1
        assert len(edits) >= 2  # the update, then the put-back (retried, for a 500 or a reset)


@pytest.mark.parametrize("provider", ["github", "azure-devops"])
def test_a_token_revoked_after_the_push_is_the_runs_error(tmp_path: Path, provider: str) -> None:
    """Every API request refused (401) once bumper pushed: the PR update's refusal is the run's
    error (exit 1, no token in any output), not taken for a closed PR."""
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        pushed: list[bool] = []

        def revoke(info: RequestInfo) -> FaultAnswer:
            if info.method == "POST" and info.path.endswith("git-receive-pack"):
                pushed.append(True)
            return None

        world.git.fault = revoke
        world.host.fault = lambda req: (401, {}, {"message": "Bad credentials"}) if pushed else None
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert proc.returncode == 1 and "401" in proc.stderr, proc.stderr
        assert [p.number for p in world.open_pulls()] == [1]
