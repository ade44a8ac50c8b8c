"""scan lists every reference a bump changes: each golden case's dry run against its scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from testing.golden import case_dirs, copy_in, load_case, scratch_dir

CASES = [path for path in case_dirs() if load_case(path).exit == 0]


@pytest.mark.parametrize("case_dir", CASES, ids=[p.name for p in CASES])
def test_scan_lists_each_reference_the_bump_changes(case_dir: Path) -> None:
    """scan reads only files holding one of its needles (bumper.plan.needles.SCAN_NEEDLES): a shape
    whose files hold none of them (an environment variable `V2_DRIVER_IMAGE:`, a FluxInstance's
    `distribution.artifact`) was rewritten by bump while scan listed nothing there."""
    from bumper.cli import main

    case = load_case(case_dir)
    paths: list[str] = []  # scan takes the case's --path patterns, no other option of bump
    for flag, pattern in zip(case.args, case.args[1:]):
        paths += ["--path", pattern] if flag == "--path" else []
    with scratch_dir() as tree:
        copy_in(case.input_dir, tree)
        bump = CliRunner().invoke(main, [*case.argv(tree), "--dry-run", "--output", "json"])
        scan = CliRunner().invoke(main, ["scan", "--dir", str(tree), *paths, "--output", "json"])
    assert bump.exit_code == 0, bump.stderr
    assert scan.exit_code == 0, scan.stderr
    listed = {(image["file"], image["line"]) for image in json.loads(scan.stdout)["images"]}
    changed = {(change["file"], change["line"]) for change in json.loads(bump.stdout)["changes"]}
    assert changed - listed == set()


def test_check_reports_a_broken_file_naming_an_image_only_so(tmp_path: Path) -> None:
    """A file naming its image only in an environment variable (`V2_DRIVER_IMAGE:`) or a
    FluxInstance's `distribution.artifact` that does not parse fails a bump of that image; check
    passed it, never having parsed it."""
    from testing import forkserver

    (tmp_path / "env.yaml").write_text("V2_DRIVER_IMAGE: ghcr.io/kubeflow/kfp-driver:2.0.0\n  bad: [\n")
    artifact = "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1"
    (tmp_path / "flux.yaml").write_text(f"distribution:\n  artifact: {artifact}\n bad: [\n")
    bump = forkserver.run(["bump", "ghcr.io/kubeflow/kfp-driver:2.1.0", "--dir", str(tmp_path)])
    assert bump.returncode == 1, bump.stderr
    check = forkserver.run(["check", "--dir", str(tmp_path)])
    assert check.returncode == 1, check.stdout + check.stderr
    out = check.stdout + check.stderr
    assert "env.yaml:2: mentions an image but does not parse" in out
    assert "flux.yaml:3: mentions an image but does not parse" in out
