"""What planning one file reports beside its edits: which .bumper.yaml rule refused a reference
(where it is, its paths, its images, what it allows), and a value the shapes left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.plan.file import ignored_skip, rule_note
from bumper.plan.rules import parse_policy
from bumper.shapes.reference import Ignored
from bumper.yaml_edit import Source

POLICY = b"""version: 1
rules:
  - paths: ['clusters/prod/**']
    images: ['ghcr.io/acme/*']
    hold: true
  - images: ['/nginx']
    allow: '^1\\.'
"""


def test_a_rule_is_named_by_line_paths_images_and_what_it_allows() -> None:
    hold, allow = parse_policy(POLICY).rules
    assert rule_note(None) is None
    assert rule_note(hold) == ".bumper.yaml:3 (rule 1): paths clusters/prod/**; images ghcr.io/acme/*; hold"
    assert (
        rule_note(allow)
        == ".bumper.yaml:6 (rule 2): every path; images docker.io/library/nginx; allow '^1\\.'"
    )


def test_a_value_left_alone_becomes_a_skip_of_its_file() -> None:
    source = Source("apps/values.yaml", "image: {{ .Values.tag }}\n")
    skip = ignored_skip(source, Ignored(1, "container", "{{ .Values.tag }}", "template", None))
    assert (skip.file, skip.line, skip.reason) == ("apps/values.yaml", 1, "template")


def test_the_first_parse_is_gone_before_the_proof_parses_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big file's two node graphs never coexist: planning drops the first parse (only the
    proof's spans of it stay) before the proof composes the edited text."""
    import gc
    import weakref

    import bumper.shapes.walk as walk_module
    from bumper.image_ref import ImageRef
    from bumper.plan.tree import TreeRequest, plan_tree
    from bumper.yaml_edit import Node, Proof, compose_all

    first: list[weakref.ref[object]] = []
    alive_at_proof: list[int] = []

    def composing(source: Source) -> list[Node]:
        docs = compose_all(source)
        first.extend(weakref.ref(doc) for doc in docs)
        return docs

    verify = Proof.verify

    def verifying(proof: Proof) -> str:
        gc.collect()
        alive_at_proof.append(sum(ref() is not None for ref in first))
        return verify(proof)

    monkeypatch.setattr(walk_module, "compose_all", composing)  # read_references' parse
    monkeypatch.setattr(Proof, "verify", verifying)
    (tmp_path / "values.yaml").write_text("a:\n  image: ghcr.io/acme/app:v1\nb: &x {tag: v1}\nc: *x\n")
    plan = plan_tree(TreeRequest(tmp_path, [ImageRef.parse("ghcr.io/acme/app:v2")]))
    assert [c.new for c in plan.changes] == ["ghcr.io/acme/app:v2"]
    assert len(first) == 1 and alive_at_proof == [0]
