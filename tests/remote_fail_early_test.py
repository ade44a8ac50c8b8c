"""End to end, both hosts: a run that cannot reach or use the API fails before it pushes."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.canary import assert_no_canary
from testing.world import make_world

BRANCH = "bumper/ghcr.io-acme-app"


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("fault", ["token-lacks-api", "wrong-api-url"])
def test_an_api_problem_leaves_no_orphan_branch(tmp_path: Path, provider: str, fault: str) -> None:
    with make_world(tmp_path, provider) as world:
        overrides = {}
        if fault == "token-lacks-api":
            world.host.token = "another-token-the-api-takes"  # noqa: S105 - git still takes the canary
        else:
            overrides["BUMPER_API_URL"] = world.host.api_url + "/not-the-api"
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", **overrides)

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: ")
        assert world.branch_sha(BRANCH) is None and world.pushes() == []  # nothing left behind
        assert_no_canary(world, proc)
