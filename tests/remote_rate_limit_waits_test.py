"""End to end, every host: a 429 whose wait is huge, negative or not a number.

python-gitlab slept as long as `Retry-After` (or `RateLimit-Reset`) said, so a proxy answering
`Retry-After: 99999999` hung the CI job for three years, and it failed with an internal error on
`-5` or `soon`; the GitHub client called such a value "cannot reach" the API. Now every host caps
the wait, reads a value it cannot parse as none, and ends in one "rate-limited" line (exit 1)
with nothing pushed.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from testing.canary import assert_no_canary
from testing.fake_provider import Fault, RecordedRequest
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
LIST = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)$", re.IGNORECASE)
BOUND = 60.0  # seconds: far below any of the waits asked, far above the run's own work


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "99999999"},
        {"Retry-After": "-5"},
        {"Retry-After": "soon"},
        {"RateLimit-Reset": str(int(time.time()) + 10**8)},
        {"RateLimit-Reset": "tomorrow"},
    ],
    ids=["huge", "negative", "not-a-number", "reset-far-away", "reset-not-a-number"],
)
def test_a_rate_limit_answer_ends_the_run_in_one_line_without_hanging(
    tmp_path: Path, provider: str, headers: dict[str, str]
) -> None:
    with make_world(tmp_path, provider) as world:

        def limited(req: RecordedRequest) -> Fault:
            if req.method == "GET" and LIST.search(req.path):
                return (429, headers, {"message": "slow down"})
            return None

        world.host.fault = limited
        started = time.monotonic()
        proc = world.run("bump", f"{EXAMPLE_IMAGE}:v1.2.3", "--output", "json", timeout=BOUND)
        assert_no_canary(world, proc)
        assert time.monotonic() - started < BOUND
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("bumper: error: "), proc.stderr
        assert "429" in lines[0] and "rerun later" in lines[0], lines[0]
        assert "cannot reach" not in lines[0] and "internal error" not in lines[0]
        assert json.loads(proc.stdout)["status"] == "failed"
        assert world.branch_sha(EXAMPLE_BRANCH) is None and world.pushes() == []
