"""The proof after splicing: re-parse and refuse any change but the intended ones."""

from __future__ import annotations

import pytest

from bumper.errors import ManifestError
from bumper.yaml_edit import (
    Edit,
    MappingNode,
    Node,
    Plan,
    Source,
    apply_and_verify,
    check_unique_keys,
    compose_all,
    render_scalar,
)

TEXT = "a: x\n---\nimage: ghcr.io/acme/app:v1\nother: keep\n---\nb: [1, 2]\n"


def _plan(source: Source, docs, value: str, extra: list[Edit] = ()) -> Plan:  # type: ignore[no-untyped-def]
    node = docs[1].value[0][1]
    plan = Plan()
    plan.replace(source, node, value)
    plan.edits.extend(extra)
    return plan


def test_the_intended_edit_passes_and_changes_only_its_bytes() -> None:
    source = Source("f.yaml", TEXT)
    docs = compose_all(source)
    new = apply_and_verify(source, docs, _plan(source, docs, "ghcr.io/acme/app:v2"))
    assert new == TEXT.replace("app:v1", "app:v2")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([Edit(TEXT.index("keep"), TEXT.index("keep") + 4, "kept")], "'keep' changed to 'kept'"),
        ([Edit(TEXT.index("[1, 2]"), TEXT.index("[1, 2]") + 6, "[1, 3]")], "'2' changed to '3'"),
        ([Edit(TEXT.index("a: x"), TEXT.index("a: x") + 4, "a: [x")], "no longer parses"),
        ([Edit(TEXT.index("b: "), TEXT.index("b: "), "c: 1\n")], "mapping changed shape"),
        ([Edit(TEXT.index("---\nb"), TEXT.index("---\nb") + 4, "")], "number of documents"),
    ],
)
def test_any_other_change_is_refused(extra: list[Edit], message: str) -> None:
    source = Source("f.yaml", TEXT)
    docs = compose_all(source)
    with pytest.raises(ManifestError, match=message):
        apply_and_verify(source, docs, _plan(source, docs, "ghcr.io/acme/app:v2", extra))


def test_a_plain_value_that_would_change_type_is_caught() -> None:
    """Writing 1.10 unquoted would read back as the float 1.1: the proof notices."""
    text = "tag: 1.9\n"
    source = Source("v.yaml", text)
    docs = compose_all(source)
    plan = Plan(edits=[Edit(5, 8, "1.10")], changed={id(docs[0].value[0][1]): "1.10"})
    with pytest.raises(ManifestError, match="expected '1.10'"):
        apply_and_verify(source, docs, plan)
    assert render_scalar("1.10", None) == '"1.10"' and render_scalar("v1.10", None) == "v1.10"


@pytest.mark.parametrize(
    ("written", "new", "expected"),
    [
        ('"ghcr.io\\/acme\\/app:v1"', "ghcr.io/acme/app:v2", '"ghcr.io\\/acme\\/app:v2"'),
        ('"\\u0067hcr.io/acme/app:v1"', "ghcr.io/acme/app:v1.1", '"\\u0067hcr.io/acme/app:v1.1"'),
        ('"ghcr.io/acme/app:\\x761"', "ghcr.io/acme/app:v2", '"ghcr.io/acme/app:\\x762"'),
        ('"ghcr.io/acme/app:v\\x31"', "ghcr.io/acme/app:v2", '"ghcr.io/acme/app:v2"'),
        ('"ghcr.io/acme/\\\r\n    app:v1"', "ghcr.io/acme/app:v2", '"ghcr.io/acme/\\\r\n    app:v2"'),
        ("'a b\n  ghcr.io/acme/app:v1'", "a b ghcr.io/acme/app:v2", "'a b\n  ghcr.io/acme/app:v2'"),
        ("a b\n  ghcr.io/acme/app:v1", "a b ghcr.io/acme/app:v2", "a b\n  ghcr.io/acme/app:v2"),
    ],
)
def test_a_value_written_with_escapes_or_over_lines_changes_only_its_changed_part(
    written: str, new: str, expected: str
) -> None:
    """Rewriting such a scalar whole wrote its escapes and line breaks anew; every byte of it
    but the changed part's stays now."""
    text = f"x: 1\nimage: {written}\nkeep: 2\n"
    source = Source("f.yaml", text)
    docs = compose_all(source)
    plan = Plan()
    plan.replace(source, docs[0].value[1][1], new)
    assert apply_and_verify(source, docs, plan) == text.replace(written, expected)


@pytest.mark.parametrize(
    ("written", "new"),
    [
        ('"ghcr.io/acme/app:v1\\\n  .9"', "ghcr.io/acme/app:v2.0"),  # the tag changes across the line break
        ('"ghcr.io\\/acme/app:v1"', 'ghcr.io/acme/app:v"2'),  # the new part needs an escape
    ],
)
def test_a_changed_part_that_cannot_be_spliced_alone_is_refused(written: str, new: str) -> None:
    source = Source("f.yaml", f"image: {written}\n")
    docs = compose_all(source)
    with pytest.raises(ManifestError, match="f.yaml:1: cannot rewrite only the changed part of this value"):
        Plan().replace(source, docs[0].value[0][1], new)


TYPED = """\
%YAML 1.1
---
plain: text
numbers: [1, -2, 0x1F, 0o17, 1_000, 1.5, .inf, -.Inf, .nan, 6.02e+23, "1", '2']
truth: [yes, No, on, OFF, true, y, n, ~, null, Null, ""]
dates: [2001-12-14, 2001-12-14t21:59:43.10-05:00]
base: &base {tag: "1.0", =: value}
merged:
  <<: *base
  tag: !!str 1.1
  block: |
    123
  folded: >-
    true
  local: !custom 5
  empty:
"""


def test_tags_resolve_as_the_pure_python_safe_loader_does() -> None:
    """The loader answers tag resolution from a cache in C: the tags must be the safe loader's."""
    import yaml

    def tags(node: yaml.Node) -> list[tuple[str, object]]:
        if isinstance(node.value, str):
            return [(node.tag, node.value)]
        children = node.value if isinstance(node, yaml.SequenceNode) else [c for kv in node.value for c in kv]
        return [(node.tag, None), *(t for child in children for t in tags(child))]

    for _ in range(2):  # the second time every tag comes from the cache
        [ours] = compose_all(Source("typed.yaml", TYPED))
        [reference] = yaml.compose_all(TYPED, Loader=yaml.SafeLoader)
        assert tags(ours) == tags(reference)
        assert ("tag:yaml.org,2002:int", "0x1F") in tags(ours)
        assert ("tag:yaml.org,2002:merge", "<<") in tags(ours)


NESTED = (
    "# many edits, untouched subtrees between them\r\n"
    "base: &b {repo: ghcr.io/acme/app, tag: v1, keep: [1, 2, {x: y}]}\r\n"
    "apps:\r\n"
    "  - name: one\r\n"
    "    image: ghcr.io/acme/app:v1\r\n"
    "    env: [{name: A, value: '1'}, {name: B, value: \"2\"}]\r\n"
    "  - name: two\r\n"
    "    <<: *b\r\n"
    "    sidecar: {image: 'ghcr.io/acme/app:v1', args: [--a, --b]}\r\n"
    "  - *b\r\n"
    "tail: {deep: {deeper: [a, b, c]}}\r\n"
)


def test_edits_of_every_length_leave_the_untouched_subtrees_in_place() -> None:
    """Edits that grow and shrink the text before untouched subtrees (flow, block, CRLF,
    anchors and aliases): the proof finds every later node where the shifts put it."""
    source = Source("n.yaml", NESTED)
    [doc] = compose_all(source)
    base = doc.value[0][1]
    apps = doc.value[1][1].value
    plan = Plan()
    plan.replace(source, base.value[1][1], "v1.2.3-a-much-longer-tag")
    plan.replace(source, apps[0].value[1][1], "ghcr.io/acme/app:v2")
    plan.replace(source, apps[1].value[2][1].value[0][1], "ghcr.io/acme/app:2")
    new = apply_and_verify(source, [doc], plan)
    expected = (
        NESTED.replace("tag: v1,", "tag: v1.2.3-a-much-longer-tag,")
        .replace("image: ghcr.io/acme/app:v1\r\n", "image: ghcr.io/acme/app:v2\r\n")
        .replace("'ghcr.io/acme/app:v1'", "'ghcr.io/acme/app:2'")
    )
    assert new == expected


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        # an edit that defines the anchor again (valid YAML: the alias would name the new one)
        ("x: &a one\ny: two\nz: [*a]\n", "two", "&a two"),
        # in a file that defines `&a` twice, an edit that drops the second definition (the
        # alias would name the first one)
        ("x: &a one\ny: &a two\nz: [*a]\n", "&a two", "two"),
    ],
)
def test_an_edit_cannot_re_point_an_alias_in_an_untouched_subtree(text: str, old: str, new: str) -> None:
    """Skipping untouched subtrees relies on aliases meaning the same after the edit: an edit
    that re-points one is refused by comparing the order of every anchor and alias of both
    texts."""
    source = Source("a.yaml", text)
    [doc] = compose_all(source)
    y = doc.value[1][1]
    at = text.index(old)
    plan = Plan(edits=[Edit(at, at + len(old), new)], changed={id(y): "two"})
    with pytest.raises(ManifestError, match="an anchor or alias changed"):
        apply_and_verify(source, [doc], plan)


def test_an_anchor_defined_again_is_read_as_yaml_and_go_read_it() -> None:
    """A second `&a` replaces the first for the aliases after it (YAML spec, Go's YAML); an
    undefined alias is still an error."""
    text = "a: &p 1\nb: [*p]\nc: &p 2\nd: [*p]\n---\ne: &p 3\n"
    source = Source("a.yaml", text)
    first, second = compose_all(source)
    values = {k.value: v for k, v in first.value}
    assert values["b"].value[0] is values["a"] and values["d"].value[0] is values["c"]
    assert source.redefines_anchors
    assert second.value[0][1].value == "3"
    with pytest.raises(ManifestError, match="undefined alias"):
        compose_all(Source("b.yaml", "a: &p 1\n---\nb: *p\n"))


def test_an_edit_in_a_file_defining_an_anchor_again_passes() -> None:
    text = "x: &a one\ny: &a ghcr.io/acme/app:v1\nz: [*a]\n"
    source = Source("a.yaml", text)
    [doc] = compose_all(source)
    plan = Plan()
    plan.replace(source, doc.value[1][1], "ghcr.io/acme/app:v2")
    assert apply_and_verify(source, [doc], plan) == text.replace(":v1", ":v2")


def test_an_edit_reaching_out_of_its_document_is_refused() -> None:
    """An edit whose text ends its document and adds a `%TAG` directive re-reads the next
    document's `!custom` tag, though that document's text is unchanged: refused."""
    text = "a: v1\n---\nj: !custom {image: x}\n"
    source = Source("a.yaml", text)
    docs = compose_all(source)
    v1 = docs[0].value[0][1]
    reaching = "v2\n...\n%TAG ! tag:evil.example,2000:"
    plan = Plan(edits=[Edit(v1.start_mark.index, v1.end_mark.index, reaching)], changed={id(v1): "v2"})
    with pytest.raises(ManifestError, match="a document moved"):
        apply_and_verify(source, docs, plan)


def test_an_anchored_collection_is_checked_at_each_use_that_no_longer_shares_it() -> None:
    """A wrong splice that spells an alias out with the wanted value, and writes another value
    at the anchor, is refused: the anchored mapping, once compared at its use, is compared
    again wherever the re-parse no longer shares one node."""
    text = "a: &A {x: v1}\nb: *A\n"
    source = Source("a.yaml", text)
    [doc] = compose_all(source)
    mapping = doc.value[0][1]
    star = text.index("*A")
    plan = Plan(
        edits=[
            Edit(mapping.start_mark.index, mapping.end_mark.index, "{x: v9}"),  # not what is wanted
            Edit(star, star + 2, "{x: v2}"),  # the alias written out, as wanted
        ],
        changed={id(mapping.value[0][1]): "v2"},
    )
    with pytest.raises(ManifestError, match="expected 'v2' but the file now reads 'v9'"):
        apply_and_verify(source, [doc], plan)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], None),
        ([Edit(TEXT.index("keep"), TEXT.index("keep") + 4, "kept")], "'keep' changed to 'kept'"),
        ([Edit(TEXT.index("b: "), TEXT.index("b: "), "c: 1\n")], "mapping changed shape"),
    ],
)
def test_the_proof_holds_no_node_of_the_first_parse(extra: list[Edit], message: str | None) -> None:
    """A Proof keeps spans, not nodes: the first parse can be dropped before the second is
    made (a big file's two graphs never coexist), and a wrong splice still fails."""
    import gc
    import weakref

    from bumper.yaml_edit import Proof

    source = Source("f.yaml", TEXT)
    docs = compose_all(source)
    proof = Proof(source, docs, _plan(source, docs, "ghcr.io/acme/app:v2", extra))
    first_parse = [weakref.ref(doc) for doc in docs] + [weakref.ref(docs[1].value[0][1])]
    del docs
    gc.collect()
    assert [ref() for ref in first_parse] == [None] * len(first_parse)
    if message is None:
        assert proof.verify() == TEXT.replace("app:v1", "app:v2")
    else:
        with pytest.raises(ManifestError, match=message):
            proof.verify()


@pytest.mark.parametrize(
    ("first", "message"),
    [
        ("a: x\nb: yy\nc: z\n", None),
        ("a: x\nb:  yy\nc: z", "f.yaml:3: .*a node moved"),  # `b`'s value and `c` one column on
        ("a: x\nb: yy\nc:  z", "f.yaml:3: .*a node moved"),  # the last value one column on
        ("a: x\n\nb: yy\nc: z", "f.yaml:4: .*a node moved"),  # a line further
        ("a: x\nb: []\nc: z\n", "f.yaml:2: .*a node changed kind"),
    ],
)
def test_a_node_no_edit_touches_is_checked_by_its_place_and_kind(first: str, message: str | None) -> None:
    """The proof keeps, of a node no edit touches, only its kind and where its twin must be.
    Proved against the first parse of a slightly different text (the document the same length),
    the untouched nodes after the edit, shifted by it, are found out."""
    text = "a: x\nb: yy\nc: z\n"
    source = Source("f.yaml", text)
    docs = compose_all(Source("f.yaml", first))
    plan = Plan()
    plan.replace(source, docs[0].value[0][1], "longer")
    if message is None:
        assert apply_and_verify(source, docs, plan) == text.replace("x", "longer")
    else:
        with pytest.raises(ManifestError, match=message):
            apply_and_verify(source, docs, plan)


def _unique_keys_error(text: str) -> str | None:
    """The error check_unique_keys raises on every mapping of `text`, else None."""
    source = Source("v.yaml", text)
    try:
        for doc in compose_all(source):
            stack: list[Node] = [doc]
            while stack:
                node = stack.pop()
                if isinstance(node, MappingNode):
                    check_unique_keys(source, node)
                    stack.extend(v for _, v in node.value)
    except ManifestError as exc:
        return f"{exc.line}: {exc.message}"
    return None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # two merges bringing different keys (grafana/loki's helm-cluster values): read alike
        ("a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: *a\n  <<: *b\n", None),
        # a key both bring that the map sets itself: the map's own value wins everywhere
        ("a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: *a\n  <<: *b\n  x: 3\n", None),
        # one key brought by both: PyYAML keeps the first, Helm the last
        (
            "a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: *a\n  <<: *b\n",
            "5: duplicate key '<<': the maps merged here and at line 4 both bring 'x'",
        ),
        # ... also through a merge inside a merged map, or a list of maps
        (
            "a: &a {x: 1}\nc: &c {x: 2}\nb: &b {<<: *c}\nm:\n  <<: [*a]\n  <<: *b\n",
            "6: duplicate key '<<': the maps merged here and at line 5 both bring 'x'",
        ),
        # one value brought twice reads alike whichever wins: layered defaults (`<<: *defaults`,
        # then `<<: *image`, which merges `*defaults` itself), one anchor twice
        ("d: &d {p: 1}\ni: &i {<<: *d, r: x}\nm:\n  <<: *d\n  <<: *i\n", None),
        ("a: &a {x: 1}\nb: &b {<<: *a}\nm:\n  <<: [*a]\n  <<: *b\n", None),
        ("a: &a {x: 1}\nm:\n  <<: *a\n  <<: *a\n", None),
        # ... but not two values saying the same: an edit of the one read would leave the other
        # (Helm's, the last) as it was
        (
            "a: &a {x: 1}\nb: &b {x: 1}\nm:\n  <<: *a\n  <<: *b\n",
            "5: duplicate key '<<': the maps merged here and at line 4 both bring 'x'",
        ),
        # a merged map's own key wins over what it merges itself, as YAML's merge says
        (
            "a: &a {x: 1}\nb: &b {<<: *a, x: 2}\nm:\n  <<: *a\n  <<: *b\n",
            "5: duplicate key '<<': the maps merged here and at line 4 both bring 'x'",
        ),
        # one `<<` with a list: the merge spec's order (the first wins), nothing ambiguous
        ("a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: [*a, *b]\n", None),
        # any other key repeated is refused as before
        ("m:\n  x: 1\n  <<: {y: 1}\n  x: 2\n", "4: duplicate key 'x'; remove one of them"),
    ],
)
def test_a_merge_key_may_repeat_when_the_maps_it_merges_are_disjoint(text: str, error: str | None) -> None:
    found = _unique_keys_error(text)
    assert found == error if error is None else found is not None and found.startswith(error)


def test_merged_keys_read_each_map_once_in_a_merge_bomb() -> None:
    lines = ["l0: &l0 {k: 1}"] + [
        f"l{i}: &l{i} {{<<: [{', '.join([f'*l{i - 1}'] * 9)}]}}" for i in range(1, 19)
    ]
    text = "\n".join([*lines, "z: &z {k: 2}", "m:", "  <<: *l18", "  <<: *l18", "  <<: *z", ""])
    assert (_unique_keys_error(text) or "").startswith(f"{len(lines) + 5}: duplicate key '<<'")


@pytest.mark.parametrize(
    ("text", "repeated"),
    [
        # the same scalar twice (helm/charts' stable/aws-cluster-autoscaler Chart.yaml): noted
        ("deprecated: true\nname: x\ndeprecated: true\n", {"deprecated": 3}),
        ("tag: 'v1'\ntag: v1\n", {"tag": 2}),  # one text, one tag: quoting is no difference
    ],
)
def test_a_key_said_twice_with_one_value_is_noted_not_refused(text: str, repeated: dict[str, int]) -> None:
    source = Source("Chart.yaml", text)
    [doc] = compose_all(source)
    assert isinstance(doc, MappingNode)
    repeats: dict[int, tuple[str, int]] = {}
    check_unique_keys(source, doc, repeats)
    assert dict(repeats.values()) == repeated
    assert len(repeats) == 2  # both values, so an edit of either is refused


@pytest.mark.parametrize(
    "text",
    [
        "deprecated: true\ndeprecated: yes\n",  # two texts, read alike only by YAML 1.1
        "tag: 1\ntag: '1'\n",  # an int and a string
        "a: {x: 1}\na: {x: 1}\n",  # maps: not compared
    ],
)
def test_a_key_said_twice_with_two_values_is_refused_even_when_noting(text: str) -> None:
    source = Source("Chart.yaml", text)
    [doc] = compose_all(source)
    assert isinstance(doc, MappingNode)
    with pytest.raises(ManifestError, match="duplicate key"):
        check_unique_keys(source, doc, {})
