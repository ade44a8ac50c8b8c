"""End to end on Bitbucket Cloud: the bot branch has more closed PRs than one page of the API
holds (50), and the one a person just declined is beyond the first page. The next run still
sees the branch as stale and starts again from main: the declined version does not hold the new
one back, and no PR is reopened with it (docs/reference.md, "Stale branches")."""

from __future__ import annotations

from pathlib import Path

from testing.fake_provider import PullRecord
from testing.invariants import assert_bot_branch_sane
from testing.runs import bump_json
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, REPO_PATH, make_world


def test_a_declined_pr_beyond_the_first_page_leaves_the_branch_stale(tmp_path: Path) -> None:
    with make_world(tmp_path, "bitbucket") as world:
        for number in range(1, 56):  # the branch's history: 55 PRs declined long ago
            world.host.pulls.append(
                PullRecord(REPO_PATH, number, "old", "b", EXAMPLE_BRANCH, "main", state="closed")
            )
            world.host.pulls[-1].head_sha = f"{number:040x}"
        first = bump_json(world, f"{EXAMPLE_IMAGE}:v2.0.0")
        assert first["status"] == "opened" and first["pull_request"]["number"] == 56
        declined = world.host.pulls[-1]
        declined.state, declined.head_sha = "closed", world.branch_sha(EXAMPLE_BRANCH) or ""

        hotfix = bump_json(world, f"{EXAMPLE_IMAGE}:v1.9.1")  # lower than the declined one
        assert hotfix["status"] == "opened" and hotfix["pull_request"]["number"] == 57
        assert assert_bot_branch_sane(world, EXAMPLE_BRANCH, expected_lines=EXAMPLE_LINES, tags={"v1.9.1"})
        [pr] = world.open_pulls()
        assert "v1.9.1" in pr.title and "v2.0.0" not in pr.title + pr.body
        lists = [r for r in world.host.requests if r.method == "GET" and r.path.endswith("/pullrequests")]
        assert any(r.query.get("page") == ["2"] for r in lists)  # the second page was read
        assert world.host.problems == []
