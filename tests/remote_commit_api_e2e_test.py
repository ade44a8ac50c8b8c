"""End to end, both hosts: `--commit-via api` makes the host write and sign the commit.

What a reviewer sees: one Verified commit on the base, made by the host (no git push at all),
that later runs recognise as bumper's own; reruns write nothing; a person's commit is never
overwritten, also when it lands between bumper's read and the API call; the API call budget
(a new PR at most 6 requests, an update at most 4) holds, counted from the fakes' request logs.
"""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bumper.errors import ConfigError
from bumper.options import BumpOptions
from bumper.preflight import check_remote
from bumper.providers import registry
from bumper.providers.registry import ProviderSpec
from testing import forkserver, repos
from testing.fake_provider import AfterApply, Fault, RecordedRequest
from testing.invariants import assert_bot_branch_sane
from testing.runs import bump_json, run_bump
from testing.shuffled_tags import HIGHEST, TAGS
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, World, make_world

IMAGE = EXAMPLE_IMAGE
BRANCH = EXAMPLE_BRANCH
LINES = EXAMPLE_LINES
NEW_PR_BUDGET, UPDATE_BUDGET = 6, 4


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param) as w:
        w.extra_env["BUMPER_COMMIT_VIA"] = "api"
        yield w
        assert getattr(w.host, "graphql_violations", []) == []


def run(world: World, tag: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bump(world, f"{IMAGE}:{tag}", *args)


def bump(world: World, tag: str, *args: str) -> dict[str, Any]:
    return bump_json(world, f"{IMAGE}:{tag}", *args)


def verified(world: World, sha: str | None) -> bool:
    return sha in world.host.verified


def test_new_pr_update_and_rerun_through_the_api(world: World) -> None:
    mark = world.host.mark()
    first = bump(world, "v1.2.3", "--label", "deps", "--reviewer", "alice")
    calls = world.host.since(mark)
    assert first["status"] == "opened"
    assert len(calls) <= NEW_PR_BUDGET, [(r.method, r.path) for r in calls]
    assert world.pushes() == []  # the host made the commit: git pushed nothing
    sha = world.branch_sha(BRANCH)
    assert verified(world, sha)
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.2.3"}) == "v1.2.3"
    trailers = repos.commit_trailers(world.bare, BRANCH)
    assert trailers["Bumper-Branch"] == BRANCH and trailers["Bumper-Image"].endswith(":v1.2.3")
    (pr,) = world.open_pulls()
    assert (pr.labels, pr.reviewers) == (["deps"], ["alice"])

    mark = world.host.mark()
    second = bump(world, "v1.3.0", "--label", "deps", "--reviewer", "alice")
    calls = world.host.since(mark)
    assert second["status"] == "updated"
    assert len(calls) <= UPDATE_BUDGET, [(r.method, r.path) for r in calls]
    assert verified(world, world.branch_sha(BRANCH)) and world.branch_sha(BRANCH) != sha
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.3.0"}) == "v1.3.0"
    assert repos.count_commits(world.bare, BRANCH, since="main") == 1
    assert [p.number for p in world.open_pulls()] == [pr.number]

    mark, tip = world.host.mark(), world.branch_sha(BRANCH)
    assert bump(world, "v1.3.0")["status"] == "up-to-date"  # recognised as bumper's own commit
    assert world.writes(mark) == [] and world.branch_sha(BRANCH) == tip
    older = bump(world, "v1.2.9")  # never backwards, also for a commit the host made
    assert world.writes(mark) == [] and world.branch_sha(BRANCH) == tip
    assert older["skipped"][0]["reason"].startswith("newer-on-bot-branch")
    assert world.pushes() == []


def test_a_persons_commit_is_left_alone(world: World) -> None:
    bump(world, "v1.2.3")
    theirs = repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")
    mark = world.host.mark()
    proc = run(world, "v1.3.0")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "blocked"
    assert world.branch_sha(BRANCH) == theirs
    assert not any(
        r.method == "POST" and "commits" in r.path or "git/refs" in r.path for r in world.writes(mark)
    )


def test_a_commit_pushed_between_the_read_and_the_api_call_is_kept(world: World) -> None:
    """The race a lease closes for git: GitHub's compare-and-swap refuses, bumper starts over
    and finds the person's commit. (GitLab has no reset step to hook: its guards, a read of the
    branch and last_commit_id, are tested in commit_api_never_emptier_test.py.)"""
    if world.provider == "gitlab":
        pytest.skip("GitLab has no updateRefs step; see commit_api_never_emptier_test.py")
    bump(world, "v1.2.3")
    pushed: list[str] = []

    def push_first(req: RecordedRequest) -> None:
        if not pushed and req.path == "/api/graphql" and "updateRefs" in str(req.body):
            pushed.append(repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"mine\n"}, message="fixup"))
        return None

    world.host.fault = push_first
    proc = run(world, "v1.3.0")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "blocked"
    assert pushed and world.branch_sha(BRANCH) == pushed[0]


def test_a_bot_branch_left_at_the_base_is_filled(world: World) -> None:
    """A run stopped between creating the branch and committing to it (GitHub) leaves the bot
    branch at a commit of the base: it holds nobody's work, so the next run fills it; a branch
    named by --branch stays its owner's all the same."""
    main = world.branch_sha("main")
    assert main is not None
    repos.git("update-ref", f"refs/heads/{BRANCH}", main, cwd=world.bare)
    repos.git("update-ref", "refs/heads/release", main, cwd=world.bare)
    assert bump(world, "v1.2.3")["status"] == "opened"
    assert assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags={"v1.2.3"}) == "v1.2.3"
    proc = run(world, "v1.2.3", "--branch", "release")
    assert proc.returncode == 2 and "--branch 'release' already exists" in proc.stderr, proc.stderr
    assert world.branch_sha("release") == main


POLICY = b"version: 1\nrules:\n  - paths: [apps/**]\n    mode: commit\n"


@pytest.fixture(params=["github", "gitlab"])
def policy_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    tree = {str(p.relative_to(EXAMPLES)): p.read_bytes() for p in EXAMPLES.rglob("*") if p.is_file()}
    with make_world(tmp_path, request.param, {**tree, ".bumper.yaml": POLICY}) as w:
        w.extra_env["BUMPER_COMMIT_VIA"] = "api"
        yield w


def test_direct_commits_through_the_api(policy_world: World) -> None:
    world = policy_world
    old_main = world.branch_sha("main")
    proc = run(world, "v1.2.3")
    if world.provider == "gitlab":  # no compare-and-swap on GitLab: refused before any write
        assert proc.returncode == 2, proc.stderr
        assert "--commit-via git" in proc.stderr and len(proc.stderr.splitlines()) == 1
        assert world.branch_sha("main") == old_main and world.writes() == []
        assert world.branch_sha(BRANCH) is None
        return
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    main = world.branch_sha("main")
    assert result["status"] == "opened" and result["commit"] == {"branch": "main", "sha": main}
    assert repos.commit_info(world.bare, "main")["parents"] == old_main and verified(world, main)
    assert repos.changed_paths(world.bare, "main") == ["apps/web/deployment.yaml"]
    # the PR half builds on the host's commit: one commit on the new base
    assert repos.commit_info(world.bare, BRANCH)["parents"] == main and verified(
        world, world.branch_sha(BRANCH)
    )
    assert world.pushes() == []


def test_a_direct_api_commit_whose_answer_is_lost_is_named(tmp_path: Path) -> None:
    """GitHub made the direct commit on main, then a proxy answered 502 to createCommitOnBranch
    (each retry too): the run said `gave up after 5 retries: too many 502 error responses`, exit
    1, JSON `commit: null`, while main held the commit. Now the run reads the base after the
    failure and names the commit it finds there with this run's tree on this run's parent."""
    tree = {str(p.relative_to(EXAMPLES)): p.read_bytes() for p in EXAMPLES.rglob("*") if p.is_file()}
    with make_world(tmp_path, "github", {**tree, ".bumper.yaml": POLICY}) as world:
        world.extra_env["BUMPER_COMMIT_VIA"] = "api"
        _lost_answer(world)


def _lost_answer(world: World) -> None:
    old_main = world.branch_sha("main")

    def lost(req: RecordedRequest) -> Fault:
        if req.path == "/api/graphql" and "createCommitOnBranch" in str(req.body):
            return AfterApply((502, {}, {"message": "Bad Gateway"}))
        return None

    world.host.fault = lost
    proc = run(world, "v1.2.3", "--output", "json")
    main = world.branch_sha("main")
    assert main is not None and main != old_main
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["commit"] == {"branch": "main", "sha": main}
    assert f"the direct commit {main[:12]} was already pushed to main and stays there" in proc.stderr
    world.host.fault = None
    again = bump(world, "v1.2.3")  # the rerun finds main bumped and does the rest
    assert again["status"] == "opened" and world.branch_sha("main") == main


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "manifests"


def test_commit_via_api_needs_a_provider_that_can(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 2 before any network call: --provider none, or a provider without the capability."""
    raw = {"refs": [f"{IMAGE}:v1"], "repo": "https://git.example/acme/m.git", "commit_via": "api"}
    options = BumpOptions(refs=[], repo=raw["repo"], provider="none", commit_via="api")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="--provider none, use --commit-via git"):
        check_remote(options, {})
    plain = ProviderSpec("plain", "testing.fake_provider:FakeProvider")
    monkeypatch.setattr(registry, "_discover", lambda: ({"plain": plain}, {}))
    options = BumpOptions(refs=[], repo=raw["repo"], provider="plain", commit_via="api")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="provider 'plain' cannot make commits through its API"):
        check_remote(options, {"BUMPER_TOKEN": "t"})


def test_provider_none_with_api_is_a_usage_error(tmp_path: Path) -> None:
    with make_world(tmp_path, "github") as world:
        proc = world.run("bump", f"{IMAGE}:v1.2.3", "--provider", "none", "--commit-via", "api")
        assert proc.returncode == 2 and "--commit-via git" in proc.stderr
        assert world.git.requests == [] and world.host.requests == []


def test_ten_tags_at_once_through_the_api_end_on_the_highest(tmp_path: Path) -> None:
    """Concurrent CI jobs on GitHub: every step is a compare-and-swap, so, as with leased pushes,
    the runs converge on one PR and one verified commit holding the highest tag."""
    order = TAGS[:]
    random.Random("api-ten-tags").shuffle(order)
    with make_world(tmp_path, "github") as world:
        api_env = world.env(BUMPER_COMMIT_VIA="api")
        procs = [
            forkserver.start(["bump", f"{IMAGE}:{tag}", "--output", "json"], env=api_env) for tag in order
        ]
        results = [(p, *p.communicate(timeout=600)) for p in procs]
        failed = [
            (tag, p.returncode, err) for tag, (p, _, err) in zip(order, results, strict=True) if p.returncode
        ]
        assert not failed, failed
        held = assert_bot_branch_sane(world, BRANCH, expected_lines=LINES, tags=set(TAGS))
        statuses = {tag: json.loads(out)["status"] for tag, (_, out, _) in zip(order, results, strict=True)}
        assert held == HIGHEST, statuses
        (pr,) = world.open_pulls()
        assert f"{IMAGE}:{HIGHEST}" in pr.title
        assert verified(world, world.branch_sha(BRANCH)) and world.pushes() == []
        assert world.host.graphql_violations == []
