"""Why a marker comment's line holds no single scalar it could set (a nested map, a list, a
flow map of several values, a line of a block string read as text), so the marker is reported
unresolved instead of guessed."""

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


def in_text_block(docs: list[Node], line0: int, read_as_yaml: set[int]) -> str | None:
    """The reason for a marker on 0-based `line0` inside a `|`/`>` block string (a TOML, INI or
    Go template configuration held in `config: |`): its `#` is the block's text, not a YAML
    comment, and bumper edits no line of a block it reads as text. None elsewhere, and in a
    block whose node (by id) is in `read_as_yaml` (one holding references bumper read)."""
    seen: set[int] = set()
    stack = list(docs)
    while stack:
        node = stack.pop()
        if id(node) in seen or node.start_mark.line > line0 or node.end_mark.line < line0:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if node.style in ("|", ">") and node.start_mark.line < line0 and id(node) not in read_as_yaml:
                return (
                    "the marker is inside a block string that bumper reads as text (another "
                    "configuration language, a template), not YAML: it moves nothing there; "
                    "edit that line by hand, or keep the image in a YAML value of its own"
                )
        elif isinstance(node, MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
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
