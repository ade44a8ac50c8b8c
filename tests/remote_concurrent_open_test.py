"""End to end on Gitea, Bitbucket Cloud, Bitbucket Data Center and Azure DevOps: three runs of the
same bump started at once race to open the same PR (tests/reliability_concurrency_test.py does
this, and more, on GitHub and GitLab). Each host refuses a second open PR from one branch into
one base (409, 400 "already an open pull request", DuplicatePullRequestException, TF401179):
the loser finds the winner's PR, so every run exits 0 and exactly one PR is open.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver
from testing.canary import assert_no_canary
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world


@pytest.mark.parametrize("provider", ["gitea", "bitbucket", "bitbucket-server", "azure-devops"])
def test_three_runs_at_once_open_one_pr(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        args = ("bump", f"{EXAMPLE_IMAGE}:v1.2.3", "--output", "json")
        procs = [forkserver.start(args, env=world.env()) for _ in range(3)]
        finished = [(p, *p.communicate(timeout=120)) for p in procs]
        for proc, out, err in finished:
            assert proc.returncode == 0, err
            assert "Traceback" not in err
            assert json.loads(out)["status"] in ("opened", "updated", "up-to-date")
            assert_no_canary(world, subprocess.CompletedProcess(args, 0, out, err))
        [pull] = world.open_pulls()
        assert pull.head == EXAMPLE_BRANCH and "v1.2.3" in pull.title
        assert b"v1.2.3" in (world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b"")
