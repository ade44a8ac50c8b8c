"""End to end on both providers: the base branch's .bumper.yaml governs `bump --repo`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.world import CANARY, World, make_world

POLICY = b"""\
version: 1
rules:
  - paths: [clusters/prod]
    allow: '^v\\d+\\.\\d+\\.\\d+$'
    labels: [production]
    reviewers: [alice]
    automerge: false
  - paths: [legacy]
    hold: true
"""
TREE = {
    ".bumper.yaml": POLICY,
    "clusters/prod/app.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "clusters/qa/app.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "legacy/app.yaml": b"image: ghcr.io/acme/app:v1.0.0\n",
    "clusters/dev/app.yaml": b"image: ghcr.io/acme/app:v1.0.0 # bumper: hold\n",
}
PERMISSIVE = b"version: 1\nrules:\n  - mode: commit\n    automerge: true\n"


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def run(world: World, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """bumper as a CI job runs it: in the application's checkout, which has its own .bumper.yaml."""
    (cwd / ".bumper.yaml").write_bytes(PERMISSIVE)
    proc = forkserver.run(["bump", *args, "--output", "json"], cwd=cwd, env=world.env())
    assert CANARY not in proc.stdout + proc.stderr
    return proc


def skipped(result: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {s["file"]: s["reason"] for s in result["skipped"] if s["line"]}


def test_policy_on_the_base_beats_the_ci_side_and_its_flags(world: World, tmp_path: Path) -> None:
    main_sha = world.branch_sha("main")
    proc = run(
        world, tmp_path, "ghcr.io/acme/app:v2.0.0-rc.1", "--automerge", "--allow-downgrade", "--label", "ci"
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)

    assert result["status"] == "opened"
    assert [c["file"] for c in result["changes"]] == ["clusters/qa/app.yaml"]
    assert skipped(result) == {
        "clusters/prod/app.yaml": "policy",
        "legacy/app.yaml": "held",
        "clusters/dev/app.yaml": "held",
    }
    assert world.branch_sha("main") == main_sha  # the CI's "mode: commit" was never read
    [pr] = world.open_pulls()
    assert pr.labels == ["ci"] and pr.automerge is True  # no prod change: its rule is not involved
    assert repos.changed_paths(world.bare, result["branch"]) == ["clusters/qa/app.yaml"]


def test_rule_settings_reach_the_pull_request_and_cannot_be_lifted(world: World, tmp_path: Path) -> None:
    proc = run(world, tmp_path, "ghcr.io/acme/app:v2.0.0", "--automerge", "--label", "ci")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert sorted(c["file"] for c in result["changes"]) == ["clusters/prod/app.yaml", "clusters/qa/app.yaml"]
    [pr] = world.open_pulls()
    assert pr.labels == ["ci", "production"]
    assert pr.reviewers == ["alice"]
    assert pr.automerge is False  # automerge: false on the prod rule stands against --automerge


def test_malformed_policy_on_the_base_pushes_nothing(world: World, tmp_path: Path) -> None:
    repos.add_commit(
        world.bare, "main", {".bumper.yaml": b"version: 1\nrules:\n  - paths: [a]\n    hold: maybe\n"}
    )
    git_mark, api_mark = len(world.git.requests), world.host.mark()
    proc = run(world, tmp_path, "ghcr.io/acme/app:v2.0.0")
    assert proc.returncode == 2
    assert proc.stderr == (
        "bumper: error: .bumper.yaml:4: rules[0].hold: 'maybe' is not of type 'boolean'; see docs/policy.md\n"
    )
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []
    assert repos.list_branches(world.bare) == ["main"]


YML_SAID = "bumper: error: .bumper.yml: found .bumper.yml; bumper reads only .bumper.yaml: rename it\n"


def test_a_yml_policy_on_the_base_is_refused_and_pushes_nothing(world: World, tmp_path: Path) -> None:
    """The clone step knows the base's paths from its index: `.bumper.yml` there (and no
    .bumper.yaml) is still said, not taken for "no policy"."""
    repos.add_commit(world.bare, "main", {".bumper.yml": POLICY, ".bumper.yaml": None})
    git_mark, api_mark = len(world.git.requests), world.host.mark()
    proc = run(world, tmp_path, "ghcr.io/acme/app:v2.0.0")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == YML_SAID
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []


# A link's blob is the name of its target, and a link's name can be any bytes, YAML too: this
# target is a policy holding every reference, which --repo read as the base's rules.
HOLD_ALL = b"{version: 1, rules: [{paths: [clusters], hold: true}]}"


@pytest.mark.parametrize("kind", ["link", "folder", "yml-link"])
def test_a_policy_that_is_no_file_is_refused_as_dir_does(world: World, tmp_path: Path, kind: str) -> None:
    """`.bumper.yaml` as a symbolic link (whatever it names) or a folder, or `.bumper.yml` as a
    link, on the base: the error a --dir run of that tree gives, and nothing pushed."""
    repos.add_commit(world.bare, "main", {".bumper.yaml": None})
    if kind == "folder":
        repos.add_commit(world.bare, "main", {".bumper.yaml/rules.yaml": POLICY})
    else:
        name = ".bumper.yaml" if kind == "link" else ".bumper.yml"
        repos.add_special_commit(world.bare, {name: ("120000", HOLD_ALL)})
    tree = tmp_path / "tree"
    repos.git("clone", "--quiet", world.bare, tree)
    env = {k: v for k, v in world.env().items() if k != "BUMPER_REPO"}
    local = forkserver.run(["bump", "ghcr.io/acme/app:v2.0.0", "--dir", str(tree), "--dry-run"], env=env)
    git_mark, api_mark = len(world.git.requests), world.host.mark()
    proc = run(world, tmp_path, "ghcr.io/acme/app:v2.0.0")
    assert proc.returncode == local.returncode == 2, proc.stderr
    assert proc.stderr == local.stderr
    if kind == "yml-link":
        assert proc.stderr == YML_SAID
    else:
        assert proc.stderr == "bumper: error: .bumper.yaml: must be a regular file (not a link or a folder)\n"
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []
    assert repos.list_branches(world.bare) == ["main"]
