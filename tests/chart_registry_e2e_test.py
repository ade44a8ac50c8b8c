"""End to end: `--registry check|resolve` with a Helm chart REF. An `oci://` chart's version must be
a tag of its OCI repository in a real registry on loopback (a chart artifact pushed as `helm push`
writes it, by skopeo); an HTTP chart repository is no OCI registry: one warning, never silence."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import forkserver
from testing.oci_registry import PASSWORD, USER, RealRegistry, missing_tools, real_registry

SKIP = missing_tools()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
KUSTOMIZATION = "apps/kustomization.yaml"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRegistry]:
    """One registry per module: chart acme/charts/app at 1.2.3, and an image acme/app v1."""
    with real_registry(tmp_path_factory.mktemp("registry")) as reg:
        reg.push_chart("acme/charts", "app", "1.2.3")
        reg.push("acme/app", "v1", ["linux/amd64"])
        yield reg


def kustomization(repo: str, version: str = "1.0.0") -> str:
    return f"helmCharts:\n  - name: app\n    repo: {repo}\n    version: {version}\n    releaseName: app\n"


def tree(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "tree"
    (root / "apps").mkdir(parents=True)
    (root / KUSTOMIZATION).write_text(text)
    return root


def bump(
    tmp_path: Path, registry: RealRegistry, *args: str, output: str = "json"
) -> subprocess.CompletedProcess[str]:
    """`bumper bump ARGS --output json` with the registry's login in a temporary DOCKER_CONFIG."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "DOCKER_", "REGISTRY_AUTH"))}
    config = registry.docker_config(tmp_path / "docker")
    env.update(
        HOME=str(tmp_path / "home"), NO_COLOR="1", BUMPER_API_BACKOFF="0.001", DOCKER_CONFIG=str(config)
    )
    proc = forkserver.run(["bump", *args, "--output", output], env=env)
    assert "Traceback" not in proc.stderr
    for secret in (PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()):
        assert secret not in proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("mode", ["check", "resolve"])
def test_an_oci_chart_version_in_its_registry_is_bumped(
    tmp_path: Path, registry: RealRegistry, mode: str
) -> None:
    root = tree(tmp_path, kustomization(f"oci://{registry.host}/acme/charts"))
    ref = f"oci://{registry.host}/acme/charts/app:1.2.3"
    proc = bump(tmp_path, registry, ref, "--dir", str(root), "--registry", mode)

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["images"] == [
        {"ref": ref, "digest": registry.pushed["acme/charts/app:1.2.3"].digest, "platforms": []}
    ]
    assert (root / KUSTOMIZATION).read_text() == kustomization(f"oci://{registry.host}/acme/charts", "1.2.3")
    text = bump(tmp_path, registry, ref, "--dir", str(root), "--registry", mode, "--dry-run", output="text")
    digest = registry.pushed["acme/charts/app:1.2.3"].digest
    assert f"bumper: {ref} is {digest} in its registry (a Helm chart)" in text.stderr


def test_a_missing_oci_chart_version_is_exit_1_kind_registry_before_any_write(
    tmp_path: Path, registry: RealRegistry
) -> None:
    text = kustomization(f"oci://{registry.host}/acme/charts")
    root = tree(tmp_path, text)
    for ref in (
        f"oci://{registry.host}/acme/charts/app:9.9.9",  # no such version
        f"oci://{registry.host}/acme/other/app:1.2.3",  # no such chart repository
    ):
        proc = bump(tmp_path, registry, ref, "--dir", str(root), "--registry", "check")

        assert proc.returncode == 1, proc.stderr
        error = json.loads(proc.stdout)["error"]
        assert error["kind"] == "registry"
        assert ref in error["message"] and "does not exist in the registry" in error["message"]
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("bumper: error: ")
        assert (root / KUSTOMIZATION).read_text() == text


def test_an_http_chart_repository_is_one_warning_not_a_silent_pass(
    tmp_path: Path, registry: RealRegistry
) -> None:
    root = tree(tmp_path, kustomization("https://charts.acme.io/stable"))
    (root / "apps" / "web.yaml").write_text(f"image: {registry.host}/acme/app:v0\n")
    ref = "https://charts.acme.io/stable/app:1.2.3"
    proc = bump(
        tmp_path, registry, ref, f"{registry.host}/acme/app:v1", "--dir", str(root), "--registry", "check"
    )

    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line]
    assert warnings == [
        f"bumper: warning: --registry check cannot check {ref}: an HTTP chart repository is not an OCI "
        "registry; its version was not checked"
    ]
    result = json.loads(proc.stdout)
    assert [image["ref"] for image in result["images"]] == [f"{registry.host}/acme/app:v1"]  # the image was
    assert (root / KUSTOMIZATION).read_text() == kustomization("https://charts.acme.io/stable", "1.2.3")


def test_registry_off_asks_nothing_about_a_chart(tmp_path: Path, registry: RealRegistry) -> None:
    root = tree(tmp_path, kustomization(f"oci://{registry.host}/acme/charts"))
    proc = bump(tmp_path, registry, f"oci://{registry.host}/acme/charts/app:9.9.9", "--dir", str(root))

    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr and json.loads(proc.stdout).get("images", []) == []
