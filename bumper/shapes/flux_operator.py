"""Shape `flux_operator`: the OCI artifact of Flux's manifests a Flux Operator `FluxInstance`
installs, `distribution.artifact: oci://REPO:TAG` (on the object, or in the flux-instance chart's
`instance` values): the reference after `oci://`, reported as `container`."""

from __future__ import annotations

from yaml.nodes import ScalarNode

from bumper.shapes.container import NAME as CONTAINER
from bumper.shapes.container import parse
from bumper.shapes.left_alone import PLACEHOLDER, placeholder_whole
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.reference import Ignored, WholeRef
from bumper.shapes.shape import Found, Shape

NAME = "flux_operator"
_OCI = "oci://"


def artifact(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`distribution: {artifact: oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1}`:
    the tag/digest moves, `oci://` stays. Without a tag or digest it follows the registry's latest:
    nothing to write."""
    text = str(value.value)
    if context != "distribution" or value.tag != STR_TAG or not text.startswith(_OCI):
        return
    parsed = parse(text[len(_OCI) :])
    placeholder = placeholder_whole(text[len(_OCI) :]) if parsed is None or parsed.tag else None
    if placeholder is not None:
        found.ignore(Ignored(value.start_mark.line + 1, CONTAINER, text, PLACEHOLDER, placeholder))
    elif parsed is not None and (parsed.tag or parsed.digest):
        found.add(WholeRef(CONTAINER, value, parsed, prefix=_OCI))


SHAPE = Shape(NAME, keys=frozenset({"artifact"}), scalar=artifact)
