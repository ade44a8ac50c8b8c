"""--verify through --repo: the loopback git server and the fake GitHub/GitLab; a caught pin
pushes nothing and writes nothing through the API, a verified one says so in the PR body."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.overlays import BASE, OLD, OWN_IMAGES, PATCHED, REF, REMOTE, replacement
from testing.world import CANARY, World, make_world

pytestmark = pytest.mark.skipif(
    shutil.which("kustomize") is None and shutil.which("kubectl") is None, reason="no kustomize renderer"
)
BRANCH = "bumper/ghcr.io-acme-app"


def tree(*parts: dict[str, str]) -> dict[str, bytes]:
    return {path: text.encode() for part in parts for path, text in part.items()}


@pytest.fixture
def make(tmp_path: Path) -> Iterator[object]:
    worlds = []

    def build(provider: str, *parts: dict[str, str]) -> World:
        context = make_world(tmp_path / f"w{len(worlds)}", provider, tree(*parts))
        worlds.append(context)
        return context.__enter__()

    yield build
    for context in worlds:
        context.__exit__(None, None, None)


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_pinned_overlay_pushes_nothing_and_opens_nothing(make, provider: str) -> None:  # type: ignore[no-untyped-def]
    world = make(provider, BASE, PATCHED)

    proc = world.run("bump", REF, "--verify", "render", "--output", "json")

    assert proc.returncode == 1, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["error"]["kind"] == "verify"
    assert {v["root"]: v["status"] for v in payload["verified"]} == {
        "base": "verified",
        "overlays/patched": "failed",
    }
    assert f"Deployment/app container app still renders {OLD}" in payload["error"]["message"]
    assert world.branch_sha(BRANCH) is None
    assert world.pushes() == [] and world.writes() == [] and world.open_pulls() == []
    assert CANARY not in proc.stdout + proc.stderr


def test_verified_roots_and_a_remote_base_are_named_in_the_pr_body(make) -> None:  # type: ignore[no-untyped-def]
    world = make("github", BASE, OWN_IMAGES, REMOTE)

    proc = world.run("bump", REF, "--verify", "render", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "opened"
    status = {v["root"]: v["status"] for v in payload["verified"]}
    assert status == {"base": "verified", "overlays/own": "verified", "overlays/remote": "not-verified"}
    [pr] = world.open_pulls()
    assert (
        "- `base`: rendered and checked: 2 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"
        in pr.body
    )
    assert "- `overlays/own`: rendered and checked: 2 image(s) now" in pr.body
    assert "- `overlays/remote`: not verified: accumulating resources" in pr.body
    assert b"newTag: 2.0.0" in world.read(BRANCH, "overlays/own/kustomization.yaml")


def test_a_replacement_pin_is_caught_through_a_sparse_clone(make) -> None:  # type: ignore[no-untyped-def]
    """--path makes the clone blobless and sparse: the renders still read every file they need."""
    world = make("github", BASE, replacement(pinned=True))

    proc = world.run("bump", REF, "--verify", "render", "--path", "base/")

    assert proc.returncode == 1
    assert f"bumper: overlays/replaced: Deployment/app container app still renders {OLD}" in proc.stderr
    assert world.pushes() == [] and world.writes() == []


def test_warn_opens_the_pr_and_says_what_failed(make) -> None:  # type: ignore[no-untyped-def]
    world = make("gitlab", BASE, PATCHED)

    proc = world.run("bump", REF, "--verify", "warn")

    assert proc.returncode == 0, proc.stderr
    assert (
        f"bumper: warning: overlays/patched: Deployment/app container app still renders {OLD}" in proc.stderr
    )
    [pr] = world.open_pulls()
    assert f"- `overlays/patched`: check failed: Deployment/app container app still renders {OLD}" in pr.body


def test_a_dry_run_through_the_repo_verifies_and_pushes_nothing(make) -> None:  # type: ignore[no-untyped-def]
    world = make("github", BASE, OWN_IMAGES)

    proc = world.run("bump", REF, "--verify", "render", "--dry-run", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    assert [v["status"] for v in json.loads(proc.stdout)["verified"]] == ["verified", "verified"]
    assert world.pushes() == [] and world.writes() == []


def test_a_pinned_overlay_in_commit_mode_leaves_the_base_alone(make) -> None:  # type: ignore[no-untyped-def]
    world = make("github", BASE, PATCHED)
    main = world.branch_sha("main")

    proc = world.run("bump", REF, "--verify", "render", "--mode", "commit")

    assert proc.returncode == 1
    assert f"bumper: overlays/patched: Deployment/app container app still renders {OLD}" in proc.stderr
    assert world.branch_sha("main") == main and world.pushes() == [] and world.writes() == []


def test_commit_mode_verdicts_join_the_json(make) -> None:  # type: ignore[no-untyped-def]
    world = make("github", BASE, OWN_IMAGES)

    proc = world.run("bump", REF, "--verify", "render", "--mode", "commit", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "committed"
    assert [(v["root"], v["status"]) for v in payload["verified"]] == [
        ("base", "verified"),
        ("overlays/own", "verified"),
    ]


def test_a_pin_in_the_pr_half_is_caught_before_the_direct_commit(make) -> None:  # type: ignore[no-untyped-def]
    """.bumper.yaml sends staging/ straight to main and the rest through a PR: the direct commit
    passes its check, the PR half's fails. That check is asked before the direct push (it
    writes nothing): main keeps its commit, nothing is pushed (it was pushed before)."""
    policy = {".bumper.yaml": "version: 1\nrules:\n  - paths: ['staging/**']\n    mode: commit\n"}
    staging = {"staging/app.yaml": f"image: {OLD}\n"}
    world = make("github", BASE, PATCHED, policy, staging)
    main = world.branch_sha("main")

    proc = world.run("bump", REF, "--verify", "render", "--output", "json")

    assert proc.returncode == 1
    assert world.branch_sha("main") == main and world.pushes() == [] and world.writes() == []
    line = proc.stderr.splitlines()[-1]
    assert f"overlays/patched: Deployment/app container app still renders {OLD}" in line
    assert "already pushed" not in line and "was pushed before" not in line, line
    assert json.loads(proc.stdout)["commit"] is None
    assert world.branch_sha(BRANCH) is None and world.open_pulls() == []


def test_a_verified_pr_half_opens_its_pr_after_the_direct_commit(make) -> None:  # type: ignore[no-untyped-def]
    policy = {".bumper.yaml": "version: 1\nrules:\n  - paths: ['staging/**']\n    mode: commit\n"}
    staging = {"staging/app.yaml": f"image: {OLD}\n"}
    world = make("github", BASE, OWN_IMAGES, policy, staging)

    proc = world.run("bump", REF, "--verify", "render", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "opened" and payload["commit"]["sha"] == world.branch_sha("main")
    assert sorted(v["root"] for v in payload["verified"]) == ["base", "overlays/own"]
