"""End to end: a hold on any use of a YAML anchor holds the anchored value (`--repo` on both
providers, `--dir`, and `scan`); the byte-exact cases are tests/golden/hold-*."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.world import CANARY, World, make_world

SHARED_TAG = b"""\
versions:
  app: &t 1.0.0
app:
  image:
    repository: ghcr.io/acme/app
    tag: *t  # bumper: hold
"""
MERGED = b"""\
.base: &base
  repository: ghcr.io/acme/app
  tag: v1.0.0
web:
  image:
    <<: *base
worker:
  image:
    <<: *base  # bumper: hold
"""
TREE = {
    "apps/values.yaml": SHARED_TAG,
    "apps/merged.yaml": MERGED,
    "apps/plain.yaml": b"image: ghcr.io/acme/app:1.0.0\n",
}


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def bumper(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(list(args), cwd=cwd, env=env)
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def held(result: dict[str, list[dict[str, object]]]) -> list[tuple[object, object]]:
    return sorted((s["file"], s["line"]) for s in result["skipped"] if s["reason"] == "held")


def test_repo_run_keeps_the_anchored_value_and_reports_every_use(world: World, tmp_path: Path) -> None:
    main_sha = world.branch_sha("main")
    proc = bumper("bump", "ghcr.io/acme/app:1.1.0", "--output", "json", cwd=tmp_path, env=world.env())
    assert CANARY not in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "opened"
    assert [c["file"] for c in result["changes"]] == ["apps/plain.yaml"]
    assert held(result) == [
        ("apps/merged.yaml", 3),
        ("apps/merged.yaml", 6),
        ("apps/merged.yaml", 9),
        ("apps/values.yaml", 2),
        ("apps/values.yaml", 6),
    ]
    assert repos.changed_paths(world.bare, result["branch"]) == ["apps/plain.yaml"]
    assert world.read(result["branch"], "apps/values.yaml") == SHARED_TAG
    assert world.read(result["branch"], "apps/merged.yaml") == MERGED
    assert world.branch_sha("main") == main_sha


def write_tree(root: Path) -> None:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def test_dir_run_writes_nothing_held_and_dry_run_agrees(tmp_path: Path) -> None:
    write_tree(tmp_path)
    args = ("bump", "ghcr.io/acme/app:1.1.0", "--dir", ".", "--output", "json")
    dry = bumper(*args, "--dry-run", cwd=tmp_path)
    proc = bumper(*args, cwd=tmp_path)
    assert proc.returncode == 0 and dry.returncode == 0, proc.stderr + dry.stderr
    assert held(json.loads(proc.stdout)) == held(json.loads(dry.stdout)) != []
    assert (tmp_path / "apps/values.yaml").read_bytes() == SHARED_TAG
    assert (tmp_path / "apps/merged.yaml").read_bytes() == MERGED
    assert (tmp_path / "apps/plain.yaml").read_bytes() == b"image: ghcr.io/acme/app:1.1.0\n"


def test_verbose_text_names_each_held_use(tmp_path: Path) -> None:
    write_tree(tmp_path)
    proc = bumper("bump", "ghcr.io/acme/app:1.1.0", "--dir", ".", "-v", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    for where in ("apps/values.yaml:2", "apps/values.yaml:6", "apps/merged.yaml:9"):
        assert where in text and "held" in text, text


def test_scan_marks_what_a_hold_reaches_through_an_anchor(tmp_path: Path) -> None:
    write_tree(tmp_path)
    proc = bumper("scan", "--dir", ".", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    images = json.loads(proc.stdout)["images"]
    marks = {(i["file"], i["line"]): i.get("held", False) for i in images}
    assert marks == {
        ("apps/merged.yaml", 3): True,
        ("apps/plain.yaml", 1): False,
        ("apps/values.yaml", 2): True,
    }
    text = bumper("scan", "--dir", ".", cwd=tmp_path).stdout
    assert "apps/values.yaml:2:11: helm: ghcr.io/acme/app:1.0.0 [held]" in text
    assert "apps/plain.yaml:1:8: container: ghcr.io/acme/app:1.0.0\n" in text


def test_scan_lists_each_image_sharing_an_anchored_tag(tmp_path: Path) -> None:
    shared = (Path(__file__).parent / "golden/shared-anchor-two-images/input/values.yaml").read_bytes()
    (tmp_path / "values.yaml").write_bytes(shared)
    proc = bumper("scan", "--dir", ".", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = [(i["line"], i["repository"], i["tag"]) for i in json.loads(proc.stdout)["images"]]
    assert sorted(found) == [
        (1, "acme/app", "v1.0.0"),
        (1, "acme/worker", "v1.0.0"),
        (11, "acme/app", "v1.0.0"),
    ]


@pytest.mark.parametrize("image", ["ghcr.io/acme/app", "ghcr.io/acme/worker"])
def test_an_anchor_two_maps_of_one_other_image_share_is_skipped_once(tmp_path: Path, image: str) -> None:
    """Three Helm maps share one anchored tag, two of them of the same other image: the anchor
    is never edited, and a bump of either image says so once, at the anchor's line."""
    values = (
        "app:\n  image:\n    repository: ghcr.io/acme/app\n    tag: &t 1.0.0\n"
        "worker:\n  image:\n    repository: ghcr.io/acme/worker\n    tag: *t\n"
        "worker2:\n  image:\n    repository: ghcr.io/acme/worker\n    tag: *t\n"
    )
    (tmp_path / "values.yaml").write_text(values)
    proc = bumper("bump", f"{image}:1.1.0", "--dir", ".", "--output", "json", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    skipped = json.loads(proc.stdout)["skipped"]
    assert [(s["line"], s["reason"].split(":")[0]) for s in skipped] == [(4, "shared-anchor")]
    assert (tmp_path / "values.yaml").read_text() == values
