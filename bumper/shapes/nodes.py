"""Reading composed YAML the way every shape does: scalar tags, a scalar's text, merge keys resolved."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"


def scalar(pairs: dict[str, Node], key: str) -> ScalarNode | None:
    node = pairs.get(key)
    return node if type(node) is ScalarNode else None


def text_of(node: ScalarNode | None) -> str | None:
    """A scalar's string value; None for a null (`~`, empty) or a non-string (number, bool)."""
    if node is None or node.tag != STR_TAG:
        return None
    return str(node.value)


def merged_pairs(mapping: MappingNode, depth: int = 0) -> dict[str, Node]:
    """The mapping's keys with YAML merge keys (`<<: *base`) resolved; own keys win, and the
    nodes stay the anchored ones, so an edit lands where the value is written, once."""
    pairs: dict[str, Node] = {}
    merged: list[Node] = []
    for key, value in mapping.value:
        if type(key) is not ScalarNode:
            continue
        if key.tag == MERGE_TAG:
            merged.extend(value.value if type(value) is SequenceNode else [value])
        else:
            pairs[key.value] = value
    if depth < 20:
        for base in merged:
            if type(base) is MappingNode:
                for name, value in merged_pairs(base, depth + 1).items():
                    pairs.setdefault(name, value)
    return pairs
