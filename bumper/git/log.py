"""Commits read exactly for `bumper history`: `git log --raw -z` gives only hashes, dates and
NUL-ended paths, and messages come from the commit objects by length, so no byte of a message
or of a path can shift a field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bumper.git.batch import GitReader, parse_batch

# Only git-made text: hashes and a strict ISO date, never a message or a name.
LOG_FORMAT = "%H %cI %P"
_HEADER = re.compile(rb"\n?([0-9a-f]{40,64}) (\S+)((?: [0-9a-f]{40,64})*) ?")


@dataclass
class FileRecord:
    """One path of a commit's raw diff: its blobs before and after, and its source on a rename."""

    path: str
    old: str
    new: str
    status: str
    source: str | None = None
    # git's modes of the two sides (100644 a file, 120000 a symbolic link, 160000 a submodule)
    old_mode: str = "100644"
    new_mode: str = "100644"


@dataclass
class LogCommit:
    """One commit of a `git log --raw -z --format=LOG_FORMAT` listing."""

    sha: str
    date: str
    parents: list[str]
    files: list[FileRecord] = field(default_factory=list)


@dataclass(frozen=True)
class CommitText:
    """What a commit object says that people wrote: the author and the message."""

    author: str
    message: str

    @property
    def subject(self) -> str:
        """The message's first line (without a CR before its LF)."""
        return self.message.split("\n", 1)[0].removesuffix("\r")


def parse_log(out: bytes) -> list[LogCommit]:
    """Commits of `git log --raw -z --no-abbrev --format=LOG_FORMAT`, in git's order."""
    return _parse(out, [])


def _parse(out: bytes, commits: list[LogCommit]) -> list[LogCommit]:
    # A state machine over NUL-ended tokens: a record's status says how many paths follow it,
    # so a path is never read as a header or a record, whatever its bytes.
    tokens = out.split(b"\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].removeprefix(b"\n")
        i += 1
        if token.startswith(b":"):
            meta = token[1:].split()
            status = meta[4].decode()[:1] if len(meta) == 5 else "?"
            paths = [tokens[j].decode("utf-8", "surrogateescape") for j in range(i, i + 1 + (status in "RC"))]
            i += len(paths)
            if commits and len(meta) == 5:
                source = paths[0] if len(paths) == 2 else None
                modes = meta[0].decode(), meta[1].decode()
                commits[-1].files.append(
                    FileRecord(paths[-1], meta[2].decode(), meta[3].decode(), status, source, *modes)
                )
            continue
        header = _HEADER.fullmatch(token)
        if header:
            sha, date, parents = (g.decode() for g in header.groups())
            commits.append(LogCommit(sha, date, parents.split()))
    return commits


def read_messages(git: GitReader, shas: Sequence[str]) -> dict[str, CommitText]:
    """Author and message of each commit, from its object (`cat-file --batch`: lengths, not
    separators)."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    objects = parse_batch(git.run(["cat-file", "--batch"], "\n".join(wanted).encode() + b"\n"))
    return {sha: parse_commit_object(data) for sha, data in objects.items()}


def parse_commit_object(data: bytes) -> CommitText:
    """The author (`Name <email>`, without its date) and the message, decoded by the commit's
    `encoding` header when Python knows it as a text encoding, else as UTF-8 (an invalid byte
    becomes U+FFFD)."""
    head, _, body = data.partition(b"\n\n")
    author = None
    encoding = "utf-8"
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")  # a continuation line starts with a space: no key
        if key == b"author" and author is None:
            author = value.rsplit(b" ", 2)[0] if value.count(b" ") >= 2 else value
        elif key == b"encoding":
            encoding = value.decode("ascii", "replace")
    return CommitText(_decode(author or b"", encoding), _decode(body, encoding))


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding, "replace")
    except (LookupError, ValueError):  # unknown, or no text encoding (base64, rot13, idna's limits)
        return data.decode("utf-8", "replace")


def shallow_boundary(git: GitReader) -> set[str] | None:
    """The commits a shallow repository's history stops at (their parents are not in it), or
    None when it is complete."""
    if git.run(["rev-parse", "--is-shallow-repository"]).strip() != b"true":
        return None
    path = git.run(["rev-parse", "--git-path", "shallow"]).decode().strip()
    shallow = Path(path) if Path(path).is_absolute() else Path(git.cwd) / path
    try:
        return set(shallow.read_text("ascii").split())
    except OSError:
        return set()
