"""Reading the bot branch a rerun finds: its tip, its files, a missing branch in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.errors import WorkspaceError
from bumper.git.commit import commit_all
from bumper.git.push import push
from bumper.git.read import fetch_branch, read_file, remote_branch_sha
from testing import repos
from testing.clones import BOT, MANIFESTS, bump_api, clone
from testing.git_server import GitServer


def test_rerun_reads_the_bot_branch_and_replaces_it_under_lease(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    first = clone(server, tmp_path)
    bump_api(first, "1.1.0")
    commit_all(first, "bumper/api", "1.1.0", *BOT)
    push(first, "bumper/api", None)

    second = clone(server, tmp_path)
    remote = remote_branch_sha(second, "bumper/api")
    assert remote == repos.branch_sha(origin, "bumper/api")
    assert fetch_branch(second, "bumper/api") == remote
    assert read_file(second, remote, "apps/api/deploy.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"
    assert read_file(second, remote, "apps/api/nope.yaml") is None
    assert read_file(second, remote, "apps/api") is None
    assert read_file(second, second.base_sha, "apps/api/deploy.yaml") == MANIFESTS["apps/api/deploy.yaml"]

    bump_api(second, "1.2.0")
    sha = commit_all(second, "bumper/api", "1.2.0", *BOT)
    push(second, "bumper/api", remote)
    assert repos.branch_sha(origin, "bumper/api") == sha
    assert repos.count_commits(origin, "bumper/api", since="main") == 1


def test_fetch_of_a_missing_branch_is_one_line(server: GitServer, origin: Path, tmp_path: Path) -> None:
    ws = clone(server, tmp_path)
    with pytest.raises(WorkspaceError) as exc:
        fetch_branch(ws, "bumper/none")
    assert str(exc.value) == f"branch 'bumper/none' not found on {server.url_for('m')}; check --base"
