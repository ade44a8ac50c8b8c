"""--verify on a local tree, end to end through the CLI with the real renderer (kubectl
kustomize or kustomize build): caught pins, verified overlays, remote bases, warn and auto."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing import forkserver
from testing.overlays import BASE, OLD, OWN_IMAGES, PATCHED, REF, REMOTE, replacement, snapshot, write

pytestmark = pytest.mark.skipif(
    shutil.which("kustomize") is None and shutil.which("kubectl") is None, reason="no kustomize renderer"
)


def bump(tree: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")}
    return forkserver.run(["bump", REF, "--dir", str(tree), *args], env={**environ, "NO_COLOR": "1", **env})


def verdicts(payload: dict) -> dict[str, tuple[str, str]]:  # type: ignore[type-arg]
    return {v["root"]: (v["status"], v["detail"]) for v in payload["verified"]}


def test_a_patch_pinning_the_old_tag_fails_the_run_and_writes_nothing(tmp_path: Path) -> None:
    before = write(tmp_path, BASE, PATCHED, OWN_IMAGES)

    proc = bump(tmp_path, "--verify", "render")

    assert proc.returncode == 1, proc.stderr
    line = f"bumper: overlays/patched: Deployment/app container app still renders {OLD}"
    assert line in proc.stderr.splitlines()
    assert proc.stderr.splitlines()[-1].startswith(
        f"bumper: error: overlays/patched: Deployment/app container app still renders {OLD};"
    )
    assert "--verify warn" in proc.stderr.splitlines()[-1]
    assert "bumper: overlays/own: rendered and checked: 2 image(s) now ghcr.io/acme/app:2.0.0" in proc.stderr
    assert proc.stdout == ""
    assert snapshot(tmp_path) == before  # not one file written


def test_failure_json_names_every_root_and_the_kind(tmp_path: Path) -> None:
    before = write(tmp_path, BASE, PATCHED)

    proc = bump(tmp_path, "--verify", "render", "--output", "json")

    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    assert (payload["status"], payload["exit_code"], payload["error"]["kind"]) == ("failed", 1, "verify")
    assert verdicts(payload) == {
        "base": ("verified", "2 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"),
        "overlays/patched": ("failed", f"Deployment/app container app still renders {OLD}"),
    }
    assert snapshot(tmp_path) == before


def test_an_overlays_own_images_entry_is_bumped_and_verified(tmp_path: Path) -> None:
    write(tmp_path, BASE, OWN_IMAGES)

    proc = bump(tmp_path, "--verify", "render", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "written"
    assert verdicts(payload) == {
        "base": ("verified", "2 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"),
        "overlays/own": ("verified", "2 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"),
    }  # `other` includes no changed file: not rendered
    assert "newTag: 2.0.0" in (tmp_path / "overlays/own/kustomization.yaml").read_text()


def test_a_replacement_from_a_pinned_configmap_is_caught(tmp_path: Path) -> None:
    before = write(tmp_path, BASE, replacement(pinned=True))

    proc = bump(tmp_path, "--verify", "render")

    assert proc.returncode == 1
    assert f"bumper: overlays/replaced: Deployment/app container app still renders {OLD}" in proc.stderr
    assert snapshot(tmp_path) == before


def test_a_replacement_from_a_marked_configmap_is_verified(tmp_path: Path) -> None:
    write(tmp_path, BASE, replacement(pinned=False))

    proc = bump(tmp_path, "--verify", "render", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    assert verdicts(json.loads(proc.stdout))["overlays/replaced"] == (
        "verified",
        "2 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed",
    )  # the ConfigMap's own value changed as planned: no surprise
    assert REF in (tmp_path / "overlays/replaced/pins.yaml").read_text()


def test_a_remote_base_is_not_verified_with_the_reason_and_the_bump_goes_on(tmp_path: Path) -> None:
    write(tmp_path, BASE, REMOTE)

    proc = bump(tmp_path, "--verify", "render")

    assert proc.returncode == 0, proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if "overlays/remote" in x]
    assert line.startswith("bumper: overlays/remote: not verified: accumulating resources")
    assert "github.com/acme/platform" in line and len(line) < 400
    assert str(tmp_path) not in line  # the renderer's temp copy is not named
    assert REF in (tmp_path / "base/deployment.yaml").read_text()


def test_warn_reports_the_pin_and_writes(tmp_path: Path) -> None:
    write(tmp_path, BASE, PATCHED)

    proc = bump(tmp_path, "--verify", "warn")
    assert proc.returncode == 0, proc.stderr
    assert (
        f"bumper: warning: overlays/patched: Deployment/app container app still renders {OLD}" in proc.stderr
    )
    assert REF in (tmp_path / "base/deployment.yaml").read_text()


def test_warn_from_the_environment_keeps_the_verdict_in_json(tmp_path: Path) -> None:
    write(tmp_path, BASE, PATCHED)

    proc = bump(tmp_path, "--output", "json", BUMPER_VERIFY="warn")

    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "written"
    assert verdicts(payload)["overlays/patched"][0] == "failed"


def test_any_other_change_in_the_render_is_a_failure(tmp_path: Path) -> None:
    """A replacement copying the image's tag into a label: the label changes too, a surprise."""
    label = {
        "overlays/label/kustomization.yaml": """\
resources:
  - ../../base
replacements:
  - source:
      kind: Deployment
      name: app
      fieldPath: spec.template.spec.containers.[name=app].image
      options: {delimiter: ":", index: 1}
    targets:
      - select: {kind: Deployment, name: app}
        fieldPaths: [metadata.labels.version]
        options: {create: true}
""",
    }
    before = write(tmp_path, BASE, label)

    proc = bump(tmp_path, "--verify", "render")

    assert proc.returncode == 1
    assert (
        "bumper: overlays/label: Deployment/app metadata.labels.version changed: 1.0.0 -> 2.0.0"
        in proc.stderr
    )
    assert snapshot(tmp_path) == before


def test_a_dry_run_verifies_too(tmp_path: Path) -> None:
    before = write(tmp_path, BASE, PATCHED)

    proc = bump(tmp_path, "--verify", "render", "--dry-run")

    assert proc.returncode == 1 and "still renders" in proc.stderr
    assert snapshot(tmp_path) == before


def test_off_is_the_default_and_renders_nothing(tmp_path: Path) -> None:
    write(tmp_path, BASE, PATCHED)

    proc = bump(tmp_path, "--output", "json")

    assert proc.returncode == 0 and json.loads(proc.stdout)["verified"] == []


def _path_without_renderer(tmp_path: Path) -> str:
    """A PATH holding nothing but a python (no kubectl, no kustomize)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    return str(bin_dir)


def test_auto_without_a_renderer_is_off_and_says_so_under_v(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write(tree, BASE, PATCHED)
    path = _path_without_renderer(tmp_path)

    proc = bump(tree, "--verify", "auto", "-v", PATH=path)

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("not verifying") == 1
    assert "bumper: --verify auto: neither kustomize nor kubectl is on PATH; not verifying" in proc.stderr


def test_auto_with_a_renderer_renders(tmp_path: Path) -> None:
    before = write(tmp_path, BASE, PATCHED)

    proc = bump(tmp_path, "--verify", "auto")

    assert proc.returncode == 1 and "still renders" in proc.stderr
    assert snapshot(tmp_path) == before


def test_render_without_a_renderer_is_bad_input(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    before = write(tree, BASE)

    proc = bump(tree, "--verify", "render", PATH=_path_without_renderer(tmp_path))

    assert proc.returncode == 2
    assert "--verify render needs kustomize or kubectl on PATH" in proc.stderr
    assert snapshot(tree) == before


def test_the_renderer_never_sees_the_token(tmp_path: Path) -> None:
    """A fake kustomize on PATH prints its environment as a rendered ConfigMap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kustomize"
    fake.write_text(
        "#!/bin/sh\n"
        "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: env\\ndata:\\n  env: |\\n' >&2\n"
        "env | sed 's/^/    /' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    tree = tmp_path / "tree"
    write(tree, BASE)
    secret = "canary-verify-token-0123456789"

    proc = bump(
        tree,
        "--verify",
        "render",
        "--output",
        "json",
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        BUMPER_TOKEN=secret,
        GITHUB_TOKEN=secret,
        GIT_ASKPASS="/x",
    )

    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    [verdict] = json.loads(proc.stdout)["verified"]
    assert verdict["status"] == "not-verified"


def test_a_generated_configmap_holding_a_bumped_file_is_verified(tmp_path: Path) -> None:
    """The ConfigMap's content and hash name change with the file: the planned change, no surprise."""
    generated = {
        "overlays/generated/kustomization.yaml": """\
resources:
  - ../../base
  - ../../components/worker
configMapGenerator:
  - name: settings
    files:
      - app.yaml=settings/app.yaml
""",
        "overlays/generated/settings/app.yaml": f"image: {OLD}\nreplicas: 2\n",
        "components/worker/kustomization.yaml": "resources:\n  - job.yaml\n",
        "components/worker/job.yaml": f"""\
apiVersion: batch/v1
kind: Job
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: {OLD}
          envFrom:
            - configMapRef:
                name: settings
""",
    }
    write(tmp_path, BASE, generated)

    proc = bump(tmp_path, "--verify", "render", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    assert verdicts(json.loads(proc.stdout)) == {
        "base": ("verified", "2 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"),
        "components/worker": ("verified", "1 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"),
        "overlays/generated": ("verified", "3 image(s) now ghcr.io/acme/app:2.0.0, nothing else changed"),
    }
