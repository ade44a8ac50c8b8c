"""The layout rules a reviewer checks by eye, checked here: the top level of `bumper/` stays a
short list (the pipeline lives in packages), and no function grows past 70 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bumper"
MAX_TOP_LEVEL = 20  # every .py file directly in bumper/, __init__.py and __main__.py included
MAX_FUNCTION_LINES = 70


def test_the_top_level_holds_at_most_twenty_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, f"{len(top)} modules at the top level of bumper/: {top}"


def long_functions(package: Path = PACKAGE, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """`path:line name (n lines)` of every function longer than `limit`, decorators excluded."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append(
                        f"{path.relative_to(package.parent)}:{node.lineno} {node.name} ({lines} lines)"
                    )
    return found


def test_no_function_is_longer_than_seventy_lines() -> None:
    assert long_functions() == []


def test_a_long_function_is_found(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}")
    assert long_functions(tmp_path) == [f"{tmp_path.name}/long.py:1 long ({MAX_FUNCTION_LINES + 1} lines)"]


def test_three_quarters_of_the_modules_have_a_test_module_named_after_them() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    tests = {p.name for p in (PACKAGE.parent / "tests").rglob("*_test.py")}
    named = [m for m in modules if f"{m.stem}_test.py" in tests]
    missing = sorted(str(m.relative_to(PACKAGE.parent)) for m in modules if m not in named)
    assert len(named) * 4 >= len(modules) * 3, f"{len(named)} of {len(modules)}; without one: {missing}"
