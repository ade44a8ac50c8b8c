"""Bulk reads for `bumper history`: any git command's bytes in one repository, and many blobs
through one `cat-file --batch` (a blobless clone's missing ones fetched in one go first)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bumper.git.runner import GitRunner

NULL_OID = "0" * 40

Fetcher = Callable[[Sequence[str]], None]


class GitReader:
    """Read-only git commands in one repository, run through `git` (a GitRunner: bumper's one
    door to git, with the environment that reaches the repository's remote) in `cwd`."""

    def __init__(
        self,
        git: GitRunner,
        cwd: str,
        fetch: Fetcher | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.git = git
        self.cwd = cwd
        self.fetch = fetch
        self.extra_env = dict(extra_env or {})
        self.fetched: set[str] = set()

    @classmethod
    def local(cls, directory: str, env: Mapping[str, str]) -> GitReader:
        """Reads the repository `directory` is in, as its user's git would find it (no GIT_DIR),
        taking no lock a concurrent git of the user's could trip over."""
        where = Path(directory).resolve()
        # Named to the runner as a file:// URL: any byte of a path (a newline) reads as a path.
        runner = GitRunner(where.as_uri(), token=None, env=env)
        return cls(runner, str(where), extra_env={"GIT_OPTIONAL_LOCKS": "0"})

    def run(self, args: Sequence[str], stdin: bytes | None = None) -> bytes:
        """git's stdout as bytes; a failure raises the runner's mapped GitError (a WorkspaceError)."""
        status, out, err = self.git.execute(
            list(args), cwd=Path(self.cwd), binary=True, stdin=stdin, extra_env=self.extra_env
        )
        if status != 0:
            raise self.git.error(err, action=args[0])
        assert isinstance(out, bytes)
        return out

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
