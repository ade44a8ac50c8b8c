"""Where each YAML value is used through anchors and aliases, so a hold on any use holds it.

An anchored value is one node however many aliases name it: editing it edits every use. A
`# bumper: hold` on the line of any use (the anchor, an alias of it, or an alias of a mapping
or list that holds it, as `<<: *base`) must therefore hold the value everywhere. The composed
graph does not keep alias positions, so the parser's events are read once more for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.yaml_edit import parse_events

_KINDS: dict[type, type] = {
    yaml.ScalarEvent: ScalarNode,
    yaml.MappingStartEvent: MappingNode,
    yaml.SequenceStartEvent: SequenceNode,
}
_Key = tuple[type, int]  # (node class, start index): unique for a node carrying an anchor


@dataclass
class AnchorUses:
    """Per node reached through an anchor: the 1-based lines of its uses (`anchors`: where it
    or a collection holding it is anchored; `aliases`: where an alias names it or such a
    collection). Nodes outside every anchored value have no entry."""

    anchors: dict[int, set[int]] = field(default_factory=dict)
    aliases: dict[int, set[int]] = field(default_factory=dict)

    def lines(self, node: Node) -> set[int]:
        """Every line where `node`'s value is used (its own line included)."""
        return {node.start_mark.line + 1, *self.anchors.get(id(node), ()), *self.aliases.get(id(node), ())}

    def alias_lines(self, node: Node) -> set[int]:
        return set(self.aliases.get(id(node), ()))


def anchor_uses(text: str, docs: list[Node]) -> AnchorUses:
    """The uses of every anchored value of `text` (composed as `docs`)."""
    out = AnchorUses()
    if "&" not in text:
        return out
    anchor_lines, alias_lines = _event_uses(text)
    if not anchor_lines:
        return out
    nodes = _anchored_nodes(docs, set(anchor_lines))
    own = {
        id(node): (anchor_lines[key], alias_lines.get(key, set()))
        for key, node in nodes.items()
        if key in anchor_lines
    }
    for doc in docs:
        _spread(doc, (frozenset(), frozenset()), own, out)
    return out


def _event_uses(text: str) -> tuple[dict[_Key, set[int]], dict[_Key, set[int]]]:
    """Per anchored node (by kind and start): the lines of its anchor and of its aliases."""
    anchors: dict[_Key, set[int]] = {}
    aliases: dict[_Key, set[int]] = {}
    current: dict[str, _Key] = {}  # anchor name -> node, within one document
    for event in parse_events(text):
        mark = event.start_mark
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.DocumentStartEvent):
            current = {}
        elif mark is None or anchor is None:
            continue
        elif isinstance(event, yaml.AliasEvent):
            target = current.get(str(anchor))
            if target is not None:
                aliases.setdefault(target, set()).add(mark.line + 1)
        else:
            key = (_KINDS[type(event)], mark.index)
            current[str(anchor)] = key
            anchors.setdefault(key, set()).add(mark.line + 1)
    return anchors, aliases


def _anchored_nodes(docs: Iterable[Node], wanted: set[_Key]) -> dict[_Key, Node]:
    found: dict[_Key, Node] = {}
    seen: set[int] = set()
    stack = list(docs)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        key = (type(node), node.start_mark.index)
        if key in wanted:
            found[key] = node
        stack.extend(_children(node))
    return found


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


Uses = tuple[frozenset[int], frozenset[int]]


def _spread(root: Node, start: Uses, own: dict[int, tuple[set[int], set[int]]], out: AnchorUses) -> None:
    """Give every node below an anchored one the uses of each anchored node above it, on every
    path (a value inside an aliased mapping is used wherever that mapping is)."""
    stack: list[tuple[Node, Uses]] = [(root, start)]
    while stack:
        node, (anchors, aliases) = stack.pop()
        mine = own.get(id(node))
        if mine is not None:
            anchors, aliases = anchors | mine[0], aliases | mine[1]
        if not anchors:
            stack.extend((child, (anchors, aliases)) for child in _children(node))
            continue
        had_anchors = out.anchors.setdefault(id(node), set())
        had_aliases = out.aliases.setdefault(id(node), set())
        if anchors <= had_anchors and aliases <= had_aliases:
            continue  # nothing new on this path (also ends a recursive alias)
        had_anchors |= anchors
        had_aliases |= aliases
        stack.extend((child, (anchors, aliases)) for child in _children(node))
