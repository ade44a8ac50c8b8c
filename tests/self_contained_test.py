"""The suite stands alone: no test module reaches for a path outside the checkout (a fresh clone
with nothing beside it must pass `python -m pytest`)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "testing").rglob("*.py")])
# Spellings of a sibling checkout or a shared folder: never in a test.
FORBIDDEN_TEXT = ("shared/corpus", "/work/shared", "../shared", '"shared"', "'shared'")


def _from_file(node: ast.AST, file: Path) -> Path | None:
    """The path an expression built from `Path(__file__)` (or `os.path.dirname(__file__)`) names,
    through `.resolve()`, `.parent`, `.parents[N]` and `/ "literal"`; None for anything else."""
    if isinstance(node, ast.Name) and node.id == "__file__":
        return file
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Path" and len(node.args) == 1:
            return _from_file(node.args[0], file)
        if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute") and not node.args:
            return _from_file(func.value, file)
        if isinstance(func, ast.Attribute) and func.attr == "dirname" and len(node.args) == 1:
            inner = _from_file(node.args[0], file)
            return None if inner is None else inner.parent
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _from_file(node.value, file)
        return None if inner is None else inner.parent
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
    ):
        inner = _from_file(node.value.value, file)
        index = node.slice
        if inner is not None and isinstance(index, ast.Constant) and isinstance(index.value, int):
            return inner.parents[index.value] if index.value < len(inner.parents) else Path("/")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        inner = _from_file(node.left, file)
        if inner is not None and isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
            return Path(os.path.normpath(inner / node.right.value))
    return None


def _escapes(path: Path) -> bool:
    return os.path.commonpath([path, ROOT]) != str(ROOT)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_path_outside_the_checkout(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    if module != Path(__file__).resolve():
        assert not [s for s in FORBIDDEN_TEXT if s in text], (
            f"{module.name} names a folder outside the checkout"
        )
    outside = sorted(
        f"line {node.lineno}: {found}"
        for node in ast.walk(ast.parse(text))
        if (found := _from_file(node, module)) is not None and _escapes(found)
    )
    assert outside == [], f"{module.relative_to(ROOT)} builds paths outside the checkout: {outside}"


@pytest.mark.parametrize(
    "source, escapes",
    [
        ("Path(__file__).resolve().parents[2] / 'shared' / 'corpus'", True),
        ("Path(__file__).parent.parent.parent / 'shared'", True),
        ("Path(__file__).resolve().parent / '..' / '..' / 'x'", True),
        ("os.path.dirname(os.path.dirname(os.path.dirname(__file__)))", True),
        ("Path(__file__).resolve().parents[1] / 'tests' / 'corpus'", False),
        ("Path(__file__).resolve().parent / 'corpus'", False),
    ],
)
def test_the_check_sees_each_spelling_of_an_escape(source: str, escapes: bool) -> None:
    node = ast.parse(source, mode="eval").body
    found = _from_file(node, ROOT / "tests" / "x_test.py")
    assert found is not None and _escapes(found) is escapes


def test_the_vendored_corpus_names_its_sources_and_licences() -> None:
    corpus = ROOT / "tests" / "corpus"
    readme = (corpus / "README.md").read_text(encoding="utf-8")
    for tree in sorted(p for p in corpus.iterdir() if p.is_dir()):
        owner, _, repo = tree.name.partition("__")
        assert f"https://github.com/{owner}/{repo}" in readme, tree.name
        assert any(tree.glob("LICENSE*")), f"{tree.name}: no licence copied"


# The fixtures too: a golden tree's file spelling a path to the sibling shared folder reads as a
# test that needs it (a kustomization's `../shared/version.yaml` once did, inside its own tree).
FIXTURE_TEXT = ("shared/corpus", "/work/shared", "../shared")


def test_no_fixture_spells_a_path_to_the_shared_folder() -> None:
    fixtures = (p for p in (ROOT / "tests").rglob("*") if p.is_file() and p.suffix != ".py")
    named = sorted(
        path.relative_to(ROOT).as_posix()
        for path in fixtures
        if any(text.encode() in path.read_bytes() for text in FIXTURE_TEXT)
    )
    assert named == []
