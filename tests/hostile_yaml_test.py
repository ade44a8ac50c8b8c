"""Hostile inputs: each is a clean error or a skip, within a second, with no traceback.

The one-second bound is a bound on a hang (or an exponential blow-up), not a performance claim.
Every run goes through the CLI in-process (`CliRunner`), so stderr and the exit code are the
ones a user sees; a file that must not be written is compared byte for byte afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bumper.cli import main

REPO = "ghcr.io/acme/app"
REF = f"{REPO}:v2.0.0"
DEADLINE = 5.0  # seconds: an expanded bomb (10**12 nodes) never ends; a loaded machine takes seconds


def _invoke(*args: str) -> tuple[Result, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    elapsed = time.monotonic() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"exception escaped: {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.stderr, result.stderr
    return result, elapsed


def bump(tree: Path, *extra: str, ref: str = REF) -> tuple[Result, float]:
    return _invoke("bump", ref, "--dir", str(tree), *extra)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(root: Path) -> dict[str, str]:
    """Every regular file under `root` (links not followed), by content hash."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = Path(dirpath, name)
            if not path.is_symlink():
                out[path.relative_to(root).as_posix()] = _digest(path)
    return out


def _assert_one_error_line(result: Result, code: int, starts: str = "") -> None:
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.output}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: " + starts), result.stderr
    assert result.stdout == "", result.stdout


def _assert_fast(elapsed: float, what: str) -> None:
    assert elapsed < DEADLINE, f"{what} took {elapsed:.2f}s (bound {DEADLINE}s: a hang, not a perf claim)"


# --- alias bombs ---------------------------------------------------------------------------------


def _mapping_bomb(levels: int = 12) -> str:
    """A billion laughs whose leaf is a container mapping: 10**12 containers when expanded."""
    text = f"base: &a {{name: app, image: {REPO}:v1.0.0}}\n"
    text += "l0: &l0 [" + ", ".join(["*a"] * 10) + "]\n"
    for i in range(1, levels):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
    return text


def _scalar_bomb(levels: int = 12) -> str:
    """The anchored node is the reference scalar itself, reached through 10**12 aliases."""
    text = f"img: &img {REPO}:v1.0.0\n"
    text += "l0: &l0 [" + ", ".join(["{image: *img}"] * 10) + "]\n"
    for i in range(1, levels):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
    return text


@pytest.mark.parametrize("make", [_mapping_bomb, _scalar_bomb], ids=["mapping-anchor", "scalar-anchor"])
def test_alias_bomb_is_bumped_once_at_the_anchor(tmp_path: Path, make: Callable[[], str]) -> None:
    old = make()
    (tmp_path / "bomb.yaml").write_text(old)
    result, elapsed = bump(tmp_path, "--output", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(c["line"], c["old"], c["new"]) for c in report["changes"]] == [(1, f"{REPO}:v1.0.0", REF)]
    new = (tmp_path / "bomb.yaml").read_text()
    assert new == old.replace(f"{REPO}:v1.0.0", REF, 1)
    _assert_fast(elapsed, "bump of an alias bomb")

    scanned, elapsed = _invoke("scan", "--dir", str(tmp_path), "--output", "json")
    assert scanned.exit_code == 0
    assert [(i["line"], i["value"]) for i in json.loads(scanned.stdout)["images"]] == [(1, REF)]
    _assert_fast(elapsed, "scan of an alias bomb")


# --- parse failures in a file that mentions the image: exit 1 with file:line ---------------------

DEPTH = 10_000
UNPARSEABLE = {
    "flow-sequence": f"image: {REPO}:v1\nx: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "flow-mapping": f"image: {REPO}:v1\nx: " + "{a: " * DEPTH + "1" + "}" * DEPTH + "\n",
    "block-sequence": "- " * DEPTH + f"image: {REPO}:v1\n",
    "block-mapping-in-flow": f"image: {REPO}:v1\nx:\n  " + "- " * DEPTH + "{a: [b]}\n",
    "duplicate-key": (f"spec:\n  containers:\n  - name: a\n    image: {REPO}:v1\n    image: {REPO}:v1.1\n"),
    "tab-indentation": f"spec:\n\timage: {REPO}:v1\n",
}
EXPECTED_LINE = {
    "flow-sequence": 2,
    "flow-mapping": 2,
    "block-sequence": 1,
    "block-mapping-in-flow": 3,
    "duplicate-key": 5,
    "tab-indentation": 2,
}


@pytest.mark.parametrize("case", sorted(UNPARSEABLE))
def test_unparseable_file_mentioning_the_image_fails_cleanly(tmp_path: Path, case: str) -> None:
    (tmp_path / "f.yaml").write_text(UNPARSEABLE[case])
    (tmp_path / "ok.yaml").write_text(f"image: {REPO}:v1\n")  # would be rewritten if the run went on
    before = _snapshot(tmp_path)
    result, elapsed = bump(tmp_path)
    _assert_one_error_line(result, 1, f"f.yaml:{EXPECTED_LINE[case]}: ")
    assert _snapshot(tmp_path) == before, "a failed run wrote a file"
    _assert_fast(elapsed, f"bump of {case}")

    scanned, elapsed = _invoke("scan", "--dir", str(tmp_path), "--output", "json")
    assert scanned.exit_code == 0, scanned.output
    assert [i["file"] for i in json.loads(scanned.stdout)["images"]] == ["ok.yaml"]
    _assert_fast(elapsed, f"scan of {case}")


def test_deep_nesting_not_mentioning_the_image_is_never_parsed(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("x: " + "[" * DEPTH + "]" * DEPTH + "\n")
    (tmp_path / "ok.yaml").write_text(f"image: {REPO}:v1\n")
    result, elapsed = bump(tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ok.yaml").read_text() == f"image: {REF}\n"
    _assert_fast(elapsed, "bump beside an unrelated deep file")


# --- files that are never touched: skipped, exit 3 alone, exit 0 beside a real reference ---------


def _oversized(tree: Path, outside: Path) -> tuple[str, str | None]:
    line = f"- image: {REPO}:v1  # padding padding padding padding padding padding padding\n".encode()
    (tree / "big.yaml").write_bytes(line * (50 * 1024 * 1024 // len(line) + 1))  # one write, > 50 MB
    return "big.yaml", "oversized"


def _binary(tree: Path, outside: Path) -> tuple[str, str | None]:
    data = b"\x7fELF\x02\x01\x00\x00" + f"image: {REPO}:v1\n".encode() + b"\x00\xff"
    (tree / "blob.yaml").write_bytes(data)
    return "blob.yaml", "binary"


def _latin1(tree: Path, outside: Path) -> tuple[str, str | None]:
    (tree / "latin1.yaml").write_bytes(f"# caf\xe9\nimage: {REPO}:v1\n".encode("latin-1"))
    return "latin1.yaml", "not-utf-8"


def _symlink_file_outside(tree: Path, outside: Path) -> tuple[str, str | None]:
    (outside / "secret.yaml").write_text(f"image: {REPO}:v1\n")
    (tree / "link.yaml").symlink_to(outside / "secret.yaml")
    return "link.yaml", "symlink-outside-tree"


def _symlink_dir_outside(tree: Path, outside: Path) -> tuple[str, str | None]:
    (outside / "apps").mkdir()
    (outside / "apps" / "deploy.yaml").write_text(f"image: {REPO}:v1\n")
    (tree / "apps").symlink_to(outside / "apps", target_is_directory=True)
    return "apps", None  # a folder link is not walked at all, so it is not listed either


def _symlink_loop(tree: Path, outside: Path) -> tuple[str, str | None]:
    (tree / "a.yaml").symlink_to("b.yaml")
    (tree / "b.yaml").symlink_to("a.yaml")
    (tree / "self.yaml").symlink_to("self.yaml")
    return "self.yaml", None  # any reason will do; an internal error will not


def _symlink_dangling(tree: Path, outside: Path) -> tuple[str, str | None]:
    (tree / "gone.yaml").symlink_to(outside / "deleted.yaml")
    return "gone.yaml", None


IGNORED = {
    "oversized-50MB": _oversized,
    "binary": _binary,
    "not-utf-8": _latin1,
    "symlink-to-file-outside": _symlink_file_outside,
    "symlink-to-folder-outside": _symlink_dir_outside,
    "symlink-loop": _symlink_loop,
    "symlink-dangling": _symlink_dangling,
}


@pytest.mark.parametrize("with_sibling", [False, True], ids=["alone", "beside-a-reference"])
@pytest.mark.parametrize("case", sorted(IGNORED))
def test_file_that_must_not_be_touched_is_ignored(tmp_path: Path, case: str, with_sibling: bool) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    name, reason = IGNORED[case](tree, outside)
    if with_sibling:
        (tree / "ok.yaml").write_text(f"image: {REPO}:v1\n")
    before_tree, before_outside = _snapshot(tree), _snapshot(outside)
    link_target = os.readlink(tree / name) if (tree / name).is_symlink() else None

    result, elapsed = bump(tree, "-v")
    if with_sibling:
        assert result.exit_code == 0, result.output
        assert result.stdout == f"ok.yaml:1: {REPO}:v1 -> {REF}\n"
        assert (tree / "ok.yaml").read_text() == f"image: {REF}\n"
        if reason is not None:
            assert f"bumper: ignored {name}: {reason}" in result.stderr.splitlines(), result.stderr
        before_tree.pop("ok.yaml")
        after_tree = _snapshot(tree)
        after_tree.pop("ok.yaml")
        assert after_tree == before_tree
    else:
        _assert_one_error_line(result, 3)
        assert _snapshot(tree) == before_tree, "nothing may be written when no file references the image"
    assert _snapshot(outside) == before_outside, "a file outside the tree was written"
    if link_target is not None:
        assert (tree / name).is_symlink() and os.readlink(tree / name) == link_target
    _assert_fast(elapsed, f"bump with {case}")

    scanned, elapsed = _invoke("scan", "--dir", str(tree), "--output", "json")
    assert scanned.exit_code == 0
    assert all(i["file"] == "ok.yaml" for i in json.loads(scanned.stdout)["images"])
    _assert_fast(elapsed, f"scan with {case}")


# --- tags a safe loader must never act on --------------------------------------------------------


def test_python_object_tags_are_never_constructed(tmp_path: Path) -> None:
    tree, marker = tmp_path / "tree", tmp_path / "PWNED"
    tree.mkdir()
    (tree / "a.yaml").write_text(
        f"image: {REPO}:v1\n"
        f"hook: !!python/object/apply:os.system ['touch {marker}']\n"
        f"obj: !!python/object:subprocess.Popen {{args: ['touch', '{marker}']}}\n"
    )
    (tree / "b.yaml").write_text(f"image: !!python/object/apply:os.system ['touch {marker} {REPO}:v1']\n")
    before_b = (tree / "b.yaml").read_bytes()

    result, elapsed = bump(tree)
    assert result.exit_code == 0, result.output  # a.yaml's plain image is bumped; the tags are data
    assert (tree / "a.yaml").read_text().startswith(f"image: {REF}\nhook: !!python/object/apply:os.system")
    assert (tree / "b.yaml").read_bytes() == before_b
    assert not marker.exists(), "a !!python tag was executed"
    _assert_fast(elapsed, "bump with !!python tags")

    scanned, elapsed = _invoke("scan", "--dir", str(tree), "--output", "json")
    assert [i["file"] for i in json.loads(scanned.stdout)["images"]] == ["a.yaml"]
    assert not marker.exists()
    _assert_fast(elapsed, "scan with !!python tags")


def test_python_object_tag_on_the_image_alone_is_no_reference(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "b.yaml").write_text(f"image: !!python/object/apply:os.system ['touch {marker} {REPO}:v1']\n")
    before = _snapshot(tree)
    result, elapsed = bump(tree)
    _assert_one_error_line(result, 3)
    assert _snapshot(tree) == before and not marker.exists()
    _assert_fast(elapsed, "bump of a !!python-tagged image")


# --- many documents ------------------------------------------------------------------------------


def test_two_hundred_thousand_documents(tmp_path: Path) -> None:
    """1.8 MB, well under the size cap: a clean result (or a clean refusal) without a hang."""
    old = f"image: {REPO}:v1\n" + "---\na: 1\n" * 200_000
    (tmp_path / "many.yaml").write_text(old)
    result, elapsed = bump(tmp_path)
    if result.exit_code == 0:
        assert (tmp_path / "many.yaml").read_text() == old.replace(f"{REPO}:v1", REF, 1)
    else:
        _assert_one_error_line(result, result.exit_code)
        assert result.exit_code in (1, 3)
        assert (tmp_path / "many.yaml").read_text() == old
    _assert_fast(elapsed, "bump of a file with 200,000 documents")


# --- special files: run in a subprocess, since a blocking read would hang the test run ----------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
@pytest.mark.parametrize("command", ["bump", "scan"])
def test_named_pipe_with_a_yaml_name_is_not_read(tmp_path: Path, command: str) -> None:
    """A FIFO called pipe.yaml: opening it for reading blocks until a writer appears (never)."""
    script = shutil.which("bumper")
    if script is None:
        pytest.skip("the bumper console script is not installed")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "ok.yaml").write_text(f"image: {REPO}:v1\n")
    args = [script, "bump", REF, "--dir", str(tmp_path)] if command == "bump" else [script, "scan"]
    started = time.monotonic()
    try:
        proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"bumper {command} hung on a named pipe called pipe.yaml (killed after 10 s)")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    if command == "bump":
        assert (tmp_path / "ok.yaml").read_text() == f"image: {REF}\n"
    assert (tmp_path / "pipe.yaml").is_fifo()
    assert elapsed < DEADLINE + 1.0, f"{elapsed:.2f}s (1 s bound plus interpreter start-up)"
