"""Shape `flux_operator`: the OCI artifact of Flux's manifests a Flux Operator `FluxInstance`
installs, `distribution.artifact: oci://REPO:TAG` (on the object, or in the flux-instance chart's
`instance` values): the reference after `oci://`, reported as `container`."""

from __future__ import annotations

from yaml.nodes import ScalarNode

from bumper.shapes.container import checked_after_prefix
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.shape import Found, Shape

NAME = "flux_operator"
_OCI = "oci://"


def artifact(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`distribution: {artifact: oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1}`:
    the tag/digest moves, `oci://` stays. Without a tag or digest it follows the registry's latest:
    nothing to write."""
    if context == "distribution" and value.tag == STR_TAG and str(value.value).startswith(_OCI):
        found.add(checked_after_prefix(value, _OCI, found.ignore))


SHAPE = Shape(NAME, keys=frozenset({"artifact"}), scalar=artifact)
