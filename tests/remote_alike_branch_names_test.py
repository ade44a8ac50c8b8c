"""End to end, GitHub, GitLab and Gitea: image sets whose default bot branch names read alike
never take each other's branch.

`ghcr.io/acme/app-x` and `ghcr.io/acme-app/x` both name `bumper/ghcr.io-acme-app-x`. README,
"The remote flow" (bot branch names): each bump commit names its image set in a
`Bumper-Images` trailer; a run whose default branch holds another set's bump takes the twin
`<default>-<8 hex>`, and keeps it while it exists. An existing branch is never renamed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import forkserver, repos
from testing.alike import ALIKE_BRANCH, DEPLOY, TREE, A, B
from testing.runs import bump_json as bump
from testing.runs import run_bump as run
from testing.seeds import seed_bump
from testing.world import World, make_world


def twin_name(name: str, keys: list[str]) -> str:
    """The twin as README documents it: the default name, '-', 8 hex of the sorted image keys."""
    return f"{name}-{hashlib.sha256(chr(10).join(sorted(keys)).encode()).hexdigest()[:8]}"


BRANCH = ALIKE_BRANCH
TWIN_B = twin_name(BRANCH, [B])
TWIN_A = twin_name(BRANCH, [A])
FILE = {A: "a/deploy.yaml", B: "b/deploy.yaml"}


@pytest.fixture(params=["github", "gitlab", "gitea"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def pr_for(world: World, number: int) -> Any:
    return next(p for p in world.host.pulls if p.number == number)


def holds(world: World, branch: str) -> dict[str, str]:
    """Per image, the tag `branch` holds in that image's file."""
    found = {}
    for image, path in FILE.items():
        text = (world.read(branch, path) or b"").decode()
        found[image] = text.rsplit(f"image: {image}:", 1)[1].strip()
    return found


def assert_pr_of(world: World, result: dict[str, Any], branch: str, image: str, tag: str) -> None:
    """`result` delivered `image:tag` alone to `branch`, whose open PR names that image and branch."""
    assert result["branch"] == branch
    assert [c["new"] for c in result["changes"]] == [f"{image}:{tag}"]
    other = B if image == A else A
    assert holds(world, branch) == {image: tag, other: "v1.0.0"}
    pr = pr_for(world, result["pull_request"]["number"])
    assert pr.state == "open" and pr.head == branch
    assert f"{image}:{tag}" in pr.title and f"{image}:{tag}" in pr.body and f"{other}:" not in pr.body
    trailers = repos.commit_trailers(world.bare, branch)
    assert trailers["Bumper-Images"] == image and trailers["Bumper-Branch"] == branch


def delete_branch(world: World, branch: str) -> None:
    repos.git("update-ref", "-d", f"refs/heads/{branch}", cwd=world.bare)


# -- A, then B, then A again: each PR keeps its own image ------------------------------------------


def test_alike_image_sets_keep_a_branch_and_a_pull_request_each(world: World) -> None:
    first = bump(world, f"{A}:v2.0.0")
    assert first["status"] == "opened"
    assert_pr_of(world, first, BRANCH, A, "v2.0.0")

    second = bump(world, f"{B}:v3.0.0")
    assert second["status"] == "opened"
    assert second["pull_request"]["number"] != first["pull_request"]["number"]
    assert_pr_of(world, second, TWIN_B, B, "v3.0.0")
    assert_pr_of(world, first, BRANCH, A, "v2.0.0")  # A's pending bump is still there, untouched

    again = bump(world, f"{A}:v2.1.0")
    assert again["status"] == "updated" and again["pull_request"] == first["pull_request"]
    assert_pr_of(world, again, BRANCH, A, "v2.1.0")

    later = bump(world, f"{B}:v3.1.0")
    assert later["status"] == "updated" and later["pull_request"] == second["pull_request"]
    assert_pr_of(world, later, TWIN_B, B, "v3.1.0")
    assert len(world.open_pulls()) == 2

    api, git = world.host.mark(), len(world.git.requests)
    for ref in (f"{A}:v2.1.0", f"{B}:v3.1.0"):  # reruns with nothing new write nothing
        assert bump(world, ref)["status"] == "up-to-date"
    assert world.writes(api) == [] and world.pushes(git) == []


def test_the_twin_is_kept_after_the_default_branch_is_gone(world: World) -> None:
    first = seed_bump(world, f"{A}:v2.0.0")
    second = bump(world, f"{B}:v3.0.0")
    pr_for(world, first["pull_request"]["number"]).state = "merged"  # A's PR merged, its branch deleted
    delete_branch(world, BRANCH)

    later = bump(world, f"{B}:v3.1.0")
    assert later["status"] == "updated" and later["pull_request"] == second["pull_request"]
    assert_pr_of(world, later, TWIN_B, B, "v3.1.0")
    assert world.branch_sha(BRANCH) is None

    again = bump(world, f"{A}:v2.1.0")  # the default name is free again: A takes it
    assert again["status"] == "opened"
    assert_pr_of(world, again, BRANCH, A, "v2.1.0")
    assert_pr_of(world, later, TWIN_B, B, "v3.1.0")


def test_a_merged_pull_requests_kept_branch_is_still_the_other_sets(world: World) -> None:
    first = seed_bump(world, f"{A}:v2.0.0")
    pr = pr_for(world, first["pull_request"]["number"])
    pr.state, pr.head_sha = "merged", world.branch_sha(BRANCH)  # merged, branch kept (stale)
    kept = world.branch_sha(BRANCH)

    second = bump(world, f"{B}:v3.0.0")
    assert second["status"] == "opened"
    assert_pr_of(world, second, TWIN_B, B, "v3.0.0")
    assert world.branch_sha(BRANCH) == kept

    again = bump(world, f"{A}:v2.1.0")  # A's stale branch starts again from the base, as before
    assert again["status"] == "opened" and again["branch"] == BRANCH
    assert_pr_of(world, again, BRANCH, A, "v2.1.0")


def test_a_reviewers_commit_on_the_other_sets_branch_neither_blocks_nor_is_touched(world: World) -> None:
    first = seed_bump(world, f"{A}:v2.0.0")
    theirs = repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")

    second = bump(world, f"{B}:v3.0.0")  # not blocked by A's branch, not waiting on A's PR
    assert second["status"] == "opened"
    assert_pr_of(world, second, TWIN_B, B, "v3.0.0")
    assert world.branch_sha(BRANCH) == theirs
    assert pr_for(world, first["pull_request"]["number"]).comments == []

    proc = run(world, f"{A}:v2.1.0")  # A's own branch is still A's, and still blocked
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["status"] == "blocked" and result["branch"] == BRANCH
    assert world.branch_sha(BRANCH) == theirs


def test_a_branch_an_older_bumper_made_is_updated_in_place(world: World) -> None:
    """The upgrade: a tip without Bumper-Images is still its own image's branch, and another
    set's run reads that older commit's Bumper-Image trailers and keeps off it."""
    first = seed_bump(world, f"{A}:v2.0.0")
    message = repos.commit_info(world.bare, BRANCH)["message"]
    assert "\nBumper-Images: " in message
    older = "\n".join(line for line in message.splitlines() if not line.startswith("Bumper-"))
    older += f"\n\nBumper-Image: {A}:v1.0.0 -> {A}:v2.0.0"
    files = {FILE[A]: world.read(BRANCH, FILE[A])}
    legacy = repos.add_bot_commit(world.bare, BRANCH, files, message=older, parent=world.branch_sha("main"))
    assert "Bumper-Images" not in repos.commit_trailers(world.bare, BRANCH)
    pr = pr_for(world, first["pull_request"]["number"])
    assert pr.head == BRANCH

    second = bump(world, f"{B}:v3.0.0")
    assert_pr_of(world, second, TWIN_B, B, "v3.0.0")
    assert world.branch_sha(BRANCH) == legacy

    again = bump(world, f"{A}:v2.1.0")
    assert again["status"] == "updated" and again["pull_request"] == first["pull_request"]
    assert_pr_of(world, again, BRANCH, A, "v2.1.0")
    assert len(world.open_pulls()) == 2


def test_a_bare_older_commit_of_its_own_image_is_updated_in_place(world: World) -> None:
    """A tip with the ownership trailers and nothing naming images (an older bumper, a
    --commit-message template): as before, the run of that name updates it in place."""
    first = seed_bump(world, f"{A}:v2.0.0")
    files = {FILE[A]: world.read(BRANCH, FILE[A])}
    repos.add_bot_commit(world.bare, BRANCH, files, message="Bump", parent=world.branch_sha("main"))

    again = bump(world, f"{A}:v2.1.0")
    assert again["status"] == "updated" and again["pull_request"] == first["pull_request"]
    assert_pr_of(world, again, BRANCH, A, "v2.1.0")


def test_a_twin_holding_a_third_sets_bump_is_left_alone(world: World) -> None:
    """Should the twin's name be another set's default name too, its commit names that set:
    the run is blocked, never rewriting it."""
    seed_bump(world, f"{A}:v2.0.0")
    main = world.branch_sha("main")
    message = "Bump\n\nBumper-Images: ghcr.io/acme/app-x-" + TWIN_B.rsplit("-", 1)[1]
    files = {"NOTES.md": b"a third image set's bump\n"}
    theirs = repos.add_bot_commit(world.bare, TWIN_B, files, message=message, parent=main)

    proc = run(world, f"{B}:v3.0.0")
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["status"] == "blocked" and result["branch"] == TWIN_B
    assert "bumps other images (ghcr.io/acme/app-x-" in proc.stderr
    assert world.branch_sha(TWIN_B) == theirs


def test_explicit_branch_is_used_as_named(world: World) -> None:
    seed_bump(world, f"{A}:v2.0.0")
    result = bump(world, f"{B}:v3.0.0", "--branch", "deploy/b")
    assert result["branch"] == "deploy/b" and world.branch_sha(TWIN_B) is None
    assert repos.commit_trailers(world.bare, "deploy/b")["Bumper-Images"] == B


# -- GitHub only: the other paths to the same decision ----------------------------------------------


@pytest.fixture
def github(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, "github", TREE) as w:
        yield w


def test_a_merge_of_the_base_on_the_other_sets_branch_still_tells_whose_it_is(github: World) -> None:
    """The host's "update branch" button: a merge commit on top of bumper's, first parent bumper's."""
    seed_bump(github, f"{A}:v2.0.0")
    repos.add_commit(github.bare, "main", {"NOTES.md": b"meanwhile\n"}, message="docs")
    merged = repos.merge(github.bare, BRANCH, "main", "Merge branch 'main' into " + BRANCH)
    second = bump(github, f"{B}:v3.0.0")
    assert second["status"] == "opened"
    assert_pr_of(github, second, TWIN_B, B, "v3.0.0")
    assert github.branch_sha(BRANCH) == merged


def test_a_non_default_base_has_its_twins_too(github: World) -> None:
    repos.add_commit(github.bare, "release", {"NOTES.md": b"release\n"}, parent=github.branch_sha("main"))
    branch = "bumper/release/ghcr.io-acme-app-x"
    first = bump(github, f"{A}:v2.0.0", "--base", "release")
    second = bump(github, f"{B}:v3.0.0", "--base", "release")
    assert_pr_of(github, first, branch, A, "v2.0.0")
    assert_pr_of(github, second, twin_name(branch, [B]), B, "v3.0.0")
    again = bump(github, f"{B}:v3.1.0", "--base", "release")
    assert again["pull_request"] == second["pull_request"]
    assert_pr_of(github, again, twin_name(branch, [B]), B, "v3.1.0")


def test_commits_made_through_the_api_name_their_images(github: World) -> None:
    first = bump(github, f"{A}:v2.0.0", "--commit-via", "api")
    second = bump(github, f"{B}:v3.0.0", "--commit-via", "api")
    assert_pr_of(github, first, BRANCH, A, "v2.0.0")
    assert_pr_of(github, second, TWIN_B, B, "v3.0.0")
    again = bump(github, f"{A}:v2.1.0", "--commit-via", "api")
    assert again["pull_request"] == first["pull_request"]
    assert_pr_of(github, again, BRANCH, A, "v2.1.0")


def test_a_dry_run_names_the_branch_it_would_use(github: World) -> None:
    seed_bump(github, f"{A}:v2.0.0")
    api, git = github.host.mark(), len(github.git.requests)
    proc = run(github, f"{B}:v3.0.0", "--dry-run")
    result = json.loads(proc.stdout)
    assert result["status"] == "dry-run" and result["branch"] == TWIN_B
    assert f"would open a pull request from {TWIN_B}" in proc.stderr
    assert github.writes(api) == [] and github.pushes(git) == []


def test_the_pull_request_text_names_the_branch_used(github: World) -> None:
    seed_bump(github, f"{A}:v2.0.0")
    result = bump(github, f"{B}:v3.0.0", "--body", "from {branch}")
    assert pr_for(github, result["pull_request"]["number"]).body.startswith(f"from {TWIN_B}\n")


def test_a_promotion_keeps_to_its_own_image_too(tmp_path: Path) -> None:
    """Promotion branches are named after the image too (`bumper/promote/<to>/<image>`)."""
    tree = {f"prod/{path}": data for path, data in TREE.items()}
    tree["staging/a.yaml"] = DEPLOY.format(name="a", image=A).replace("v1.0.0", "v2.0.0").encode()
    tree["staging/b.yaml"] = DEPLOY.format(name="b", image=B).replace("v1.0.0", "v3.0.0").encode()
    branch = "bumper/promote/prod/ghcr.io-acme-app-x"
    with make_world(tmp_path, "github", tree) as world:
        results = []
        for image in (A, B, A):
            proc = world.run("promote", image, "--from", "staging", "--to", "prod", "--output", "json")
            assert proc.returncode == 0, proc.stderr
            results.append(json.loads(proc.stdout))
        assert [r["branch"] for r in results] == [branch, twin_name(branch, [B]), branch]
        assert [r["status"] for r in results] == ["opened", "opened", "up-to-date"]
        assert world.read(branch, "prod/a/deploy.yaml") == tree["staging/a.yaml"]
        assert b"x:v3.0.0" in (world.read(twin_name(branch, [B]), "prod/b/deploy.yaml") or b"")
        assert b"x:v1.0.0" in (world.read(branch, "prod/b/deploy.yaml") or b"")
        assert len(world.open_pulls()) == 2


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_alike_sets_racing_for_the_default_name_end_with_a_branch_each(tmp_path: Path, provider: str) -> None:
    """Two runs of each set at once: whichever pushes the default name first keeps it; the other
    set's push is refused (lease), its run starts again and takes its twin."""
    with make_world(tmp_path, provider, TREE) as world:
        refs = [f"{A}:v2.0.0", f"{B}:v3.0.0", f"{A}:v2.0.0", f"{B}:v3.0.0"]
        procs = [forkserver.start(("bump", ref, "--output", "json"), env=world.env()) for ref in refs]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and "Traceback" not in err, err
        winner = A if holds(world, BRANCH)[A] == "v2.0.0" else B
        loser, tag = (B, "v3.0.0") if winner == A else (A, "v2.0.0")
        heads = sorted(p.head for p in world.open_pulls())
        assert heads == sorted([BRANCH, twin_name(BRANCH, [loser])])
        assert holds(world, BRANCH) == {winner: "v2.0.0" if winner == A else "v3.0.0", loser: "v1.0.0"}
        assert holds(world, twin_name(BRANCH, [loser])) == {loser: tag, winner: "v1.0.0"}
