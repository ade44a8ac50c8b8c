"""End to end: `bumper bump --repo` against loopback git and fake GitHub/GitLab/Gitea servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import repos
from testing.seeds import seed_bump
from testing.world import CANARY, World, make_world

BRANCH = "bumper/ghcr.io-acme-app"


@pytest.fixture(params=["github", "gitlab", "gitea"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def bump(world: World, ref: str, *args: str) -> dict:  # type: ignore[type-arg]
    proc = world.run("bump", ref, "--output", "json", *args)
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def changed_lines(world: World, ref: str) -> list[tuple[str, str, str]]:
    """(file, old line, new line) for every line the bot branch changed against main."""
    out = []
    for path in repos.changed_paths(world.bare, ref):
        old = (world.read("main", path) or b"").decode().splitlines()
        new = (world.read(ref, path) or b"").decode().splitlines()
        assert len(old) == len(new), path
        out += [(path, a, b) for a, b in zip(old, new) if a != b]
    return out


def test_first_bump_opens_one_pr_with_one_commit_changing_only_image_lines(world: World) -> None:
    main_sha = world.branch_sha("main")
    result = bump(world, "ghcr.io/acme/app:v1.2.3", "--label", "deps", "--reviewer", "alice")

    assert result["status"] == "opened"
    assert result["branch"] == BRANCH
    [pr] = world.open_pulls()
    assert result["pull_request"]["number"] == pr.number
    assert (pr.head, pr.base, pr.labels, pr.reviewers) == (BRANCH, "main", ["deps"], ["alice"])
    assert "ghcr.io/acme/app:v1.2.3" in pr.title
    assert "| `apps/web/deployment.yaml` | 20 |" in pr.body and "<!-- bumper:managed" in pr.body
    assert repos.count_commits(world.bare, BRANCH, since="main") == 1
    assert repos.commit_info(world.bare, BRANCH)["parents"] == main_sha
    assert sorted(changed_lines(world, BRANCH)) == [
        (
            "apps/web/deployment.yaml",
            "          image: ghcr.io/acme/app:v1.2.0",
            "          image: ghcr.io/acme/app:v1.2.3",
        ),
        (
            "apps/web/deployment.yaml",
            "          image: ghcr.io/acme/app:v1.2.0   # pinned by CI",
            "          image: ghcr.io/acme/app:v1.2.3   # pinned by CI",
        ),
        ("charts/api/values.yaml", "  tag: v1.2.0", "  tag: v1.2.3"),
        ("overlays/prod/kustomization.yaml", "    newTag: v1.2.0", "    newTag: v1.2.3"),
    ]
    info = repos.commit_info(world.bare, BRANCH)
    assert CANARY not in json.dumps(info) and CANARY not in pr.title + pr.body


def test_rerun_with_the_same_tag_changes_nothing(world: World) -> None:
    seed_bump(world, "ghcr.io/acme/app:v1.2.3")
    sha, api_mark, git_mark = world.branch_sha(BRANCH), world.host.mark(), len(world.git.requests)

    result = bump(world, "ghcr.io/acme/app:v1.2.3")

    assert result["status"] == "up-to-date"
    assert world.branch_sha(BRANCH) == sha
    assert world.writes(api_mark) == [] and world.pushes(git_mark) == []
    assert len(world.open_pulls()) == 1


def test_newer_tag_updates_the_same_pr(world: World) -> None:
    first = seed_bump(world, "ghcr.io/acme/app:v1.2.3")
    result = bump(world, "ghcr.io/acme/app:v1.3.0")

    assert result["status"] == "updated"
    assert result["pull_request"]["number"] == first["pull_request"]["number"]
    [pr] = world.open_pulls()
    assert "v1.3.0" in pr.title and "v1.3.0" in pr.body and "v1.2.3" not in pr.title
    assert repos.count_commits(world.bare, BRANCH, since="main") == 1
    assert b"ghcr.io/acme/app:v1.3.0" in world.read(BRANCH, "apps/web/deployment.yaml")


def test_older_tag_after_a_newer_one_pushes_nothing(world: World) -> None:
    seed_bump(world, "ghcr.io/acme/app:v1.3.0")
    sha, api_mark, git_mark = world.branch_sha(BRANCH), world.host.mark(), len(world.git.requests)

    result = bump(world, "ghcr.io/acme/app:v1.2.3")

    assert result["status"] == "up-to-date"
    assert any(s["reason"].startswith("newer-on-bot-branch") for s in result["skipped"])
    assert world.branch_sha(BRANCH) == sha
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []
    [pr] = world.open_pulls()
    assert "v1.3.0" in pr.title


def test_dry_run_pushes_nothing_and_writes_no_api(world: World) -> None:
    result = bump(world, "ghcr.io/acme/app:v1.2.3", "--dry-run")

    assert result["status"] == "dry-run"
    assert result["branch"] == BRANCH and result["pull_request"] is None
    assert "+          image: ghcr.io/acme/app:v1.2.3" in result["diff"]
    assert world.branch_sha(BRANCH) is None
    assert world.writes() == [] and world.pushes() == []


def test_dry_run_reports_the_pr_it_would_update(world: World) -> None:
    opened = seed_bump(world, "ghcr.io/acme/app:v1.2.3")
    mark = world.host.mark()
    result = bump(world, "ghcr.io/acme/app:v1.3.0", "--dry-run")
    assert result["pull_request"] == opened["pull_request"]
    assert world.writes(mark) == []


def test_dry_run_says_a_branch_and_pr_holding_the_change_are_left_as_they_are(world: World) -> None:
    """A dry run of what the open PR already holds says the real run would leave it (the real
    run writes nothing); it said "would update a pull request"."""
    number = seed_bump(world, "ghcr.io/acme/app:v1.2.3")["pull_request"]["number"]
    mark, pushes = world.host.mark(), len(world.git.requests)
    dry = world.run("bump", "ghcr.io/acme/app:v1.2.3", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        f"bumper: would leave {BRANCH} and pull request #{number} as they are: they hold these changes\n"
        in dry.stderr
    )
    assert "would update" not in dry.stderr
    assert bump(world, "ghcr.io/acme/app:v1.2.3")["status"] == "up-to-date"
    again = world.run("bump", "ghcr.io/acme/app:v1.2.3")  # it said "(no reference to bump)"
    assert (
        "bumper: up to date: nothing to change (4 reference(s) in 3 file(s) already there); " in again.stderr
    )
    newer = world.run("bump", "ghcr.io/acme/app:v1.3.0", "--dry-run")
    assert f"bumper: would update a pull request from {BRANCH} into main\n" in newer.stderr, newer.stderr
    assert world.writes(mark) == [] and world.pushes(pushes) == []


def test_dry_run_without_provider_says_a_branch_holding_the_change_is_left(world: World) -> None:
    assert world.run("bump", "ghcr.io/acme/app:v1.2.3", "--provider", "none").returncode == 0
    sha = world.branch_sha(BRANCH)
    dry = world.run("bump", "ghcr.io/acme/app:v1.2.3", "--provider", "none", "--dry-run")
    assert f"bumper: would leave {BRANCH} as it is: it holds these changes\n" in dry.stderr, dry.stderr
    newer = world.run("bump", "ghcr.io/acme/app:v1.3.0", "--provider", "none", "--dry-run")
    assert f"bumper: would push {BRANCH} (on main)" in newer.stderr, newer.stderr
    assert world.branch_sha(BRANCH) == sha and world.host.requests == []


def test_provider_none_pushes_the_branch_only(world: World) -> None:
    proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", "--provider", "none")
    assert proc.returncode == 0, proc.stderr
    assert world.branch_sha(BRANCH) is not None
    assert world.host.requests == []


def test_not_found_exits_3_and_pushes_nothing(world: World) -> None:
    proc = world.run("bump", "ghcr.io/acme/other:v1")
    assert proc.returncode == 3
    assert proc.stderr.startswith("bumper: error: ") and proc.stderr.count("\n") == 1
    assert world.pushes() == [] and world.writes() == []


def test_wrong_token_fails_in_one_line_without_the_token(world: World) -> None:
    proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", BUMPER_TOKEN="ghp_wrongWRONGwrong000000000000000000")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "authentication failed" in proc.stderr
    assert "wrongWRONG" not in proc.stderr + proc.stdout


def test_chart_templates_in_the_clone_are_left_alone(tmp_path: Path) -> None:
    """Only files that mention the image are checked out; Chart.yaml still marks templates."""
    tree = {
        "chart/Chart.yaml": b"apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "chart/values.yaml": b"image:\n  repository: ghcr.io/acme/app\n  tag: v1.0.0\n",
        "chart/templates/deploy.yaml": (
            b"image: {{ .Values.image.repository }}:{{ .Values.image.tag }} # ghcr.io/acme/app\n"
        ),
    }
    with make_world(tmp_path, "github", tree) as world:
        result = bump(world, "ghcr.io/acme/app:v1.2.3")
        assert result["status"] == "opened"
        assert repos.changed_paths(world.bare, BRANCH) == ["chart/values.yaml"]
        assert {"file": "chart/templates/deploy.yaml", "reason": "helm-template"}.items() <= result[
            "ignored"
        ][0].items()
