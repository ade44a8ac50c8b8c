"""Helm chart versions end to end, as a user runs bumper: a chart REF through `--repo` (a pull
request on a loopback GitHub), `scan` listing charts, `history` of a chart, bad chart REFs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.world import CANARY, make_world

RELEASE = "apps/app/helmrelease.yaml"
SOURCES = "infrastructure/sources.yaml"
ARGO = "argocd/app.yaml"
# The HelmRepository lives in a file that never names the chart: a --repo run must still read it.
TREE = {
    SOURCES: b"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: acme
  namespace: flux-system
spec:
  url: https://charts.acme.io/
""",
    RELEASE: b"""\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: apps
spec:
  chart:
    spec:
      chart: app
      version: 1.3.2 # set by CI
      sourceRef:
        kind: HelmRepository
        name: acme
        namespace: flux-system
  values:
    image:
      repository: ghcr.io/acme/app
      tag: 1.3.2
""",
    ARGO: b"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app
spec:
  source:
    repoURL: https://charts.acme.io
    chart: app
    targetRevision: "1.3.2"
  sources:
    - repoURL: https://charts.acme.io
      chart: web
      targetRevision: 1.3.2
""",
}
REF = "https://charts.acme.io/app:1.4.0"


def test_a_chart_ref_opens_a_pull_request_through_repo(tmp_path: Path) -> None:
    with make_world(tmp_path, "github", TREE) as world:
        proc = world.run("bump", REF, "--output", "json")
        assert proc.returncode == 0, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened"
        assert [(c["file"], c["line"], c["shape"], c["old"], c["new"]) for c in result["changes"]] == [
            (RELEASE, 10, "chart", "https://charts.acme.io/app:1.3.2", REF),
            (ARGO, 9, "chart", "https://charts.acme.io/app:1.3.2", REF),
        ]
        branch = result["branch"]
        assert branch == "bumper/https-charts.acme.io-app"
        release = world.read(branch, RELEASE)
        assert release == TREE[RELEASE].replace(b"version: 1.3.2 # set by CI", b"version: 1.4.0 # set by CI")
        assert world.read(branch, ARGO) == TREE[ARGO].replace(b'"1.3.2"', b'"1.4.0"')
        assert world.read(branch, SOURCES) == TREE[SOURCES]
        (pull,) = world.open_pulls()
        assert pull.title == f"Bump {REF}"
        assert REF in pull.body
        message = subprocess.run(
            ["git", "--git-dir", str(world.bare), "log", "-1", "--format=%B", branch],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert f"Bumper-Image: https://charts.acme.io/app:1.3.2 -> {REF}" in message
        pushes = len(world.pushes())
        again = world.run("bump", REF, "--output", "json")  # a rerun writes nothing new
        assert again.returncode == 0, again.stderr
        assert len(world.pushes()) == pushes


def test_history_lists_a_charts_changes(tmp_path: Path) -> None:
    with make_world(tmp_path, "github", TREE) as world:
        moved = TREE[ARGO].replace(b'"1.3.2"', b'"1.3.3"')
        repos.add_commit(world.bare, "main", {ARGO: moved}, message="argo: app chart 1.3.3")
        proc = world.run("history", "https://Charts.Acme.io/app", "--output", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["image"] == "https://charts.acme.io/app"
        changes = [c for entry in result["history"] for c in entry["changes"]]
        assert {
            "file": ARGO,
            "old": "https://charts.acme.io/app:1.3.2",
            "new": "https://charts.acme.io/app:1.3.3",
        } in changes
        # a version narrows to the changes to or from it, as for an image tag
        proc = world.run("history", "https://charts.acme.io/app:1.3.3", "--output", "json")
        assert proc.returncode == 0, proc.stderr
        narrowed = [c for entry in json.loads(proc.stdout)["history"] for c in entry["changes"]]
        assert [c["new"] for c in narrowed] == ["https://charts.acme.io/app:1.3.3"]


def test_scan_lists_chart_pins_as_json(tmp_path: Path) -> None:
    for rel, data in TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    (tmp_path / "Chart.yaml").write_text(
        "apiVersion: v2\nname: u\nversion: 0.1.0\ndependencies:\n"
        "  - {name: app, repository: 'oci://ghcr.io/acme/charts', version: ~1.3.0}\n"
    )
    proc = forkserver.run(["scan", "--dir", str(tmp_path), "--output", "json"])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    charts = [
        (i["file"], i["line"], i["value"], i["registry"], i["repository"], i["tag"])
        for i in result["images"]
        if i["shape"] == "chart"
    ]
    assert charts == [
        (RELEASE, 10, "https://charts.acme.io/app:1.3.2", "https://charts.acme.io", "app", "1.3.2"),
        (ARGO, 9, "https://charts.acme.io/app:1.3.2", "https://charts.acme.io", "app", "1.3.2"),
        (ARGO, 13, "https://charts.acme.io/web:1.3.2", "https://charts.acme.io", "web", "1.3.2"),
    ]
    assert [(i["file"], i["reason"]) for i in result["ignored"] if i["shape"] == "chart"] == [
        ("Chart.yaml", "range")
    ]
    check = forkserver.run(["check", "--dir", str(tmp_path)])
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(
    "ref,says",
    [
        ("https://user:hunter2@charts.acme.io/app:1.4.0", "user names and passwords"),
        ("https://charts.acme.io/app:^1.4", "is a version range"),
        ("oci://ghcr.io/acme/charts/app:1.4", "is a version range to Helm"),  # 1.4.x to Helm
        ("https://charts.acme.io/app:v2", "is a version range to Helm"),
        ("oci://ghcr.io/acme/charts/app", "no ':VERSION'"),
    ],
)
def test_bad_chart_refs_exit_2_with_one_line(tmp_path: Path, ref: str, says: str) -> None:
    proc = forkserver.run(["bump", ref, "--dir", str(tmp_path)])
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: ") and says in lines[0], proc.stderr
    assert "hunter2" not in proc.stderr


def _release(env: str, version: str) -> bytes:
    """A HelmRelease of chart `app` from the acme HelmRepository, in namespace `env`."""
    return (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        f"metadata: {{name: app, namespace: {env}}}\nspec:\n  chart:\n    spec:\n"
        f"      chart: app\n      version: '{version}'\n"
        "      sourceRef: {kind: HelmRepository, name: acme, namespace: flux-system}\n"
    ).encode()


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def test_promote_moves_a_chart_version_between_environments(tmp_path: Path) -> None:
    files = {
        "clusters/staging/app.yaml": _release("staging", "1.5.0"),
        "clusters/prod/app.yaml": _release("prod", "1.3.2"),
        "clusters/prod/web.yaml": _release("prod", "1.3.2").replace(b"chart: app", b"chart: web"),
        SOURCES: TREE[SOURCES],
    }
    _write(tmp_path, files)
    args = ["promote", "https://charts.acme.io/app", "--from", "clusters/staging", "--to", "clusters/prod"]
    proc = forkserver.run([*args, "--dir", str(tmp_path), "--output", "json"])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["promoted"] == {"from": "clusters/staging", "ref": "https://charts.acme.io/app:1.5.0"}
    assert (tmp_path / "clusters/prod/app.yaml").read_bytes() == _release("prod", "1.5.0")
    for rel in ("clusters/staging/app.yaml", "clusters/prod/web.yaml"):
        assert (tmp_path / rel).read_bytes() == files[rel]


@pytest.mark.parametrize("staging", ["~1.5", "1.5"])  # `1.5` is `1.5.x` to Helm and Flux
def test_promote_from_a_range_names_it_and_writes_nothing(tmp_path: Path, staging: str) -> None:
    files = {
        "clusters/staging/app.yaml": _release("staging", staging),
        "clusters/prod/app.yaml": _release("prod", "1.3.2"),
        SOURCES: TREE[SOURCES],
    }
    _write(tmp_path, files)
    args = ["promote", "https://charts.acme.io/app", "--from", "clusters/staging", "--to", "clusters/prod"]
    proc = forkserver.run([*args, "--dir", str(tmp_path), "--output", "json"])
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), proc.stderr
    assert f"clusters/staging/app.yaml:8: https://charts.acme.io/app:{staging} (range)" in lines[0]
    assert "pin one version there" in lines[0]
    result = json.loads(proc.stdout)
    assert result["status"] == "not-found"
    assert [(i["file"], i["reason"]) for i in result["ignored"]] == [("clusters/staging/app.yaml", "range")]
    for rel, data in files.items():
        assert (tmp_path / rel).read_bytes() == data
