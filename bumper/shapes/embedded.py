"""Shape `embedded`: YAML inside a `|` block string (Argo CD `helm.values`, k3s HelmChart
`spec.valuesContent`, a chart's image list in its Chart.yaml `annotations`, a ConfigMap's
`config.yaml: |`, a kustomize `patches[].patch`, a Kubernetes object kept in a string): walked as
a file of its own, edited and proven in place; its references keep their own shapes."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.errors import ManifestError
from bumper.image_ref import ImageRef
from bumper.shapes import has_template_syntax
from bumper.shapes.reference import Block, Ignored, Reference
from bumper.shapes.shape import Finder, Found, Shape
from bumper.yaml_edit import Edit, Plan, Source, apply_and_verify, compose_all, scalar_start

NAME = "embedded"
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # YAML's: a note shows one line
_HEADERS = frozenset({"|", "|-", "|+"})  # an explicit indentation digit or `>` folding: not mapped
_QUOTES = frozenset({"'", '"'})  # a quoted string: read when it maps back one to one (_embed_quoted)
_READ_STYLES = frozenset({"|", *_QUOTES})  # the styles a key saying "YAML" is read in
_CHART_ROOT, _CHART_ANNOTATIONS = "\0chart-root", "\0chart-annotations"
_CHART_FILES = frozenset({"Chart.yaml", "Chart.yml"})
# The key of each block that holds YAML -> the context its mapping is walked under: Argo CD's
# `helm.values`, k3s HelmChart's `spec.valuesContent`, and the list of images a chart runs that
# Bitnami (`images`) and Artifact Hub (`artifacthub.io/images`) keep in Chart.yaml's annotations,
# beside the values that set them.
_PARENTS = {
    "values": "helm",
    "valuesContent": "spec",
    "images": _CHART_ANNOTATIONS,
    "artifacthub.io/images": _CHART_ANNOTATIONS,
}
# A `|` block under any other key is YAML when it says so: its key names a YAML file (a ConfigMap's
# or app-template's `data: {runner.yaml: |}`), or it is a kustomize / Flux `patches[].patch`
# (strategic merge or JSON 6902; kustomize's older `patchesJson6902[].patch` too). Such a block
# that cannot be read is noted, never a failure.
_YAML_FILES = (".yaml", ".yml")
_PATCH_LISTS = frozenset({"patches", "patchesJson6902"})  # the latter: kustomize's older field
# Kyverno's `mutate.patchesJson6902: |` (also in a `foreach` entry) is the operations as a string
# (kustomize's field of that name is a list, never a string).
_KYVERNO_PATCH = "patchesJson6902"
# kustomize's older `patchesStrategicMerge:` lists file names and, as `|` blocks, patches inline.
_STRATEGIC_MERGE = "patchesStrategicMerge"
# Otherwise it is read only when it holds a Kubernetes object, a document whose root has
# `apiVersion` and `kind` (Katib's trial templates in a ConfigMap, an Argo Workflows
# `resource.manifest`); anything else (a script, another config language, prose) is text: not
# parsed further, nothing noted. An annotation is never read so: kubectl's
# `last-applied-configuration` records an object as it was applied, it runs nothing.
_OBJECT_KEYS = frozenset({"apiVersion", "kind"})
# A `|` block under a key naming a configuration (`config`, Katib's `runtimeConfig` in its chart's
# values, `…_config`, `…-config`) is read when it parses as YAML: a chart writes such a value into
# a YAML file (`{{ .Values.config.runtimeConfig | indent 6 }}`). Another language there (TOML,
# INI, a script) does not parse as a mapping: nothing is read, nothing noted. One that parses but
# whose lines cannot be mapped back (a `|2` header) is noted `embedded-yaml` when it holds a
# reference, never passed over in silence.
_CONFIG_ENDINGS = ("Config", "_config", "-config")
_CONFIG_KEYS = frozenset({"config"})
# The Jenkins chart's `agent.podTemplates: {NAME: |…}`: each block is a list of Kubernetes-plugin
# pod templates (`containers: [{image: …}]`) the chart writes into its JCasC YAML; it is read as a
# configuration block is (the walk gives a mapping under `podTemplates` that key as its context).
_POD_TEMPLATES = "podTemplates"
Read = Literal["values", "named", "object", "config"]  # how sure a block is YAML (embedded_refs says)


@dataclass
class EmbeddedDoc:
    """The inner text of one block scalar, with where each of its lines sits in the outer file."""

    node: ScalarNode  # the outer block scalar
    source: Source  # the inner text, exactly the scalar's value
    docs: list[Node]
    first_line: int  # 0-based outer line of the first content line
    indent: int
    eol: str  # the outer file's line end
    inner_starts: list[int]  # inner index where each line starts
    outer_starts: list[int]  # outer index of the same character (after the block's indent)
    line_starts: list[int]  # outer index where each line starts (before the block's indent)
    plan: Plan = field(default_factory=Plan)

    def outer_index(self, index: int) -> int:
        line = bisect_right(self.inner_starts, index) - 1
        return self.outer_starts[line] + index - self.inner_starts[line]

    def settle(self, plan: Plan) -> None:
        """Prove the inner edits by re-parsing the inner document, then splice them into the
        outer file with the block's indentation; the outer re-parse then proves the block
        scalar reads as exactly the edited inner text."""
        new_inner = apply_and_verify(self.source, self.docs, self.plan)
        pad = self.eol + " " * self.indent
        for edit in self.plan.edits:
            if edit.start == edit.end and self._at_bare_line(edit.start):
                plan.edits.append(self._new_lines(edit))
                continue
            text = edit.text.replace("\n", pad)
            plan.edits.append(Edit(self.outer_index(edit.start), self.outer_index(edit.end), text))
        plan.changed[id(self.node)] = new_inner

    def _at_bare_line(self, index: int) -> bool:
        """Whether `index` starts an inner line with no content for the block's indentation to
        stand before: an empty line, or the end after the block's last line break."""
        line = bisect_right(self.inner_starts, index) - 1
        text = self.source.text
        return self.inner_starts[line] == index and (index == len(text) or text[index] == "\n")

    def _new_lines(self, edit: Edit) -> Edit:
        """Lines inserted at a bare line (a kustomize `newTag:` after a block's last entry):
        written from the outer line's start, each with the block's indentation; the outer line
        that was there (blank, or the next key after the block) follows unchanged."""
        at = self.line_starts[bisect_right(self.inner_starts, edit.start) - 1]
        pad = " " * self.indent
        return Edit(at, at, self.eol.join(pad + part if part else part for part in edit.text.split("\n")))


@dataclass
class EmbeddedRef(Reference):
    """A reference inside an embedded document; line and column are the outer file's."""

    inner: Reference | None = None
    doc: EmbeddedDoc | None = None

    @property
    def line(self) -> int:
        assert self.inner is not None and self.doc is not None
        return self.doc.first_line + self.inner.line

    @property
    def position(self) -> int:
        assert self.inner is not None and self.doc is not None
        return self.doc.outer_index(self.inner.position)

    def column(self, source: Source) -> int:
        assert self.inner is not None and self.doc is not None
        return self.inner.column(self.doc.source) + self.doc.indent

    @property
    def value(self) -> str:
        assert self.inner is not None
        return self.inner.value

    @property
    def holds_digest(self) -> bool:
        assert self.inner is not None
        return self.inner.holds_digest

    @property
    def holds_tag(self) -> bool:
        assert self.inner is not None
        return self.inner.holds_tag

    @property
    def inherits_tag(self) -> bool:
        assert self.inner is not None
        return self.inner.inherits_tag

    @property
    def inherits_from(self) -> ImageRef | None:
        assert self.inner is not None
        return self.inner.inherits_from

    def innermost(self) -> Reference:
        assert self.inner is not None
        return self.inner.innermost()

    def blocks(self) -> list[Block]:
        assert self.inner is not None and self.doc is not None
        doc = self.doc
        inner = [b._replace(shift=doc.first_line + b.shift) for b in self.inner.blocks()]
        return [Block(doc.node, doc.source, doc.docs, doc.first_line), *inner]

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        assert self.inner is not None and self.doc is not None
        plan.embedded[id(self.doc.node)] = self.doc
        return self.inner.rewrite(self.doc.plan, self.doc.source, new)


def embedded_refs(
    source: Source,
    node: ScalarNode,
    find: Finder,
    ignored: list[Ignored],
    shared: list[Reference] | None = None,
    read: Read = "values",
) -> list[Reference]:
    """The references of the YAML document a block scalar holds (none when it holds no
    mapping, or its lines cannot be mapped back one to one); those reached again through an
    anchor of that document go to `shared`, as the outer walk's do. `read` says how sure the
    block is YAML: "values" (the values of a chart: what cannot be read is noted, a walk that
    fails fails the file), "named" (its key says so: a walk that fails, e.g. on a duplicate key,
    is noted too) or "object" (read only when it holds a Kubernetes object: anything else is
    text, nothing noted; an object whose walk fails is noted)."""
    text = str(node.value)
    if ":" not in text:
        return []
    doc = _embed(source, node)
    line = node.start_mark.line + 1
    quiet = read in ("object", "config")
    if doc is None:
        loud = not quiet and (
            node.style not in _QUOTES or _LINE_BREAK.search(text) or text.lstrip()[:1] in "[{"
        )
        if loud or (read == "config" and _holds_references(source, text, find)):
            ignored.append(Ignored(line, NAME, _head(text), _unmapped(source, node), None))
        return []
    try:
        doc.docs = compose_all(doc.source)
    except ManifestError as exc:
        if not quiet:
            reason = (
                "template" if read == "named" and has_template_syntax(text) else f"unparseable: {exc.message}"
            )
            ignored.append(Ignored(line, NAME, _head(text), reason, None))
        return []
    if read == "object" and not any(_is_object(d) for d in doc.docs):
        return []
    inner_ignored: list[Ignored] = []
    inner_shared: list[Reference] = []
    try:
        found = find(doc.source, doc.docs, inner_ignored, inner_shared)
    except ManifestError as exc:
        if read == "values":
            raise
        ignored.append(Ignored(line, NAME, _head(text), f"unparseable: {exc.message}", None))
        return []
    for item in inner_ignored:
        ignored.append(item._replace(line=doc.first_line + item.line))
    if shared is not None:
        shared.extend(EmbeddedRef(r.shape, r.node, r.ref, inner=r, doc=doc) for r in inner_shared)
    return [EmbeddedRef(r.shape, r.node, r.ref, inner=r, doc=doc) for r in found]


UNMAPPED = "embedded-yaml"  # the reason a block left unread gives


def _unmapped(source: Source, node: ScalarNode) -> str:
    """Why a block's lines cannot be mapped back one to one: its header, or a line break
    inside it that is no `\n` (a lone CR, NEL, U+2028 or U+2029 ends a line to YAML only)."""
    if node.style in _QUOTES:
        return (
            f"{UNMAPPED}: a quoted string is edited only on one line, in single quotes and without "
            "an escaped quote (''); write it as a `|` block"
        )
    if _header_end(source.text, node) is None:
        return f"{UNMAPPED}: only a `|`, `|-` or `|+` block without an indentation digit is edited"
    return (
        f"{UNMAPPED}: the block's lines cannot be mapped back one to one to the file's (a lone CR, "
        "NEL, U+2028 or U+2029 inside it ends a line to YAML only); nothing in it is edited"
    )


def _header_end(text: str, node: ScalarNode) -> int | None:
    """Where the line of a `|`, `|-` or `|+` block's header ends (None for any other header)."""
    start, end = scalar_start(text, node), node.end_mark.index
    header_end = text.find("\n", start, end)
    if header_end < 0 or text[start:header_end].partition("#")[0].strip() not in _HEADERS:
        return None
    return header_end


def _head(text: str) -> str:
    """A block's value as a note shows it: its first line, at most 60 characters (one line of
    output per note)."""
    return _LINE_BREAK.split(text.lstrip("\n"), 1)[0][:60]


def _holds_references(source: Source, text: str, find: Finder) -> bool:
    """Whether a block that cannot be mapped back reads as YAML holding a reference."""
    inner = Source(source.path, text)
    try:
        return bool(find(inner, compose_all(inner), [], None))
    except ManifestError:
        return False


def _is_object(doc: Node) -> bool:
    """A Kubernetes object: a mapping whose root holds `apiVersion` and `kind`."""
    if type(doc) is not MappingNode:
        return False
    keys = {k.value for k, _ in doc.value if type(k) is ScalarNode}
    return _OBJECT_KEYS <= keys


def chart_root(api: str, file_name: str) -> str | None:
    """A Chart.yaml's root: its `annotations` may list the chart's images."""
    return _CHART_ROOT if file_name in _CHART_FILES else None


def values_block(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`helm: {values: |…}`, `spec: {valuesContent: |…}`, Chart.yaml's `annotations: {images: |…}`:
    the block's references, reported as they are (their lines are the outer file's already)."""
    if context == _PARENTS[key] and value.style in _READ_STYLES and id(value) not in found.blocks:
        found.blocks.add(id(value))  # an alias of the block (`values: *v`) is the same text
        found.found.extend(embedded_refs(found.source, value, found.find, found.sink, found.shared))


def literal_block(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """A `|` block under another key: read when its key names a YAML file or a kustomize
    patch, or when it holds a Kubernetes object, or when its key names a configuration and it
    parses as YAML."""
    read: Read
    if key.endswith(_YAML_FILES) or (key == "patch" and context in _PATCH_LISTS) or key == _KYVERNO_PATCH:
        read = "named"
    elif value.style != "|":
        return
    elif context != "annotations" and "apiVersion" in str(value.value) and "kind" in str(value.value):
        read = "object"  # (kubectl's last-applied-configuration annotation records, never runs)
    elif context != "annotations" and (key in _CONFIG_KEYS or key.endswith(_CONFIG_ENDINGS)):
        read = "config"
    elif context == _POD_TEMPLATES:
        read = "config"
    else:
        return
    if id(value) not in found.blocks:
        found.blocks.add(id(value))  # an alias of the block is the same text
        found.found.extend(embedded_refs(found.source, value, found.find, found.sink, found.shared, read))


def strategic_merge_items(node: SequenceNode, found: Found) -> list[Reference]:
    """The inline patches of a kustomization's `patchesStrategicMerge:` (its items that are `|`
    blocks; a plain item names a file), read as a `patches[].patch` is. Reported as they are,
    as values_block's: their lines are the outer file's already."""
    for item in node.value:
        if type(item) is ScalarNode and item.style == "|" and id(item) not in found.blocks:
            found.blocks.add(id(item))
            refs = embedded_refs(found.source, item, found.find, found.sink, found.shared, "named")
            found.found.extend(refs)
    return []


def _embed(source: Source, node: ScalarNode) -> EmbeddedDoc | None:
    if node.style in _QUOTES:
        return _embed_quoted(source, node)
    text, value = source.text, str(node.value)
    header_end = _header_end(text, node)
    if header_end is None:
        return None
    inner_lines = value.split("\n")
    # The last piece after the final line break belongs to no line of the block.
    checked = len(inner_lines) - 1 if value.endswith("\n") else len(inner_lines)
    outer_lines: list[tuple[int, str]] = []
    pos = header_end + 1
    for _ in range(len(inner_lines)):
        stop = text.find("\n", pos)
        stop = len(text) if stop < 0 else stop
        outer_lines.append((pos, text[pos:stop].rstrip("\r")))
        pos = stop + 1
    first = next((i for i in range(checked) if inner_lines[i]), None)
    if first is None:
        return None
    indent = len(outer_lines[first][1]) - len(inner_lines[first])
    inner_starts: list[int] = []
    outer_starts: list[int] = []
    line_starts: list[int] = []
    at = 0
    for i, inner in enumerate(inner_lines):
        line_at, outer = outer_lines[i]
        if i < checked and (outer != " " * indent + inner if inner else outer.strip(" ")):
            return None
        inner_starts.append(at)
        outer_starts.append(line_at + min(indent, len(outer)))
        line_starts.append(line_at)
        at += len(inner) + 1
    eol = "\r\n" if text[header_end - 1 : header_end] == "\r" else "\n"
    return EmbeddedDoc(
        node=node,
        source=Source(source.path, value),
        docs=[],
        first_line=node.start_mark.line + text.count("\n", node.start_mark.index, header_end) + 1,
        indent=indent,
        eol=eol,
        inner_starts=inner_starts,
        outer_starts=outer_starts,
        line_starts=line_starts,
    )


def _embed_quoted(source: Source, node: ScalarNode) -> EmbeddedDoc | None:
    """A one-line `'…'` string whose text is its value character for character (no `''`): a
    kustomize `patch: '[{"op": "replace", …}]'`. Any other quoted string maps back only through
    escapes or line folding: None."""
    text, value = source.text, str(node.value)
    start = scalar_start(text, node) + 1
    if node.style != "'" or text[start : node.end_mark.index - 1] != value or _LINE_BREAK.search(value):
        return None
    line_start = text.rfind("\n", 0, start) + 1
    return EmbeddedDoc(
        node=node,
        source=Source(source.path, value),
        docs=[],
        first_line=node.start_mark.line,
        indent=start - line_start,
        eol="",  # one line: an edit that breaks it fails the outer proof
        inner_starts=[0],
        outer_starts=[start],
        line_starts=[start],
    )


SHAPE = Shape(
    NAME,
    root=chart_root,
    contexts={"annotations": {_CHART_ROOT: _CHART_ANNOTATIONS}},
    keys=frozenset(_PARENTS),
    sequences={_STRATEGIC_MERGE: strategic_merge_items},
    scalar=values_block,
    block=literal_block,
)
