"""Golden-file tests: each tests/golden/<case>/ is one `bumper bump ... --dir` run (STYLE.md §4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from testing.golden import (
    GOLDEN_DIR,
    case_dirs,
    copy_in,
    load_case,
    read_tree,
    scratch_dir,
    tree_diff,
    write_expected,
)

CASES = case_dirs()


def test_every_case_is_complete() -> None:
    assert len(CASES) >= 32
    for path in GOLDEN_DIR.iterdir():
        if path.name.startswith(".") or path.name == "__pycache__":
            continue
        assert path.is_dir(), f"stray file {path.name} in tests/golden/"
        assert (path / "input").is_dir(), f"{path.name}: no input/"
        assert (path / "expected").is_dir(), f"{path.name}: no expected/"
        assert (path / "case.toml").is_file(), f"{path.name}: no case.toml"
        assert path.name == path.name.lower() and " " not in path.name and "_" not in path.name, (
            f"{path.name}: case names are kebab-case"
        )
        case = load_case(path)
        assert case.exit in (0, 1, 2, 3), f"{path.name}: exit {case.exit} is not in CONTRACT.md"
        if case.exit != 0:
            assert read_tree(case.input_dir, stored=True) == read_tree(case.expected_dir, stored=True), (
                f"{path.name}: a failed run writes nothing, so expected/ must equal input/"
            )


@pytest.mark.parametrize("case_dir", CASES, ids=[p.name for p in CASES])
def test_golden(case_dir: Path, request: pytest.FixtureRequest) -> None:
    from bumper.cli import main

    case = load_case(case_dir)
    with scratch_dir() as tree:
        copy_in(case.input_dir, tree)
        result = CliRunner().invoke(main, case.argv(tree), catch_exceptions=False)
        if request.config.getoption("--update-golden"):
            write_expected(case, tree)
        details = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        assert result.exit_code == case.exit, details
        for text in case.stdout_contains:
            assert text in result.stdout, details
        for text in case.stderr_contains:
            assert text in result.stderr, details
        problems = tree_diff(read_tree(tree), read_tree(case.expected_dir, stored=True))
        assert not problems, "\n".join(problems) + "\n" + details
