"""End to end on GitHub, GitLab, Gitea and Bitbucket Data Center: a person declined bumper's PR,
and more than one page of the API's closed PRs from the bot branch now comes before it (the
host lists many PRs updated since). The next run still reads the pages that hold it: the branch
is stale, the declined version holds nothing back and is never proposed again (docs/reference.md,
"Stale branches"). A host failing on a later page fails the run before any write."""

from __future__ import annotations

from typing import Any

from testing.fake_provider import PullRecord, RecordedRequest
from testing.invariants import assert_bot_branch_sane
from testing.runs import bump_json, run_bump
from testing.world import (
    CANARY,
    EXAMPLE_BRANCH,
    EXAMPLE_IMAGE,
    EXAMPLE_LINES,
    World,
    world_on_each,
)

HOSTS = ("github", "gitlab", "gitea", "bitbucket-server")
LATER = 260  # closed PRs listed before the declined one: pages 1-3 of 100, 1-6 of 50


world = world_on_each(HOSTS)


def declined_then_buried(world: World) -> Any:
    """bumper's PR for v2.0.0, declined by a person, then LATER closed PRs listed before it."""
    first = bump_json(world, f"{EXAMPLE_IMAGE}:v2.0.0")
    assert first["status"] == "opened"
    host: Any = world.host
    declined = next(p for p in host.pulls if p.number == first["pull_request"]["number"])
    declined.state, declined.head_sha = "closed", world.branch_sha(EXAMPLE_BRANCH) or ""
    for n in range(LATER):
        number = declined.number + 1 + n
        host.pulls.append(
            PullRecord(declined.repo, number, "old", "b", EXAMPLE_BRANCH, "main", state="closed")
        )
        host.pulls[-1].head_sha = f"{number:040x}"
        updated = getattr(host, "_updated", None)  # Gitea's fake sorts by update: these came later
        if updated is not None:
            updated[(declined.repo, number)] = 10_000 + n
    return declined


def pr_lists(world: World) -> list[RecordedRequest]:
    host: Any = world.host
    return [
        r
        for r in host.requests
        if r.method == "GET" and r.path.rstrip("/").endswith(("/pulls", "/merge_requests", "/pull-requests"))
    ]


def test_a_declined_pr_beyond_the_first_page_leaves_the_branch_stale(world: World) -> None:
    declined = declined_then_buried(world)
    mark = len(pr_lists(world))

    hotfix = bump_json(world, f"{EXAMPLE_IMAGE}:v1.9.1")  # lower than the declined v2.0.0
    assert hotfix["status"] == "opened" and hotfix["pull_request"]["number"] != declined.number
    assert assert_bot_branch_sane(world, EXAMPLE_BRANCH, expected_lines=EXAMPLE_LINES, tags={"v1.9.1"})
    [pr] = world.open_pulls()
    assert "v1.9.1" in pr.title and "v2.0.0" not in pr.title + pr.body
    assert not any("newer-on-bot-branch" in s["reason"] for s in hotfix["skipped"])
    pages = {(r.query.get("page") or r.query.get("start") or ["1"])[0] for r in pr_lists(world)[mark:]}
    assert pages - {"1", "0"}  # a later page was read
    assert getattr(world.host, "problems", []) == []


def test_a_host_failing_on_a_later_page_fails_the_run_before_any_write(world: World) -> None:
    declined_then_buried(world)
    tip, host = world.branch_sha(EXAMPLE_BRANCH), world.host
    api, git = host.mark(), len(world.git.requests)

    def later_page(req: RecordedRequest) -> Any:
        page = (req.query.get("page") or req.query.get("start") or ["1"])[0]
        listing = req.path.rstrip("/").endswith(("/pulls", "/merge_requests", "/pull-requests"))
        return (502, {}, {"message": "Bad Gateway"}) if listing and page not in ("1", "0") else None

    host.fault = later_page
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.9.1")
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("bumper: error: ") and "closed" in line and CANARY not in line
    assert world.branch_sha(EXAMPLE_BRANCH) == tip and world.pushes(git) == []
    assert world.writes(api) == [] and world.open_pulls() == []
