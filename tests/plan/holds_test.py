"""bumper.plan.holds: the scalars each kind of reference edits or moves with, read through the
reference's typed methods (never by attribute name), and the holds they carry."""

from __future__ import annotations

import ast
from pathlib import Path
from textwrap import dedent

from bumper.plan.holds import edited_nodes, held_references
from bumper.plan.rules import RunRules
from bumper.shapes.reference import Reference
from bumper.shapes.walk import read_references
from bumper.yaml_edit import ScalarNode, Source

HOLDS = Path(__file__).resolve().parents[2] / "bumper" / "plan" / "holds.py"


def _refs(text: str, path: str = "values.yaml") -> tuple[Source, list[Reference], dict[int, list[int]]]:
    source = Source(path, dedent(text))
    docs, found, _, shared = read_references(source)
    return source, found, held_references(source, docs, found, RunRules(), shared)


def _lines(ref: Reference) -> list[int]:
    return [node.start_mark.line + 1 for node in edited_nodes(ref)]


def test_a_helm_map_edits_its_tag_and_the_digest_beside_it() -> None:
    _, (ref,), _ = _refs(
        """\
        image:
          repository: ghcr.io/acme/app
          tag: v1.0.0
          digest: sha256:cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4
        """
    )
    assert _lines(ref) == [3, 4]


def test_a_kustomize_entry_without_new_tag_edits_the_entry_and_with_one_its_new_tag() -> None:
    _, refs, _ = _refs(
        """\
        images:
          - name: ghcr.io/acme/app
          - name: ghcr.io/acme/api
            newTag: v1.0.0
        """,
        "kustomization.yaml",
    )
    without, with_tag = refs
    assert _lines(without) == [2, 2]  # the name it is reported at, and the entry gaining newTag
    assert _lines(with_tag) == [4, 4]  # newTag, as the scalar and as the entry's tag
    assert all(isinstance(node, ScalarNode) for node in edited_nodes(with_tag))


def test_a_version_repeating_the_image_tag_moves_with_the_image_and_a_hold_on_it_holds_both() -> None:
    _, refs, held = _refs(
        """\
        thanos:
          image: quay.io/thanos/thanos:v0.27.0
          version: v0.27.0  # bumper: hold
        """
    )
    image, version = refs
    assert _lines(version) == [3, 2] and version.innermost().tied() is image.node
    assert set(held) == {id(image), id(version)}


def test_a_marked_tag_takes_the_digest_of_its_map_and_the_image_its_map_runs() -> None:
    _, (marked,), _ = _refs(
        """\
        image:
          repository: mirror.local/acme/app
          tag: v1.0.0 # {"$bumper": "ghcr.io/acme/app:tag"}
          digest: sha256:cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4
        """
    )
    assert _lines(marked) == [3, 4]
    assert marked.innermost().runs_image() == "mirror.local/acme/app"


def test_holds_reads_no_reference_field_by_name() -> None:
    """An architecture rule: a field read through getattr escapes mypy (a renamed field would
    silently hold nothing)."""
    calls = [
        node
        for node in ast.walk(ast.parse(HOLDS.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
    ]
    assert calls == []
