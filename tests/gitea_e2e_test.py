"""End to end on Gitea's URL layout (`http://HOST/owner/repo.git`, API under `/api/v1` on the
same origin): `--provider auto` in Gitea/Forgejo Actions, the API found from the clone URL, the
build link from that CI's variables, and what the host cannot do said in one line.
(Open, update, leave alone and stale-branch runs are the GitHub/GitLab end-to-end suites,
parametrized with gitea: tests/remote_e2e_test.py, tests/remote_ownership_test.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import repos
from testing.fake_provider import PullRecord
from testing.runs import run_bump
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world

SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The git server answers the API's paths too, as one Gitea does; nobody names the API."""
    with make_world(tmp_path, "gitea", one_origin=True) as w:
        w.extra_env.update(BUMPER_API_URL="")
        yield w


@pytest.mark.parametrize("marker", ["GITEA_ACTIONS", "FORGEJO_ACTIONS"])
def test_auto_in_gitea_or_forgejo_actions_opens_the_pr_with_the_run_link(world: World, marker: str) -> None:
    server = world.git.base_url + "/"  # Gitea's AppURL ends with a slash
    ci = {
        marker: "true",
        "GITHUB_ACTIONS": "true",  # their runners set it too: still not GitHub
        "GITHUB_SERVER_URL": server,
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "90817",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_SHA": SHA,
    }
    proc = run_bump(
        world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_PROVIDER="auto", BUMPER_TOKEN="", GITEA_TOKEN=CANARY, **ci
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "opened"
    [pr] = world.open_pulls()
    link = f"{world.git.base_url}/acme/app/actions/runs/7"
    assert link in pr.body
    assert result["pull_request"]["url"] == f"{world.host.base_url}/acme/manifests/pulls/{pr.number}"
    assert any(r.path.startswith("/api/v1/repos/acme/manifests/") for r in world.host.requests)
    info = repos.commit_info(world.bare, str(world.branch_sha(EXAMPLE_BRANCH)))
    assert f"Bumper-Build: {link}" in info["message"]


def test_the_api_is_found_from_the_clone_url(world: World) -> None:
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_PROVIDER="gitea")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "opened"
    again = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_PROVIDER="gitea")
    assert json.loads(again.stdout)["status"] == "up-to-date"
    assert [r for r in world.writes() if r.method != "GET"][-1].path.endswith("/pulls")


def test_commits_through_the_api_are_refused_in_one_line_before_any_request(world: World) -> None:
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", "--commit-via", "api", BUMPER_PROVIDER="gitea")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "provider 'gitea' cannot make commits through its API; use --commit-via git" in proc.stderr
    assert world.git.requests == [] and world.host.requests == []


def test_a_draft_with_automerge_says_why_in_one_warning(world: World) -> None:
    proc = world.run("bump", f"{EXAMPLE_IMAGE}:v1.2.3", "--draft", "--automerge", BUMPER_PROVIDER="gitea")
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    [pr] = world.open_pulls()
    assert pr.title.startswith("WIP: ") and not pr.automerge
    warnings = [line for line in proc.stderr.splitlines() if "auto-merge not enabled" in line]
    assert len(warnings) == 1 and "Work in progress" in warnings[0]


def test_the_pr_is_found_on_page_two_of_an_instance_with_short_pages(tmp_path: Path) -> None:
    """An instance whose MAX_RESPONSE_ITEMS is 30 answers 30 PRs for `limit=50`: that page was
    taken for the last one, bumper's PR on page 2 was missed, its create refused as a duplicate
    and the run failed (exit 1) on every rerun. Now the pages are read up to X-Total-Count."""
    with make_world(tmp_path, "gitea") as world:
        _found_on_page_two(world)


def _found_on_page_two(world: World) -> None:
    first = json.loads(run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_PROVIDER="gitea").stdout)
    assert first["status"] == "opened"
    world.host.max_items = 30  # type: ignore[union-attr]
    for n in range(40):  # newer PRs push bumper's to page 2
        other = PullRecord("acme/manifests", 2 + n, f"feature {n}", "", f"feature/{n}", "main")
        world.host.pulls.append(other)
        world.host._touch(other)  # type: ignore[union-attr]
    proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4", BUMPER_PROVIDER="gitea")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "updated" and result["pull_request"] == first["pull_request"]
    assert [p.number for p in world.open_pulls() if p.head == EXAMPLE_BRANCH] == [
        first["pull_request"]["number"]
    ]


def test_a_label_on_page_two_of_short_pages_is_found_not_created(tmp_path: Path) -> None:
    """MAX_RESPONSE_ITEMS 30: the labels past the first 30 were taken as missing, and creating
    one Gitea already has failed (one warning line, the label not on the PR)."""
    with make_world(tmp_path, "gitea") as world:
        world.host.max_items = 30  # type: ignore[union-attr]
        for n in range(40):
            world.host.add_label("acme/manifests", f"area/{n:02}")  # type: ignore[union-attr]
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", "--label", "area/35")
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        assert [p.labels for p in world.open_pulls()] == [["area/35"]]
        assert not [r for r in world.host.requests if r.method == "POST" and r.path.endswith("/labels")]
