"""The first-parent commits that touched the followed files, back through every rename (`git mv`):
where a file appears, git's rename detection names the file it came from, whose history is
then read too."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bumper.git.batch import GitReader
from bumper.git.log import LOG_FORMAT, FileRecord, LogCommit, parse_log

# Paths named on git's command line up to this many; more are filtered here instead.
MAX_PATHSPECS = 500


@dataclass(frozen=True)
class Rename:
    """`path` was `source` before `commit`."""

    path: str
    source: str
    commit: str


def walk(
    git: GitReader, tip: str, paths: list[str], boundary: Collection[str]
) -> tuple[list[LogCommit], list[Rename]]:
    """Newest first, the commits of `tip`'s first-parent line that changed `paths` or, before a
    rename, the files they were. A commit of `boundary` (a shallow clone's first) is not
    followed further: its parents are not in the clone."""
    known: dict[str, LogCommit] = {}
    fresh = _merge(known, first_parent_log(git, tip, paths))
    renames: list[Rename] = []
    while fresh:
        found = _renamed_into(git, fresh, boundary)
        renames += found
        fresh = []
        sources: dict[str, list[str]] = {}  # one log per commit, for all the files it renamed
        for rename in found:
            sources.setdefault(rename.commit, []).append(rename.source)
        for sha, paths_before in sources.items():
            fresh += _merge(known, first_parent_log(git, known[sha].parents[0], paths_before))
    commits = list(known.values())
    if renames:
        order = git.run(["rev-list", "--first-parent", tip]).decode().split()
        position = {sha: n for n, sha in enumerate(order)}
        commits.sort(key=lambda c: position.get(c.sha, len(position)))
    return commits, renames


def first_parent_log(git: GitReader, tip: str, paths: list[str]) -> list[LogCommit]:
    """The commits of `tip`'s first-parent line that changed `paths` (a merge: against its first
    parent), each with only those paths' records."""
    args = ["log", "--first-parent", "--diff-merges=first-parent", "--raw", "--no-abbrev", "--no-renames"]
    args += ["-z", f"--format={LOG_FORMAT}", tip, "--"]
    out = git.run([*args, *paths] if len(paths) <= MAX_PATHSPECS else args)
    wanted = set(paths)
    commits = parse_log(out)
    for commit in commits:
        commit.files = [f for f in commit.files if f.path in wanted]
    return [c for c in commits if c.files]


def _merge(known: dict[str, LogCommit], found: list[LogCommit]) -> list[LogCommit]:
    """Adds the records of `found` not yet known; returns the commits with only those records."""
    added = []
    for commit in found:
        have = known.setdefault(commit.sha, LogCommit(commit.sha, commit.date, commit.parents))
        paths = {f.path for f in have.files}
        new = [f for f in commit.files if f.path not in paths]
        have.files += new
        if new:
            added.append(LogCommit(commit.sha, commit.date, commit.parents, new))
    return added


def _renamed_into(git: GitReader, commits: list[LogCommit], boundary: Collection[str]) -> list[Rename]:
    """Of the files these commits added, those git sees as renamed from another file (one
    `diff-tree --stdin -M` for all); each such record becomes the rename."""
    added: dict[str, dict[str, FileRecord]] = {}
    for commit in commits:
        if commit.parents and commit.sha not in boundary:
            for record in commit.files:
                if record.status == "A":
                    added.setdefault(commit.sha, {})[record.path] = record
    if not added:
        return []
    parents = {c.sha: c.parents[0] for c in commits if c.sha in added}
    lines = "".join(f"{sha} {parents[sha]}\n" for sha in added).encode()
    out = git.run(
        ["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-abbrev", "-M", f"--format={LOG_FORMAT}"], lines
    )
    renames = []
    for diff in parse_log(out):
        for record in diff.files:
            target = added.get(diff.sha, {}).get(record.path)
            if record.status == "R" and record.source is not None and target is not None:
                target.status, target.old, target.source = "R", record.old, record.source
                target.old_mode = record.old_mode
                renames.append(Rename(record.path, record.source, diff.sha))
    return renames
