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
            f"Bumper-Source-Commit: {source}\n"
        ),
    )
