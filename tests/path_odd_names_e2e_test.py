"""End to end: a `--path` pattern in a tree holding a file or folder name that is not UTF-8 (any
byte but `/` and NUL is a valid name) is no internal error: such a name is matched like any
other, `*` and `?` match its odd bytes, and scan, bump and check answer as without `--path`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LINE = b"image: ghcr.io/acme/app:v1\n"


def _tree(root: Path) -> Path:
    """ok.yaml, b<0xff>.yaml and n<0xe9>w/x.yaml, each referencing the image."""
    raw = os.fsencode(root)
    os.mkdir(raw + b"/n\xe9w")
    for name in (b"ok.yaml", b"b\xff.yaml", b"n\xe9w/x.yaml"):
        with open(raw + b"/" + name, "wb") as f:
            f.write(LINE)
    return root


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bumper", *args],
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("patterns", "files"),
    [
        (["ok.yaml"], ["ok.yaml"]),
        (["*.yaml"], ["b\udcff.yaml", "n\udce9w/x.yaml", "ok.yaml"]),
        (["b?.yaml", "ok.yaml"], ["b\udcff.yaml", "ok.yaml"]),
        (["n*w"], ["n\udce9w/x.yaml"]),
        (["*.yaml", "!b?.yaml"], ["n\udce9w/x.yaml", "ok.yaml"]),
    ],
)
def test_scan_with_path_in_a_tree_with_non_utf8_names(
    tmp_path: Path, patterns: list[str], files: list[str]
) -> None:
    tree = _tree(tmp_path)
    paths = [arg for pattern in patterns for arg in ("--path", pattern)]
    proc = _run("scan", "--dir", str(tree), *paths, "--output", "json")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert [image["file"] for image in json.loads(proc.stdout)["images"]] == files


def test_bump_and_check_with_path_in_a_tree_with_non_utf8_names(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    bumped = _run("bump", "ghcr.io/acme/app:v2", "--dir", str(tree), "--path", "ok.yaml")
    assert bumped.returncode == 0, bumped.stderr.decode(errors="replace")
    assert (tree / "ok.yaml").read_bytes() == LINE.replace(b"v1", b"v2")
    assert open(os.fsencode(tree) + b"/b\xff.yaml", "rb").read() == LINE  # not selected
    checked = _run("check", "--dir", str(tree), "--path", "*.yaml")
    assert checked.returncode == 0, checked.stderr.decode(errors="replace")
    assert checked.stderr == b"bumper: no problems in 3 file(s)\n"
