"""End to end: Istio's `hub` + `tag` brought into a component's map by a YAML merge key
(`pilot: {<<: *global, image: pilot}`) is the same shared tag as when written there: scan,
check and bump (`--dir`, `--repo`) leave it alone as `hub-and-tag`. The merged map was read as
a Helm split pair, `pilot:1.20.0` (Docker Hub's library image), so a bump of `pilot:1.21.0`
rewrote the anchored tag every component runs."""

from __future__ import annotations

import json
from pathlib import Path

from testing import forkserver
from testing.runs import run_bump
from testing.world import make_world

VALUES = (
    b"global: &global\n  hub: docker.io/istio\n  tag: 1.20.0\n"
    b"pilot:\n  <<: *global\n  image: pilot\n"
    b"proxy:\n  image: proxyv2\n"
)
# a real Docker Hub `pilot` image elsewhere: bumped as ever
DEPLOY = b"image: pilot:1.0.0\n"
TREE = {"clusters/prod/istio-values.yaml": VALUES, "apps/pilot.yaml": DEPLOY}


def _write(root: Path) -> Path:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_a_merged_hub_and_tag_is_no_split_pair_for_scan_check_or_bump(tmp_path: Path) -> None:
    root = _write(tmp_path / "tree")

    scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    assert scan.returncode == 0, scan.stderr
    listed = {(i["file"], i["value"]) for i in json.loads(scan.stdout)["images"]}
    assert listed == {("apps/pilot.yaml", "pilot:1.0.0")}
    reasons = {(s["file"], s["line"], s["reason"].split(":")[0]) for s in json.loads(scan.stdout)["ignored"]}
    assert ("clusters/prod/istio-values.yaml", 6, "hub-and-tag") in reasons

    check = forkserver.run(["check", "--dir", str(root)])
    assert check.returncode == 0, check.stderr

    bump = forkserver.run(["bump", "pilot:1.21.0", "--dir", str(root)])
    assert bump.returncode == 0, bump.stderr
    assert (root / "clusters/prod/istio-values.yaml").read_bytes() == VALUES
    assert (root / "apps/pilot.yaml").read_bytes() == b"image: pilot:1.21.0\n"


def test_a_repo_run_leaves_the_merged_tag_alone_too(tmp_path: Path) -> None:
    with make_world(tmp_path, "github", TREE) as world:
        proc = run_bump(world, "pilot:1.21.0")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert world.read(result["branch"], "clusters/prod/istio-values.yaml") == VALUES
    assert [c["file"] for c in result["changes"]] == ["apps/pilot.yaml"]
