"""A bump run from another CI system names that system's build in its commit and PR."""

from __future__ import annotations

from pathlib import Path

from testing import repos
from testing.world import make_world

BRANCH = "bumper/ghcr.io-acme-app"
SHA = "0123456789abcdef0123456789abcdef01234567"
JENKINS = {
    "JENKINS_URL": "https://jenkins.example/",
    "BUILD_URL": "https://jenkins.example/job/app/153/",
    "BUILD_NUMBER": "153",
    "GIT_COMMIT": SHA,
}


def test_a_jenkins_run_names_its_build_in_the_trailers_and_the_pr(tmp_path: Path) -> None:
    with make_world(tmp_path, "github") as world:
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", **JENKINS)
        assert proc.returncode == 0, proc.stderr
        message = repos.commit_info(world.bare, BRANCH)["message"]
        [pull] = world.open_pulls()
    assert (
        "\nBumper-CI: jenkins\n"
        "Bumper-Build: https://jenkins.example/job/app/153/\n"
        "Bumper-Run-Id: 153\n"
        f"Bumper-Source-Commit: {SHA}\n"
    ) in message
    assert "Source build: https://jenkins.example/job/app/153/" in pull.body


def test_a_bad_override_is_exit_2_before_anything_is_cloned_or_pushed(tmp_path: Path) -> None:
    with make_world(tmp_path, "github") as world:
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", **JENKINS, BUMPER_SOURCE_COMMIT="main")
        assert (proc.returncode, world.git.requests, world.host.requests) == (2, [], [])
    assert proc.stderr.startswith("bumper: error: BUMPER_SOURCE_COMMIT must be a commit id")
    assert "Traceback" not in proc.stderr
