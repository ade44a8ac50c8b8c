"""--commit-via api: the host's API makes the commit bumper built in its clone, instead of a push.

bumper still builds the commit with git (the tree, the message with its trailers, the
never-backwards and idempotency checks all read it); only the delivery differs. The host writes
the same bytes, so its commit has the same tree and the same Bumper-Content digest, and later
runs recognise it as bumper's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bumper.errors import ConfigError
from bumper.git.errors import PushRejected
from bumper.git.read import changed_entries, commit_shape, read_files
from bumper.providers.api import ApiCommit, BranchMoved, CommitsThroughApi, FileChange

if TYPE_CHECKING:
    from bumper.git.clone import Clone


def deliver_through_api(
    cloned: Clone,
    provider: CommitsThroughApi,
    branch: str,
    sha: str,
    expected: str | None,
    author: tuple[str, str],
    *,
    direct: bool = False,
) -> str:
    """Have the host make local commit `sha` on `branch`, whose tip bumper read as `expected`
    (None: absent; `direct`: `branch` is the base); return the host's commit. A branch moved
    meanwhile raises PushRejected, as a refused push does, so the run starts over afresh."""
    message, parents, _ = commit_shape(cloned, sha)
    changed = changed_entries(cloned, parents[0], sha)
    refuse_names_not_utf8(path for path, _ in changed)
    held = read_files(cloned, sha, [path for path, blob in changed if blob])
    files = tuple(FileChange(path, held[path] if blob else None) for path, blob in changed)
    commit = ApiCommit(branch, parents[0], expected, message.rstrip("\n"), author, files, direct)
    try:
        return provider.commit_through_api(commit)
    except BranchMoved as exc:
        raise PushRejected(str(exc)) from exc


def refuse_names_not_utf8(paths: Iterable[str]) -> None:
    """The hosts' commit APIs take file names as JSON strings: a name holding a byte that is not
    UTF-8 cannot be sent (bad input, exit 2). Also asked of a mixed run's pull-request half
    before its direct commit, which would otherwise land first."""
    for path in paths:
        if any("\udc80" <= c <= "\udcff" for c in path):  # a byte that is not UTF-8, as Python reads it
            shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise ConfigError(
                f"--commit-via api cannot commit '{shown}': the host's API takes only UTF-8 file "
                "names; rename the file or use --commit-via git"
            )
