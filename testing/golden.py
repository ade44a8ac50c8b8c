"""Golden-file runner: copy a case's input/ tree, run `bumper bump` on it, compare with expected/."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"

# git cannot store a directory named `.git` inside a repository, so cases spell it `dot-git`;
# the runner renames it on the way in and back on `--update-golden`.
_STORED_GIT_DIR = "dot-git"
_CASE_KEYS = frozenset({"refs", "args", "exit", "stdout_contains", "stderr_contains"})


@dataclass(frozen=True)
class Case:
    """One `tests/golden/<name>/` directory and its case.toml."""

    path: Path
    refs: list[str]
    args: list[str] = field(default_factory=list)
    exit: int = 0
    stdout_contains: list[str] = field(default_factory=list)
    stderr_contains: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def input_dir(self) -> Path:
        return self.path / "input"

    @property
    def expected_dir(self) -> Path:
        return self.path / "expected"

    def argv(self, tree: Path) -> list[str]:
        """The command line after `bumper`: exactly the README's `bump REF... --dir PATH`."""
        return ["bump", *self.refs, "--dir", str(tree), *self.args]


def case_dirs(root: Path = GOLDEN_DIR) -> list[Path]:
    """Every case directory, sorted, so that none is orphaned."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_case(path: Path) -> Case:
    """Read `case.toml`; unknown keys are an error so that typos do not silently pass."""
    data = tomllib.loads((path / "case.toml").read_text(encoding="utf-8"))
    unknown = set(data) - _CASE_KEYS
    if unknown:
        raise ValueError(f"{path.name}/case.toml: unknown keys {sorted(unknown)}")
    if not data.get("refs") and "--image-policy" not in data.get("args", []):
        raise ValueError(f"{path.name}/case.toml: `refs` is required (or an --image-policy in `args`)")
    data.setdefault("refs", [])
    return Case(path=path, **data)


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory in tmpfs when there is one (/ and /tmp are slow on this kind of machine)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="bumper-golden-", dir=base) as tmp:
        yield Path(tmp)


def _to_real(rel: Path) -> Path:
    return Path(*(".git" if part == _STORED_GIT_DIR else part for part in rel.parts))


def _to_stored(rel: Path) -> Path:
    return Path(*(_STORED_GIT_DIR if part == ".git" else part for part in rel.parts))


def copy_in(src: Path, dst: Path) -> None:
    """Copy a stored tree to `dst`, byte for byte, renaming `dot-git` to `.git`."""
    for path in sorted(src.rglob("*")):
        if path.is_file():
            target = dst / _to_real(path.relative_to(src))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


def read_tree(root: Path, *, stored: bool = False) -> dict[str, bytes]:
    """Every file under `root` by its relative path (in stored spelling) -> bytes."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(root)
            files[(rel if stored else _to_stored(rel)).as_posix()] = path.read_bytes()
    return files


def write_expected(case: Case, tree: Path) -> None:
    """`--update-golden`: replace expected/ with the tree the run left behind."""
    shutil.rmtree(case.expected_dir, ignore_errors=True)
    for rel, data in read_tree(tree).items():
        target = case.expected_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def tree_diff(actual: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    """Human-readable differences between two trees; empty when they are byte-identical."""
    problems = [f"missing file: {rel}" for rel in sorted(expected.keys() - actual.keys())]
    problems += [f"extra file: {rel}" for rel in sorted(actual.keys() - expected.keys())]
    for rel in sorted(actual.keys() & expected.keys()):
        if actual[rel] != expected[rel]:
            problems.append(_describe(rel, actual[rel], expected[rel]))
    return problems


def _describe(rel: str, actual: bytes, expected: bytes) -> str:
    a_lines = actual.splitlines(keepends=True)
    e_lines = expected.splitlines(keepends=True)
    for number, (a, e) in enumerate(zip(a_lines, e_lines), start=1):
        if a != e:
            return f"{rel}:{number}: expected {e!r}, got {a!r}"
    number = min(len(a_lines), len(e_lines)) + 1
    return f"{rel}:{number}: expected {len(e_lines)} lines, got {len(a_lines)}"
