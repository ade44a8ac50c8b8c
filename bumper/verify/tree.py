"""The files of a tree as the renderer would see them: a local directory or a git commit."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bumper.git.batch import GitReader
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


def git_tree(reader: GitReader, commit: str) -> Tree:
    """The regular files of `commit` (symlinks and submodules left out), read as one batch."""
    listing = reader.run(["ls-tree", "-r", "-z", "--full-tree", commit])
    oids: dict[str, str] = {}
    for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        mode, kind, oid = (meta.split(" ") + ["", "", ""])[:3]
        if kind == "blob" and mode in ("100644", "100755"):
            oids[path] = oid

    def read(paths: list[str]) -> dict[str, bytes]:
        blobs = reader.blobs([oids[p] for p in paths])
        return {p: blobs[oids[p]] for p in paths if oids[p] in blobs}

    return Tree(frozenset(oids), read)


def clone_tree(ws: Clone) -> Tree:
    """The base commit of a clone (blobs a blobless clone lacks are fetched in one go)."""
    from bumper.git.batch import GitReader
    from bumper.git.clone import fetch_objects

    reader = GitReader(str(ws.path), dict(os.environ, **ws.git.environment()))
    partial = reader.run(["config", "--bool", "--default", "false", "remote.origin.promisor"])
    if partial.strip() == b"true":
        reader.fetch = lambda oids: fetch_objects(ws, oids)
    return git_tree(reader, ws.base_sha)


def _inside(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base)
    except ValueError:
        return False
    return True
