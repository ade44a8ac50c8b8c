"""docs/reference.md cannot drift: its generated blocks match the code, and every variable,
exit code, status and JSON field the code has is named there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bumper.ci.env import variables
from bumper.errors import ExitCode
from bumper.options import Status
from bumper.providers.registry import token_variables
from testing import forkserver, repos
from testing.reference import REFERENCE, block_names, blocks, render

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "manifests"
FIX = "run `python -m pytest tests/reference_test.py --update-golden` and review the diff"


@pytest.fixture(scope="module")
def text() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def _names(text: str) -> set[str]:
    """Everything the page writes as code: `x`."""
    return set(re.findall(r"`([^`\n]+)`", text))


def test_generated_blocks_match_the_code(text: str, request: pytest.FixtureRequest) -> None:
    assert sorted(block_names(text)) == sorted(blocks()), "each generated block appears once"
    fresh = render(text)
    if fresh != text and request.config.getoption("--update-golden"):
        REFERENCE.write_text(fresh, encoding="utf-8")
        return
    assert fresh == text, f"docs/reference.md is out of date with the code: {FIX}"


def test_every_variable_the_code_reads_is_documented(text: str) -> None:
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "bumper").rglob("*.py"))]
    read = {name for source in sources for name in re.findall(r"\bBUMPER_[A-Z0-9_]+\b", source)}
    read |= set(token_variables())
    read |= set(variables())
    missing = sorted(read - _names(text))
    assert not missing, f"variables bumper reads but docs/reference.md does not name: {missing}"


def test_every_exit_code_and_status_is_documented_once(text: str) -> None:
    codes = [int(m) for m in re.findall(r"^\| (\d+) \| `[A-Z_]+` \|", text, re.M)]
    assert codes == [int(c) for c in ExitCode]
    statuses = re.findall(r"^\| `([a-z][a-z-]*)` \| (?!string|list|object)", text, re.M)
    assert statuses == [s.value for s in Status]


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_every_json_field_is_documented(text: str, tmp_path: Path) -> None:
    def run(*args: str) -> dict[str, object]:
        proc = forkserver.run([*args, "--output", "json"])
        assert proc.returncode == 0, proc.stderr
        result: dict[str, object] = json.loads(proc.stdout)
        return result

    # a bump with a change, a downgrade skip and an ignored file; and a scan of the same tree
    bumped = run("bump", "ghcr.io/acme/app:v1.2.3", "nginx:1.0.0", "--dir", str(EXAMPLES), "--dry-run")
    assert bumped["changes"] and bumped["skipped"]
    scanned = run("scan", "--dir", str(EXAMPLES))
    # a repository of the example manifests (not this checkout's own history: CI's is shallow)
    bare = repos.make_bare_repo(tmp_path / "examples.git", EXAMPLES)
    history = run("history", "ghcr.io/acme/app", "--dir", str(bare))
    assert history["history"]
    missing = sorted((_keys(bumped) | _keys(scanned) | _keys(history)) - _names(text))
    assert not missing, f"JSON fields docs/reference.md does not name: {missing}"


def test_the_project_stands_alone() -> None:
    """Nothing the project ships points at the helpers' shared notes outside the repository."""
    shipped = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "bumper").rglob("*.py")),
    ]
    shipped += [ROOT / "action.yml", ROOT / "pyproject.toml"]
    outside = ("shared/", "CONTRACT.md", "FACTS.md", "STYLE.md")  # notes a reader of the repository lacks
    offenders = [
        str(p.relative_to(ROOT))
        for p in shipped
        if p.exists() and any(name in p.read_text(encoding="utf-8") for name in outside)
    ]
    assert not offenders
