"""Which manifest files under a tree mention a needle, asked of `grep` while Python walks the tree.

On a 10,000-file tree, opening and reading every file from Python costs about twice what
`grep -rlF` takes for the same bytes. So `--dir` runs start grep first, walk the tree (file
kinds, symlinks, chart templates: what only the walk knows) on the other core meanwhile, and
read only the files grep listed. Without grep, or when grep reports any error (an unreadable
file, say), the answer is None and every file is read from Python, as before: the search only
ever narrows what is read, never what is considered.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from subprocess import DEVNULL, PIPE
from typing import Union

StrPath = Union[str, "os.PathLike[str]"]


class NeedleSearch:
    """A running `grep -rlF`; `hits()` waits for it."""

    def __init__(self, proc: subprocess.Popen[bytes] | None) -> None:
        self._proc = proc
        self._hits: frozenset[str] | None = None
        self._done = proc is None

    @classmethod
    def start(cls, root: StrPath, needles: Iterable[bytes], names: Iterable[str]) -> NeedleSearch:
        """Start grep over the files of `root` whose names match one of `names` (glob patterns,
        e.g. `*.yaml`); never `.git/`, never a device or FIFO, never a link followed. A search
        started_early() began with the same arguments is taken over instead."""
        key = _key(root, needles, names)
        early = _EARLY.pop(key, None)
        return early if early is not None else cls._spawn(root, *key[1:])

    @classmethod
    def _spawn(cls, root: StrPath, needles: tuple[bytes, ...], names: tuple[str, ...]) -> NeedleSearch:
        patterns = [n for n in needles if n]
        if not patterns or any(b"\n" in n or b"\0" in n for n in patterns):
            return cls(None)
        args = ["grep", "-rlFZs", "-D", "skip", "--exclude-dir=.git"]
        args += [f"--include={name}" for name in names]
        for needle in patterns:
            args += ["-e", needle.decode("utf-8", "surrogateescape")]
        args += ["--", "."]
        # Bytes compared as bytes (C locale); nothing of the caller's environment, tokens least.
        # grep is looked up on that PATH; without one, OSError: every file is read from Python.
        env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"}
        try:
            proc = subprocess.Popen(args, cwd=root, env=env, stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
        except OSError:
            return cls(None)
        return cls(proc)

    def hits(self) -> frozenset[str] | None:
        """The tree-relative paths grep listed, or None when its answer cannot be trusted."""
        if not self._done:
            assert self._proc is not None
            out, _ = self._proc.communicate()
            self._done = True
            if self._proc.returncode in (0, 1):  # 2: some file could not be read
                names = out.split(b"\0")
                self._hits = frozenset(
                    os.fsdecode(name[2:] if name.startswith(b"./") else name) for name in names if name
                )
        return self._hits

    def stop(self) -> None:
        """Stop grep early (a run that failed before it needed the answer)."""
        if self._proc is not None and not self._done:
            self._proc.kill()
            self._proc.wait()
            self._done = True


# Searches started before the YAML modules were imported, by (root, needles, names).
_Key = tuple[str, tuple[bytes, ...], tuple[str, ...]]
_EARLY: dict[_Key, NeedleSearch] = {}


def _key(root: StrPath, needles: Iterable[bytes], names: Iterable[str]) -> _Key:
    """One spelling per tree: `./tree/` as typed, or as pathlib wrote it, is `tree`."""
    return os.path.normpath(os.fspath(root)), tuple(needles), tuple(names)


@contextmanager
def started_early(root: StrPath, needles: Iterable[bytes], names: Iterable[str]) -> Iterator[None]:
    """Start the search now, for NeedleSearch.start to take over later with the same arguments:
    grep then runs while the caller imports the command line or what parses YAML. A search
    nothing took over is stopped when the block that started it ends."""
    key = _key(root, needles, names)
    if key in _EARLY:  # started by the console script (bumper.launch), which stops it
        yield
        return
    _EARLY[key] = NeedleSearch._spawn(root, *key[1:])
    try:
        yield
    finally:
        left = _EARLY.pop(key, None)
        if left is not None:
            left.stop()
