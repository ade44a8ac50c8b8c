"""Shape `kubeflow` (module image_options): Kubeflow's notebook spawner form (jupyter-web-app's
`spawner_ui_config.yaml`), where `image`, `imageGroupOne` and `imageGroupTwo` are each
`{value: REF, options: [REF, ...], readOnly}`: the default image and the images its dropdown offers.
Each is a whole reference, reported as `container`, moved only with a tag or digest."""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from bumper.changes import explained
from bumper.shapes.container import parse, tagged_ref
from bumper.shapes.nodes import STR_TAG, merged_pairs, scalar
from bumper.shapes.reference import Ignored
from bumper.shapes.shape import Claim, Found, Shape
from bumper.shapes.variants import variant

NAME = "kubeflow"  # the table's name; its references are reported as `container`
# The keys the form keeps its image choices under (`imageGroupOne`, `imageGroupTwo` for the
# VSCode-like and RStudio-like apps), and the only fields such a choice has: a map with any other
# key (an env entry `{name, value}`, a volume's `{reference}`) is not one.
_CHOICE_KEY = re.compile(r"image(?:Group[A-Za-z0-9]*)?")
_FIELDS = frozenset({"value", "options", "readOnly"})
SEVERAL_TAGS = explained(
    "several-tags",
    "the choices offer this image at more than one tag of one variant (a dropdown letting users"
    " pick a version);"
    " bumper does not choose which of them to move: edit the list by hand",
)


def image_choice(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """`image: {value: REF, options: [REF, ...]}` under the form's image keys: the default and
    every option move with a tag or digest. An image offered at two tags of one variant (`app:v1`
    and `app:v2`) is the users' choice of version: every one of its values of that variant, the
    default too, is noted `several-tags` and left alone (moving both would leave one version
    offered twice); `app:v1` and `app:v1-cuda` are one version in two variants, each moved."""
    if context is None or _CHOICE_KEY.fullmatch(context) is None or not _FIELDS.issuperset(keys):
        return None
    pairs = merged_pairs(node)
    options = pairs.get("options")
    items = [i for i in options.value if type(i) is ScalarNode] if type(options) is SequenceNode else []
    default = scalar(pairs, "value")
    values = [*([default] if default is not None else []), *items]
    several = _offered_at_several_tags(values)
    for value in values:
        if id(value) in several:
            found.ignore(
                Ignored(
                    value.start_mark.line + 1, "container", str(value.value), SEVERAL_TAGS, several[id(value)]
                )
            )
        else:
            tagged_ref(value, context, context, found)
    return Claim(tuple(values))


def _offered_at_several_tags(values: list[ScalarNode]) -> dict[int, str]:
    """The values (by id) whose image is offered with more than one tag or digest of one variant
    -> its key. One version in two variants (`nb:v1.8.0` and `nb:v1.8.0-cuda`) is no choice of
    version: each moves with a REF of its own variant (the planner skips the other `variant`)."""
    by_image: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    keyed: list[tuple[int, str, tuple[str, ...]]] = []
    for value in values:
        parsed = parse(str(value.value)) if value.tag == STR_TAG else None
        if parsed is not None and (parsed.tag or parsed.digest):
            kind = variant(parsed.tag)
            by_image.setdefault((parsed.key, kind), set()).add(str(value.value))
            keyed.append((id(value), parsed.key, kind))
    return {node_id: key for node_id, key, kind in keyed if len(by_image[key, kind]) > 1}


SHAPE = Shape(NAME, mapping=image_choice, mapping_keys=frozenset({"value", "options"}))
