"""Shape `crossplane`: the OCI package a Crossplane `Provider`, `Configuration` or `Function`
(`pkg.crossplane.io`) installs, its `spec.package`: a whole reference, reported as `container`."""

from __future__ import annotations

from yaml.nodes import ScalarNode

from bumper.shapes.container import whole_ref
from bumper.shapes.shape import Found, Shape

NAME = "crossplane"
_API_PREFIX = "pkg.crossplane.io/"  # not meta.pkg.crossplane.io: a package's own dependsOn ranges
_ROOT = "\0crossplane-root"
_SPEC = "\0crossplane-spec"


def root(api: str, file_name: str) -> str | None:
    """A Crossplane package object's root: its `spec` holds the `package`."""
    return _ROOT if api.startswith(_API_PREFIX) else None


def package(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`spec.package: xpkg.upbound.io/upbound/provider-gcp:v1.1.0`, read as an `image:` is."""
    if context == _SPEC:
        whole_ref(value, key, context, found)


SHAPE = Shape(NAME, root=root, contexts={"spec": {_ROOT: _SPEC}}, keys=frozenset({"package"}), scalar=package)
