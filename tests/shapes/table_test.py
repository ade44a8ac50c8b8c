"""The shape table: every shape module is in it and has its test file; two shapes never claim one
key; and a shape added to it is found by the walk with nothing else changed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from yaml.nodes import ScalarNode

from bumper.image_ref import ImageRef
from bumper.shapes import table, walk
from bumper.shapes.reference import WholeRef
from bumper.shapes.shape import Found, Shape
from testing.shapes import find

ROOT = Path(__file__).resolve().parents[2]


def _shape_modules() -> dict[str, Shape]:
    modules = {}
    for path in sorted((ROOT / "bumper" / "shapes").glob("*.py")):
        module = importlib.import_module(f"bumper.shapes.{path.stem}")
        if isinstance(getattr(module, "SHAPE", None), Shape):
            modules[path.stem] = module.SHAPE
    return modules


def test_every_shape_module_is_in_the_table_once_with_its_test_file() -> None:
    modules = _shape_modules()
    assert set(modules) >= {"container", "helm", "kustomize", "argocd", "markers", "chart"}, (
        "the modules were read"
    )
    assert sorted(map(id, modules.values())) == sorted(map(id, table.SHAPES)), (
        "a SHAPE missing from table.SHAPES"
    )
    missing = [name for name in modules if not (ROOT / "tests" / "shapes" / f"{name}_test.py").is_file()]
    assert missing == [], "each shape module has tests/shapes/<module>_test.py"


def _hook(*args: object) -> None:
    """A hook of any kind that reads nothing."""


@pytest.mark.parametrize(
    "second",
    [
        Shape("b", keys=frozenset({"image"}), scalar=_hook),
        Shape("b", sequences={"\0kustomize-images": _hook}),
        Shape("b", contexts={"images": {"kustomize": "\0mine"}}),
        Shape("b", marker_kind="bumper", marked=_hook),
        Shape("b", block=_hook),
    ],
    ids=["key", "sequence", "context", "marker", "block"],
)
def test_two_shapes_never_claim_one_key(second: Shape) -> None:
    first = Shape(
        "a",
        keys=frozenset({"image"}),
        scalar=_hook,
        sequences={"\0kustomize-images": _hook},
        contexts={"images": {"kustomize": "\0argo"}},
        marker_kind="bumper",
        marked=_hook,
        block=_hook,
    )
    table.index((first,))
    with pytest.raises(ValueError, match="claimed twice"):
        table.index((first, second))


def test_a_shape_added_to_the_table_is_found_by_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "Support X's images" is a module and a line in the table: here a shape reading a whole
    reference under `build: {from: …}` (and no other `from:`)."""

    def build_from(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
        parsed = ImageRef.try_parse(str(value.value))
        if context == "build" and parsed is not None:
            found.add(WholeRef("build", value, parsed))

    text = "build:\n  from: ghcr.io/acme/base:v1\nfrom: nginx:1.25\n"
    assert find(text).found == []
    extended = table.index((*table.SHAPES, Shape("build", keys=frozenset({"from"}), scalar=build_from)))
    monkeypatch.setattr(walk, "DISPATCH", extended)
    assert find(text).found == [(2, "build", "ghcr.io/acme/base:v1")]


def test_the_walk_finds_the_same_after_forgetting_what_it_learnt_of_key_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The walk classifies each key name once (exact key, ending, beginning, mapping trigger) and
    forgets past `MAX_LEARNT` names: a file read with everything forgotten at every mapping
    finds what it finds with every name remembered."""
    text = (
        "app:\n  image:\n    repository: ghcr.io/acme/app\n    tag: v1\n"
        "  sidecarImage: ghcr.io/acme/side:v2\n"
        "env:\n  - name: X\n    value: y\n"
        "RELATED_IMAGE_DB: ghcr.io/acme/db:v3\n"
    )
    remembered = find(text).found
    assert [value for _, _, value in remembered] == [
        "ghcr.io/acme/app:v1",
        "ghcr.io/acme/side:v2",
        "ghcr.io/acme/db:v3",
    ]
    monkeypatch.setattr(table, "MAX_LEARNT", 1)
    fresh = table.index(table.SHAPES)
    monkeypatch.setattr(walk, "DISPATCH", fresh)
    assert find(text).found == remembered
    assert len(fresh.learnt.names) <= 3, "forgotten past MAX_LEARNT, not kept"
    assert fresh.learnt.scalars.keys() <= {"repository", "tag", "image", "sidecarImage", "RELATED_IMAGE_DB"}


def test_a_key_forgotten_by_a_walk_nested_in_its_mapping_is_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An embedded document (a ConfigMap's `config.yaml: |`) is walked while its mapping's keys
    are being read; when that walk passed MAX_LEARNT it forgot the outer keys, and the `image:`
    after the block was read as a key no hook reads: the reference was missed, with nothing
    said, in a run that had met 20,000 key names before."""
    text = (
        "data:\n  config.yaml: |\n"
        + "".join(f"    k{i}: x\n" for i in range(10))
        + "  image: ghcr.io/acme/app:v1\n"
    )
    assert find(text).found == [(13, "container", "ghcr.io/acme/app:v1")]
    monkeypatch.setattr(table, "MAX_LEARNT", 5)
    monkeypatch.setattr(walk, "DISPATCH", table.index(table.SHAPES))
    assert find(text).found == [(13, "container", "ghcr.io/acme/app:v1")]
