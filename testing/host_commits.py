"""What a fake host does with a commit made through its API: build it in the served bare repo.

GitHub's `createCommitOnBranch` and GitLab's commits API write real git objects on the host, so a
later clone sees the commit. The fakes do the same with git plumbing on the bare repository the
loopback git server serves (a private index file, hash-object, commit-tree, update-ref with the
old value, which is git's own compare-and-swap).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from testing import repos

ZERO = "0" * 40


class HostRefused(Exception):  # noqa: N818 - the host's answer, not a bug in the fake
    """The commit or ref update cannot be made; the message is the host's reason."""


def _git(bare: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=bare,
        input=stdin,
        env={**repos.git_env(), **(env or {})},
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise HostRefused(proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def is_commit(bare: Path, sha: str) -> bool:
    """Whether `sha` names a commit the repository holds."""
    try:
        return _git(bare, "cat-file", "-t", sha) == "commit"
    except HostRefused:
        return False


def has_file(bare: Path, commit: str, path: str) -> bool:
    """Whether `path` is a file in `commit`'s tree."""
    return bool(_git(bare, "ls-tree", commit, "--", path))


def set_branch(bare: Path, branch: str, new: str | None, old: str | None) -> None:
    """Point `branch` at `new` (None deletes it) if it is at `old` now (None: must not exist)."""
    ref = f"refs/heads/{branch}"
    if new is None:
        _git(bare, "update-ref", "-d", ref, old or "")
    else:
        _git(bare, "update-ref", ref, new, old or ZERO)


def make_commit(
    bare: Path,
    parent: str,
    files: Sequence[tuple[str, bytes | None]],
    message: str,
    author: tuple[str, str],
    committer: tuple[str, str],
) -> str:
    """A commit with `files` (None deletes) on top of `parent`; the branch is not moved."""
    with tempfile.TemporaryDirectory(prefix="host-commit-") as tmp:
        env = {
            "GIT_INDEX_FILE": os.path.join(tmp, "index"),
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
        }
        _git(bare, "read-tree", parent, env=env)
        for path, content in files:
            if content is None:
                _git(bare, "update-index", "--force-remove", "--", path, env=env)
                continue
            blob = _git(bare, "hash-object", "-w", "--stdin", stdin=content)
            listed = _git(bare, "ls-files", "-s", "--", path, env=env).split()
            mode = listed[0] if listed else "100644"  # a changed file keeps its mode, as hosts do
            _git(bare, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = _git(bare, "write-tree", env=env)
        return _git(bare, "commit-tree", tree, "-p", parent, "-F", "-", stdin=message.encode(), env=env)
