"""End to end: `git apply` of a --dry-run's diff writes exactly what the real run writes, also
for a file whose name `git diff` quotes (a quote, a backslash, a tab, a line break: unquoted,
a tab ends the name for `git apply` and a line break breaks the header)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LINE = b"image: ghcr.io/acme/app:v1.0.0\n"
NAMES = [b"plain.yaml", b'a"b.yaml', b"back\\slash.yaml", b"tab\t.yaml", b"new\nline.yaml", b"sp ace.yaml"]
NAMES += [b"\xc3\xa9t\xc3\xa9.yaml", b"d\xc3\xafr/x\ty.yaml", b'lat\xe9 "q".yaml']
OTHER = {
    b"crlf.yaml": b"a: 1\r\nimage: ghcr.io/acme/app:v1.0.0\r\n",
    b"no-eol.yaml": b"a: 1\nimage: ghcr.io/acme/app:v1.0.0",
    b"bom.yaml": b"\xef\xbb\xbfimage: ghcr.io/acme/app:v1.0.0\nb: 2\n",
    # Line breaks YAML (and Python's splitlines) knows, git does not: git's lines end at "\n" only.
    b"lone-cr.yaml": b"a: 1\rimage: ghcr.io/acme/app:v1.0.0\rb: 2\r",
    b"lone-cr-mixed.yaml": b"a: 1\rimage: ghcr.io/acme/app:v1.0.0\nb: 2\n",
    b"nel.yaml": b"# a\xc2\x85# b\nimage: ghcr.io/acme/app:v1.0.0\n# c\xe2\x80\xa8# d\n",
    b"ins/kustomization.yaml": b"# x\r# y\nimages:\n- name: ghcr.io/acme/app\n# z\xc2\x85# w\n",
}


def _tree(root: Path) -> None:
    raw = os.fsencode(root)
    for name, data in [*((n, LINE) for n in NAMES), *OTHER.items()]:
        os.makedirs(os.path.dirname(raw + b"/" + name), exist_ok=True)
        with open(raw + b"/" + name, "wb") as f:
            f.write(data)


def _files(root: Path) -> dict[bytes, bytes]:
    raw = os.fsencode(root)
    out = {}
    for top, dirs, files in os.walk(raw):
        dirs[:] = [d for d in dirs if d != b".git"]
        for name in files:
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, raw)] = f.read()
    return out


def _bump(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, "-m", "bumper", "bump", "ghcr.io/acme/app:v1.2.0", "--dir", ".", *args]
    proc = subprocess.run(argv, cwd=root, capture_output=True, check=False, timeout=120)
    assert proc.returncode == 0 and b"internal error" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_apply_of_the_dry_run_diff_is_the_real_run(tmp_path: Path) -> None:
    dry, real = tmp_path / "dry", tmp_path / "real"
    for root in (dry, real):
        root.mkdir()
        _tree(root)
    diff = _bump(dry, "--dry-run").stdout
    assert _files(dry) == _files(real)  # a dry run writes nothing
    assert b'+++ "b/tab\\t.yaml"\n' in diff and b'+++ "b/new\\nline.yaml"\n' in diff
    subprocess.run(["git", "init", "-q"], cwd=dry, check=True)
    applied = subprocess.run(["git", "apply", "-"], cwd=dry, input=diff, capture_output=True, check=False)
    assert applied.returncode == 0, applied.stderr
    _bump(real)
    assert _files(dry) == _files(real)
    assert _files(real)[b"tab\t.yaml"] == LINE.replace(b"v1.0.0", b"v1.2.0")
