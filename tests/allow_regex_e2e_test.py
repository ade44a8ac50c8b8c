"""End to end: `.bumper.yaml` `allow:` regexes run in linear time (RE2): a pattern that makes a
backtracking engine run for minutes answers at once, and RE2's refusals are one-line exit 2."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from testing import forkserver

APP = b"image: ghcr.io/acme/app:v1.0.0\n"


def bumper(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    proc = forkserver.run(list(args), cwd=cwd, timeout=timeout)
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def tree(root: Path, allow: str) -> None:
    (root / "app.yaml").write_bytes(APP)
    (root / ".bumper.yaml").write_text(f"version: 1\nrules:\n  - allow: {json.dumps(allow)}\n")


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(a|a)*$", "^(a|a?)+$", "^(.*a){12}$", "(\\w+\\d*)+$"])
def test_a_catastrophic_pattern_answers_at_once(pattern: str, tmp_path: Path) -> None:
    tree(tmp_path, pattern)
    tag = "a" * 33 + "-"  # 34 characters: a backtracking engine tries 2^33 ways to split the a-s
    started = time.monotonic()
    proc = bumper(
        "bump", f"ghcr.io/acme/app:{tag}", "--dir", ".", "--output", "json", cwd=tmp_path, timeout=30
    )
    assert time.monotonic() - started < 20
    assert proc.returncode == 0, proc.stderr
    assert [s["reason"] for s in json.loads(proc.stdout)["skipped"]] == ["policy"]
    assert (tmp_path / "app.yaml").read_bytes() == APP


def test_a_matching_tag_is_still_bumped(tmp_path: Path) -> None:
    tree(tmp_path, "^v\\d+\\.\\d+\\.\\d+$")
    proc = bumper("bump", "ghcr.io/acme/app:v1.2.3", "--dir", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "app.yaml").read_bytes() == b"image: ghcr.io/acme/app:v1.2.3\n"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("^v\\d+(?!-rc)", "invalid perl operator: (?!; write RE2 syntax"),
        ("^(v)\\d+\\1$", "invalid escape sequence: \\1; write RE2 syntax"),
        ("(?<=v)1", "invalid perl operator: (?<=; write RE2 syntax"),
        ("[v", "missing ]: [v"),
        ("a{1001}", "invalid repetition size"),
    ],
)
def test_a_pattern_re2_refuses_is_one_line_exit_2(pattern: str, words: str, tmp_path: Path) -> None:
    tree(tmp_path, pattern)
    proc = bumper("bump", "ghcr.io/acme/app:v1.2.3", "--dir", ".", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(
        f"bumper: error: .bumper.yaml:3: rules[0].allow: invalid regular expression {pattern!r}: "
    )
    assert words in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr  # no RE2 log lines
    check = bumper("check", "--dir", ".", cwd=tmp_path)
    assert (
        check.returncode == 1 and ".bumper.yaml:3: rules[0].allow: invalid regular expression" in check.stdout
    )
