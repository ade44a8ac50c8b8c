"""Shape `container` in CEL: the `image: "REF"` a Kubernetes `MutatingAdmissionPolicy` (or a
Kyverno `MutatingPolicy`) writes into the objects it mutates, inside a mutation's `expression`
string; each reference is its own part of that one scalar, edited in place."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from yaml import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.changes import explained
from bumper.image_ref import ImageRef
from bumper.shapes.cel_text import cel_strings_and_comments
from bumper.shapes.nodes import merged_pairs, scalar, text_of
from bumper.shapes.reference import Ignored, IgnoreFn, Reference
from bumper.shapes.shape import Shape
from bumper.yaml_edit import STR_TAG, Edit, Plan, Source, scalar_start

NAME = "cel"  # the table's name for this shape
REPORTED = "container"  # what a change and scan say: the image a container runs
# The objects whose `spec.mutations[]` hold CEL mutations: Kubernetes' own (1.32+) and Kyverno's.
_KINDS = {
    "admissionregistration.k8s.io": "MutatingAdmissionPolicy",
    "policies.kyverno.io": "MutatingPolicy",
}
_MUTATIONS = ("applyConfiguration", "jsonPatch")  # each holds one CEL `expression`
# A field `image` set to a CEL string literal (`Object.spec.containers{image: "REF"}`), or a map
# key `"image"` (a container written as a map, `{"name": "sidecar", "image": "REF"}`), or the
# `value` of a `JSONPatch{op: …, path: ….."/image", value: "REF"}` whose path ends in `/image`
# (Kyverno's update-image-tag sample, its path built with `+ string(index) +`; the value may come
# first, `JSONPatch{op: …, value: "REF", path: ….."/image"}`, and the op between them, CEL's
# fields have no order):
# `imagePullPolicy:`, `c.image.startsWith("…")`, another JSONPatch's `value:` are not read, nor
# the value of a JSONPatch whose `op` is no `add`/`replace` (a `test` compares: moving it would
# make the patch wait for the new image), as in a kustomize JSON 6902 patch.
_PATH_IMAGE = r"""path\s*:\s*[^,{{}}]*?/image{quote}"""  # a path whose last literal ends in /image
# The JSONPatch's `op` between its path and value (`JSONPatch{value: …, op: …, path: …}`):
# _sets_value reads it wherever it is between the braces.
_OP_BETWEEN = r"""(?:op\s*:\s*{quote}\w+{quote}\s*,\s*)?"""
_PATCH = (  # the path, then its value; or the value, then that path (`JSONPatch{op, value, path}`)
    _PATH_IMAGE
    + r"""\s*,\s*"""
    + _OP_BETWEEN
    + r"""value|value(?=\s*:\s*{quote}[^"'\\\s]+{quote}\s*,\s*"""
    + _OP_BETWEEN
    + _PATH_IMAGE
    + r"""\s*[,}}])"""
)
_IMAGE_FIELD = re.compile(
    r"""(?<![\w.])(?:image|"image"|'image'|"""
    + _PATCH.format(quote="[\"']")
    + r""")\s*:\s*(["'])([^"'\\\s]+)\1"""
)
_PATCH_OP = re.compile(r"""(?<![\w.])op\s*:\s*(["'])(\w+)\1""")  # in the value: CEL's own quotes
_SETS = frozenset({"add", "replace"})  # as container.py's: the JSON 6902 operations writing a value
# The same field as a quoted YAML scalar's text writes it: CEL's `"` is `\"` in a double-quoted
# scalar, its `'` is `''` in a single-quoted one (the literal itself holds no quote nor escape).
_IN_TEXT = {
    '"': re.compile(
        r"""(?<![\w.])(?:image|\\"image\\"|'image'|"""
        + _PATCH.format(quote="(?:\\\\\"|')")
        + r""")\s*:\s*(\\"|')([^"'\\\s]+)\1"""
    ),
    "'": re.compile(
        r"""(?<![\w.])(?:image|"image"|''image''|"""
        + _PATCH.format(quote="(?:''|\")")
        + r""")\s*:\s*(''|")([^"'\\\s]+)\1"""
    ),
}
# The reason an expression's literals are left: the file writes them with a YAML escape inside.
ESCAPED = explained(
    "escaped",
    "the expression's YAML text writes this image with an escape (\\x, \\u, a line break) bumper "
    "does not edit; write it plainly in the file to have it moved",
)
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # YAML's, as the parser counts lines


@dataclass(frozen=True)
class Expression:
    """One `expression` scalar and where each `image:` literal of it is, in its value and in
    the file's text: (value start, value end, text start, text end)."""

    node: ScalarNode
    spans: tuple[tuple[int, int, int, int], ...]

    def value_after(self, plan: Plan) -> str:
        """The scalar's value once the plan's edits of its literals are made (the re-parse must
        read exactly this)."""
        written = {(e.start, e.end): e.text for e in plan.edits}
        value, parts, pos = str(self.node.value), [], 0
        for v_start, v_end, t_start, t_end in self.spans:
            parts += [value[pos:v_start], written.get((t_start, t_end), value[v_start:v_end])]
            pos = v_end
        return "".join([*parts, value[pos:]])


@dataclass
class CelRef(Reference):
    """An image in a CEL string literal: `node` stands for the literal's text alone (its line
    and column are the literal's); the `expression` scalar is what the file holds."""

    expression: Expression | None = None

    @property
    def hold_line(self) -> int:
        """A comment may follow a block scalar's header, or a quoted or plain scalar's end."""
        assert self.expression is not None
        node = self.expression.node
        return (node.start_mark if node.style in ("|", ">") else node.end_mark).line + 1

    def shared_text(self) -> tuple[Node, ...]:
        """The expression: an alias of it (`expression: *e  # bumper: hold`) is the same text."""
        assert self.expression is not None
        return (self.expression.node,)

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        assert self.expression is not None
        moved = self.new_ref(new)
        plan.edits.append(Edit(self.node.start_mark.index, self.node.end_mark.index, str(moved)))
        plan.changed[id(self.expression.node)] = self.expression.value_after(plan)
        return str(moved)


def admission_images(source: Source, doc: Node, ignore: IgnoreFn) -> Iterator[Reference]:
    """The images of the CEL mutations of one document's policies: the document itself, or one
    it holds (a chart's `extraObjects` in a HelmRelease's values, an Argo CD `valuesObject`)."""
    if type(doc) is not MappingNode or not any(kind in source.text for kind in _KINDS.values()):
        return
    seen: set[int] = set()  # an expression reached again through an alias is one text
    for policy in _policies(doc):
        spec = policy.get("spec")
        mutations = merged_pairs(spec).get("mutations") if type(spec) is MappingNode else None
        for item in mutations.value if type(mutations) is SequenceNode else ():
            pairs = merged_pairs(item) if type(item) is MappingNode else {}
            for field in _MUTATIONS:
                holder = pairs.get(field)
                node = scalar(merged_pairs(holder), "expression") if type(holder) is MappingNode else None
                if node is not None and node.tag == STR_TAG and id(node) not in seen:
                    seen.add(id(node))
                    yield from _literals(source, node, ignore)


def _policies(doc: MappingNode) -> Iterator[dict[str, Node]]:
    """The maps (merged) of `doc` that are a mutating policy, `doc` first, in file order; none is
    looked into further, and a collection reached again through an alias is walked once."""
    stack: list[Node] = [doc]
    walked: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in walked:
            continue
        walked.add(id(node))
        if type(node) is SequenceNode:
            stack += reversed(node.value)
            continue
        if type(node) is not MappingNode:
            continue
        pairs = merged_pairs(node)
        api, kind = text_of(scalar(pairs, "apiVersion")) or "", text_of(scalar(pairs, "kind"))
        if kind is not None and _KINDS.get(api.split("/", 1)[0]) == kind:
            yield pairs
            continue
        stack += reversed([value for _, value in node.value])


def _literals(source: Source, node: ScalarNode, ignore: IgnoreFn) -> Iterator[Reference]:
    """Each `image: "REF"` of the expression with a tag or digest. The literal is found in the
    scalar's value and in the file's text alike (one line of a block scalar is its text less the
    indentation; a block's header line, which may end with a YAML comment, is not searched):
    when the two do not list the same literals in the same order (an escape inside a literal of
    a double-quoted scalar), nothing is read and each literal is listed `escaped`. One in a CEL
    comment (`//` to the line's end, of the value: a folded line's comment runs on) or inside a
    CEL string literal is no field and is not read."""
    value = str(node.value)
    start = scalar_start(source.text, node)
    if node.style in ("|", ">"):  # the text starts on the line after the header
        header_end = _LINE_BREAK.search(source.text, start, node.end_mark.index)
        start = header_end.end() if header_end else node.end_mark.index
    in_value = list(_IMAGE_FIELD.finditer(value))
    in_text = list(
        _IN_TEXT.get(node.style or "", _IMAGE_FIELD).finditer(source.text, start, node.end_mark.index)
    )
    if not in_value:
        return
    if [m.group(2) for m in in_value] != [m.group(2) for m in in_text]:
        _escaped(node, in_value, ignore)
        return
    spans = tuple((v.start(2), v.end(2), t.start(2), t.end(2)) for v, t in zip(in_value, in_text))
    expression = Expression(node, spans)
    not_code = cel_strings_and_comments(value)
    for v_match, (_, _, t_start, t_end) in zip(in_value, spans):
        if any(begin < v_match.start() < end for begin, end in not_code):
            continue  # `image: "…"` in a CEL comment or inside a string literal: no field (a
            # match starting at a literal's quote is the map key `"image"` itself)
        parsed = ImageRef.try_parse(v_match.group(2))
        if parsed is None or not (parsed.tag or parsed.digest) or not _sets_value(value, v_match):
            continue
        text = v_match.group(2)
        literal = ScalarNode(STR_TAG, text, _mark(source, node, t_start), _mark(source, node, t_end), '"')
        yield CelRef(REPORTED, literal, parsed, name_nodes=(node,), expression=expression)


def _sets_value(value: str, match: re.Match[str]) -> bool:
    """Whether a match writes its value: an `image` field does; a JSONPatch's `value` (after or
    before its path) does when
    its literal's `op` (before or after, between its braces) is `add` or `replace`."""
    if not match.group(0).startswith(("path", "value")):
        return True
    start, end = value.rfind("{", 0, match.start()) + 1, value.find("}", match.end())
    op = _PATCH_OP.search(value, start, len(value) if end < 0 else end)
    return op is not None and op.group(2) in _SETS


def _escaped(node: ScalarNode, in_value: list[re.Match[str]], ignore: IgnoreFn) -> None:
    """Note each literal of an expression whose text does not read as its value: listed at the
    expression's line, `escaped`, never passed over in silence."""
    for match in in_value:
        parsed = ImageRef.try_parse(match.group(2))
        if parsed is not None and (parsed.tag or parsed.digest):
            line = node.start_mark.line + 1
            ignore(Ignored(line, REPORTED, match.group(2), ESCAPED, parsed.key))


def _mark(source: Source, node: ScalarNode, index: int) -> Mark:
    """The parser's mark of `index`, a place inside `node`'s text: lines counted as YAML does."""
    line, line_start = node.start_mark.line, node.start_mark.index - node.start_mark.column
    for brk in _LINE_BREAK.finditer(source.text, node.start_mark.index, index):
        line, line_start = line + 1, brk.end()
    return Mark(source.path, index, line, index - line_start, None, 0)  # no buffer: no snippet


SHAPE = Shape(NAME, document=admission_images)
