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
    """Per anchored node: the 1-based lines of its anchor and of its aliases (`own`); per node
    inside an anchored value: the anchored nodes whose value holds it (`containers`, itself
    included). A value is used wherever any of its containers is. Nodes outside every anchored
    value have no entry."""

    own: dict[int, tuple[set[int], set[int]]] = field(default_factory=dict)
    containers: dict[int, frozenset[int]] = field(default_factory=dict)

    def reached(self, node: Node) -> bool:
        return id(node) in self.containers

    def lines(self, node: Node) -> set[int]:
        """Every line where `node`'s value is used: its anchors' and their aliases'."""
        out: set[int] = set()
        for anchored in self.containers.get(id(node), ()):
            anchors, aliases = self.own[anchored]
            out |= anchors | aliases
        return out

    def alias_lines(self, node: Node) -> set[int]:
        return {line for a in self.containers.get(id(node), ()) for line in self.own[a][1]}

    def add(self, other: AnchorUses, shift: int) -> None:
        """Take in the uses of a document held in a block string, whose line numbers are the
        file's less `shift` (its nodes are its own, so none is named twice)."""
        for key, (anchors, aliases) in other.own.items():
            self.own[key] = ({line + shift for line in anchors}, {line + shift for line in aliases})
        self.containers.update(other.containers)


def anchor_uses(text: str, docs: list[Node]) -> AnchorUses:
    """The uses of every anchored value of `text` (composed as `docs`)."""
    out = AnchorUses()
    if "&" not in text:
        return out
    anchor_lines, alias_lines = _event_uses(text)
    if not anchor_lines:
        return out
    nodes = _anchored_nodes(docs, set(anchor_lines))
    out.own = {id(node): (anchor_lines[key], alias_lines.get(key, set())) for key, node in nodes.items()}
    for doc in docs:
        _spread(doc, out)
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


def _spread(root: Node, out: AnchorUses) -> None:
    """Give every node below an anchored one the set of anchored nodes holding it, on every path
    (a value inside an aliased mapping is used wherever that mapping is). A node is walked again
    only when a path brings a container it did not have, so each alias costs one set lookup."""
    empty: frozenset[int] = frozenset()
    stack: list[tuple[Node, frozenset[int]]] = [(root, empty)]
    while stack:
        node, above = stack.pop()
        if id(node) in out.own:
            above = above | {id(node)}
        if not above:
            stack.extend((child, above) for child in _children(node))
            continue
        had = out.containers.get(id(node))
        if had is not None and above <= had:
            continue  # nothing new on this path (also ends a recursive alias)
        merged = above if had is None else had | above
        out.containers[id(node)] = merged
        stack.extend((child, merged) for child in _children(node))
