"""Choose the manifest files under a tree, and say why the others are left alone."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bumper.errors import ConfigError
from bumper.shapes import KUSTOMIZATION_NAMES
from bumper.yaml_edit import Source

MAX_FILE_BYTES = 8 * 1024 * 1024  # larger "manifests" are generated data, never hand-kept YAML
_DEFAULT_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Candidate:
    """A file that may hold references, or one left alone with `reason`."""

    relpath: str
    path: Path
    reason: str | None = None


def compile_globs(globs: tuple[str, ...]) -> list[re.Pattern[str]]:
    """Turn `--path` globs (relative, `**` across folders) into regexes; reject escapes."""
    patterns = []
    for glob in globs:
        cleaned = glob.strip().strip("/")
        if not cleaned or "\0" in glob or ".." in Path(cleaned).parts or glob.startswith("/"):
            raise ConfigError(
                f"invalid --path {glob!r}: give a glob relative to the tree, e.g. 'apps/**/*.yaml'"
            )
        patterns.append(_glob_regex(cleaned))
    return patterns


@lru_cache(maxsize=64)
def _glob_regex(glob: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    # A glob naming a folder selects the manifests below it.
    return re.compile("".join(out) + "(?:/.*)?")


def _is_manifest_name(name: str) -> bool:
    return name.endswith(_DEFAULT_SUFFIXES) or name in KUSTOMIZATION_NAMES


def iter_candidates(
    root: Path, globs: tuple[str, ...] = (), only: frozenset[str] | None = None
) -> Iterator[Candidate]:
    """Walk `root` (never `.git/`, never following folder links) and yield manifest files
    (only those in `only` when a faster search, e.g. git grep, already narrowed them)."""
    patterns = compile_globs(globs)
    real_root = root.resolve()
    if only is not None:
        for relpath in sorted(only):
            parts = relpath.split("/")
            if ".git" in parts or not _is_manifest_name(parts[-1]):
                continue
            if patterns and not any(p.fullmatch(relpath) for p in patterns):
                continue
            path = root / relpath
            chart_templates = (
                len(parts) > 1 and parts[-2] == "templates" and (path.parent.parent / "Chart.yaml").is_file()
            )
            yield Candidate(relpath, path, _reason_to_skip(path, real_root, chart_templates))
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        chart_templates = here.name == "templates" and (here.parent / "Chart.yaml").is_file()
        for name in sorted(filenames):
            if not _is_manifest_name(name):
                continue
            relpath = name if rel_dir == "." else f"{rel_dir}/{name}"
            if patterns and not any(p.fullmatch(relpath) for p in patterns):
                continue
            path = here / name
            yield Candidate(relpath, path, _reason_to_skip(path, real_root, chart_templates))


def _reason_to_skip(path: Path, real_root: Path, chart_templates: bool) -> str | None:
    if chart_templates:
        return "helm-template"
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(real_root):
            return "symlink-outside-tree"
        return "symlink"  # its target is a file of the tree and is visited on its own
    try:
        size = path.stat().st_size
    except OSError:
        return "unreadable"
    if size > MAX_FILE_BYTES:
        return "oversized"
    return None


def read_manifest(candidate: Candidate, needles: tuple[bytes, ...]) -> tuple[Source | None, str | None]:
    """The file's text when its bytes mention a needle (others are never decoded or parsed),
    or the reason it cannot be used."""
    try:
        data = candidate.path.read_bytes()
    except OSError:
        return None, "unreadable"
    if not any(n in data for n in needles):
        return None, None
    if b"\0" in data:
        return None, "binary"
    try:
        return Source.from_bytes(candidate.relpath, data), None
    except UnicodeDecodeError:
        return None, "not-utf-8"
