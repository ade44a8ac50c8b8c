"""Shape `image-volume`: Kubernetes image volumes (1.31+), `volumes[].image.reference`."""

from __future__ import annotations

from yaml.nodes import MappingNode, ScalarNode

from bumper.image_ref import ImageRef
from bumper.shapes.container import broken_digest
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.reference import WholeRef
from bumper.shapes.shape import Claim, Found, Shape

NAME = "image-volume"


def is_image_volume(keys: list[str], context: str | None) -> bool:
    """`image: {reference: …}`: the mapping is a volume's image source."""
    return context == "image" and "reference" in keys


def image_volume(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    if not is_image_volume(keys, context):
        return None
    for key, value in node.value:
        if type(key) is ScalarNode and key.value == "reference" and type(value) is ScalarNode:
            if value.tag == STR_TAG:
                parsed = ImageRef.try_parse(str(value.value))
                if parsed is not None:
                    found.add(WholeRef("image-volume", value, parsed))
                else:  # `REPO@sha256:` and a digest cut short: listed, as under `image:`
                    broken_digest(value, str(value.value), found.ignore, NAME)
    return Claim()


SHAPE = Shape(NAME, mapping=image_volume, mapping_keys=frozenset({"reference"}))
