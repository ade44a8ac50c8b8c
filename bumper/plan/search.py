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
from collections.abc import Iterable
from subprocess import DEVNULL, PIPE
from typing import Union

StrPath = Union[str, "os.PathLike[str]"]


class NeedleSearch:
    """A running `grep -rlF`; `hits()` waits for it."""

    def __init__(self, proc: subprocess.Popen[bytes] | None, key: _Key = ("", (), ())) -> None:
        self._proc = proc
        self._key = key
        self._hits: frozenset[str] | None = None
        self._done = proc is None

    @classmethod
    def start(cls, root: StrPath, needles: Iterable[bytes], names: Iterable[str]) -> NeedleSearch:
        """Start grep over the files of `root` whose names match one of `names` (glob patterns,
        e.g. `*.yaml`); never `.git/`, never a device or FIFO, never a link followed."""
        return cls._spawn(*_key(root, needles, names))

    def searches(self, root: StrPath, needles: Iterable[bytes], names: Iterable[str]) -> bool:
        """Whether this is the search of `root` for `needles` in files named `names`: a caller
        that started it early hands it to the planner, which checks it asks the same."""
        return self._key == _key(root, needles, names)

    @classmethod
    def _spawn(cls, root: str, needles: tuple[bytes, ...], names: tuple[str, ...]) -> NeedleSearch:
        key = (root, needles, names)
        patterns = [n for n in needles if n]
        if not patterns or any(b"\n" in n or b"\0" in n for n in patterns):
            return cls(None, key)
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
            return cls(None, key)
        return cls(proc, key)

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


_Key = tuple[str, tuple[bytes, ...], tuple[str, ...]]


def _key(root: StrPath, needles: Iterable[bytes], names: Iterable[str]) -> _Key:
    """One spelling per tree: `./tree/` as typed, or as pathlib wrote it, is `tree`."""
    return os.path.normpath(os.fspath(root)), tuple(needles), tuple(names)
