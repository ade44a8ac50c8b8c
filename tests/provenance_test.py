"""Every bump commit says where its image came from, in trailers git itself can read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bumper.changes import Change
from bumper.ci.provenance import provenance_trailers
from bumper.image_ref import ImageRef
from testing import repos
from testing.world import World, make_world

BRANCH = "bumper/ghcr.io-acme-app"
DIGEST = "sha256:" + "5e" * 32
GITHUB_RUN = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/app",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
}
GITLAB_RUN = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_URL": "https://gitlab.example/acme/app/-/pipelines/77",
    "CI_PIPELINE_ID": "77",
    "CI_COMMIT_SHA": "fedcba9876543210fedcba9876543210fedcba98",
}


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, request.param) as w:
        yield w


def trailers(world: World, ref: str) -> str:
    """The provenance trailers as git parses them; the image set and the two ownership trailers
    (bumper/git/ownership.py) close the same block and are checked, then left out."""
    message = repos.commit_info(world.bare, ref)["message"]
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert parsed[-3] == "Bumper-Images: ghcr.io/acme/app"
    assert parsed[-2] == f"Bumper-Branch: {ref}" and parsed[-1].startswith("Bumper-Content: ")
    return "".join(line + "\n" for line in parsed[:-3])


def test_bump_commit_names_old_and_new_image_and_the_build(world: World) -> None:
    ci = GITHUB_RUN if world.provider == "github" else GITLAB_RUN
    proc = world.run("bump", f"ghcr.io/acme/app:v1.2.3@{DIGEST}", **ci)
    assert proc.returncode == 0, proc.stderr

    found = repos.git("log", "--format=%H", "--grep=^Bumper-Image: ghcr.io/acme/app:", BRANCH, cwd=world.bare)
    assert found.decode().split() == [world.branch_sha(BRANCH)]
    if world.provider == "github":
        build = [
            "Bumper-CI: github-actions",
            "Bumper-Build: https://github.com/acme/app/actions/runs/4242",
            "Bumper-Run-Id: 4242",
            "Bumper-Source-Commit: 0123456789abcdef0123456789abcdef01234567",
        ]
    else:
        build = [
            "Bumper-CI: gitlab-ci",
            "Bumper-Build: https://gitlab.example/acme/app/-/pipelines/77",
            "Bumper-Run-Id: 77",
            "Bumper-Source-Commit: fedcba9876543210fedcba9876543210fedcba98",
        ]
    assert trailers(world, BRANCH).splitlines() == [
        f"Bumper-Image: ghcr.io/acme/app:v1.2.0 -> ghcr.io/acme/app:v1.2.3@{DIGEST}",
        *build,
    ]


def test_a_rerun_from_another_build_keeps_the_commit_and_its_trailers(world: World) -> None:
    assert world.run("bump", "ghcr.io/acme/app:v1.2.3", **GITHUB_RUN).returncode == 0
    sha, pushes = world.branch_sha(BRANCH), len(world.git.requests)

    proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", **dict(GITHUB_RUN, GITHUB_RUN_ID="4343"))

    assert proc.returncode == 0, proc.stderr
    assert world.branch_sha(BRANCH) == sha and world.pushes(pushes) == []
    assert "Bumper-Run-Id: 4242" in trailers(world, BRANCH)


def test_a_custom_commit_message_gets_the_trailers_too(world: World) -> None:
    proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", "--commit-message", "deploy: {images}")
    assert proc.returncode == 0, proc.stderr
    message = repos.commit_info(world.bare, BRANCH)["message"]
    assert message.splitlines()[0] == "deploy: ghcr.io/acme/app:v1.2.3"
    assert trailers(world, BRANCH) == "Bumper-Image: ghcr.io/acme/app:v1.2.0 -> ghcr.io/acme/app:v1.2.3\n"


def test_trailers_name_each_image_old_and_new_with_digest_and_the_build() -> None:
    changes = [
        Change("a.yaml", 3, "container", "ghcr.io/acme/app:v1", f"ghcr.io/acme/app:v2@{DIGEST}"),
        Change("b.yaml", 9, "helm", "ghcr.io/acme/app:v1", "ghcr.io/acme/app:v2"),
        Change("c.yaml", 4, "container", "nginx:1.25", "nginx:1.27.1"),
    ]
    refs = [ImageRef.parse(f"ghcr.io/acme/app:v2@{DIGEST}"), ImageRef.parse("docker.io/library/nginx:1.27.1")]
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "42",
        "GITHUB_SHA": "c0ffee",
    }
    assert provenance_trailers(refs, changes, env) == [
        ("Bumper-Image", "docker.io/library/nginx:1.25 -> docker.io/library/nginx:1.27.1"),
        ("Bumper-Image", f"ghcr.io/acme/app:v1 -> ghcr.io/acme/app:v2@{DIGEST}"),
        ("Bumper-CI", "github-actions"),
        ("Bumper-Build", "https://github.com/acme/app/actions/runs/42"),
        ("Bumper-Run-Id", "42"),
        ("Bumper-Source-Commit", "c0ffee"),
    ]
    assert provenance_trailers(refs, changes, {})[-1][0] == "Bumper-Image"


def test_a_version_kept_from_the_branch_keeps_the_build_that_brought_it(world: World) -> None:
    """Build 4343 pushed v1.3.0; build 4242 (v1.2.6) finished later, after main moved under the
    branch: it rebuilt the commit on main holding v1.3.0, never backwards, but signed it with
    its own build, so the audit log, the PR's source build and its deploy link said v1.3.0 came
    from 4242's source commit."""
    deployed = dict(GITHUB_RUN, GITHUB_RUN_ID="4141", GITHUB_SHA="cd" * 20)
    assert world.run("bump", "ghcr.io/acme/app:v1.2.5", "--mode", "commit", **deployed).returncode == 0
    newer = dict(GITHUB_RUN, GITHUB_RUN_ID="4343", GITHUB_SHA="ab" * 20)
    assert world.run("bump", "ghcr.io/acme/app:v1.3.0", **newer).returncode == 0
    web = "apps/web/deployment.yaml"
    repos.add_commit(world.bare, "main", {web: (world.read("main", web) or b"") + b"# a person's note\n"})

    proc = world.run("bump", "ghcr.io/acme/app:v1.2.6", **GITHUB_RUN)
    assert proc.returncode == 0, proc.stderr
    print(proc.stdout, proc.stderr)
    assert b"v1.3.0" in (world.read(BRANCH, web) or b"")  # never backwards, rebuilt on main
    assert repos.commit_info(world.bare, BRANCH)["parents"] == world.branch_sha("main")
    shown = trailers(world, BRANCH)
    assert "Bumper-Image: ghcr.io/acme/app:v1.2.5 -> ghcr.io/acme/app:v1.3.0" in shown
    assert "Bumper-Run-Id: 4343" in shown and f"Bumper-Source-Commit: {'ab' * 20}" in shown
    assert "4242" not in shown and GITHUB_RUN["GITHUB_SHA"] not in shown
    [pr] = world.open_pulls()  # its text names the same build, and links up to its source
    assert "actions/runs/4343" in pr.body and "actions/runs/4242" not in pr.body
    assert f"https://github.com/acme/app/compare/{'cd' * 20}...{'ab' * 20}" in pr.body
