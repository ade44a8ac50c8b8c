"""Shape `cephcsi`: the ImageSet ConfigMap of the Ceph CSI operator (Rook's
`rook-csi-operator-image-set-configmap`, which an `OperatorConfig`'s `driverSpecDefaults.imageSet`
or a `Driver`'s `spec.imageSet` names): `data` maps each CSI component to the image it runs
(`plugin: quay.io/cephcsi/cephcsi:v3.17.0`); each is a whole reference, reported as `container`."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.shapes.container import checked_after_prefix, parse
from bumper.shapes.left_alone import placeholder_whole
from bumper.shapes.nodes import STR_TAG, merged_pairs, scalar, text_of
from bumper.shapes.reference import IgnoreFn, Reference
from bumper.shapes.shape import Shape
from bumper.yaml_edit import Source

NAME = "cephcsi"
# The components the operator reads from the ConfigMap (ceph/ceph-csi-operator
# internal/controller/defaults.go `imageDefaults`, and `ex-snapshotter`, which it reads beside them).
IMAGE_SET_KEYS = frozenset(
    {
        "provisioner",
        "attacher",
        "resizer",
        "snapshotter",
        "registrar",
        "snapshot-metadata",
        "plugin",
        "addons",
        "ex-snapshotter",
    }
)


def image_set(source: Source, doc: Node, ignore: IgnoreFn) -> Iterator[Reference]:
    """The images of a ConfigMap whose `data` is an ImageSet: every key one of the operator's
    component names and every value a reference with a tag or digest (or a placeholder, noted).
    A ConfigMap holding any other key or value is some other program's settings: nothing is read,
    so `plugin: "true"` beside `attacher: REF` is never taken for an image. Keys a merge key
    brings count as the map's own (the anchored value is the one edited)."""
    if type(doc) is not MappingNode:
        return
    root = merged_pairs(doc)
    if text_of(scalar(root, "kind")) != "ConfigMap" or text_of(scalar(root, "apiVersion")) != "v1":
        return
    data = root.get("data")
    if type(data) is not MappingNode or not data.value:
        return
    if any(type(key) is not ScalarNode for key, _ in data.value):
        return
    values: list[ScalarNode] = []
    for key, value in merged_pairs(data).items():  # a `<<: *common` brings components too
        if key not in IMAGE_SET_KEYS or not _names_an_image(value):
            return
        assert type(value) is ScalarNode
        values.append(value)
    for value in values:
        found = checked_after_prefix(value, "", ignore)  # a digest cut short: not-a-digest
        if found is not None:
            yield found


def _names_an_image(value: Node) -> bool:
    """A string scalar holding a reference with a tag or digest (one cut short too), or a
    placeholder tag."""
    if type(value) is not ScalarNode or value.tag != STR_TAG:
        return False
    text = str(value.value)
    parsed = parse(text)
    if parsed is not None and (parsed.tag or parsed.digest):
        return True
    name, at, _ = text.partition("@")
    if at and parse(name) is not None:
        return True  # a digest cut short: listed, never passed over in silence
    return placeholder_whole(text) is not None


SHAPE = Shape(NAME, document=image_set)
