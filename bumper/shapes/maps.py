"""Helm values maps and kustomize `images:` entries: references spread over several keys."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.errors import RefParseError
from bumper.image_ref import ImageRef, split_name
from bumper.shapes.reference import HelmRef, KustomizeRef, Reference, WholeRef


def _scalar(pairs: dict[str, Node], key: str) -> ScalarNode | None:
    node = pairs.get(key)
    return node if isinstance(node, ScalarNode) else None


def _helm_ref(pairs: dict[str, Node]) -> Reference | None:
    repository, tag = _scalar(pairs, "repository"), _scalar(pairs, "tag")
    if repository is None or tag is None:
        return None
    registry, digest = _scalar(pairs, "registry"), _scalar(pairs, "digest")
    name = (
        f"{registry.value}/{repository.value}"
        if registry is not None and registry.value
        else repository.value
    )
    try:
        reg, path = split_name(name)
    except RefParseError:
        return None
    ref = ImageRef(name, reg, path, tag.value or None, (digest.value or None) if digest else None)
    return HelmRef("helm", tag, ref, digest_node=digest)


def _kustomize_entries(seq: SequenceNode, *, argo: bool) -> list[Reference]:
    refs: list[Reference] = []
    for item in seq.value:
        if argo and isinstance(item, ScalarNode):
            alias, sep, text = item.value.rpartition("=")
            ref = ImageRef.try_parse(text)
            if ref is not None:
                refs.append(WholeRef("kustomize", item, ref, prefix=alias + sep))
            continue
        if argo or not isinstance(item, MappingNode):
            continue
        pairs = {k.value: v for k, v in item.value if isinstance(k, ScalarNode)}
        name, new_name = _scalar(pairs, "name"), _scalar(pairs, "newName")
        effective = new_name if new_name is not None else name
        if effective is None:
            continue
        tag, digest = _scalar(pairs, "newTag"), _scalar(pairs, "digest")
        try:
            reg, path = split_name(effective.value)
        except RefParseError:
            continue
        ref = ImageRef(
            effective.value, reg, path, tag.value if tag else None, digest.value if digest else None
        )
        last = max((n for n in (name, new_name, tag) if n is not None), key=lambda n: n.end_mark.index)
        refs.append(
            KustomizeRef(
                "kustomize",
                tag if tag is not None else (name or effective),
                ref,
                mapping=item,
                tag_node=tag,
                digest_node=digest,
                last_value=last,
            )
        )
    return refs
