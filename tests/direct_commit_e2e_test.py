"""End to end on both providers: commit-mode references go straight to the base in one commit,
pr-mode references to the bot branch and a PR, in one run; a moved base is re-read and retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import repos
from testing.git_server import RequestInfo
from testing.world import CANARY, World, make_world

POLICY = b"""\
version: 1
rules:
  - paths: [clusters/staging]
    mode: commit
  - paths: [clusters/prod]
    allow: '^v\\d+\\.\\d+\\.\\d+$'
    labels: [production]
"""
TREE = {
    ".bumper.yaml": POLICY,
    "clusters/staging/app.yaml": b"# staging\nimage: ghcr.io/acme/app:v1.4.0\n",
    "clusters/prod/app.yaml": b"# prod\nimage: ghcr.io/acme/app:v1.4.0\n",
    "README.md": b"manifests\n",
}
BRANCH = "bumper/ghcr.io-acme-app"


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def bump(world: World, *args: str) -> dict:  # type: ignore[type-arg]
    proc = world.run("bump", *args, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def test_one_run_commits_staging_and_opens_a_prod_pr(world: World) -> None:
    old_main = world.branch_sha("main")
    result = bump(world, "ghcr.io/acme/app:v1.5.0")

    main = world.branch_sha("main")
    assert result["commit"] == {"branch": "main", "sha": main}
    assert repos.commit_info(world.bare, main)["parents"] == old_main  # one commit, fast-forward
    assert repos.changed_paths(world.bare, main) == ["clusters/staging/app.yaml"]
    assert world.read("main", "clusters/staging/app.yaml") == b"# staging\nimage: ghcr.io/acme/app:v1.5.0\n"

    assert result["status"] == "opened" and result["branch"] == BRANCH
    assert repos.commit_info(world.bare, BRANCH)["parents"] == main  # the PR builds on the new base
    assert repos.changed_paths(world.bare, BRANCH) == ["clusters/prod/app.yaml"]
    [pr] = world.open_pulls()
    assert pr.labels == ["production"] and "v1.5.0" in pr.title
    assert "clusters/staging" not in pr.body  # the PR describes only what it changes
    assert sorted(c["file"] for c in result["changes"]) == [
        "clusters/prod/app.yaml",
        "clusters/staging/app.yaml",
    ]

    # a rerun has nothing new: no push, no API write
    git_mark, api_mark = len(world.git.requests), world.host.mark()
    again = bump(world, "ghcr.io/acme/app:v1.5.0")
    assert again["status"] == "up-to-date" and again["commit"] is None
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []


def test_a_tag_prod_does_not_allow_only_reaches_staging(world: World) -> None:
    result = bump(world, "ghcr.io/acme/app:v1.5.0-rc.1")
    assert result["status"] == "committed"
    assert result["pull_request"] is None and result["branch"] is None
    assert result["commit"] == {"branch": "main", "sha": world.branch_sha("main")}
    assert [(s["file"], s["reason"]) for s in result["skipped"]] == [("clusters/prod/app.yaml", "policy")]
    assert world.open_pulls() == [] and repos.list_branches(world.bare) == ["main"]


def test_the_cli_narrows_commit_to_pr_but_cannot_widen_pr_to_commit(world: World) -> None:
    old_main = world.branch_sha("main")
    result = bump(world, "ghcr.io/acme/app:v1.5.0", "--mode", "pr")
    assert result["commit"] is None and result["status"] == "opened"
    assert world.branch_sha("main") == old_main
    assert repos.changed_paths(world.bare, BRANCH) == ["clusters/prod/app.yaml", "clusters/staging/app.yaml"]

    # a policy that says pr for everything: --mode commit changes nothing about it
    repos.add_commit(world.bare, "main", {".bumper.yaml": b"version: 1\nrules:\n  - mode: pr\n"})
    guarded = world.branch_sha("main")
    result = bump(world, "ghcr.io/acme/app:v1.6.0", "--mode", "commit")
    assert result["commit"] is None and result["status"] == "updated"
    assert world.branch_sha("main") == guarded


def test_mode_commit_from_the_cli_where_no_rule_sets_one(world: World) -> None:
    repos.add_commit(world.bare, "main", {".bumper.yaml": None})
    result = bump(world, "ghcr.io/acme/app:v1.5.0", "--mode", "commit")
    assert result["status"] == "committed"
    assert repos.changed_paths(world.bare, "main") == ["clusters/prod/app.yaml", "clusters/staging/app.yaml"]


def test_a_person_pushing_to_the_base_meanwhile_is_kept_and_the_run_retries(world: World) -> None:
    pushed: list[str] = []

    def person_pushes_first(info: RequestInfo) -> None:
        if info.method == "POST" and info.path.endswith("git-receive-pack") and not pushed:
            pushed.append(repos.add_commit(world.bare, "main", {"README.md": b"edited by a person\n"}))
        return None

    world.git.fault = person_pushes_first
    result = bump(world, "ghcr.io/acme/app:v1.5.0")
    main = world.branch_sha("main")
    assert result["commit"] == {"branch": "main", "sha": main}
    assert repos.commit_info(world.bare, main)["parents"] == pushed[0]  # on top of the person's commit
    assert world.read("main", "README.md") == b"edited by a person\n"
    assert world.read("main", "clusters/staging/app.yaml") == b"# staging\nimage: ghcr.io/acme/app:v1.5.0\n"
    assert repos.commit_info(world.bare, BRANCH)["parents"] == main


def test_a_newer_version_on_the_base_is_never_replaced_by_an_older_one(world: World) -> None:
    bump(world, "ghcr.io/acme/app:v1.6.0")
    main = world.branch_sha("main")
    result = bump(world, "ghcr.io/acme/app:v1.5.0")
    assert result["commit"] is None
    assert world.branch_sha("main") == main
    assert ("clusters/staging/app.yaml", "downgrade") in [(s["file"], s["reason"]) for s in result["skipped"]]


def test_dry_run_commits_nothing(world: World) -> None:
    old_main = world.branch_sha("main")
    git_mark = len(world.git.requests)
    result = bump(world, "ghcr.io/acme/app:v1.5.0", "--dry-run")
    assert result["status"] == "dry-run" and result["commit"] is None
    assert "+image: ghcr.io/acme/app:v1.5.0" in result["diff"]
    assert "clusters/staging/app.yaml" in result["diff"] and "clusters/prod/app.yaml" in result["diff"]
    assert world.branch_sha("main") == old_main and world.pushes(git_mark) == []
