"""The files of a tree as the renderer would see them: a local directory or a git commit."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bumper.git.clone import Clone

Reader = Callable[[list[str]], dict[str, bytes]]


@dataclass
class Tree:
    """Every regular file of a tree by relative POSIX path, and how to read them in one go."""

    files: frozenset[str]
    read: Reader
    dirs: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        dirs = {""}
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        self.dirs = frozenset(dirs)

    def under(self, directory: str) -> list[str]:
        """The files inside `directory` (the whole tree for "")."""
        prefix = f"{directory}/" if directory else ""
        return sorted(p for p in self.files if p.startswith(prefix))

    def materialize(self, dest: Path, paths: Iterable[str], override: Mapping[str, bytes]) -> None:
        """Write `paths` under `dest`, taking a file's bytes from `override` where it has them."""
        wanted = sorted(set(paths))
        data = self.read([p for p in wanted if p not in override])
        for path in wanted:
            content = override.get(path, data.get(path))
            if content is None:
                continue
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def local_tree(root: Path) -> Tree:
    """The files under `root` (not .git, not symlinks leaving the tree), read from disk."""
    base = root.resolve()
    files: set[str] = set()
    for current, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        rel = Path(current).relative_to(base)
        for name in filenames:
            path = Path(current) / name
            if path.is_symlink() and not _inside(path, base):
                continue
            if path.is_file():
                files.add((rel / name).as_posix())

    def read(paths: list[str]) -> dict[str, bytes]:
        return {p: (base / p).read_bytes() for p in paths}

    return Tree(frozenset(files), read)


def clone_tree(cloned: Clone) -> Tree:
    """The regular files of the clone's base commit (symlinks and submodules left out), read
    in one batch (blobs a blobless clone lacks come in one fetch)."""
    from bumper.git.modes import FILE_MODES
    from bumper.git.read import read_files

    listing = cloned.git.run_bytes(["ls-tree", "-r", "-z", "--full-tree", cloned.base_sha], action="read")
    files: set[str] = set()
    for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        if meta.split(" ")[0] in FILE_MODES:
            files.add(path)
    return Tree(frozenset(files), lambda paths: read_files(cloned, cloned.base_sha, paths))


def _inside(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base)
    except ValueError:
        return False
    return True
