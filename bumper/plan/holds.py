"""Which references of a file a hold reaches: its own line, or any use of an anchored value.

A reference is held when a `# bumper: hold` line or a `.bumper.yaml` hold rule holds it, or
when a value it would edit is also used (through an anchor or alias) by a held reference or on
a held line: one edit of an anchored value changes every use, so none of them may move.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from yaml.nodes import SequenceNode

from bumper.plan.rules import RunRules, held_lines
from bumper.shapes.markers import MarkedPart
from bumper.shapes.reference import Block, Reference
from bumper.yaml_edit import MappingNode, Node, ScalarNode, Source

if TYPE_CHECKING:  # loaded by a file with a hold only (tests/import_budget_test.py)
    from bumper.plan.anchor_uses import AnchorUses


def edited_nodes(ref: Reference) -> list[Node]:
    """The nodes a rewrite of `ref` may change: its scalar, a digest beside it, and a kustomize
    entry that would gain a `newTag`/`digest` key; and a scalar it must move with (a `version:`
    repeating the tag of the `image:` beside it), so a hold on either holds both. For a
    reference inside YAML held in a block string, its inner document's nodes."""
    return [ref.node, *ref.innermost().moves_with()]


def _used_nodes(ref: Reference) -> list[Node]:
    """edited_nodes, the scalar whose text it is part of (a CEL expression), and the block
    strings holding the reference: a block used again through an alias (`values: *v`) is the
    same text, so a hold on that use holds what is inside."""
    return [*edited_nodes(ref), *ref.innermost().shared_text(), *(block.node for block in ref.blocks())]


def _with_blocks(uses: AnchorUses, refs: Sequence[Reference]) -> AnchorUses:
    """`uses` and those of every document held in a block string that `refs` are in, at the
    file's line numbers."""
    from bumper.plan.anchor_uses import anchor_uses

    seen: set[int] = set()
    for ref in refs:
        for block in ref.blocks():
            if id(block.source) not in seen:
                seen.add(id(block.source))
                uses.add(anchor_uses(block.source.text, block.docs), block.shift)
    return uses


def held_references(
    source: Source,
    docs: list[Node],
    found: Sequence[Reference],
    rules: RunRules,
    shared: Sequence[Reference] = (),
) -> dict[int, list[int]]:
    """For each held reference of `found` (by id): the lines to report it at, its own line and
    every alias through which the value it would edit is used. `shared` are the references
    find_references reported once (another map reaching an anchored tag already found)."""
    marked = held_lines(source.text)
    by_rule = any(rule.hold for rule in rules.policy.rules)
    if not marked and not by_rule:
        return {}
    from bumper.plan.anchor_uses import anchor_uses

    uses = anchor_uses(source.text, docs)
    if "&" in source.text:  # none in the file: none in a block string either
        uses = _with_blocks(uses, [*found, *shared])
    group = move_together([*found, *shared])
    held_groups: set[int] = set()
    under = _held_collections(docs, marked) if marked else frozenset()
    for ref in [*found, *shared]:
        if _held_here(ref, _used_nodes(ref), uses, marked | under) or (
            by_rule and _held_by_rule(rules, source.path, ref)
        ):
            held_groups.add(group[id(ref)])
    out: dict[int, list[int]] = {}
    for ref in found:
        if group[id(ref)] in held_groups:
            nodes = _used_nodes(ref)
            tied = ref.innermost().tied()  # reported where its own value is used
            aliases = {line for node in nodes if node is not tied for line in uses.alias_lines(node)}
            out[id(ref)] = sorted({ref.line, *aliases})
    return out


def move_together(refs: Sequence[Reference]) -> dict[int, int]:
    """Each reference's group (by id): references that edit a node in common move together or
    not at all, and so, in turn, do those sharing a node with any of them (an image and the
    `version:` repeating its tag, that `version:` merged into another map beside its own image)."""
    parent: dict[int, int] = {}

    def root(key: int) -> int:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for ref in refs:
        for node in edited_nodes(ref):
            parent[root(id(node))] = root(id(ref))
    return {id(ref): root(id(ref)) for ref in refs}


def _held_here(ref: Reference, nodes: list[Node], uses: AnchorUses, marked: frozenset[int]) -> bool:
    """A hold marker on a line of the reference's own (the scalar it rewrites, the digest and
    the name beside it), or on any line where a value it edits is used."""
    if ref.line in marked or not marked.isdisjoint(_own_lines(ref)):
        return True
    return any(not marked.isdisjoint(uses.lines(node)) for node in nodes if uses.reached(node))


def _held_collections(docs: list[Node], marked: frozenset[int]) -> frozenset[int]:
    """The lines of each map or list whose key's line holds (`image:  # bumper: hold` above a
    Helm map, `containers:  # bumper: hold`): a hold there holds everything written under it,
    as whoever wrote it meant, rather than nothing."""
    lines: set[int] = set()
    seen: set[int] = set()
    stack = list(docs)
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, (MappingNode, SequenceNode)):
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack += node.value
            continue
        for key, value in node.value:
            if isinstance(value, (MappingNode, SequenceNode)):
                if key.start_mark.line + 1 in marked:
                    end = value.end_mark  # a block collection ends where the next line starts
                    last = end.line if end.column == 0 else end.line + 1
                    lines.update(range(value.start_mark.line + 1, last + 1))
                stack.append(value)
    return frozenset(lines)


def _own_lines(ref: Reference) -> set[int]:
    """The file's lines of the scalars a reference is made of: its rewritten scalar, a digest
    and a tied `image:` it moves with, and the `repository:`/`registry:` (a kustomize entry's
    `name:`/`newName:`) naming its image, so `repository: app  # bumper: hold` holds the map."""
    inner = ref.innermost()
    blocks = ref.blocks()
    shift = blocks[-1].shift if blocks else 0  # a node of YAML held in a block string
    parts = [*edited_nodes(ref), *inner.name_nodes]
    own = {line + 1 + shift for node in parts if isinstance(node, ScalarNode) for line in _lines_of(node)}
    return own | _header_lines(blocks)


def _header_lines(blocks: list[Block]) -> set[int]:
    """The file's lines of the `|` headers of the block strings a reference sits in (outermost
    first): `podspec.yaml: |  # bumper: hold` holds what the block holds, as a hold on an alias
    of the block (`values: *v  # bumper: hold`) does."""
    shifts = [0, *(block.shift for block in blocks)]
    return {block.node.start_mark.line + 1 + shift for block, shift in zip(blocks, shifts)}


def _lines_of(node: ScalarNode) -> range:
    """The 0-based lines a scalar spans: a quoted or plain one folded over several lines ends
    on a later line, where a comment after it sits (a block scalar's end is the next line's start)."""
    start, end = node.start_mark, node.end_mark
    last = end.line - 1 if end.column == 0 and end.line > start.line else end.line
    return range(start.line, last + 1)


def _held_by_rule(rules: RunRules, relpath: str, ref: Reference) -> bool:
    """A hold rule on the reference's image, or on the image its line runs (a marked tag)."""
    keys = [ref.ref.key, ref.innermost().runs_image()]
    return any((rule := rules.policy.rule_for(relpath, key)) is not None and rule.hold for key in keys if key)


def shared_with_other_images(found: Sequence[Reference], shared: Sequence[Reference]) -> dict[int, str]:
    """The references whose edit would also move another image (two Helm maps of different
    repositories sharing one anchored tag or digest, or a `version:` merged beside two images),
    or another map of the image onto another variant (an empty tag two maps share, each
    appending its own `tagLabel`/`variant`),
    by id, with that image's name; every reference that must move with one of them is named
    too, and `shared` references of another image come back, so a REF naming them is found and
    told why it is skipped."""
    refs = [*found, *shared]
    group = move_together(refs)
    keys: dict[int, set[str]] = {}
    runs: dict[int, set[str | None]] = {}
    for ref in refs:
        if ref.ref.registry:  # a Flux-marked tag names no image itself: the map it sits in does
            keys.setdefault(group[id(ref)], set()).add(ref.ref.key)
        if not ref.ref.tag and not ref.ref.digest:  # an empty tag: the chart's appVersion
            runs.setdefault(group[id(ref)], set()).add(ref.innermost().untagged_runs)
    named = _names_read_elsewhere(refs, group)
    out: dict[int, str] = {}
    for ref in refs:
        images = keys.get(group[id(ref)], set())
        if len(images) > 1:
            others = sorted(k for k in images if k != ref.ref.key)
            out[id(ref)] = f"shared-anchor: the anchored value is also {', '.join(others)}'s"
        elif len(runs.get(group[id(ref)], ())) > 1:
            out[id(ref)] = _TWO_VARIANTS
        elif group[id(ref)] in named:
            out[id(ref)] = _NAME_ELSEWHERE.format(line=named[group[id(ref)]])
    return out


def _names_read_elsewhere(refs: Sequence[Reference], group: dict[int, int]) -> dict[int, int]:
    """The groups editing a scalar that another reference reads only as its image's name (an
    anchored `image:` that is one map's repository beside its `imageTag`, and, through an
    alias, another map's whole untagged image), each with that reference's line: a tag
    appended there would be rendered twice by the first map (`web:v2:v2`)."""
    names = {id(node): ref for ref in refs for node in ref.innermost().name_nodes}
    out: dict[int, int] = {}
    for ref in refs:
        inner = ref.innermost()
        if isinstance(inner, MarkedPart) and inner.part == "name":
            continue  # a marked name is kept as spelled: nothing is written there
        for node in edited_nodes(ref):
            owner = names.get(id(node))
            if owner is not None and group[id(owner)] != group[id(ref)]:
                out.setdefault(group[id(ref)], owner.line)
    return out


# An anchored image name that one map reads as its repository (its tag kept apart) and another,
# through an alias, as its whole reference: a tag written into it would be the first map's twice.
_NAME_ELSEWHERE = (
    "shared-anchor: the anchored value is also the image name of the map whose tag is at line "
    "{line}: a tag written there would be rendered twice; give each map a value of its own"
)


# An empty tag two maps share (an anchor, a merge key), each appending its own variant to the
# appVersion it stands for (`tagLabel: jdk21` and `tagLabel: alpine-jdk21`, `variant: cluster`
# and none): a tag written there is both maps', so one of them would change variant.
_TWO_VARIANTS = (
    "shared-anchor: the anchored empty tag is also that of a map running another variant "
    "(its tagLabel or variant differs): a tag written there would change one map's variant; "
    "give each map a tag of its own"
)


def with_other_images(
    refs: Sequence[Reference], shared: Sequence[Reference], crossed: dict[int, str]
) -> list[Reference]:
    """`refs` and, once per node and image, the `shared` references of another image that
    `crossed` (shared_with_other_images) names, in file order: what a plan or a scan reports."""
    listed = {(id(r.node), r.ref.key) for r in refs}
    out = list(refs)
    for ref in shared:
        if id(ref) in crossed and (id(ref.node), ref.ref.key) not in listed:
            listed.add((id(ref.node), ref.ref.key))
            out.append(ref)
    return sorted(out, key=lambda r: r.position)
