"""Why a marker comment's line holds no single scalar it could set (a nested map, a list, a
flow map of several values), so the marker is reported unresolved instead of guessed."""

from __future__ import annotations

from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

_MOVE = "put the marker at the end of the line of the one scalar it sets (e.g. `tag:`)"


def value_shape_reason(docs: list[Node], line0: int) -> str | None:
    """The reason for the marker on 0-based `line0` of the file composed as `docs` when the value
    there is a collection, else None."""
    values = _values_on_line(docs, line0)
    flow = any(isinstance(v, CollectionNode) and v.flow_style and v.start_mark.line == line0 for v in values)
    if not flow and any(not isinstance(value, CollectionNode) for value in values):
        return None  # `- image: X # marker`: the scalar is what the marker sets, not the item's map
    for value in values:
        if not isinstance(value, CollectionNode):
            continue
        if value.start_mark.line == line0 and value.flow_style:
            what = "map" if isinstance(value, MappingNode) else "list"
            return f"the value on this line is a flow {what} of several values, not one scalar; {_MOVE}"
        what = "a nested map" if isinstance(value, MappingNode) else "a list"
        return f"the value on this line is {what}, not a scalar; {_MOVE}"
    return None


def _values_on_line(docs: list[Node], line0: int) -> list[Node]:
    """The values whose key (or list dash) is on `line0`: what a marker there would set."""
    found: list[Node] = []
    seen: set[int] = set()
    stack = list(docs)
    while stack:
        node = stack.pop()
        if id(node) in seen or node.start_mark.line > line0:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if key.start_mark.line == line0:
                    found.append(value)
                stack.extend((key, value))
        elif isinstance(node, SequenceNode):
            for item in node.value:
                if item.start_mark.line == line0 and not isinstance(item, ScalarNode):
                    found.append(item)
                stack.append(item)
    return found
