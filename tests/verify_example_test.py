"""--verify render on the bundled example, and a root that does not render: the reason is the
renderer's own first error on the tree, never one made by bumper's private copy of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bumper.verify.render import reason_from, renderer
from testing import forkserver

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "manifests"

pytestmark = pytest.mark.skipif(renderer() is None, reason="no kustomize renderer (kustomize or kubectl)")


def _bump(tree: Path, ref: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")}
    return forkserver.run(["bump", ref, "--dir", str(tree), "--output", "json", *args], env=env)


def test_the_bundled_example_renders_and_verifies(tmp_path: Path) -> None:
    tree = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, tree)
    proc = _bump(tree, "ghcr.io/acme/app:v1.2.3", "--dry-run", "--verify", "render")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {v["root"]: v["status"] for v in result["verified"]} == {
        "apps/web": "verified",
        "overlays/prod": "verified",
    }
    # The README's quickstart: four lines in three files.
    assert len(result["changes"]) == 4 and len({c["file"] for c in result["changes"]}) == 3


@pytest.mark.parametrize(
    "files",
    [
        {"apps/web/deployment.yaml": "image"},  # a folder with manifests but no kustomization
        {"apps/other.yaml": "image", "apps/web/sub/x.txt": "x"},  # and a sub-folder
    ],
    ids=["folder-without-kustomization", "nested"],
)
def test_a_root_that_does_not_render_reports_the_renderers_own_error(tmp_path: Path, files: dict) -> None:  # type: ignore[type-arg]
    tree = tmp_path / "t"
    deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
    deployment += "    spec:\n      containers:\n        - {name: web, image: ghcr.io/acme/app:v1.2.0}\n"
    content = {
        "overlays/prod/kustomization.yaml": "resources:\n  - ../../apps/web\n"
        "images:\n  - name: ghcr.io/acme/app\n    newTag: v1.2.0\n",
        **{path: deployment if text == "image" else text for path, text in files.items()},
    }
    for rel, text in content.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    command = renderer()
    assert command is not None
    direct = subprocess.run(
        [*command, "overlays/prod"], cwd=tree, capture_output=True, text=True, check=False
    )
    assert direct.returncode != 0
    expected = reason_from(direct.stderr, tree)

    proc = _bump(tree, "ghcr.io/acme/app:v1.2.3", "--dry-run", "--verify", "render")
    assert proc.returncode == 0, proc.stderr
    [verdict] = [v for v in json.loads(proc.stdout)["verified"] if v["root"] == "overlays/prod"]
    assert verdict["status"] == "not-verified"
    assert verdict["detail"] == expected
    assert "lstat" not in verdict["detail"] and "bumper-verify" not in verdict["detail"]
