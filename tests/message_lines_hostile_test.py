"""End to end: what bumper prints about a file is one line whatever the file's name holds.

A name may hold a line break or a terminal escape (git and the file system allow both): printed
raw, it would add a line of its own to the CI log, e.g. a forged `bumper: error: …`, or a
`::error::` / `::add-mask::` line that GitHub-style runners (Forgejo, Gitea, GitHub) act on when
bumper runs in text mode. Control characters are written as `\\xNN`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FORGED = "\nbumper: error: forged\n::error::forged\x1b[2K"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bumper", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )


def _tree(root: Path) -> Path:
    """A downgrade (a skip line) and a change (a result line), each in a folder with a hostile name."""
    for folder, tag in (("old", "v9.0.0"), ("new", "v1.0.0")):
        (root / (folder + FORGED)).mkdir(parents=True)
        (root / (folder + FORGED) / "deploy.yaml").write_text(f"image: ghcr.io/acme/app:{tag}\n")
    return root


def _assert_no_forged_line(text: str) -> None:
    for line in text.splitlines():
        assert not line.lstrip().startswith(("bumper: error: forged", "::")), line
    assert "\x1b" not in text


def test_bump_text_output_keeps_one_line_per_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "m")
    proc = _run("bump", "ghcr.io/acme/app:v2.0.0", "--dir", str(tree))
    assert proc.returncode == 0, proc.stderr
    _assert_no_forged_line(proc.stdout + proc.stderr)
    [changed] = proc.stdout.splitlines()
    assert changed.startswith("new\\x0abumper: error: forged\\x0a::error::forged\\x1b[2K/deploy.yaml:1: ")
    [skipped] = [line for line in proc.stderr.splitlines() if line.startswith("bumper: skipped ")]
    assert "old\\x0abumper: error: forged" in skipped
    assert skipped.endswith("--allow-downgrade applies it anyway)")


def test_scan_text_output_keeps_one_line_per_reference(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "m")
    proc = _run("scan", "--dir", str(tree))
    assert proc.returncode == 0, proc.stderr
    _assert_no_forged_line(proc.stdout + proc.stderr)
    assert len(proc.stdout.splitlines()) == 2
