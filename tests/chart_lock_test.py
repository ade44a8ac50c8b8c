"""End to end: a bump moving a Chart.yaml dependency's version says which Chart.lock (Helm 2's
requirements.lock) it leaves out of sync, and never writes one."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import forkserver

ARGO_APP = (
    b"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app\nspec:\n  source:\n"
    b"    repoURL: https://charts.acme.io\n    chart: app\n    targetRevision: 1.3.2\n"
)


UMBRELLA = (
    b"apiVersion: v2\nname: umb\nversion: 0.1.0\ndependencies:\n"
    b"  - name: app\n    version: 1.3.2\n    repository: https://charts.acme.io\n"
)
LOCK = (
    b"dependencies:\n- name: app\n  repository: https://charts.acme.io\n  version: 1.3.2\n"
    b"digest: sha256:" + b"0" * 64 + b'\ngenerated: "2026-01-01T00:00:00Z"\n'
)


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_chart_lock_left_stale_is_a_warning_naming_the_fix(tmp_path: Path, output: str) -> None:
    # Helm's `helm dependency build` refuses a Chart.lock whose digest no longer matches Chart.yaml
    files = {
        "charts/umb/Chart.yaml": UMBRELLA,
        "charts/umb/Chart.lock": LOCK,
        "charts/solo/Chart.yaml": UMBRELLA.replace(b"umb", b"solo"),  # no lock: nothing to say
        "argocd/app.yaml": ARGO_APP,  # an Application, beside no Chart.yaml
    }
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    proc = forkserver.run(
        ["bump", "https://charts.acme.io/app:1.4.0", "--dir", str(tmp_path), "--output", output]
    )
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "bumper: warning: charts/umb/Chart.lock still locks the old dependency versions: "
        "`helm dependency build` (Argo CD runs it) refuses it as out of sync with Chart.yaml; "
        "run `helm dependency update charts/umb` and commit Chart.lock"
    ], proc.stderr
    assert (tmp_path / "charts/umb/Chart.yaml").read_bytes() == UMBRELLA.replace(b"1.3.2", b"1.4.0")
    assert (tmp_path / "charts/umb/Chart.lock").read_bytes() == LOCK  # bumper never guesses a digest


def test_a_helm_2_requirements_lock_at_the_root_is_named_too(tmp_path: Path) -> None:
    requirements = UMBRELLA.split(b"dependencies:\n", 1)[1]
    (tmp_path / "requirements.yaml").write_bytes(b"dependencies:\n" + requirements)
    (tmp_path / "requirements.lock").write_bytes(LOCK)
    proc = forkserver.run(["bump", "https://charts.acme.io/app:1.4.0", "--dir", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "bumper: warning: requirements.lock still locks the old dependency versions: "
        "`helm dependency build` (Argo CD runs it) refuses it as out of sync with requirements.yaml; "
        "run `helm dependency update .` and commit requirements.lock"
    ], proc.stderr
    assert (tmp_path / "requirements.lock").read_bytes() == LOCK
