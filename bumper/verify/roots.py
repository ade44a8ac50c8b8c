"""Which kustomization roots a change reaches: every path a kustomization names, read locally.

Every string of a kustomization that names a file or directory of the tree (relative to the
kustomization's directory; a generator's `key=path` by its path) counts: `resources`, `bases`,
`components`, patch files, generator files and envs, `replacements` paths, Helm values files and
any field kustomize adds later. A named directory holding a kustomization is another root, whose
files count transitively. Naming more than kustomize reads only renders a root more; remote
bases are never fetched here (rendering them fails, and the root is "not verified").
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from bumper.shapes import KUSTOMIZATION_NAMES
from bumper.verify.compare import LOADER
from bumper.verify.tree import Tree

_REMOTE = ("://", "git@", "github.com/", "gitlab.com/", "bitbucket.org/")


@dataclass
class Root:
    """A directory with a kustomization, and what its own kustomization names."""

    dir: str  # "" for the tree's top
    files: set[str] = field(default_factory=set)
    roots: set[str] = field(default_factory=set)  # directories of other roots it includes
    # Directories of the tree it names that hold no kustomization: kustomize refuses them, and
    # the private copy must hold them too, so its error is the one the real tree gives.
    dirs: set[str] = field(default_factory=set)


class Graph:
    """Every kustomization root of a tree and the files each one's build reads."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        found = [p for p in tree.files if posixpath.basename(p) in KUSTOMIZATION_NAMES]
        texts = tree.read(sorted(found))
        self.roots: dict[str, Root] = {}
        for path in sorted(found):  # two in one directory: kustomize refuses, rendering says so
            directory = posixpath.dirname(path)
            root = self.roots.setdefault(directory, Root(directory))
            root.files.add(path)
            self._read(root, texts.get(path, b""))
        self._closure: dict[str, frozenset[str]] = {}

    def _read(self, root: Root, text: bytes) -> None:
        try:
            data = yaml.load(text, Loader=LOADER)  # noqa: S506 - the C safe loader
        except yaml.YAMLError:
            return  # kustomize fails on it too: rendering says why, the root is not verified
        has_charts = isinstance(data, dict) and "helmCharts" in data
        chart_home = None
        for key, value in _strings(data):
            for candidate in (value, value.rpartition("=")[2]) if "=" in value else (value,):
                path = self._resolve(root.dir, candidate)
                if path is None:
                    continue
                if path in self.tree.files:
                    root.files.add(path)
                elif path != root.dir and path in self.tree.dirs:
                    if any(posixpath.join(path, n) in self.tree.files for n in KUSTOMIZATION_NAMES):
                        root.roots.add(path)
                    else:
                        root.dirs.add(path)
                        if key == "chartHome":
                            chart_home = path
        if has_charts:  # charts live under helmGlobals.chartHome, by default ./charts
            home = chart_home or posixpath.join(root.dir, "charts")
            root.files.update(self.tree.under(home) if home in self.tree.dirs else ())

    def _resolve(self, directory: str, value: str) -> str | None:
        if not value or "\n" in value or value.startswith(("/", "~")) or any(r in value for r in _REMOTE):
            return None
        path = posixpath.normpath(posixpath.join(directory, value.split("?", 1)[0]))
        if path == ".":
            return ""
        return None if path.startswith("../") or path == ".." else path

    def closure(self, directory: str) -> frozenset[str]:
        """Every file the build of the root at `directory` reads, through included roots too."""
        done = self._closure.get(directory)
        if done is not None:
            return done
        seen: set[str] = set()
        files: set[str] = set()
        stack = [directory]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.roots:
                continue
            seen.add(current)
            files |= self.roots[current].files
            stack.extend(self.roots[current].roots)
        self._closure[directory] = frozenset(files)
        return self._closure[directory]

    def named_dirs(self, directory: str) -> frozenset[str]:
        """The directories without a kustomization that the build of `directory` names."""
        return frozenset(d for r in self.roots if r in self._reached(directory) for d in self.roots[r].dirs)

    def _reached(self, directory: str) -> set[str]:
        seen: set[str] = set()
        stack = [directory]
        while stack:
            current = stack.pop()
            if current not in seen and current in self.roots:
                seen.add(current)
                stack.extend(self.roots[current].roots)
        return seen

    def affected(self, changed: set[str]) -> list[str]:
        """The roots whose build reads a changed file, by directory, in name order."""
        return sorted(d for d in self.roots if self.closure(d) & changed)


def _strings(data: object, key: str = "") -> Iterator[tuple[str, str]]:
    """(the nearest mapping key, value) of every string in a loaded YAML document."""
    if isinstance(data, str):
        yield key, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(v, k if isinstance(k, str) else key)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item, key)
