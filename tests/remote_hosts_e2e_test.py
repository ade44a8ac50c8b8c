"""End to end on Bitbucket Cloud, Bitbucket Data Center and Azure DevOps: `bumper bump --repo`
as a subprocess, real git over loopback HTTP in each host's URL layout (`/WS/REPO.git`,
`/scm/PROJECT/repo.git`, `/ORG/PROJECT/_git/REPO`) with each host's way of taking the token,
against the fake hosts: it opens, updates, leaves alone and starts again exactly as on GitHub."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing import repos
from testing.runs import run_bump
from testing.seeds import seed_bump
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, EXAMPLE_LINES, World, make_world

HOSTS = ["bitbucket", "bitbucket-server", "azure-devops"]


@pytest.fixture(params=HOSTS)
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def bump(world: World, tag: str, *args: str, **env: str) -> dict[str, Any]:
    proc = world.run("bump", f"{EXAMPLE_IMAGE}:{tag}", "--output", "json", *args, **env)
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def run(world: World, tag: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bump(world, f"{EXAMPLE_IMAGE}:{tag}", *args)


def pr_record(world: World, number: int) -> Any:
    return next(p for p in world.host.pulls if p.number == number)


def test_opens_then_updates_then_leaves_a_rerun_alone(world: World) -> None:
    opened = bump(world, "v1.2.3", "--reviewer", "alice")
    assert opened["status"] == "opened" and opened["branch"] == EXAMPLE_BRANCH
    number = opened["pull_request"]["number"]
    [rec] = world.open_pulls()
    assert rec.number == number and rec.head == EXAMPLE_BRANCH and rec.base == "main"
    assert "v1.2.3" in rec.title and rec.reviewers == ["alice"]
    for path, _ in EXAMPLE_LINES:  # every reference rewritten on the branch, main untouched
        assert b"v1.2.3" in (world.read(EXAMPLE_BRANCH, path) or b""), path
        assert b"v1.2.3" not in (world.read("main", path) or b""), path

    updated = bump(world, "v1.2.4")
    assert updated["status"] == "updated" and updated["pull_request"]["number"] == number
    [rec] = world.open_pulls()
    assert "v1.2.4" in rec.title and rec.reviewers == ["alice"]

    api, pushes = world.host.mark(), len(world.pushes())
    again = bump(world, "v1.2.4")
    assert again["status"] == "up-to-date"
    assert world.writes(api) == [] and len(world.pushes()) == pushes  # no write at all
    assert getattr(world.host, "problems", []) == []  # every request as the host's API describes it


def test_a_persons_commit_is_left_alone_and_said_once(world: World) -> None:
    first = seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
    theirs = repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"fixup\n"}, message="fixup")
    for _ in range(2):
        proc = run(world, "v1.3.0")
        assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "blocked"
        assert proc.stderr.startswith("bumper: warning: branch " + EXAMPLE_BRANCH)
        assert world.branch_sha(EXAMPLE_BRANCH) == theirs
    comments = pr_record(world, first["pull_request"]["number"]).comments
    assert len(comments) == 1 and "v1.3.0" in comments[0]  # one comment, once


def test_a_closed_prs_branch_is_stale_and_the_next_run_starts_from_main(world: World) -> None:
    first = seed_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0")
    rec = pr_record(world, first["pull_request"]["number"])
    rec.state, rec.head_sha = "closed", world.branch_sha(EXAMPLE_BRANCH) or ""
    hotfix = bump(world, "v1.2.9")  # lower than the closed PR's: not held back by it
    assert hotfix["status"] == "opened" and hotfix["pull_request"]["number"] != rec.number
    assert b"v1.2.9" in (world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b"")


def test_what_the_host_lacks_is_a_warning_line(world: World) -> None:
    proc = run(world, "v1.2.3", "--label", "deps", "--assignee", "bob")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("bumper: ")]
    if world.provider == "azure-devops":  # Azure has labels, no assignees
        assert len(warnings) == 1 and "assignees" in warnings[0]
        assert world.open_pulls()[0].labels == ["deps"]
    else:
        assert len(warnings) == 2 and "labels" in warnings[0] and "assignees" in warnings[1]


@pytest.mark.parametrize("host", ["azure-devops"])
def test_azure_pipelines_token_user_info_url_and_build_link(tmp_path: Path, host: str) -> None:
    with make_world(tmp_path, host) as world:
        url = world.repo_url.replace("://", "://acme@", 1)  # the clone URL Azure Repos shows
        env = {
            "BUMPER_TOKEN": "",
            "BUMPER_REPO": url,
            "BUMPER_PROVIDER": "auto",
            "TF_BUILD": "True",
            "SYSTEM_ACCESSTOKEN": CANARY,
            "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
            "SYSTEM_TEAMPROJECT": "Platform Team",
            "BUILD_BUILDID": "4711",
            "BUILD_SOURCEVERSION": "a" * 40,
        }
        result = bump(world, "v1.2.3", "--provider", "azure-devops", **env)
        assert result["status"] == "opened"
        [rec] = world.open_pulls()
        assert "https://dev.azure.com/acme/Platform%20Team/_build/results?buildId=4711" in rec.body


def test_bitbucket_pipelines_build_link_and_app_password(tmp_path: Path) -> None:
    with make_world(tmp_path, "bitbucket") as world:
        world.git.basic_user = "bumper-bot"  # an app password goes with its user, for git too
        env = {
            "BUMPER_TOKEN": "",
            "BITBUCKET_USERNAME": "bumper-bot",
            "BITBUCKET_APP_PASSWORD": CANARY,
            "BITBUCKET_BUILD_NUMBER": "77",
            "BITBUCKET_GIT_HTTP_ORIGIN": "http://bitbucket.org/acme/app",
            "BITBUCKET_COMMIT": "b" * 40,
        }
        world.host.token = "unused-bearer-token-000"  # only the app password is accepted
        world.host.app_credentials = ("bumper-bot", CANARY)  # type: ignore[union-attr]
        result = bump(world, "v1.2.3", **env)
        assert result["status"] == "opened"
        [rec] = world.open_pulls()
        assert "http://bitbucket.org/acme/app/pipelines/results/77" in rec.body


def test_commits_through_the_api_are_refused_before_anything_happens(world: World) -> None:
    proc = run(world, "v1.2.3", "--commit-via", "api")
    assert proc.returncode == 2
    assert f"provider {world.provider!r} cannot make commits through its API" in proc.stderr
    assert world.git.requests == [] and world.host.requests == []


@pytest.mark.parametrize("host", ["bitbucket-server", "azure-devops"])
def test_provider_none_still_gives_git_the_hosts_credentials(tmp_path: Path, host: str) -> None:
    """No API, but `auto` knows the host by its URL layout: git presents the token as that
    host takes it (a bearer token to the Data Center, Basic with an empty user to Azure; the
    default Basic x-access-token would be refused)."""
    with make_world(tmp_path, host) as world:
        world.git.basic_user = "" if host == "azure-devops" else "-"
        result = bump(world, "v1.2.3", "--provider", "none", BUMPER_API_URL="")
        assert result["status"] == "written" and result["pull_request"] is None
        assert world.branch_sha(EXAMPLE_BRANCH) is not None
        assert world.host.requests == []


def test_title_and_body_are_cut_to_the_hosts_limits(world: World) -> None:
    """The fakes refuse what the hosts refuse (titles over 255 or 400 characters, descriptions
    over 32,768 or 4,000): a long template is cut to fit and the PR still opens, marked as bumper's."""
    result = bump(world, "v1.2.3", "--title", "T" * 600, "--body", "{table}\n" + "B" * 40_000)
    assert result["status"] == "opened"
    [rec] = world.open_pulls()
    title_limit, body_limit = {"bitbucket": (255, 262_144), "bitbucket-server": (255, 32_768)}.get(
        world.provider, (400, 4_000)
    )
    assert len(rec.title) == title_limit and rec.title.endswith("…")
    assert len(rec.body) <= body_limit and "<!-- bumper:managed" in rec.body


def test_a_reviewer_past_the_first_hundred_workspace_members_is_found(tmp_path: Path) -> None:
    """Bitbucket Cloud lists a workspace's members 100 at a time: a reviewer named by nickname
    on a later page was "no member" (one warning, not added). Its `next` pages are read."""
    with make_world(tmp_path, "bitbucket") as world:
        for n in range(150):
            world.host.add_member(f"dev{n:03}")  # type: ignore[union-attr]
        proc = run(world, "v1.2.3", "--reviewer", "dev140")
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        assert world.open_pulls()[0].reviewers == ["dev140"]
