"""Shape `flux_operator` on inline YAML: a FluxInstance's `distribution.artifact`, on the object
and in the flux-instance chart's values."""

from __future__ import annotations

from testing.shapes import find

OBJECT = """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
spec:
  distribution:
    version: 2.x
    registry: ghcr.io/fluxcd
    artifact: {artifact}
"""


def test_the_artifact_of_a_flux_instance() -> None:
    text = OBJECT.format(artifact="oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1")
    assert find(text, "instance.yaml").found == [
        (9, "container", "ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1")
    ]


def test_in_the_flux_instance_charts_values() -> None:
    """The shape of ahinko/home-ops, szinn/k8s-homelab, haraldkoch/kochhaus-home: a HelmRelease of
    the flux-instance chart, `values.instance.distribution.artifact`, quoted or not."""
    text = """\
        spec:
          values:
            instance:
              distribution:
                artifact: "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.48.0"
        """
    assert find(text, "helmrelease.yaml").found == [
        (5, "container", "ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.48.0")
    ]


def test_what_it_leaves() -> None:
    """No tag (it follows the registry's latest), a placeholder, no `oci://`, another key's
    `artifact:` (a CI job's, a Kargo step's): not an artifact to write."""
    untagged = OBJECT.format(artifact="oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests")
    assert find(untagged, "instance.yaml") == ([], [])
    placeholder = find(OBJECT.format(artifact="oci://ghcr.io/acme/manifests:${VERSION}"), "instance.yaml")
    assert placeholder.found == []
    assert [(n[0], n[3]) for n in placeholder.left] == [(9, "placeholder")]
    assert find(OBJECT.format(artifact="ghcr.io/acme/manifests:v1"), "instance.yaml").found == []
    assert find("build:\n  artifact: oci://ghcr.io/acme/app:v1\n").found == []
