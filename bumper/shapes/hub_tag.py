"""Shape `hub_tag`: a map holding `hub` and `tag` (Istio's `global`, a component's override, an
IstioOperator's `spec`) names no image bumper rewrites (shapes/hubs.py says why): its tag is
noted, its bare `image:` is the chart's component name, and no other shape reads the map as a
Helm values map (`image: pilot` + `tag:` there is no `docker.io/library/pilot`)."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.image_ref import ImageRef
from bumper.shapes.hubs import hub_key, is_component_name, repository_note, tag_note
from bumper.shapes.nodes import STR_TAG, merged_pairs
from bumper.shapes.reference import WholeRef
from bumper.shapes.shape import Claim, Found, Shape

NAME = "hub_tag"


def hub_map(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """Claim a map with a string `hub` and a scalar `tag`; note its tag, remember its hub for the
    document's bare `image:` names (shapes/container.py defers them), and keep its own bare
    `image:` from every other shape (a name with a `/` is used as written: read as ever)."""
    if "tag" not in keys and "<<" not in keys:  # a merge key may bring both (`<<: *global`)
        return None
    pairs = merged_pairs(node)
    hub, tag = pairs.get("hub"), pairs.get("tag")
    if type(hub) is not ScalarNode or hub.tag != STR_TAG or type(tag) is not ScalarNode:
        return None
    if hub.value and hub_key(str(hub.value)) is None:
        return None  # `hub: https://hub.example.com`: no registry path, no Istio hub

    marked = _marked(found.source.text, tag)  # a marker moves the tag: what it says is done
    found.components.hubs.append((hub, tag, marked))
    if marked:
        found.components.marked[id(tag)] = (hub,)  # a hold on the hub's line holds the marked tag
    elif hub_key(str(hub.value)) is not None:
        found.components.tags[id(tag)] = hub  # another image's map reaching it: never moved
        for note in (tag_note(hub, tag), repository_note(hub, pairs.get("repository"))):
            if note is not None:
                found.ignore(note)
    claimed: list[Node] = [tag]
    image = pairs.get("image")
    if type(image) is ScalarNode and image.tag == STR_TAG and "/" not in str(image.value):
        claimed.append(image)
        parsed = ImageRef.try_parse(str(image.value))
        if parsed is not None and is_component_name("image", str(image.value), parsed):
            found.components.defer(WholeRef("container", image, parsed), hub)
    return Claim(tuple(claimed))


def _marked(text: str, tag: ScalarNode) -> bool:
    """Whether the rest of the tag's line holds a `$bumper` or `$imagepolicy` marker."""
    end = text.find("\n", tag.end_mark.index)
    rest = text[tag.end_mark.index : end if end >= 0 else len(text)]
    return '"$bumper"' in rest or '"$imagepolicy"' in rest


SHAPE = Shape(NAME, mapping=hub_map, mapping_keys=frozenset({"hub", "<<"}))
