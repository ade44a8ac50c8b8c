"""End to end: a run stopped (SIGTERM from a cancelled CI job, Ctrl-C) after it pushed the bot
branch and before the pull request was opened says that the branch is there.

The line was `bumper: terminated (SIGTERM)` alone: the branch stayed pushed with no PR and no
word of it, where a failure at the same step names the branch and its commit (as a stopped run
names a direct commit it pushed). Now the last line says it, and the rerun opens the PR.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest

from testing.fake_provider import Fault, RecordedRequest
from testing.runs import bump_json, start_bump, stop
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world

CREATE = ("/pulls", "/merge_requests", "/pullrequests", "/pull-requests")


@pytest.mark.parametrize(
    ("provider", "signum", "said", "code"),
    [
        ("github", signal.SIGTERM, "terminated (SIGTERM)", 143),
        ("gitlab", signal.SIGINT, "interrupted", 130),
        ("bitbucket-server", signal.SIGTERM, "terminated (SIGTERM)", 143),
        ("azure-devops", signal.SIGTERM, "terminated (SIGTERM)", 143),
    ],
)
def test_a_run_stopped_while_the_pr_opens_names_the_pushed_branch(
    tmp_path: Path, provider: str, signum: int, said: str, code: int
) -> None:
    with make_world(tmp_path, provider) as world:
        reached = threading.Event()

        def slow_open(req: RecordedRequest) -> Fault:
            if req.method == "POST" and req.path.endswith(CREATE):
                reached.set()
                time.sleep(5)
                return "reset"  # the PR is not made: bumper was stopped before the host answered
            return None

        world.host.fault = slow_open
        proc = start_bump(world, tmp_path, f"{EXAMPLE_IMAGE}:v1.2.3", "--output", "json")
        assert reached.wait(60), proc.communicate()
        out, err = stop(proc, signum)

        tip = world.branch_sha(EXAMPLE_BRANCH)
        assert proc.returncode == code, err
        assert tip is not None and world.open_pulls() == []
        assert err.splitlines()[-1] == (
            f"bumper: {said}; branch {EXAMPLE_BRANCH} was already pushed with commit {tip[:12]} "
            "and stays there (a rerun finds it and opens the pull request)"
        )
        assert json.loads(out)["status"] == "failed"

        world.host.fault = None
        again = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert again["status"] == "opened" and world.branch_sha(EXAMPLE_BRANCH) == tip
