"""Pushing bumper's commit: leased on what the remote branch held, retried only when safe."""

from __future__ import annotations

from bumper.git.clone import Clone
from bumper.git.errors import parse_push
from bumper.git.read import remote_branch_sha
from bumper.git.refname import validate_branch_name
from bumper.git.runner import retried


def push(
    clone: Clone,
    branch: str,
    expected_remote_sha: str | None,
    *,
    fast_forward_only: bool = False,
    local_sha: str | None = None,
) -> None:
    """Push local `branch` to the remote branch of the same name, leased on its old value.

    `expected_remote_sha` is what `remote_branch_sha` returned (None: must not exist yet).
    A rerun therefore replaces the bot's previous commit, while a branch moved by someone
    else in between raises PushRejected. Transient network errors are retried; a retry
    that finds our commit already there counts as success. `fast_forward_only` (a direct
    commit to the base) pushes with no force at all: the remote takes it only on top of
    what it holds, and a base that moved meanwhile raises PushRejected too. `local_sha`: what
    local `branch` holds, when the caller knows it (commit_all's answer).
    """
    validate_branch_name(branch)
    ref = f"refs/heads/{branch}"
    if local_sha is None:
        local_sha = clone.git.out(["rev-parse", "--verify", f"{ref}^{{commit}}"], action="push")
    lease = [] if fast_forward_only else [f"--force-with-lease={ref}:{expected_remote_sha or ''}"]
    args = ["push", "--porcelain", "--no-verify", *lease, "origin", f"{ref}:{ref}"]

    def attempt(n: int) -> None:
        # A retry first asks whether the lost answer was a success: our commit is there.
        if n and remote_branch_sha(clone, branch) == local_sha:
            return
        status, out, err = clone.git.execute(args, let_finish=True)  # lands before bumper exits
        if status != 0:
            # the porcelain `!` line says which ref was refused; stderr what the server said
            git = clone.git
            refused = parse_push(str(out), err, branch=branch, url=git.url, token=git.token, env=git.env)
            raise refused or clone.git.error(err, action="push", branch=branch)

    retried(attempt)
