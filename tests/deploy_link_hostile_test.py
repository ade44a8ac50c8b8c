"""End to end, both hosts: the "What's in this deploy" link is built only from bumper's own
trailers holding a commit id. A commit message in the base's history that forges the trailers
with a path, a URL or markup never puts it into the PR body."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import repos
from testing.world import World, make_world

NEW = "b" * 40
CI = {
    "github": {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "7",
        "GITHUB_SHA": NEW,
    },
    "gitlab": {
        "GITLAB_CI": "true",
        "CI_PROJECT_URL": "https://gitlab.example/acme/app",
        "CI_PIPELINE_URL": "https://gitlab.example/acme/app/-/pipelines/7",
        "CI_PIPELINE_ID": "7",
        "CI_COMMIT_SHA": NEW,
    },
}

BUILD = {  # where a build of acme/app ran, as bumper's Bumper-Build trailer records it
    "github": "https://github.example/acme/app/actions/runs/6",
    "gitlab": "https://gitlab.example/acme/app/-/pipelines/6",
}


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


@pytest.mark.parametrize(
    "forged",
    [
        "../../evil",
        "https://evil.example/x",
        "deadbeefdeadbeef/../../../evil",
        "[click](https://evil.example)",
        "abc",  # too short to be a commit id
        "g" * 40,  # not hex
        "a" * 40 + " extra",
    ],
)
def test_a_forged_source_commit_trailer_never_reaches_the_pr(world: World, forged: str) -> None:
    deploy_by_hand(world, forged)
    proc = world.run("bump", "ghcr.io/acme/app:v1.3.0", **CI[world.provider])

    assert proc.returncode == 0, proc.stderr
    [pr] = world.open_pulls()
    assert "What's in this deploy" not in pr.body and "/compare/" not in pr.body
    assert "evil" not in pr.body and forged not in pr.body


def test_the_same_commit_with_a_commit_id_does_link(world: World) -> None:
    """The control: the forged cases above fail for their value, not for the harness."""
    deploy_by_hand(world, "A" * 40)
    assert world.run("bump", "ghcr.io/acme/app:v1.3.0", **CI[world.provider]).returncode == 0
    [pr] = world.open_pulls()
    assert f"/compare/{'a' * 40}...{NEW}" in pr.body


def deploy_by_hand(world: World, source: str) -> None:
    deployment = world.read("main", "apps/web/deployment.yaml")
    assert deployment is not None
    repos.add_commit(
        world.bare,
        "main",
        {"apps/web/deployment.yaml": deployment.replace(b"app:v1.2.0", b"app:v1.2.5")},
        message=(
            "deploy by hand\n\nBumper-Image: ghcr.io/acme/app:v1.2.0 -> ghcr.io/acme/app:v1.2.5\n"
            f"Bumper-Build: {BUILD[world.provider]}\nBumper-Source-Commit: {source}\n"
        ),
    )


def other_repo(provider: str, sha: str) -> dict[str, str]:
    """This CI's variables for a run of the manifests repository's own pipeline."""
    env = {**CI[provider]}
    if provider == "github":
        env.update(GITHUB_REPOSITORY="acme/manifests", GITHUB_SHA=sha)
    else:
        env.update(
            CI_PROJECT_URL="https://gitlab.example/acme/manifests",
            CI_PIPELINE_URL="https://gitlab.example/acme/manifests/-/pipelines/9",
            CI_COMMIT_SHA=sha,
        )
    return env


def test_a_promotion_run_in_another_repositorys_ci_links_no_foreign_commits(world: World) -> None:
    """The source commits were built in acme/app; a promotion run by the manifests repository's
    own pipeline must not link them as commits of acme/manifests (a 404, or the wrong code)."""
    old = "a" * 40
    app = {**CI[world.provider]}
    sha_key = "GITHUB_SHA" if world.provider == "github" else "CI_COMMIT_SHA"
    assert (
        world.run("bump", "ghcr.io/acme/app:v1.2.5", "--mode", "commit", **{**app, sha_key: old}).returncode
        == 0
    )
    proc = world.run("bump", "ghcr.io/acme/app:v1.3.0", "--mode", "commit", "--path", "apps/web", **app)
    assert proc.returncode == 0, proc.stderr
    proc = world.run(
        "promote",
        "ghcr.io/acme/app",
        "--from",
        "apps/web",
        "--to",
        "charts",
        **other_repo(world.provider, "c" * 40),
    )

    assert proc.returncode == 0, proc.stderr
    [pr] = world.open_pulls()
    assert "acme/manifests/compare" not in pr.body and "acme/manifests/-/compare" not in pr.body
