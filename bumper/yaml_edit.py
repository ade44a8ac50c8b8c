"""Locate YAML scalars by exact position, splice new text in, and prove nothing else changed.

A document is never re-dumped: parser marks give each scalar's character span, new text is
spliced into the original string, and the result is parsed again and compared node by node
with the original along every path to an edit. Any difference other than the intended ones
fails the edit.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NoReturn, Protocol

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, DocumentStartEvent, NodeEvent

# Re-exported: the node types are this module's vocabulary (plan/holds.py, plan/inventory.py).
from yaml.nodes import MappingNode as MappingNode
from yaml.nodes import Node as Node
from yaml.nodes import ScalarNode as ScalarNode

from bumper.errors import ManifestError

try:  # libyaml's composer is ~3x faster than the pure-Python one (README, "Performance").
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, with the calls libyaml's composer makes into Python on every node
    answered by C code instead (about a sixth of a compose, which each file's plan does twice).

    Tag resolution is a pure function of a node's kind, text and implicit flags (the safe
    loader has no path resolvers), and manifests repeat the same keys and values endlessly: a
    C-level lru_cache answers repeats without running Python code. With no path resolvers,
    descending and ascending track nothing: an empty dict's `get` and `tuple` take the
    arguments and return."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.resolve = _resolve
        self.descend_resolver = _NOTHING.get
        self.ascend_resolver = tuple


_NOTHING: dict[object, object] = {}


class _RedefiningLoader(Composer, _Loader):
    """`_Loader` that lets a document define an anchor again, as the YAML spec and Go's YAML
    (kubectl, Helm, Flux, Argo CD) do: an alias names the most recent `&name` before it.
    libyaml's composer refuses a second `&name`, so a file that has one is composed again by
    PyYAML's Python composer on the same C parser's events (about half as fast)."""

    def __init__(self, stream: str) -> None:
        _Loader.__init__(self, stream)
        self.anchors: dict[str, Node] = {}

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        if type(event) is not AliasEvent and event.anchor is not None:
            self.anchors.pop(event.anchor, None)  # the new definition replaces the old one
        return super().compose_node(parent, index)


def _redefines_anchor(exc: yaml.MarkedYAMLError) -> bool:
    """Whether libyaml's composer refused a second definition of an anchor."""
    return isinstance(exc, yaml.composer.ComposerError) and "duplicate anchor" in (exc.context or "")


@lru_cache(maxsize=65536)
def _resolve(kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
    return _RESOLVER.resolve(kind, value, implicit)  # type: ignore[no-any-return,no-untyped-call]


BOM = "\ufeff"
MAX_DOCUMENTS = 10_000  # more is generated data; composing it would take seconds
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
_RESOLVER = yaml.resolver.Resolver()


@dataclass
class Source:
    """A manifest's text with its BOM split off, so parser offsets index `text` directly."""

    path: str
    text: str
    bom: bool = False
    # set by compose_all: the text defines an anchor again (the proof then compares every
    # anchor and alias of the edited text with these, as positions alone no longer pin them)
    redefines_anchors: bool = False

    @classmethod
    def from_bytes(cls, path: str, data: bytes) -> Source:
        text = data.decode("utf-8")  # strict: callers skip non-UTF-8 files before this
        if text.startswith(BOM):
            return cls(path, text[1:], bom=True)
        return cls(path, text)

    def to_bytes(self, text: str | None = None) -> bytes:
        return ((BOM if self.bom else "") + (self.text if text is None else text)).encode()


class paused_gc:  # noqa: N801 - used as a function: `with paused_gc():`
    """Pause the cycle collector: a composed graph is many small objects and no cycles worth
    collecting, and each collection while one is alive walks all of them (a 5 MB file's plan
    spends about a third of its time there). Nested pauses resume once, at the outermost.
    A class, not a @contextmanager generator: a plan enters it for every file (12,500 on a
    large --repo run), and a generator's set-up costs several times more."""

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()


def compose_all(source: Source, text: str | None = None) -> list[Node]:
    """Compose every document into a node graph (aliases share nodes; nothing is expanded).
    `text`: the edited text a proof re-parses, which has the documents of `source` (a
    separator is four characters, so a shorter file cannot hold too many: no count)."""
    if text is None:
        text = source.text
        if len(text) > 4 * MAX_DOCUMENTS and text.count("\n---") > MAX_DOCUMENTS:
            raise ManifestError(
                f"more than {MAX_DOCUMENTS} YAML documents in one file; split it", file=source.path
            )
        docs, source.redefines_anchors = _compose(source, text)
        return docs
    return _compose(source, text)[0]


# The C parser says "found character that cannot start any token" without the character; the
# ones people write there, and what to do (kubevirt's `image: @OPERATOR_IMAGE_URL@`, a tab).
_UNSTARTABLE = "found character that cannot start any token"
_RESERVED_HINT = {
    "@": "'@' is reserved in YAML: quote the value",
    "`": "'`' is reserved in YAML: quote the value",
    "\t": "YAML indents with spaces, not tabs",
}


def _named_character(what: str, text: str, mark: yaml.Mark | None) -> str:
    """The parser's complaint with the character it could not start a token with, and a hint."""
    if what != _UNSTARTABLE or mark is None or not 0 <= mark.index < len(text):
        return what
    char = text[mark.index]
    shown = "'\\t' (a tab)" if char == "\t" else repr(char)
    hint = _RESERVED_HINT.get(char)
    return f"found character {shown} that cannot start any token" + (f"; {hint}" if hint else "")


def _compose(source: Source, text: str) -> tuple[list[Node], bool]:
    """`text`'s documents, and whether an anchor is defined again in one of them."""
    try:
        with paused_gc():
            try:
                return [d for d in yaml.compose_all(text, Loader=_Loader) if d is not None], False
            except yaml.MarkedYAMLError as exc:
                if not _redefines_anchor(exc):
                    raise
            return [d for d in yaml.compose_all(text, Loader=_RedefiningLoader) if d is not None], True
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = _named_character((exc.problem or exc.context or "invalid YAML").strip(), text, mark)
        raise ManifestError(f"cannot parse YAML: {what}", file=source.path, line=line) from None
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only a position
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        what = f"control character U+{code:04X} is not allowed in YAML; remove it"
        raise ManifestError(f"cannot parse YAML: {what}", file=source.path, line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"cannot parse YAML: {exc}", file=source.path) from None
    except RecursionError:
        raise ManifestError("cannot parse YAML: nesting too deep", file=source.path) from None


def _anchor_order(text: str) -> list[str]:
    """Every `&name` and `*name` of `text` and each document's start, in order: which anchor
    each alias names."""
    order: list[str] = []
    for event in parse_events(text):
        if type(event) is DocumentStartEvent:
            order.append("---")
        elif isinstance(event, NodeEvent) and event.anchor is not None:
            order.append(("*" if type(event) is AliasEvent else "&") + str(event.anchor))
    return order


# The line breaks YAML reads besides "\n" and "\r\n" (PyYAML and Go's yaml.v3 alike): a lone
# "\r", NEL, U+2028 and U+2029 end a line, and the parser's marks count them.
@lru_cache(maxsize=1)
def _other_breaks() -> re.Pattern[str]:
    """Compiled by the first text that has one (most files have none)."""
    return re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def parser_lines(text: str) -> str:
    """`text` with each line break the parser counts written "\n": of the same length (so its
    offsets are the text's), its "\n"-separated lines are the ones the parser's marks number,
    and a comment ends where YAML ends it. What a line ends with (a hold, a marker) is read here."""
    if "\r" not in text and "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return text
    return _other_breaks().sub("\n", text)


def parse_events(text: str) -> Iterator[yaml.Event]:
    """The parser's events for `text`, as `compose_all` reads them (alias positions, which the
    composed graph drops)."""
    return yaml.parse(text, Loader=_Loader)


def check_unique_keys(source: Source, mapping: MappingNode, repeats: Repeats | None = None) -> None:
    """Refuse a mapping with a repeated key: which value wins differs between tools. A merge key
    `<<` may repeat (`<<: *mounts` then `<<: *volumes`: PyYAML and Helm's Go YAML both read every
    one) as long as no two of them bring one key the map does not set itself from two places:
    which of them wins is what differs then (PyYAML keeps the first, Helm the last).

    With `repeats`, a key said again with the same scalar (the archived helm/charts'
    stable/aws-cluster-autoscaler Chart.yaml says `deprecated: true` twice) is no conflict, as
    every tool reads one value: its values go to `repeats`, whose caller refuses an edit of one."""
    seen: dict[str, Node] = {}
    merges: list[ScalarNode] = []
    for key, value in mapping.value:
        if isinstance(key, ScalarNode):
            if key.tag == MERGE_TAG:
                merges.append(key)
                continue
            first = seen.get(key.value)
            if (
                first is not None
                and repeats is not None
                and _same_scalar(first, value)
                and not _starts_object(key)
            ):
                line = key.start_mark.line + 1
                repeats.update({id(first): (str(key.value), line), id(value): (str(key.value), line)})
            elif first is not None:
                raise duplicate_key(source, str(key.value), key.start_mark.line + 1, key.start_mark.column)
            seen.setdefault(key.value, value)
    if len(merges) > 1:
        _check_merges_disjoint(source, mapping, set(seen))


# A value said twice under one key (by id) -> that key and the line that repeats it.
Repeats = dict[int, tuple[str, int]]


# The keys a Kubernetes object starts with: said twice at a document's top level, two objects
# run together (kubevirt's deploy/nightly-bundle/kubevirt-testing-infra.yaml lost a `---`).
_OBJECT_KEYS = frozenset({"apiVersion", "kind"})


def _starts_object(key: ScalarNode) -> bool:
    """A key starting a Kubernetes object at a document's top level (said twice, even with one
    value, two objects run together)."""
    return key.start_mark.column == 0 and key.value in _OBJECT_KEYS


def duplicate_key(source: Source, key: str, line: int, column: int | None = None) -> ManifestError:
    if column == 0 and key in _OBJECT_KEYS:
        return ManifestError(
            f"duplicate key {key!r} at the top level: another object starts here with no '---'"
            " line before it; add that line (or remove one of the keys)",
            file=source.path,
            line=line,
        )
    return ManifestError(f"duplicate key {key!r}; remove one of them", file=source.path, line=line)


def _same_scalar(first: Node, again: Node) -> bool:
    """Two values of one key that every tool reads alike: scalars of one tag and text."""
    return (
        type(first) is ScalarNode
        and type(again) is ScalarNode
        and first.tag == again.tag
        and first.value == again.value
    )


def _check_merges_disjoint(source: Source, mapping: MappingNode, own: set[str]) -> None:
    """Refuse two `<<` keys of `mapping` that bring one key it does not set itself from two
    places. One value brought twice (`<<: *defaults` and `<<: *image`, which merges `*defaults`
    itself) reads alike whichever wins, and an edit of it moves it for both; two values saying
    the same are refused still: an edit of the one bumper reads would leave the other."""
    brought: dict[str, tuple[int, Node]] = {}  # each key merged in -> the `<<` line, its value
    known: dict[int, dict[str, Node]] = {}
    for key, value in mapping.value:
        if not (isinstance(key, ScalarNode) and key.tag == MERGE_TAG):
            continue
        line = key.start_mark.line + 1
        for name, node in sorted(_merged_keys(value, 0, known).items()):
            if name in own:
                continue
            first, said = brought.setdefault(name, (line, node))
            if first != line and said is not node:
                raise ManifestError(
                    f"duplicate key '<<': the maps merged here and at line {first} both bring "
                    f"{name!r}, and tools differ on which wins; merge them in one `<<: [*a, *b]` "
                    "(the first wins) or set the key in this map",
                    file=source.path,
                    line=line,
                )


def merged_keys(node: Node) -> dict[str, Node]:
    """The keys a merge key's value (a map, an alias of one, or a list of them) brings into the
    map holding it, each with the value it brings."""
    return _merged_keys(node, 0)


def _merged_keys(node: Node, depth: int, known: dict[int, dict[str, Node]] | None = None) -> dict[str, Node]:
    """The keys a merge key's value brings, each with the value it brings: a map's own keys and
    what it merges in itself (its own keys win, then the first merge), each map read once,
    however many aliases name it."""
    known = {} if known is None else known
    if id(node) in known:
        return known[id(node)]
    keys: dict[str, Node] = {}
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            for name, value in _merged_keys(item, depth, known).items():
                keys.setdefault(name, value)
    elif isinstance(node, MappingNode) and depth <= 20:
        merged: dict[str, Node] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.tag == MERGE_TAG:
                for name, brought in _merged_keys(value, depth + 1, known).items():
                    merged.setdefault(name, brought)
            elif isinstance(key, ScalarNode):
                keys.setdefault(str(key.value), value)
        for name, brought in merged.items():
            keys.setdefault(name, brought)
    known[id(node)] = keys
    return keys


# What YAML 1.2's core schema and Go's YAML (yaml.v2/v3, which Helm, kubectl and Flux read values
# with) take for a number, a bool or null, where PyYAML's YAML 1.1 reads a string: a short commit
# id `1234e56` is the float 1.234e+59 to Helm, `0o17` the int 15. yaml.v2 (Helm's, through
# sigs.k8s.io/yaml) drops every `_` before reading a number, reads ints as Go's
# strconv.ParseInt(s, 0, 64) does (a sign, then `0x`/`0X`, `0o`/`0O`, `0b`/`0B`), and takes
# `y`, `Y`, `n`, `N` for bools, and a date with a one-digit month or day (`2024-1-5`, layout
# "2006-1-2") for a timestamp, which PyYAML reads only with two digits each.
_GO_NOT_A_STRING = re.compile(
    r"[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?_*[0-9][0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?0[oO][0-7_]+|[-+]?0[bB][01_]+|[-+]?0[xX][0-9a-fA-F_]+"
    r"|null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[yYnN]"
)


def reads_as_string(value: str) -> bool:
    """Whether `value` written as a plain scalar reads back as the same string, to PyYAML (YAML
    1.1) and to Go's YAML (YAML 1.2 numbers) alike."""
    return _resolve(ScalarNode, value, (True, False)) == STR_TAG and not _GO_NOT_A_STRING.fullmatch(value)


def render_scalar(value: str, style: str | None) -> str:
    """Write `value` in the scalar style the file used; quote a plain value that would change type."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"' or not reads_as_string(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def scalar_start(text: str, node: ScalarNode) -> int:
    """Where the scalar's own text starts: a node's mark includes its `&anchor` and `!tag`."""
    start = node.start_mark.index
    while start < node.end_mark.index and text[start] in "&!":
        while start < node.end_mark.index and text[start] not in " \t\r\n":
            start += 1
        while start < node.end_mark.index and text[start] in " \t\r\n":
            start += 1
    return start


# The one-character escapes of a double-quoted scalar (YAML 1.2, 5.7); `\x`, `\u`, `\U` take hex.
_ESCAPES = frozenset('0abtnvfreN_LP "/\\\t')
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
# A line break inside a flow scalar with the blanks around it and any empty lines after it:
# folded to one space, or to a line feed for each empty line.
_FOLD = re.compile(r"[ \t]*(?:\r\n|\n|\r)(?:[ \t]*(?:\r\n|\n|\r))*[ \t]*")
# What the changed part of a reference may be written as in any flow style, unescaped.
_PLAIN_PART = re.compile(r"[A-Za-z0-9._:@/+=-]*")


def _written_otherwise(raw: str, node: ScalarNode) -> bool:
    """Whether a flow scalar's text is not the plain rendering of its value: escapes
    (`"ghcr.io\\/acme\\/app:v1"`, `"\\u0067hcr.io/…"`) or a value folded over lines. Rewriting
    it whole would write those bytes anew; only its changed part is spliced then."""
    if node.style not in ("'", '"'):  # plain (PyYAML says None, libyaml "")
        return "\n" in raw or "\r" in raw
    return raw != render_scalar(node.value, node.style)


def _value_spans(content: str, style: str | None) -> list[tuple[int, int]] | None:
    """For each character of a flow scalar's value, the span of `content` (its text inside the
    quotes) it is read from; None for an escape this reader does not know."""
    spans: list[tuple[int, int]] = []
    at = 0
    while at < len(content):
        fold = _FOLD.match(content, at)
        if fold is not None:
            breaks = len(re.findall(r"\r\n|\n|\r", fold.group()))
            spans.extend([(at, fold.end())] * (1 if breaks == 1 else breaks - 1))
            at = fold.end()
        elif style == "'" and content.startswith("''", at):
            spans.append((at, at + 2))
            at += 2
        elif style == '"' and content[at] == "\\":
            at = _escape_span(content, at, spans)
            if at < 0:
                return None
        else:
            spans.append((at, at + 1))
            at += 1
    return spans


def _escape_span(content: str, at: int, spans: list[tuple[int, int]]) -> int:
    """Add the characters of the escape at `at` to `spans`; where the next text starts, or -1."""
    kind = content[at + 1 : at + 2]
    if kind in ("\r", "\n"):  # an escaped line break: no character, then one per empty line
        fold = _FOLD.match(content, at + 1)
        assert fold is not None
        breaks = len(re.findall(r"\r\n|\n|\r", fold.group()))
        spans.extend([(at, fold.end())] * (breaks - 1))
        return fold.end()
    digits = _HEX_DIGITS.get(kind, 0)
    if kind not in _ESCAPES and not digits:
        return -1
    end = at + 2 + digits
    spans.append((at, end))
    return end


def _changed_part_edit(source: Source, node: ScalarNode, start: int, end: int, value: str) -> Edit:
    """Splice only the part of `value` that differs from the scalar's value (the tag, the digest)
    where it is written, keeping the escapes and line folds around it; refuse when that part
    itself is written over lines or `value` needs escapes there."""
    raw = source.text[start:end]
    inner = 1 if node.style in ("'", '"') else 0
    content = raw[inner : len(raw) - inner]
    old = str(node.value)
    spans = _value_spans(content, node.style)
    same = 0
    while same < min(len(old), len(value)) and old[same] == value[same]:
        same += 1
    tail = 0
    while tail < min(len(old), len(value)) - same and old[-1 - tail] == value[-1 - tail]:
        tail += 1
    part = value[same : len(value) - tail]
    if spans is not None and len(spans) == len(old):
        cut = len(old) - tail
        at = spans[same][0] if same < len(old) else len(content)
        to = spans[cut - 1][1] if same < cut else at
        written = content[at:to]
        if _PLAIN_PART.fullmatch(part) and not any(c in written for c in "\r\n\x85\u2028\u2029"):
            return Edit(start + inner + at, start + inner + to, part)
    raise ManifestError(
        "cannot rewrite only the changed part of this value: it is written over lines or with "
        "escapes there; write the value on one line without escapes for bumper to move it",
        file=source.path,
        line=node.start_mark.line + 1,
    )


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with `text`; an insertion has start == end."""

    start: int
    end: int
    text: str


def _block_scalar_edit(source: Source, node: ScalarNode, start: int, end: int, value: str) -> Edit:
    """In a `|`/`>` block the content is written verbatim: replace it there, keep the header."""
    content = node.value.rstrip("\n")
    body_at = source.text.find("\n", start, end)
    found = source.text.find(content, body_at, end) if content and body_at >= 0 else -1
    if "\n" in content or found < 0 or source.text.find(content, found + 1, end) >= 0:
        raise ManifestError(
            "cannot edit this multi-line block scalar safely; write the image on one line",
            file=source.path,
            line=node.start_mark.line + 1,
        )
    return Edit(found, found + len(content), value)


class Embedded(Protocol):
    """A YAML document inside a block scalar, with its own plan (see shapes/embedded.py)."""

    def settle(self, plan: Plan) -> None:
        """Verify the inner plan and turn it into edits of the outer plan."""


@dataclass
class Plan:
    """The edits for one file plus what re-parsing must find afterwards."""

    edits: list[Edit] = field(default_factory=list)
    # id(old scalar node) -> the value it must hold after the edit
    changed: dict[int, str] = field(default_factory=dict)
    # id(old mapping node) -> (key, value) pairs appended to it
    inserted: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    # id(old block scalar) -> the document inside it that has edits of its own
    embedded: dict[int, Embedded] = field(default_factory=dict)

    def replace(self, source: Source, node: ScalarNode, value: str) -> None:
        """Rewrite one scalar in place, keeping its quoting style, anchor and tag."""
        if id(node) in self.changed:
            return  # an anchored scalar reached again through an alias: edit it once
        start, end = scalar_start(source.text, node), node.end_mark.index
        prefix = source.text[node.start_mark.index : start]  # its `&anchor` and `!tag`, if any
        if node.tag != STR_TAG and "!" in prefix:
            # `tag: !!float 1.2`: the tag is kept, so the new text would not read as a string
            tag = next(word for word in prefix.split() if word.startswith("!"))
            raise ManifestError(
                f"cannot write a string into a value tagged {tag}; drop the tag (or write !!str) "
                "for bumper to move it",
                file=source.path,
                line=node.start_mark.line + 1,
            )
        if node.style in ("|", ">"):
            self.edits.append(_block_scalar_edit(source, node, start, end, value))
        elif _written_otherwise(source.text[start:end], node):
            self.edits.append(_changed_part_edit(source, node, start, end, value))
        elif start == end and source.text[start - 1 : start] not in (" ", "\t"):
            # an empty value (`tag:`): its mark sits right after the colon
            self.edits.append(Edit(start, end, " " + render_scalar(value, node.style)))
        else:
            self.edits.append(Edit(start, end, render_scalar(value, node.style)))
        self.changed[id(node)] = value

    def insert_key(self, source: Source, mapping: MappingNode, after: Node, key: str, value: str) -> None:
        """Add `key: value` to `mapping` right after the entry whose value node is `after`."""
        rendered = render_scalar(value, None)
        end = after.end_mark.index
        if mapping.flow_style:
            self.edits.append(Edit(end, end, f", {key}: {rendered}"))
        else:
            first_key = mapping.value[0][0]
            indent = " " * first_key.start_mark.column
            newline = source.text.find("\n", end)
            if newline < 0:
                eol = "\r\n" if "\r\n" in source.text else "\n"
                self.edits.append(Edit(len(source.text), len(source.text), f"{eol}{indent}{key}: {rendered}"))
            else:
                eol = "\r\n" if source.text[newline - 1 : newline] == "\r" else "\n"
                self.edits.append(Edit(newline + 1, newline + 1, f"{indent}{key}: {rendered}{eol}"))
        self.inserted.setdefault(id(mapping), []).append((key, value))

    def apply(self, text: str) -> str:
        """Splice every edit into `text` (edits never overlap: each targets its own node)."""
        parts: list[str] = []
        pos = 0
        for edit in sorted(self.edits, key=lambda e: (e.start, e.end)):
            if edit.start < pos:
                raise ManifestError("overlapping edits; please report this file")
            parts.append(text[pos : edit.start])
            parts.append(edit.text)
            pos = edit.end
        parts.append(text[pos:])
        return "".join(parts)


def apply_and_verify(source: Source, docs: list[Node], plan: Plan) -> str:
    """Splice `plan` into the source and prove, by re-parsing, that only the planned data changed."""
    return Proof(source, docs, plan).verify()


class _Span:
    """What the proof keeps of a node of the first parse an edit lies in (or touches), and of
    each document's root: its kind, place, tag, value or children, and what the plan wants of it."""

    __slots__ = ("kind", "start", "end", "line", "walked", "tag", "value", "children", "want", "inserted")

    def __init__(self, node: Node) -> None:
        self.kind: type = type(node)
        self.start: int = node.start_mark.index
        self.end: int = node.end_mark.index
        self.line: int = node.start_mark.line
        self.walked = False  # tag, value/children, want/inserted are set
        self.tag: str = ""
        self.value: str = ""  # a scalar's
        self.children: list[_Span | _Placed] = []  # a sequence's items; a mapping's keys and values in turn
        self.want: str | None = None  # the value an edited scalar must hold
        self.inserted: list[tuple[str, str]] = []  # pairs the plan adds to a mapping


# What the proof keeps of a node no edit lies in or touches (most nodes of a file, so a tuple,
# not an object): its kind, where its re-parsed twin must sit (start, end and 0-based line,
# shifted by the edits before it) and its own line. Its subtree is checked by that place alone.
_Placed = tuple[type, tuple[int, int, int], int]


class Proof:
    """A file's planned edits and what re-parsing the result must find, kept as spans of the
    first parse rather than its nodes: once made, the caller may drop the first parse before
    `verify` makes the second, so the two graphs (~160 MB each for a 5 MB file) never coexist.
    The proof is the same as on the nodes: every node on a path to an edit is compared, every
    other subtree is checked by its place."""

    def __init__(self, source: Source, docs: list[Node], plan: Plan) -> None:
        for embedded in plan.embedded.values():
            embedded.settle(plan)
        self.source = source
        self.edits = list(plan.edits)
        self._untouched = _Untouched(source, self.edits)
        self._roots = _spans(docs, plan, self._untouched)

    def verify(self) -> str:
        """Splice the edits in and prove, by re-parsing, that only the planned data changed."""
        source, roots = self.source, self._roots
        new_text = Plan(edits=self.edits).apply(source.text)
        try:
            new_docs, redefines = _compose(source, new_text)
        except ManifestError as exc:
            raise ManifestError(
                f"the edited file no longer parses ({exc.message}); nothing was written",
                file=source.path,
                line=exc.line,
            ) from None
        if (redefines or source.redefines_anchors) and _anchor_order(source.text) != _anchor_order(new_text):
            _mismatch(source, None, "an anchor or alias changed")
        if len(new_docs) != len(roots):
            _mismatch(source, roots[0].line if roots else None, "the number of documents changed")
        for old, new in zip(roots, new_docs):
            self._untouched.check_document(old, new)
            # A document whose text is unchanged (and in place) parses the same: only edited
            # ones are walked.
            if source.text[old.start : old.end] != new_text[new.start_mark.index : new.end_mark.index]:
                _compare(source, old, new)
        return new_text


def _spans(docs: list[Node], plan: Plan, untouched: _Untouched) -> list[_Span]:
    """The spans of `docs`, walked into where an edit touches a node (one span per node, so
    aliases still share); the plan's wants move onto them while the nodes are alive. A node no
    edit touches becomes a _Placed tuple where its parent lists it (inline: this runs for
    child of a node on the path to an edit, 20 nodes of a 10-line manifest)."""
    made: dict[int, _Span] = {}
    roots = [_Span(doc) for doc in docs]  # each checked by its place (Proof.verify)
    todo = [(doc, root) for doc, root in zip(docs, roots) if untouched.touches(root.start, root.end)]
    made.update((id(doc), root) for doc, root in todo)
    starts, ends, shifts, lines = untouched.starts, untouched.ends, untouched.shift, untouched.lines
    while todo:
        node, out = todo.pop()
        out.walked, out.tag = True, node.tag
        if type(node) is ScalarNode:
            out.value, out.want = node.value, plan.changed.get(id(node))
            continue
        if type(node) is MappingNode:
            out.inserted = plan.inserted.get(id(node), [])
            children = [n for pair in node.value for n in pair]
        else:
            children = node.value
        spans = out.children
        for child in children:
            mark = child.start_mark
            start, end = mark.index, child.end_mark.index
            before = bisect_right(starts, end)  # edits starting at or before the node's end
            if before and ends[before - 1] >= start:  # an edit lies in (or touches) it: walk it
                found = made.get(id(child))
                if found is None:
                    found = made[id(child)] = _Span(child)
                    todo.append((child, found))
                spans.append(found)
            else:  # where its twin must be: shifted by the edits before it (a block node never
                shift = shifts[before]  # follows an edited scalar on its line: same column)
                spans.append(
                    (type(child), (start + shift, end + shift, mark.line + lines[before]), mark.line)
                )
    return roots


class _Untouched:
    """Answers whether a node's span holds no edit and, if so, where its re-parsed twin must sit:
    at the same text shifted by the edits before it (then the two subtrees are the same text,
    parsed from the same position on the same path, with the same anchors: equal). An edit
    cannot re-point an alias: the composer refuses an alias before its anchor, and where a
    text defines an anchor again (after the edit or before it) the proof compares the order of
    every anchor and alias of both texts."""

    def __init__(self, source: Source, edits: list[Edit]) -> None:
        self.source = source
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        self.starts = [e.start for e in ordered]
        self.ends = [e.end for e in ordered]
        self.shift, self.lines = [0], [0]
        for e in ordered:
            self.shift.append(self.shift[-1] + len(e.text) - (e.end - e.start))
            self.lines.append(self.lines[-1] + e.text.count("\n") - source.text.count("\n", e.start, e.end))

    def touches(self, start: int, end: int) -> bool:
        """Whether an edit lies in (or touches) text[start:end]."""
        before = bisect_right(self.starts, end)  # edits starting at or before the node's end
        return bool(before) and self.ends[before - 1] >= start

    def check_document(self, old: _Span, new: Node) -> None:
        """A document's root starts after the edits before it and ends after the edits in it, so
        no edit's text reaches out of its document (`...` and a `%TAG` directive that re-reads the
        next document's tags, a document that would otherwise be checked by its text alone)."""
        start = old.start + self.shift[bisect_left(self.starts, old.start)]
        end = old.end + self.shift[bisect_right(self.starts, old.end)]
        if (new.start_mark.index, new.end_mark.index) != (start, end):
            _mismatch(self.source, old.line, "a document moved")


def _compare(source: Source, old_root: _Span, new_root: Node) -> None:
    """Walk both graphs in step (iteratively; each aliased collection once per node of the
    re-parse it meets, so a use that no longer shares it is checked too) and check every node
    on a path to an edit; a subtree no edit touched is checked by its position."""
    stack: list[tuple[_Span | _Placed, Node]] = [(old_root, new_root)]
    push, pop = stack.append, stack.pop
    seen: set[tuple[int, int]] = set()
    while stack:
        old, new = pop()
        if isinstance(old, tuple):  # no edit lies in it: the same text, where it must be
            kind, where, line = old
            if kind is not type(new):
                _mismatch(source, line, "a node changed kind")
            start = new.start_mark
            if (start.index, new.end_mark.index, start.line) != where:
                _mismatch(source, line, "a node moved")
            continue
        assert old.walked  # a span an edit touches was walked into (_spans)
        kind = old.kind
        if kind is not type(new):
            _mismatch(source, old.line, "a node changed kind")
        if kind is ScalarNode:
            want = old.want
            if want is None:
                if old.value != new.value or old.tag != new.tag:
                    _mismatch(source, old.line, f"value {old.value!r} changed to {new.value!r}")
            elif (new.tag, new.value) != (STR_TAG, want):
                _mismatch(source, old.line, f"expected {want!r} but the file now reads {new.value!r}")
            continue
        if (id(old), id(new)) in seen:
            continue
        seen.add((id(old), id(new)))
        if old.tag != new.tag:
            _mismatch(source, old.line, "a collection changed tag")
        if kind is MappingNode:
            new_pairs = new.value
            if old.inserted:
                new_pairs = _without_inserted(source, old, list(new_pairs), old.inserted)
            if 2 * len(new_pairs) != len(old.children):
                _mismatch(source, old.line, "a mapping changed shape")
            children = iter(old.children)
            for (ok, ov), (nk, nv) in zip(zip(children, children), new_pairs):
                push((ok, nk))
                push((ov, nv))
        else:
            if len(old.children) != len(new.value):
                _mismatch(source, old.line, "a sequence changed shape")
            stack.extend(zip(old.children, new.value))


def _without_inserted(
    source: Source, old: _Span, new_pairs: list[tuple[Node, Node]], added: list[tuple[str, str]]
) -> list[tuple[Node, Node]]:
    """The re-parsed mapping's pairs less the inserted ones, each checked to read back."""
    for key, value in added:
        hit = [p for p in new_pairs if type(p[0]) is ScalarNode and p[0].value == key]
        if len(hit) != 1 or (hit[0][1].tag, hit[0][1].value) != (STR_TAG, value):
            _mismatch(source, old.line, f"inserted {key!r} does not read back as {value!r}")
        new_pairs.remove(hit[0])
    return new_pairs


def _mismatch(source: Source, line: int | None, what: str) -> NoReturn:
    """Refuse the edit; `line`: the 0-based line of the first parse's node that differs."""
    raise ManifestError(
        f"refusing to write: re-parsing the edit shows {what}; please report this file",
        file=source.path,
        line=line + 1 if line is not None else None,
    )
