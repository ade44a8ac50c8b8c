"""Choose the manifest files under a tree, and say why the others are left alone."""

from __future__ import annotations

import os
import stat
from bisect import bisect_left
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from bumper.plan.needles import MANIFEST_SUFFIXES, escaped_mention, is_escape_needle
from bumper.plan.paths import hidden_namer, is_hidden, matcher
from bumper.plan.rules import POLICY_FILE
from bumper.shapes import KUSTOMIZATION_NAMES
from bumper.yaml_edit import Source

MAX_FILE_BYTES = 8 * 1024 * 1024  # larger "manifests" are generated data, never hand-kept YAML


class Candidate(NamedTuple):
    """A file that may hold references, or one left alone with `reason` (a tuple: a walk makes
    one per manifest file of the tree, 10,000 on a large one)."""

    relpath: str
    path: str
    reason: str | None = None


def is_manifest_name(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) or name in KUSTOMIZATION_NAMES


def iter_candidates(
    root: Path,
    globs: tuple[str, ...] = (),
    only: frozenset[str] | None = None,
    named: tuple[tuple[str, ...], ...] = (),
    found: Callable[[], frozenset[str] | None] | None = None,
) -> Iterator[Candidate]:
    """Walk `root` (never `.git/`, never following folder links) and yield manifest files
    (only those in `only` when a faster search, e.g. git grep, already narrowed them).

    Decided by path alone, before any file is read: a hidden path is left alone (`hidden`)
    unless `globs`, or the `paths:` of a `.bumper.yaml` rule (`named`), selects it and names its
    hidden parts; a file below a chart's `templates/`, at any depth, is a `helm-template`.

    `found`: for a caller that reads and lists a file only when it mentions a needle, and lists
    no file it looked at (no -v): the tree-relative paths its search found (None: the search
    cannot tell). Only those of the regular files are then given (links and special files are
    given whatever their bytes, for their reason), and a chart's `templates/` is never read
    from disk: its files in `found` stand for it (a chart repository is mostly templates: 3,600
    of 4,000 files)."""
    selected = matcher(globs)
    names_hidden = hidden_namer((globs, *named))
    real_root = os.path.realpath(root)
    regular = stat.S_IFREG
    for relpath, path, mode in _only(root, only) if only is not None else _walk(root, found):
        if relpath == POLICY_FILE or (selected is not None and not selected(relpath)):
            continue  # the policy file is never a manifest
        hidden = is_hidden(relpath)
        if mode == regular and not hidden and "templates/" not in relpath:
            yield Candidate(relpath, path)  # nearly every file: nothing to check
        elif hidden and not names_hidden(relpath):
            yield Candidate(relpath, path, "hidden")
        elif mode == IN_CHART_TEMPLATES:  # the walk saw the Chart.yaml: whatever the file is
            yield Candidate(relpath, path, "helm-template")
        else:
            yield Candidate(relpath, path, _reason_to_skip(relpath, path, mode, real_root, root))


# The file type _walk gives an entry below a chart's `templates/` (a folder beside a Chart.yaml
# file), at any depth: a chart repository is mostly such files, each a `helm-template` by path.
IN_CHART_TEMPLATES = -1
_Entry = tuple[str, str, int]  # (relpath, path, file type)


def _walk(root: Path, found: Callable[[], frozenset[str] | None] | None = None) -> Iterator[_Entry]:
    """(relpath, path, file type) of every manifest-named entry, sorted by relpath (the order
    `git ls-files` and the --repo flow give); scandir's cached file types spare a stat per file.

    One folder is listed at a time, its entries sorted by name with a `/` after a folder's: then
    descending in that order yields the relpaths sorted as whole strings (no name holds a `/`),
    and what is held is one listing per level, not the tree (a scan of 100,000 files streams).
    With what a search `found` (iter_candidates), only those of the regular files are given,
    and a chart's `templates/` is not listed: the found files below it stand for it."""
    hits = None if found is None else found()
    below = None if hits is None else _FoundBelow(os.fspath(root), hits)
    stack = [iter(_listing("", os.fspath(root), hits, templates=False))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif item[2] == _FOLDER:  # walk it now, before the names after it
            stack.append(iter(_listing(item[0] + "/", item[1], hits, templates=False)))
        elif item[2] == _TEMPLATES_FOLDER:
            if below is not None:
                stack.append(iter(below(item[0])))
            else:
                stack.append(iter(_listing(item[0] + "/", item[1], hits, templates=True)))
        else:
            yield item


# The file types _listing gives a folder (to descend into), and one below a chart's templates.
_FOLDER, _TEMPLATES_FOLDER = -2, -3


def _listing(rel_dir: str, directory: str, hits: frozenset[str] | None, *, templates: bool) -> list[_Entry]:
    """The folder's manifest-named files (the regular ones only when in `hits`, unless None)
    and its folders, in walk order; below a chart's `templates/` (`templates`) every file is
    IN_CHART_TEMPLATES."""
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError:
        return []
    chart = not templates and any(e.name == "Chart.yaml" and _is_file(e) for e in entries)
    found: list[tuple[str, str, str, int]] = []
    add = found.append
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            if name != ".git":
                below = templates or (chart and name == "templates")
                add((name + "/", name, entry.path, _TEMPLATES_FOLDER if below else _FOLDER))
        elif not is_manifest_name(name):
            continue
        elif templates:
            add((name, name, entry.path, IN_CHART_TEMPLATES))
        elif entry.is_file(follow_symlinks=False):  # scandir's file type: no system call
            if hits is None or rel_dir + name in hits:
                add((name, name, entry.path, stat.S_IFREG))
        else:  # a link or a special file: left alone for what it is, found or not
            add((name, name, entry.path, stat.S_IFLNK if entry.is_symlink() else 0))
    found.sort()
    return [(rel_dir + name, path, kind) for _, name, path, kind in found]


class _FoundBelow:
    """The entries a search found below a folder, as _listing would give them: the found paths
    sorted once, each folder's a slice of them."""

    def __init__(self, top: str, hits: frozenset[str]) -> None:
        self._top, self._hits = top, hits
        self._sorted: list[str] | None = None

    def __call__(self, folder: str) -> list[_Entry]:
        if self._sorted is None:
            self._sorted = sorted(self._hits)
        names, prefix = self._sorted, folder + "/"
        start = end = bisect_left(names, prefix)
        while end < len(names) and names[end].startswith(prefix):
            end += 1
        return [(rel, os.path.join(self._top, rel), IN_CHART_TEMPLATES) for rel in names[start:end]]


def _is_file(entry: os.DirEntry[str]) -> bool:
    """os.path.isfile of the entry (a link to a file counts, as _is_chart reads it)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def unmatched_globs(root: Path, globs: tuple[str, ...]) -> list[str]:
    """The --path globs that select no manifest file under `root`, by the same rule as
    iter_candidates (each is a mistake worth a message)."""
    return [glob for glob in globs if next(iter_candidates(root, (glob,)), None) is None]


def _only(root: Path, only: frozenset[str]) -> Iterator[tuple[str, str, int]]:
    for relpath in sorted(only):
        parts = relpath.split("/")
        if ".git" in parts or not is_manifest_name(parts[-1]):
            continue
        path = os.path.join(root, relpath)
        try:
            mode = stat.S_IFMT(os.lstat(path).st_mode)
        except OSError:
            continue
        yield relpath, path, mode


def _reason_to_skip(relpath: str, path: str, kind: int, real_root: str, root: Path) -> str | None:
    if _in_chart_templates(root, relpath):
        return "helm-template"
    if kind == stat.S_IFLNK:
        target = os.path.realpath(path)  # never raises, also on a link loop
        if os.path.commonpath([target, real_root]) != real_root:
            return "symlink-outside-tree"
        return "symlink"  # its target is a file of the tree and is visited on its own
    if kind != stat.S_IFREG:
        return "not-a-regular-file"  # a FIFO would block the read forever
    return None


def _in_chart_templates(root: Path, relpath: str) -> bool:
    """Whether some folder of `relpath` is a `templates/` whose parent holds `Chart.yaml`, at any
    depth below it (`chart/templates/tests/x.yaml`, `chart/templates/redis/config.yaml`)."""
    parts = relpath.split("/")[:-1]
    return any(part == "templates" and _is_chart(root, "/".join(parts[:n])) for n, part in enumerate(parts))


@lru_cache(maxsize=1024)
def _is_chart(root: Path, rel_dir: str) -> bool:
    return os.path.isfile(os.path.join(root, rel_dir, "Chart.yaml"))


# Left alone by path, and listed only when they mention what the run looks for.
QUIET_REASONS = frozenset({"hidden", "helm-template"})


def mentions(candidate: Candidate, needles: tuple[bytes, ...]) -> bool:
    """Whether the file's bytes hold a needle (a byte search, never a parse); one holding only
    an escape (`\\u`) holds one when its text names another needle once escapes are read."""
    data, _ = _read(candidate.path)
    if data is None:
        return False
    plain = [n for n in needles if not is_escape_needle(n)]
    if any(n in data for n in plain):
        return True
    if len(plain) == len(needles) or b"\0" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return escaped_mention(text, [n.decode("utf-8", "replace") for n in plain])


def read_tree(root: Path, needles: tuple[bytes, ...], only: frozenset[str] | None = None) -> Iterator[Source]:
    """Every manifest of the tree (never narrowed by --path) that mentions a needle: the objects
    (Flux policies, HelmRepositories) a reference in another file resolves through."""
    for candidate in iter_candidates(root, (), only):
        if candidate.reason is None:
            source, _ = read_manifest(candidate, needles)
            if source is not None:
                yield source


def read_manifest(candidate: Candidate, needles: tuple[bytes, ...]) -> tuple[Source | None, str | None]:
    """The file's text when its bytes mention a needle (others are never decoded or parsed),
    or the reason it cannot be used."""
    data, reason = _read(candidate.path)
    if data is None:
        return None, reason
    if not any(n in data for n in needles):
        return None, None
    try:
        if b"\0" not in data:
            return Source.from_bytes(candidate.relpath, data), None
        reason = "binary"
    except UnicodeDecodeError:
        reason = "not-utf-8"
    # A file found by an escape needle alone (`\\u`) is read for what its escapes may spell
    # (the planner looks): binary or not UTF-8, it spells nothing and is not listed.
    escaped_only = not any(n in data for n in needles if not is_escape_needle(n))
    return None, None if escaped_only else reason


def _read(path: str) -> tuple[bytes | None, str | None]:
    """The file's bytes, or None and why not ("oversized", "unreadable").

    Never through a link (O_NOFOLLOW: a link is "unreadable"): a hidden file or a chart
    template that is a link is not listed for what its target says, and a file swapped for a
    link after the walk saw it is not read. Plain os calls: on a 10,000-file tree a file object
    per file costs more than the reads."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None, "unreadable"
    try:
        size = os.fstat(fd).st_size
        if size > MAX_FILE_BYTES:
            return None, "oversized"
        data = os.read(fd, size + 1)
        while len(data) > size:  # the file grew since fstat: read on, up to the limit
            more = os.read(fd, 65536)
            if not more:
                break
            data += more
            if len(data) > MAX_FILE_BYTES:
                return None, "oversized"
        return data, None
    except OSError:
        return None, "unreadable"
    finally:
        os.close(fd)
