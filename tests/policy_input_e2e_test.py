"""End to end: odd `.bumper.yaml` documents and patterns pathspec refuses are bad input (exit 2,
one line with file:line), never an internal error, in bump, scan, check and on a `--repo` base."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bumper.plan.rules import PolicyFileError, parse_policy
from testing import forkserver, repos
from testing.world import CANARY, World, make_world

APP = b"image: ghcr.io/acme/app:v1.0.0\n"
# (policy, its line at fault, words the message must hold)
ODD_POLICIES = {
    "list-key": (b"version: 1\nrules:\n  - ? [a, b]\n    : 1\n", 3, "a key must be a plain word"),
    "map-key": (
        b"version: 1\nrules:\n  - paths: [a]\n    ? {x: 1}\n    : 1\n",
        4,
        "a key must be a plain word",
    ),
    "top-map-key": (b"? {version: 1}\n: 1\n", 1, "a key must be a plain word"),
    "python-name": (
        b"version: 1\nrules:\n  - paths: !!python/name:os.system x\n",
        3,
        "unsupported YAML tag '!!python/name:os.system'",
    ),
    "python-object": (b"--- !!python/object:os.system\nversion: 1\n", 1, "unsupported YAML tag"),
    "python-tuple-key": (b"version: 1\n? !!python/tuple [a, b]\n: 1\n", 2, "a key must be a plain word"),
    "python-tuple-value": (b"version: 1\nrules: !!python/tuple [a]\n", 2, "unsupported YAML tag"),
    "custom-tag": (b"version: !v 1\n", 1, "unsupported YAML tag '!v'"),
    "binary": (b"version: 1\nrules:\n  - allow: !!binary aGVsbG8=\n", 3, "unsupported YAML tag '!!binary'"),
    "set": (b"version: 1\nrules: !!set {a, b}\n", 2, "unsupported YAML tag '!!set'"),
    "date": (b"version: 1\nrules:\n  - allow: 2024-01-01\n", 3, "reads as a date; quote it"),
    "int-keys": (b"version: 1\nrules:\n  - 1: a\n    2.5: b\n    x: c\n", 3, "unknown key 1"),
    "deep": (b"version: 1\nrules:\n  - labels: " + b"[" * 40 + b"]" * 40 + b"\n", 3, "nested deeper than"),
    "control-char": (b"version: 1\nrules:\n  - hold: true\x01\n", 3, "control character U+0001"),
    "backslash-path": (b'version: 1\nrules:\n  - paths: ["\\\\"]\n', 3, "a trailing '\\' escapes nothing"),
    "backslash-image": (b'version: 1\nrules:\n  - images: ["ghcr.io/a\\\\"]\n', 3, "escapes nothing"),
}


def bumper(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(list(args), cwd=cwd, env=env)
    assert "internal error" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def tree(root: Path, policy: bytes | None = None) -> Path:
    (root / "apps").mkdir(parents=True)
    (root / "apps/app.yaml").write_bytes(APP)
    if policy is not None:
        (root / ".bumper.yaml").write_bytes(policy)
    return root


@pytest.mark.parametrize("name", sorted(ODD_POLICIES))
def test_odd_policy_is_bad_input_in_bump_and_a_problem_in_check(name: str, tmp_path: Path) -> None:
    policy, line, words = ODD_POLICIES[name]
    tree(tmp_path, policy)
    proc = bumper("bump", "ghcr.io/acme/app:v1.1.0", "--dir", ".", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"bumper: error: .bumper.yaml:{line}: "), proc.stderr
    assert words in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert (tmp_path / "apps/app.yaml").read_bytes() == APP

    check = bumper("check", "--dir", ".", "--output", "json", cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    [problem] = json.loads(check.stdout)["problems"]
    assert (problem["file"], problem["line"]) == (".bumper.yaml", line)
    assert words in problem["problem"]


@pytest.mark.parametrize("pattern", ["\\", "apps\\", "**/\\", "!\\", " \\ "])
@pytest.mark.parametrize("command", ["bump", "scan", "check"])
def test_a_path_pathspec_refuses_is_one_line_exit_2(command: str, pattern: str, tmp_path: Path) -> None:
    tree(tmp_path)
    args = ["bump", "ghcr.io/acme/app:v1.1.0", "--dir", "."] if command == "bump" else [command, "--dir", "."]
    proc = bumper(*args, "--path", pattern, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"bumper: error: invalid --path {pattern!r}: "), proc.stderr
    assert "escapes nothing" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert (tmp_path / "apps/app.yaml").read_bytes() == APP


def test_an_escaped_backslash_is_a_pattern(tmp_path: Path) -> None:
    tree(tmp_path)
    proc = bumper("scan", "--dir", ".", "--path", "apps/\\\\", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr  # valid, selects nothing: the usual exit 3


# --- on a --repo base ----------------------------------------------------------------------------


@pytest.fixture(params=["github", "gitlab"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, {"apps/app.yaml": APP}) as w:
        yield w


@pytest.mark.parametrize("name", ["list-key", "python-name", "backslash-path"])
def test_odd_policy_on_the_base_pushes_nothing(world: World, tmp_path: Path, name: str) -> None:
    policy, line, words = ODD_POLICIES[name]
    repos.add_commit(world.bare, "main", {".bumper.yaml": policy})
    git_mark, api_mark = len(world.git.requests), world.host.mark()
    proc = bumper("bump", "ghcr.io/acme/app:v1.1.0", cwd=tmp_path, env=world.env())
    assert CANARY not in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"bumper: error: .bumper.yaml:{line}: ") and words in proc.stderr
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []
    assert repos.list_branches(world.bare) == ["main"]


def test_repo_path_pathspec_refuses_pushes_nothing(world: World, tmp_path: Path) -> None:
    git_mark, api_mark = len(world.git.requests), world.host.mark()
    proc = bumper("bump", "ghcr.io/acme/app:v1.1.0", "--path", "apps\\", cwd=tmp_path, env=world.env())
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("bumper: error: invalid --path 'apps\\\\': "), proc.stderr
    assert world.pushes(git_mark) == [] and world.writes(api_mark) == []


# --- fuzz: any policy text is a policy or one PolicyFileError --------------------------------------

_ODD_VALUES = [
    "[a, b]",
    "{x: 1}",
    "!!python/tuple [1]",
    "!!python/name:os.system x",
    "&a x",
    "*a",
    "!!binary aGk=",
    "2024-01-01",
    ".nan",
    "~",
    "'\\'",
    '"\\\\"',
    "[\\]",
    "!t x",
    "? [a]",
    "|\n    block",
    "[[[[]]]]",
    "{? [a]: b}",
    "!!set {a}",
    "!!omap [a: 1]",
    "- - x",
    "'^(a+)+$'",
    "true",
    "0x1F",
    "'['",
    "'!'",
]
_KEYS = [
    "version",
    "rules",
    "paths",
    "images",
    "mode",
    "allow",
    "hold",
    "labels",
    "? [k]",
    "? {k: v}",
    "1",
    "~",
]


def policy_text(choose: Callable[[list[str]], str]) -> str:
    """A policy-like document from odd fragments; `choose` picks (hypothesis, or a seeded rng)."""
    lines = ["version: 1", "rules:"] if choose(["yes", "no"]) == "yes" else []
    for _ in range(int(choose(["0", "1", "3", "6"]))):
        indent = choose(["", "  - ", "    ", "  "])
        lines.append(f"{indent}{choose(_KEYS)}: {choose([*_ODD_VALUES, 'x', '[apps/**]', 'commit'])}")
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_odd_policies_parse_or_fail_with_a_line(data: st.DataObject) -> None:
    text = policy_text(lambda options: data.draw(st.sampled_from(options)))
    try:
        parse_policy(text.encode())
    except PolicyFileError as exc:
        assert exc.file == ".bumper.yaml"
        assert exc.line is None or 1 <= exc.line <= text.count("\n") + 1, (exc.line, text)
        assert "\n" not in exc.message


@pytest.mark.parametrize("seed", range(8))
def test_fuzzed_policies_end_to_end(seed: int, tmp_path: Path) -> None:
    """Seeded documents through the CLI: exit 0 or 2 for bump, 0 or 1 for check, nothing else."""
    text = policy_text(random.Random(seed).choice)
    tree(tmp_path, text.encode())
    bump = bumper("bump", "ghcr.io/acme/app:v1.1.0", "--dir", ".", "--dry-run", cwd=tmp_path)
    assert bump.returncode in (0, 2), (text, bump.stderr)
    assert bumper("check", "--dir", ".", cwd=tmp_path).returncode in (0, 1), text
