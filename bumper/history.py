"""Every change of one image's references in a repository's git history, read from the commits.

The image's lines are diffed per commit, so bumps made by hand count as much as bumper's own;
trailers (changes.py) and merge messages only add the build link and the pull request.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bumper.changes import TRAILER_BUILD
from bumper.errors import BumperError, ConfigError, NotFoundError, WorkspaceError
from bumper.files import MAX_FILE_BYTES, _is_manifest_name
from bumper.git.batch import NULL_OID, GitReader
from bumper.image_ref import ImageRef
from bumper.pathmatch import matcher
from bumper.shapes import find_references
from bumper.yaml_edit import Source, compose_all

# Paths named on git's command line up to this many; more are filtered here instead.
_MAX_PATHSPECS = 500
_FORMAT = "%x1e%H%x1f%P%x1f%cI%x1f%an <%ae>%x1f%B%x1f"
_GITHUB_MERGE = re.compile(r"\AMerge pull request #(\d+) from ")
_GITHUB_SQUASH = re.compile(r"\(#(\d+)\)\s*\Z")
_GITLAB_MERGE = re.compile(r"^See merge request (?:\S+)?!(\d+)\s*$", re.MULTILINE)
_BUILD = re.compile(rf"^{TRAILER_BUILD}: (https?://\S+)\s*$", re.MULTILINE)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")


@dataclass(frozen=True)
class FileChange:
    """One file's references to the image before and after a commit (None: absent)."""

    file: str
    old: str | None
    new: str | None


@dataclass
class Entry:
    """One commit of the branch's first-parent line that changed the image's references."""

    date: str
    commit: str  # the commit that made the change (on a merged branch: its newest commit there)
    author: str
    subject: str
    changes: list[FileChange] = field(default_factory=list)
    merge_commit: str | None = None
    pull_request: str | None = None
    build: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.date,
            "commit": self.commit,
            "merge_commit": self.merge_commit,
            "author": self.author,
            "subject": self.subject,
            "pull_request": self.pull_request,
            "build": self.build,
            "changes": [{"file": c.file, "old": c.old, "new": c.new} for c in self.changes],
        }


@dataclass
class _Commit:
    sha: str
    parents: list[str]
    date: str
    author: str
    message: str
    files: list[tuple[str, str, str]]  # (path, old blob, new blob)


def local_reader(directory: str, env: Mapping[str, str]) -> GitReader:
    """Reads the clone at `directory`: the history of its checked-out branch."""
    if not Path(directory).is_dir():
        raise ConfigError(f"--dir {directory!r} is not a directory")
    reader = GitReader(
        directory, dict(env, GIT_TERMINAL_PROMPT="0", GIT_LITERAL_PATHSPECS="1", GIT_OPTIONAL_LOCKS="0")
    )
    try:
        reader.run(["rev-parse", "--git-dir"])
    except WorkspaceError:
        raise ConfigError(f"--dir {directory!r} is not inside a git repository; give a clone") from None
    return reader


@contextlib.contextmanager
def remote_reader(repo: str, env: Mapping[str, str]) -> Iterator[GitReader]:
    """Reads a blobless clone of the default branch's history, gone afterwards; blobs come only
    for the files that mention the image."""
    from bumper.git.clone import clone, fetch_objects
    from bumper.providers import registry
    from bumper.secrets import token_for

    try:
        provider = registry.resolve(env.get("BUMPER_PROVIDER", "auto"), repo, None, env)
    except ConfigError:
        provider = "none"  # any token variable serves git
    token = token_for(provider, env)
    with tempfile.TemporaryDirectory(prefix="bumper-history-") as tmp:
        dest = Path(tmp) / "clone"
        authorization = registry.git_authorization(provider, token, env) if token else None
        ws = clone(
            repo,
            base=None,
            token=token,
            env=env,
            dest=dest,
            checkout=False,
            history=True,
            authorization=authorization,
        )
        yield GitReader(
            str(ws.path), dict(env, **ws.git.environment()), fetch=lambda oids: fetch_objects(ws, oids)
        )


def image_history(
    git: GitReader,
    image: ImageRef,
    globs: tuple[str, ...] = (),
    tip: str = "HEAD",
    followed: list[str] | None = None,
) -> list[Entry]:
    """Newest first: every first-parent commit of `tip` that changed `image`'s references in a
    file that mentions the image at `tip` (those files go to `followed`)."""
    paths = _files_mentioning(git, image, globs, tip)
    if followed is not None:
        followed += paths
    if not paths:
        where = f" matching {', '.join(globs)}" if globs else ""
        raise NotFoundError(f"no file{where} references {image.name} at {tip}")
    commits = list(_first_parent_log(git, tip, paths))
    blobs = git.blobs([oid for c in commits for _, old, new in c.files for oid in (old, new)])
    refs_of: dict[str, list[str]] = {}
    entries = []
    for commit in commits:
        changes = []
        for path, old, new in commit.files:
            before = _refs(refs_of, blobs, old, path, image)
            after = _refs(refs_of, blobs, new, path, image)
            changes += [FileChange(path, a, b) for a, b in _pairs(before, after)]
        if changes:
            entries.append(_entry(git, commit, changes, paths))
    return entries


def _files_mentioning(git: GitReader, image: ImageRef, globs: tuple[str, ...], tip: str) -> list[str]:
    selected = matcher(globs)
    listing = git.run(["ls-tree", "-r", "-z", "--full-tree", tip])
    candidates: dict[str, str] = {}
    for record in listing.split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        parts = meta.split()
        if len(parts) != 3 or parts[1] != b"blob":
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        if _is_manifest_name(path.rpartition("/")[2]) and (selected is None or selected(path)):
            candidates[path] = parts[2].decode()
    blobs = git.blobs(list(candidates.values()))
    needle = image.needle()
    return sorted(p for p, oid in candidates.items() if needle in blobs.get(oid, b""))


def _first_parent_log(git: GitReader, tip: str, paths: list[str]) -> Iterator[_Commit]:
    args = ["log", "--first-parent", "--diff-merges=first-parent", "--raw", "--no-abbrev", "--no-renames"]
    args += ["-z", f"--format={_FORMAT}", tip, "--"]
    wanted = set(paths)
    out = git.run([*args, *paths] if len(paths) <= _MAX_PATHSPECS else args)
    for chunk in out.split(b"\x1e")[1:]:
        commit = _parse_commit(chunk)
        commit.files = [f for f in commit.files if f[0] in wanted]
        if commit.files:
            yield commit


def _parse_commit(chunk: bytes) -> _Commit:
    sha, parents, date, author, message, raw = chunk.split(b"\x1f", 5)
    records = raw.lstrip(b"\0\n").split(b"\0")
    files = []
    for meta, path in zip(records[::2], records[1::2]):
        fields = meta.lstrip(b":").split()
        if len(fields) == 5:
            files.append((path.decode("utf-8", "surrogateescape"), fields[2].decode(), fields[3].decode()))
    text = message.decode("utf-8", "replace")
    return _Commit(
        sha.decode(), parents.decode().split(), date.decode(), author.decode("utf-8", "replace"), text, files
    )


def _refs(
    cache: dict[str, list[str]], blobs: Mapping[str, bytes], oid: str, path: str, image: ImageRef
) -> list[str]:
    """The image's references in one blob, in file order (parsed once per blob)."""
    if oid == NULL_OID:
        return []
    if oid not in cache:
        cache[oid] = _references_in(blobs.get(oid, b""), path, image)
    return cache[oid]


def _references_in(data: bytes, path: str, image: ImageRef) -> list[str]:
    if image.needle() not in data or len(data) > MAX_FILE_BYTES:
        return []
    try:
        source = Source.from_bytes(path, data)
        return [str(r.ref) for r in find_references(source, compose_all(source)) if r.ref.key == image.key]
    except (UnicodeDecodeError, BumperError):
        # A version that did not parse: the references written on its lines still count.
        text = data.decode("utf-8", "replace")
        found = (ImageRef.try_parse(t) for line in text.splitlines() for t in _TOKEN.findall(line))
        return [str(r) for r in found if r is not None and r.key == image.key and (r.tag or r.digest)]


def _pairs(before: list[str], after: list[str]) -> list[tuple[str | None, str | None]]:
    """old -> new per distinct change: position by position when the count stayed, else
    what went and what came."""
    if before == after:
        return []
    moved: list[tuple[str | None, str | None]]
    if len(before) == len(after):
        moved = [(a, b) for a, b in zip(before, after) if a != b]
    else:
        gone = sorted((Counter(before) - Counter(after)).elements())
        came = sorted((Counter(after) - Counter(before)).elements())
        moved = [*zip(gone, came), *((a, None) for a in gone[len(came) :])]
        moved += [(None, b) for b in came[len(gone) :]]
    return list(dict.fromkeys(moved))


def _entry(git: GitReader, commit: _Commit, changes: list[FileChange], paths: list[str]) -> Entry:
    made = commit
    merge = None
    if len(commit.parents) > 1:
        merge = commit.sha
        made = _branch_commit(git, commit, paths) or commit
    pr = _pull_request(commit.message) or (_pull_request(made.message) if made is not commit else None)
    build = _BUILD.search(made.message) or _BUILD.search(commit.message)
    return Entry(
        date=commit.date,
        commit=made.sha,
        author=made.author,
        subject=made.message.split("\n", 1)[0],
        changes=changes,
        merge_commit=merge,
        pull_request=pr,
        build=build.group(1) if build else None,
    )


def _branch_commit(git: GitReader, merge: _Commit, paths: list[str]) -> _Commit | None:
    """The newest commit of the merged side that touched the files (where the trailers are)."""
    spec = [f"{merge.parents[0]}..{merge.sha}", "--"] + (paths if len(paths) <= _MAX_PATHSPECS else [])
    out = git.run(["log", "-n1", "--no-merges", f"--format={_FORMAT}", *spec])
    chunks = out.split(b"\x1e")[1:]
    return _parse_commit(chunks[0]) if chunks else None


def _pull_request(message: str) -> str | None:
    subject = message.split("\n", 1)[0]
    for pattern, prefix, text in (
        (_GITHUB_MERGE, "#", subject),
        (_GITHUB_SQUASH, "#", subject),
        (_GITLAB_MERGE, "!", message),
    ):
        match = pattern.search(text)
        if match:
            return prefix + match.group(1)
    return None
