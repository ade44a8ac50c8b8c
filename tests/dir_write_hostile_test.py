"""End to end through the CLI: `bump --dir` writes every file or none, whatever happens to the
tree between the plan and the write (a file replaced by a link meanwhile, a file whose rename
fails), and a root run leaves each file's owner and group as they were."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testing import forkserver

REF = "ghcr.io/acme/app:2.0.0"
A = b"image: ghcr.io/acme/app:1.0.0\n"
B = b"image: ghcr.io/acme/app:1.0.0  # b\n"
KUSTOMIZATION = b"resources:\n  - a.yaml\n  - b.yaml\n"


def _tree(root: Path) -> Path:
    tree = root / "tree"
    (tree / "base").mkdir(parents=True)
    (tree / "base" / "kustomization.yaml").write_bytes(KUSTOMIZATION)
    (tree / "base" / "a.yaml").write_bytes(A)
    (tree / "base" / "b.yaml").write_bytes(B)
    return tree


def _bump(tree: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")}
    return forkserver.run(["bump", REF, "--dir", str(tree), *args], env={**environ, "NO_COLOR": "1", **env})


def _leftovers(tree: Path) -> list[str]:
    return sorted(p.name for p in tree.rglob("*.bumper"))


def _bump_while_rendering(tmp_path: Path, tree: Path, script: str) -> subprocess.CompletedProcess[str]:
    """A bump with --verify whose `kustomize` (first on PATH) runs `script`, as a person would
    act on the tree while bumper plans, then renders an empty ConfigMap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    renderer = bin_dir / "kustomize"
    renderer.write_text(f"#!/bin/sh\n{script}echo 'apiVersion: v1'\necho 'kind: ConfigMap'\n")
    renderer.chmod(0o755)
    return _bump(tree, "--verify", "warn", PATH=f"{bin_dir}:{os.environ['PATH']}")


def test_a_file_replaced_by_a_link_while_bumper_plans_is_left_a_link(tmp_path: Path) -> None:
    """A person moves b.yaml to a common folder and links it back while bumper runs (here:
    while --verify renders, a `kustomize` on PATH doing it): the bytes through the link are the
    ones planned from, but the link is not the file bumper read. It was replaced by a regular
    file, so the common file kept the old tag and the link was gone; now nothing is written."""
    tree, common = _tree(tmp_path), tmp_path / "common"
    common.mkdir()
    proc = _bump_while_rendering(
        tmp_path,
        tree,
        f"if [ ! -L '{tree}/base/b.yaml' ]; then\n"
        f"  mv '{tree}/base/b.yaml' '{common}/b.yaml' && ln -s ../../common/b.yaml '{tree}/base/b.yaml'\n"
        "fi\n",
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "bumper: error: base/b.yaml changed on disk while bumper planned its edit (another program "
        "or person wrote, removed or replaced it meanwhile); nothing was changed: run bumper again"
    )
    link = tree / "base" / "b.yaml"
    assert link.is_symlink() and os.readlink(link) == "../../common/b.yaml"
    assert (common / "b.yaml").read_bytes() == B
    assert (tree / "base" / "a.yaml").read_bytes() == A
    assert _leftovers(tmp_path) == []


@contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """`path` made immutable (chattr +i: no rename may replace it), undone afterwards."""
    chattr = shutil.which("chattr")
    if chattr is None or os.geteuid() != 0:
        pytest.skip("needs root and chattr to make a file no rename may replace")
    made = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"this filesystem keeps no immutable flag: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_a_rename_failing_halfway_puts_the_files_already_written_back(tmp_path: Path) -> None:
    """a.yaml is renamed into place, then b.yaml's rename fails (an immutable file; a file
    mounted into a container fails alike, EBUSY): a.yaml was left rewritten, b.yaml's temp file
    behind, and the run ended in an internal error. Now a.yaml holds its old bytes again, no
    temp file is left, and the one error line names the file and what to do."""
    tree = _tree(tmp_path)
    with _immutable(tree / "base" / "b.yaml"):
        proc = _bump(tree)
        left = _leftovers(tree)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"bumper: error: cannot write {tree}/base/b.yaml: Operation not permitted; nothing was "
        "changed: make the file replaceable (its folder writable, the file not immutable nor a "
        "mount point) and run bumper again"
    ]
    assert (tree / "base" / "a.yaml").read_bytes() == A
    assert (tree / "base" / "b.yaml").read_bytes() == B
    assert left == []
    again = _bump(tree)  # nothing in the way now
    assert again.returncode == 0, again.stderr
    assert (tree / "base" / "b.yaml").read_bytes() == B.replace(b"1.0.0", b"2.0.0")


def test_a_root_run_keeps_each_files_owner_and_group(tmp_path: Path) -> None:
    """A CI container runs bumper as root on a checkout its runner's user owns: every file it
    rewrote became root's (a 0640 file then unreadable to that user, and git's next checkout
    there failed). The temp file now takes the replaced file's owner, group and mode."""
    if os.geteuid() != 0:
        pytest.skip("only root may give a file another user's owner")
    tree = _tree(tmp_path)
    a, b = tree / "base" / "a.yaml", tree / "base" / "b.yaml"
    os.chown(a, 1000, 1001)
    a.chmod(0o640)
    os.chown(b, 0, 1002)
    proc = _bump(tree)
    assert proc.returncode == 0, proc.stderr
    assert a.read_bytes() == A.replace(b"1.0.0", b"2.0.0")
    assert (a.stat().st_uid, a.stat().st_gid, a.stat().st_mode & 0o7777) == (1000, 1001, 0o640)
    assert (b.stat().st_uid, b.stat().st_gid) == (0, 1002)


def test_a_folder_replaced_by_a_link_while_bumper_plans_is_never_written_through(tmp_path: Path) -> None:
    """A person moves base/ out of the tree and links it back (same bytes through the link)
    while bumper runs: the renames went through the link, so bumper wrote files outside the
    tree it was given (a link it never follows when it walks). Now nothing is written."""
    tree, outside = _tree(tmp_path), tmp_path / "outside"
    proc = _bump_while_rendering(
        tmp_path,
        tree,
        f"if [ ! -L '{tree}/base' ]; then\n"
        f"  mv '{tree}/base' '{outside}' && ln -s '{outside}' '{tree}/base'\n"
        "fi\n",
    )
    assert proc.returncode == 1, proc.stderr
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("bumper: error: base/a.yaml changed on disk while bumper planned its edit")
    )
    assert (outside / "a.yaml").read_bytes() == A and (outside / "b.yaml").read_bytes() == B
    assert (tree / "base").is_symlink() and _leftovers(tmp_path) == []
