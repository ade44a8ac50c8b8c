"""Shape `argocd`: what an Argo CD Application sets for its source: `helm.parameters`
(`{name: image.repository, value: …}` beside `{name: image.tag, value: …}`, shape `helm`) and
`kustomize.images` strings (`[alias=]repo:tag`, shape `kustomize`). Its `helm.values` block is
shapes/embedded.py's."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.image_ref import ImageRef
from bumper.shapes.helm import helm_ref, tag_keys_for
from bumper.shapes.hubs import component_note, hub_key, is_component_name, tag_note
from bumper.shapes.left_alone import PLACEHOLDER, is_placeholder, placeholder_whole, untagged_values
from bumper.shapes.nodes import merged_pairs, scalar, text_of
from bumper.shapes.reference import Ignored, IgnoreFn, Reference, WholeRef
from bumper.shapes.shape import Found, Shape

NAME = "argocd"
_IMAGES = "\0argo-images"
_HELM_PARAMETERS = "\0helm-parameters"


def image_strings(seq: SequenceNode, state: Found) -> list[Reference]:
    """`kustomize.images: ["alias=repo:tag", …]`: the part after `alias=` is rewritten."""
    refs: list[Reference] = []
    ignore = state.ignore
    for item in seq.value:
        if type(item) is not ScalarNode:
            continue
        alias, sep, text = str(item.value).rpartition("=")
        parsed = ImageRef.try_parse(text)
        if parsed is not None and not (parsed.tag and is_placeholder(parsed.tag)):
            refs.append(WholeRef("kustomize", item, parsed, prefix=alias + sep))
        elif (key := placeholder_whole(text)) is not None:
            ignore(Ignored(item.start_mark.line + 1, "kustomize", str(item.value), PLACEHOLDER, key))
    return refs


def parameter_refs(seq: SequenceNode, state: Found) -> list[Reference]:
    """Argo CD `helm.parameters`: `{name: image.repository, value: …}` beside
    `{name: image.tag, value: …}` (any prefix) read as one values map; `*.image` holds a whole one."""
    ignore = state.ignore
    groups: dict[str, dict[str, Node]] = {}
    named: dict[int, ScalarNode] = {}  # a parameter's value -> its `name:` scalar
    for item in seq.value:
        if type(item) is not MappingNode:
            continue
        pairs = merged_pairs(item)
        name_node, value = scalar(pairs, "name"), scalar(pairs, "value")
        name = text_of(name_node)
        if name is not None and value is not None and name_node is not None:
            prefix, _, leaf = name.rpartition(".")
            groups.setdefault(prefix, {})[leaf] = value
            named[id(value)] = name_node
    refs: list[Reference] = []
    said = ((prefix, _hub_and_tag(pairs, ignore)) for prefix, pairs in groups.items())
    hubs = {prefix: hub for prefix, hub in said if hub is not None}
    for prefix, hub in hubs.items():  # a hold on the hub's parameter holds a marked tag's move
        tag = groups[prefix]["tag"]
        state.components.marked[id(tag)] = (hub, *((named[id(hub)],) if id(hub) in named else ()))
    for prefix, pairs in groups.items():
        if prefix in hubs:
            continue  # Istio's `global.hub` + `global.tag`: every component's tag, noted
        ref = helm_ref(pairs, ignore)
        if ref is not None:
            parts = (ref.node, ref.digest_node, *ref.name_nodes)
            ref.name_nodes += tuple(named[id(n)] for n in parts if n is not None and id(n) in named)
            refs.append(ref)
            continue
        untagged_values(pairs, prefix, ignore)
        for leaf in pairs:
            whole = scalar(pairs, leaf) if leaf.endswith(("image", "Image")) else None
            text = text_of(whole)
            parsed = ImageRef.try_parse(text) if text else None
            if parsed is not None and not (parsed.tag or parsed.digest) and _tag_beside(pairs, leaf):
                continue  # its tag is a parameter helm_ref left alone (`ambiguous`): no tag to pin
            if parsed is not None and whole is not None:
                names = (named[id(whole)],) if id(whole) in named else ()
                found = WholeRef("helm", whole, parsed, name_nodes=names)
                if hubs and text is not None and is_component_name(leaf, text, parsed):
                    ignore(component_note(found, hubs.get(prefix, next(iter(hubs.values())))))
                    continue  # `pilot.image: pilot` beside `global.hub`: HUB/pilot, no library/pilot
                refs.append(found)
    return refs


def _tag_beside(pairs: dict[str, Node], leaf: str) -> bool:
    """Whether the group names a tag for the image parameter `leaf`, spelled as one of its tag
    keys but for case (`api.imageTag` or `api.ImageTag` beside `api.image`)."""
    wanted = {key.casefold() for key in tag_keys_for(leaf)}
    return any(key.casefold() in wanted for key in pairs)


def _hub_and_tag(pairs: dict[str, Node], ignore: IgnoreFn) -> ScalarNode | None:
    """The `hub` of a parameter group holding Istio's `hub` and `tag` (`global.hub`,
    `global.tag`), its tag noted as a values map's is (shapes/hubs.py); None for any other."""
    hub, tag = scalar(pairs, "hub"), scalar(pairs, "tag")
    if hub is None or tag is None or text_of(hub) is None or hub_key(str(hub.value)) is None:
        return None
    note = tag_note(hub, tag)
    if note is not None:
        ignore(note)
    return hub


SHAPE = Shape(
    NAME,
    contexts={"images": {"kustomize": _IMAGES}, "parameters": {"helm": _HELM_PARAMETERS}},
    sequences={_IMAGES: image_strings, _HELM_PARAMETERS: parameter_refs},
)
