"""End to end: an `oci://` REF names a chart version; one that no chart pin references, where a
FluxInstance pins that OCI artifact, ends in exit 3 naming the REF that bumps the artifact."""

from __future__ import annotations

from pathlib import Path

from testing import forkserver

ARTIFACT = "ghcr.io/controlplaneio-fluxcd/flux-operator-manifests"
INSTANCE = f"""\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
spec:
  distribution:
    version: "2.x"
    registry: ghcr.io/fluxcd
    artifact: oci://{ARTIFACT}:v0.58.1
"""


def test_an_oci_ref_that_no_chart_pin_references_names_the_image_ref(tmp_path: Path) -> None:
    """The artifact is written `oci://REPO:TAG`, so the REF a user copies from it is too: that
    is a chart REF, and the exit-3 line said only that no file references it."""
    (tmp_path / "instance.yaml").write_text(INSTANCE)

    proc = forkserver.run(["bump", f"oci://{ARTIFACT}:v0.59.0", "--dir", str(tmp_path)])

    assert proc.returncode == 3, proc.stderr
    assert "names a Helm chart version" in proc.stderr
    assert f"is bumped by the REF {ARTIFACT}:v0.59.0" in proc.stderr
    assert (tmp_path / "instance.yaml").read_text() == INSTANCE
    named = forkserver.run(["bump", f"{ARTIFACT}:v0.59.0", "--dir", str(tmp_path)])
    assert named.returncode == 0, named.stderr
    assert (tmp_path / "instance.yaml").read_text() == INSTANCE.replace("v0.58.1", "v0.59.0")
