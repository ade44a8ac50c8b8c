"""Bulk reads for `bumper history`: any git command's bytes in one repository, and many blobs
through one `cat-file --batch` (a blobless clone's missing ones fetched in one go first)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence

from bumper.errors import WorkspaceError

NULL_OID = "0" * 40

Fetcher = Callable[[Sequence[str]], None]


class GitReader:
    """Read-only git commands in one repository, with the environment that reaches its remote."""

    def __init__(self, cwd: str, env: Mapping[str, str], fetch: Fetcher | None = None) -> None:
        self.cwd = cwd
        self.env = dict(env)
        self.fetch = fetch
        self.fetched: set[str] = set()

    def run(self, args: Sequence[str], stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(
            ["git", *args], cwd=self.cwd, env=self.env, input=stdin, capture_output=True, check=False
        )
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise WorkspaceError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
        return proc.stdout

    def blobs(self, oids: Sequence[str]) -> dict[str, bytes]:
        """The bytes of each blob (missing ones of a blobless clone fetched in one go first)."""
        wanted = sorted(set(oids) - {NULL_OID})
        if not wanted:
            return {}
        if self.fetch is not None:
            # Asking git which are missing would fetch each one lazily: fetch all not yet fetched.
            missing = [oid for oid in wanted if oid not in self.fetched]
            if missing:
                self.fetch(missing)
                self.fetched.update(missing)
        return parse_batch(self.run(["cat-file", "--batch"], "\n".join(wanted).encode() + b"\n"))


def parse_batch(out: bytes) -> dict[str, bytes]:
    """`git cat-file --batch` output as {oid: content}; "<oid> missing" entries are left out."""
    found: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3:  # "<oid> missing"
            continue
        size = int(header[2])
        found[header[0].decode()] = out[pos : pos + size]
        pos += size + 1
    return found
