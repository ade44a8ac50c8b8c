"""Shape `crossplane` on inline YAML: a Crossplane package object's `spec.package`."""

from __future__ import annotations

import pytest

from testing.shapes import find


@pytest.mark.parametrize("kind", ["Provider", "Configuration", "Function"])
def test_a_package_objects_spec_package(kind: str) -> None:
    finding = find(
        f"""\
        apiVersion: pkg.crossplane.io/v1
        kind: {kind}
        metadata:
          name: provider-gcp-gke
        spec:
          package: xpkg.upbound.io/upbound/provider-gcp-gke:v1.1.0
          packagePullPolicy: IfNotPresent
        """
    )
    assert finding.found == [(6, "container", "xpkg.upbound.io/upbound/provider-gcp-gke:v1.1.0")]


def test_a_package_key_elsewhere_is_no_image() -> None:
    """A package's own dependencies (meta.pkg.crossplane.io), another API's `spec.package` and a
    `package:` outside `spec` are anything (an npm name, a range)."""
    meta = "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nspec:\n  package: x.io/a/b:v1\n"
    assert find(meta).found == []
    assert find("apiVersion: apps/v1\nkind: X\nspec:\n  package: xpkg.upbound.io/a/b:v1\n").found == []
    nested = (
        "apiVersion: pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  package: xpkg.upbound.io/a/b:v1\n"
    )
    assert find(nested).found == []


def test_a_placeholder_package_is_left_alone_with_its_reason() -> None:
    finding = find(
        "apiVersion: pkg.crossplane.io/v1\nkind: Provider\nspec:\n  package: xpkg.upbound.io/a/b:${VERSION}\n"
    )
    assert finding.found == []
    assert [(line, reason) for line, _, _, reason in finding.left] == [(4, "placeholder")]
