"""The leased push: a branch someone else moved is rejected (retry), a server's refusal is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.errors import WorkspaceError
from bumper.git.commit import commit_all
from bumper.git.errors import GitError, PushRejected
from bumper.git.push import push
from bumper.git.read import remote_branch_sha
from testing import repos
from testing.clones import BOT, TOKEN, TOKEN_B64, bump_api, clone
from testing.git_server import GitServer


def test_push_detects_a_branch_moved_by_someone_else(server: GitServer, origin: Path, tmp_path: Path) -> None:
    cloned = clone(server, tmp_path)
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "bumper/api", "ours", *BOT)
    push(cloned, "bumper/api", None)
    seen = remote_branch_sha(cloned, "bumper/api")

    theirs = repos.add_commit(origin, "bumper/api", {"human.yaml": b"fix: 1\n"})
    bump_api(cloned, "1.2.0")
    commit_all(cloned, "bumper/api", "ours again", *BOT)
    with pytest.raises(PushRejected) as exc:
        push(cloned, "bumper/api", seen)
    assert isinstance(exc.value, WorkspaceError)
    assert "rejected: the remote branch changed meanwhile" in str(exc.value)
    assert repos.branch_sha(origin, "bumper/api") == theirs


def test_push_expecting_no_branch_is_rejected_when_one_appeared(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = clone(server, tmp_path)
    theirs = repos.add_commit(origin, "bumper/api", {"human.yaml": b"x\n"}, parent="main")
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "bumper/api", "ours", *BOT)
    with pytest.raises(PushRejected):
        push(cloned, "bumper/api", None)
    assert repos.branch_sha(origin, "bumper/api") == theirs


def test_push_refused_by_a_server_hook_is_not_retryable(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    cloned = clone(server, tmp_path)
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "bumper/api", "ours", *BOT)
    with pytest.raises(GitError) as exc:
        push(cloned, "bumper/api", None)
    assert not isinstance(exc.value, PushRejected)
    assert str(exc.value).startswith("push of branch 'bumper/api' refused by the remote: ")
    assert repos.list_branches(origin) == ["main"]


def test_push_auth_failure_never_shows_the_token(server: GitServer, origin: Path, tmp_path: Path) -> None:
    cloned = clone(server, tmp_path)
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "b", "msg", *BOT)
    server.token = "rotated"  # noqa: S105
    with pytest.raises(WorkspaceError) as exc:
        push(cloned, "b", None)
    assert str(exc.value).startswith(f"authentication failed for {server.url_for('m')}; ")
    assert TOKEN not in repr(exc.value) and TOKEN_B64 not in repr(exc.value)
