"""End to end, both hosts: the PR body links "what's in this deploy" (the source repository's
compare view) when the version being replaced came from a bumper commit naming its source commit,
and has no link otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.world import World, make_world

OLD, NEW, OTHER = "a" * 40, "b" * 40, "c" * 40
CI = {
    "github": lambda sha: {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "7",
        "GITHUB_SHA": sha,
    },
    "gitlab": lambda sha: {
        "GITLAB_CI": "true",
        "CI_PROJECT_URL": "https://gitlab.example/acme/app",
        "CI_PIPELINE_URL": "https://gitlab.example/acme/app/-/pipelines/7",
        "CI_PIPELINE_ID": "7",
        "CI_COMMIT_SHA": sha,
    },
}
LINK = {
    "github": f"https://github.example/acme/app/compare/{OLD}...{NEW}",
    "gitlab": f"https://gitlab.example/acme/app/-/compare/{OLD}...{NEW}",
}


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def bump(world: World, ref: str, sha: str | None, *args: str) -> None:
    env = CI[world.provider](sha) if sha else {}
    proc = world.run("bump", ref, *args, **env)
    assert proc.returncode == 0, proc.stderr


def test_the_pr_links_the_source_changes_between_the_two_builds(world: World) -> None:
    bump(world, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")  # deployed by a build of OLD
    bump(world, "ghcr.io/acme/app:v1.3.0", NEW)

    [pr] = world.open_pulls()
    assert f"What's in this deploy: {LINK[world.provider]}" in pr.body


def test_no_link_when_the_old_version_was_set_by_hand(world: World) -> None:
    bump(world, "ghcr.io/acme/app:v1.3.0", NEW)
    [pr] = world.open_pulls()
    assert "What's in this deploy" not in pr.body and "/compare/" not in pr.body


def test_no_link_outside_ci_or_for_the_same_commit(world: World) -> None:
    bump(world, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")
    bump(world, "ghcr.io/acme/app:v1.3.0", None)
    [pr] = world.open_pulls()
    assert "What's in this deploy" not in pr.body

    bump(world, "ghcr.io/acme/app:v1.3.1", OLD)  # a rebuild of the same source commit
    [pr] = world.open_pulls()
    assert "What's in this deploy" not in pr.body


def test_a_promotion_links_the_source_commits_of_both_environments(world: World) -> None:
    bump(world, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")  # every environment
    bump(world, "ghcr.io/acme/app:v1.3.0", NEW, "--mode", "commit", "--path", "apps/web")
    proc = world.run(
        "promote", "ghcr.io/acme/app", "--from", "apps/web", "--to", "charts", **CI[world.provider](OTHER)
    )

    assert proc.returncode == 0, proc.stderr
    [pr] = world.open_pulls()
    assert pr.title.startswith("Promote ghcr.io/acme/app:v1.3.0 from apps/web")
    assert f"What's in this deploy: {LINK[world.provider]}" in pr.body  # OLD...NEW, not the run's own
