"""Golden-file tests: each tests/golden/<case>/ is one `bumper bump ... --dir` run (STYLE.md §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from testing.forking import fork_beside_the_suites_threads
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
        assert case.exit in (0, 1, 2, 3), f"{path.name}: exit {case.exit} is not in docs/reference.md"
        if case.exit != 0:
            assert read_tree(case.input_dir, stored=True) == read_tree(case.expected_dir, stored=True), (
                f"{path.name}: a failed run writes nothing, so expected/ must equal input/"
            )


@pytest.mark.parametrize("case_dir", CASES, ids=[p.name for p in CASES])
def test_golden(case_dir: Path, request: pytest.FixtureRequest) -> None:
    _check_case(case_dir, update=bool(request.config.getoption("--update-golden")))


@pytest.mark.parametrize("case_dir", CASES, ids=[p.name for p in CASES])
def test_golden_with_files_planned_in_forked_children(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bytes, exit and messages when every case's files are planned on two processes
    (bumper.plan.forked), which real runs do only on trees of megabytes."""
    from bumper.plan import forked

    monkeypatch.setattr(forked, "MIN_CHARS", 1)
    monkeypatch.setenv(forked.JOBS_VARIABLE, "2")
    fork_beside_the_suites_threads(monkeypatch)
    calls: list[int] = []  # the files of each plan, -1 for each child forked, -2 for each that failed
    real_map, real_fork, real_answer = forked.map_in_order, forked._fork, forked._answer

    def counted_map(plan: Any, items: Any, size: Any, *packing: Any) -> Any:
        calls.append(len(items))
        return real_map(plan, items, size, *packing)

    def counted_fork(*args: Any) -> None:
        calls.append(-1)
        real_fork(*args)

    def counted_answer(*args: Any) -> Any:
        answer: Any = real_answer(*args)
        calls.extend([] if answer is not None else [-2])
        return answer

    monkeypatch.setattr(forked, "_fork", counted_fork)
    monkeypatch.setattr(forked, "_answer", counted_answer)
    from bumper.plan import tree

    monkeypatch.setattr(tree, "map_in_order", counted_map)
    in_children = _check_case(case_dir, update=False)
    if any(n >= 2 for n in calls):
        assert -1 in calls, "a plan of two files or more forked no child"
        assert -2 not in calls or load_case(case_dir).exit != 0, "a child failed on a case that passes"
    monkeypatch.setenv(forked.JOBS_VARIABLE, "1")
    assert _check_case(case_dir, update=False) == in_children, "the output differs from a serial plan's"


def _check_case(case_dir: Path, *, update: bool) -> tuple[str, str]:
    """Run the case and check it; its stdout and stderr, the scratch tree's path replaced."""
    from bumper.cli import main

    case = load_case(case_dir)
    with scratch_dir() as tree:
        copy_in(case.input_dir, tree)
        result = CliRunner().invoke(main, case.argv(tree), catch_exceptions=False)
        if update:
            write_expected(case, tree)
        details = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        assert result.exit_code == case.exit, details
        for text in case.stdout_contains:
            assert text in result.stdout, details
        for text in case.stderr_contains:
            assert text in result.stderr, details
        problems = tree_diff(read_tree(tree), read_tree(case.expected_dir, stored=True))
        assert not problems, "\n".join(problems) + "\n" + details
        return result.stdout.replace(str(tree), "<tree>"), result.stderr.replace(str(tree), "<tree>")
