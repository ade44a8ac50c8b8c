"""One walk over composed YAML that reports every reference, in file order: it visits each
collection once and asks only the shapes of shapes/table.py that can apply to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.changes import reason_word
from bumper.shapes.helm import off_ambiguous_tags
from bumper.shapes.hubs import HUB_AND_TAG
from bumper.shapes.left_alone import NO_TAG
from bumper.shapes.markers import NAME as MARKER
from bumper.shapes.markers import MarkedPart, find_markers, without_tagless_marks
from bumper.shapes.reference import Ignored, IgnoreFn, Reference
from bumper.shapes.shape import SKIP, Found
from bumper.shapes.table import DISPATCH, learn
from bumper.yaml_edit import Repeats, Source, check_unique_keys, compose_all, duplicate_key

Marks = dict[int, tuple[str, str, str]]  # 0-based line -> (target, part, marker kind)


class FileReferences(NamedTuple):
    """One file composed and walked: its documents, its references, the values left alone, and
    the references reached again through an anchor (find_references' `ignored` and `shared`)."""

    docs: list[Node]
    found: list[Reference]
    notes: list[Ignored]
    shared: list[Reference]


def read_references(source: Source) -> FileReferences:
    """Compose `source` and find its references in one go; raises ManifestError."""
    notes: list[Ignored] = []
    shared: list[Reference] = []
    docs = compose_all(source)
    return FileReferences(docs, find_references(source, docs, notes, shared), notes, shared)


def find_references(
    source: Source,
    docs: list[Node],
    ignored: list[Ignored] | None = None,
    shared: list[Reference] | None = None,
) -> list[Reference]:
    """Every image reference in the file, in file order; an aliased node is reported once.

    Values that look like part of a reference but may not be rewritten go to `ignored`; a
    further reference through a node already reported (two Helm maps sharing an anchored tag)
    goes to `shared`, so a hold on it can hold the node."""
    marks = find_markers(source)
    sink: list[Ignored] = ignored if ignored is not None else []
    found: list[Reference] = []
    on_marker_line: dict[int, list[int]] = {}  # line -> the marked references on it
    displaced: dict[int, list[Reference]] = {}  # a marked scalar -> the shapes' references of it
    ignore, tabled = _once(sink), dict[int, Ignored]()
    add = _reporter(found, marks, shared, on_marker_line, displaced, (tabled, ignore))
    state = Found(source, add, ignore, found, sink, find_references, shared, tabled=tabled)
    file_name = source.path.rsplit("/", 1)[-1]
    seen: set[int] = set()
    for doc in docs:
        context = _root_context(doc, file_name)
        if context == SKIP:
            continue
        for document in DISPATCH.documents:
            for ref in document(source, doc, state.ignore):
                add(ref)
        _walk(doc, context, state, marks, seen)
        state.components.flush(add, state.ignore)  # Istio's `image: pilot`: its hub's, or a reference
    state.untagged.flush(state.ignore)
    found[:] = state.components.off_hub_tags(found, state.ignore)  # an Istio tag: held, or not moved
    found[:] = off_ambiguous_tags(found, sink, state.ignore)  # another map's, left alone
    if shared:
        shared[:] = off_ambiguous_tags(
            state.components.off_hub_tags(shared, state.ignore), sink, state.ignore
        )
    if marks:  # a marker on the line of a name without a tag (or of a hub's tag, an Argo CD
        # parameter's) says what becomes of it: no note
        sink[:] = [n for n in sink if not (reason_word(n.reason) in _MARKED_AWAY and n.line - 1 in marks)]
    if shared is not None:  # a marked scalar several maps use (an anchored tag): each map's image
        shared += [ref for refs in displaced.values() if len(refs) > 1 for ref in refs]  # moves with it
    # A marker on a line of several values (a flow map `{repository: …, tag: …}`) names none of
    # them for sure: it is left unresolved (bumper.plan.marker_lines says why), never guessed.
    several = {i for ids in on_marker_line.values() if len(ids) > 1 for i in ids}
    result = [r for r in found if id(r) not in several] if several else found
    if marks:
        result = without_tagless_marks(_without_whole_markers_on_names(result, state.ignore), state.ignore)
    result.sort(key=lambda r: r.position)
    if state.repeats:
        _refuse_edits_of_repeats(source, [*result, *(shared or ())], state.repeats)
    return result


_MARKED_AWAY = frozenset({NO_TAG, HUB_AND_TAG})


def _refuse_edits_of_repeats(source: Source, refs: list[Reference], repeats: Repeats) -> None:
    """A reference written in a value its key says twice fails as a repeated key does: an edit
    of one would leave two values, and tools differ on which wins."""
    for ref in refs:
        for node in (ref.node, *ref.name_nodes, *ref.moves_with()):
            if id(node) in repeats:
                raise duplicate_key(source, *repeats[id(node)])


# The scalars a `block` hook is asked about: `|` blocks, and quoted strings (a kustomize
# `patch: '[{"op": …}]'`); a plain or folded `>` string is text.
_BLOCK_STYLES = frozenset({"|", "'", '"'})
_ON_A_NAME = (
    "marker-on-name: a whole-reference marker on the name of a Helm map or kustomize entry whose "
    "tag is written elsewhere would write a tag into the name; mark it `:name` and the tag `:tag`"
)


def _without_whole_markers_on_names(found: list[Reference], ignore: IgnoreFn) -> list[Reference]:
    """`found` less the whole-reference markers on a scalar another reference names its image
    by (`repository: ghcr.io/acme/app # {"$bumper": "ghcr.io/acme/app"}` beside `tag:`): the
    chart would run `app:v2:v2`. Each is noted instead; the map's own tag still moves."""
    names = {id(node) for ref in found if ref.shape != MARKER for node in ref.name_nodes}
    if not names:
        return found
    kept = []
    for ref in found:
        whole = ref.shape == MARKER and getattr(ref, "part", "whole") == "whole"
        if whole and id(ref.node) in names:
            ignore(Ignored(ref.line, MARKER, str(ref.node.value), _ON_A_NAME, ref.ref.key or None))
            continue
        kept.append(ref)
    return kept


def _walk(doc: Node, context: str | None, state: Found, marks: Marks, seen: set[int]) -> None:
    """Visit each collection of `doc` once. Only collections go on the stack; scalars are
    judged where their parent lists them, which keeps this walk cheap next to the composer."""
    dispatch = DISPATCH
    sequences, contexts, block = dispatch.sequences, dispatch.contexts, dispatch.block
    learnt = dispatch.learnt
    add, ignore, source = state.add, state.ignore, state.source
    stack: list[tuple[Node, str | None]] = [(doc, context)]
    while stack:
        node, context = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is SequenceNode:
            reader = sequences.get(context) if context is not None else None
            if reader is not None:
                for ref in reader(node, state):
                    add(ref)
            for item in node.value:
                if type(item) is not ScalarNode:
                    stack.append((item, context))
                elif marks and item.start_mark.line in marks:
                    add(_marked(item, marks, ignore))
            continue
        if type(node) is not MappingNode:
            continue
        keys = [k.value for k, _ in node.value if type(k) is ScalarNode]
        names = set(keys)
        if len(names) != len(keys):
            check_unique_keys(source, node, state.repeats)
        if not names <= learnt.names:
            learn(dispatch, names)
        claimed = () if learnt.asking.isdisjoint(names) else _ask_mappings(node, keys, context, state)
        scalars = learnt.scalars
        for key, value in node.value:
            name = key.value if type(key) is ScalarNode else None
            if type(value) is ScalarNode:
                if name is not None and value not in claimed:  # Node has no __eq__: identity
                    scalar = scalars.get(name)
                    if scalar is None and name not in learnt.names:
                        # forgotten past MAX_LEARNT by a walk nested in this mapping's (an
                        # embedded document's): learnt again, not taken for a key no hook reads
                        learn(dispatch, {name})
                        scalar = scalars.get(name)
                    if scalar is not None:
                        scalar(value, name, context, state)
                    elif block is not None and value.style in _BLOCK_STYLES:
                        block(value, name, context, state)
                if marks and value.start_mark.line in marks:
                    add(_marked(value, marks, ignore))
                continue
            # The child's context: one a shape gives its key under this context, else the key
            # (inline: this runs for every collection of a file).
            child = name
            if name is not None and context is not None:
                by_parent = contexts.get(name)
                if by_parent is not None:
                    child = by_parent.get(context, name)
            stack.append((value, child))


def _ask_mappings(node: MappingNode, keys: list[str], context: str | None, state: Found) -> tuple[Node, ...]:
    """Ask the mapping hooks in table order until one claims the mapping; the scalars it claims."""
    for trigger, suffixes, mapping in DISPATCH.mappings:
        if not trigger.isdisjoint(keys) or (suffixes and any(k.endswith(suffixes) for k in keys)):
            claim = mapping(node, keys, context, state)
            if claim is not None:
                return claim.scalars
    return ()


def _root_context(doc: Node, file_name: str) -> str | None:
    """The context a document's root mapping is walked under, from its `apiVersion` and the
    file's name; SKIP when any shape says the document holds no image to run."""
    if type(doc) is not MappingNode:
        return None
    api = ""
    for key, value in doc.value:
        if type(key) is ScalarNode and key.value == "apiVersion" and type(value) is ScalarNode:
            api = str(value.value)
            break
    contexts = [c for root in DISPATCH.roots if (c := root(api, file_name)) is not None]
    if SKIP in contexts:
        return SKIP
    return contexts[0] if contexts else None


def _marked(node: ScalarNode, marks: Marks, ignore: IgnoreFn) -> Reference | None:
    target, part, kind = marks[node.start_mark.line]
    reader = DISPATCH.marked.get(kind)
    return reader(node, target, part, ignore) if reader is not None else None


def _reporter(
    found: list[Reference],
    marks: Marks,
    shared: list[Reference] | None,
    on_marker_line: dict[int, list[int]],
    displaced: dict[int, list[Reference]],
    tabled: tuple[dict[int, Ignored], IgnoreFn],
) -> Callable[[Reference | None], None]:
    """`add` for one walk: a node is reported once (a further reference through it goes to
    `shared`), a marker on the line wins over the shape a scalar would otherwise have (the
    shapes' references it displaces go to `displaced`), and a version table's image is noted
    (`tabled`: its notes by node, and where to note them) unless a marker is on its line."""
    reported: set[int] = set()
    marked: dict[int, Reference] = {}  # a marked scalar -> its marker's reference
    notes, ignore = tabled

    def add(ref: Reference | None) -> None:
        if ref is None:
            return
        if notes and id(ref.node) in notes and ref.node.start_mark.line not in marks:
            ignore(notes[id(ref.node)])
            return
        if ref.node.start_mark.line in marks:
            if ref.shape != MARKER:  # the marker wins, and moves with what the shape's moved with
                others = displaced.setdefault(id(ref.node), [])
                others.append(ref)
                if len(others) == 1:  # the first map's (another reaching it through an alias moves too)
                    _inherit(marked.get(id(ref.node)), ref, marks)
                return
            if id(ref.node) not in reported:
                marked[id(ref.node)] = ref
                _inherit(ref, displaced.get(id(ref.node), [None])[0], marks)
        if id(ref.node) in reported:
            if shared is not None:
                shared.append(ref)
            return
        if ref.node.start_mark.line in marks:
            on_marker_line.setdefault(ref.node.start_mark.line, []).append(id(ref))
        reported.add(id(ref.node))
        found.append(ref)

    return add


def _inherit(marker: Reference | None, shape: Reference | None, marks: Marks) -> None:
    """A marked tag (MarkerPartRef, PolicyRef) takes what the reference of its Helm map,
    kustomize entry or `version:` beside an image moved with: the `digest:` pinning it, when no
    marker sets that (it moves with the tag; a REF without a digest is refused), and the
    `image:` it repeats the tag of (a hold on either holds both)."""
    if not isinstance(marker, MarkedPart) or shape is None or marker.part != "tag":
        return
    marker.name_nodes = shape.name_nodes  # a hold on the map's `repository:` line holds the tag
    if shape.ref.registry:  # the image the map runs, which a hold rule may name (plan/holds.py)
        marker.runs = shape.ref.key
    tied = shape.tied()
    if tied is not None:
        marker.tied_node = tied
    digest = getattr(shape, "digest_node", None)
    if digest is None or shape.ref.digest is None or digest.start_mark.line in marks:
        return
    marker.digest_node = digest
    if marker.ref.registry:  # a $bumper marker names its image: judged as pinned (plan.versions)
        marker.ref = marker.ref._replace(digest=str(digest.value))


def _once(sink: list[Ignored]) -> IgnoreFn:
    """`sink.append` that notes a value once: a map merged into others (`<<: *base`) is seen
    once per map that merges it, and a marked `image:` placeholder by the container shape and
    the marker alike (the first shape's note is kept)."""
    noted: set[Ignored] = set()

    def ignore(note: Ignored) -> None:
        same = note._replace(shape="")
        if same not in noted:
            noted.add(same)
            sink.append(note)

    return ignore
