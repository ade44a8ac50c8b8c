"""bumper's one commit above the base: author as committer, its trailers, nothing when nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.errors import WorkspaceError
from bumper.git.commit import commit_all
from bumper.git.push import push
from bumper.git.read import remote_branch_sha
from testing import repos
from testing.clones import BOT, bump_api, clone
from testing.git_server import GitServer


def test_commit_and_push_create_one_commit_on_a_new_branch(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = clone(server, tmp_path)
    assert remote_branch_sha(cloned, "bumper/api") is None
    bump_api(cloned, "1.1.0")
    sha = commit_all(cloned, "bumper/api", "Bump api to 1.1.0\n\nbody", *BOT)
    push(cloned, "bumper/api", None)
    assert repos.changed_paths(origin, sha) == ["apps/api/deploy.yaml"]

    assert repos.list_branches(origin) == ["bumper/api", "main"]
    assert repos.branch_sha(origin, "bumper/api") == sha
    assert repos.count_commits(origin, "bumper/api", since="main") == 1
    info = repos.commit_info(origin, sha)
    assert info["parents"] == cloned.base_sha
    assert (info["author_name"], info["author_email"]) == BOT
    assert (info["committer_name"], info["committer_email"]) == BOT
    # the message, then the trailers that mark the commit as bumper's own (bumper/delivery/ownership.py)
    message, _, trailers = info["message"].rpartition("\n\n")
    assert message == "Bump api to 1.1.0\n\nbody"
    assert trailers.splitlines()[0] == "Bumper-Branch: bumper/api"
    assert trailers.splitlines()[1].startswith("Bumper-Content: ")
    assert repos.read_file(origin, "bumper/api", "apps/api/deploy.yaml") == (
        b"image: ghcr.io/acme/api:1.1.0\n"
    )
    assert repos.branch_sha(origin, "main") == cloned.base_sha


def test_commit_all_twice_still_leaves_one_commit_above_base(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = clone(server, tmp_path)
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "b", "first", *BOT)
    bump_api(cloned, "1.2.0")
    sha = commit_all(cloned, "b", "second", *BOT)
    push(cloned, "b", None)
    assert repos.count_commits(origin, "b", since="main") == 1
    assert repos.commit_info(origin, sha)["message"].split("\n\n")[0] == "second"


def test_commit_all_without_changes_fails(server: GitServer, origin: Path, tmp_path: Path) -> None:
    cloned = clone(server, tmp_path)
    with pytest.raises(WorkspaceError, match="nothing to commit on top of main"):
        commit_all(cloned, "b", "msg", *BOT)


def test_commit_of_named_paths_takes_exactly_those_files(server: GitServer, tmp_path: Path) -> None:
    """`paths` are exact index paths, never patterns: a name with glob characters, a space
    or a newline commits that one file; another changed file not named stays out."""
    odd = ["g[1]/*.yaml", "a b/#x.yaml", "new\nline.yaml"]
    files = {name: b"image: ghcr.io/acme/api:1.0.0\n" for name in [*odd, "g1/a.yaml", "newXline.yaml"]}
    origin = repos.make_bare_repo(server.path_for("m"), files)
    cloned = clone(server, tmp_path)
    for name in files:
        (cloned.path / name).write_bytes(b"image: ghcr.io/acme/api:1.1.0\n")
    commit_all(cloned, "b", "msg", *BOT, paths=odd)
    push(cloned, "b", None)
    # git lists the name holding a newline C-quoted
    expected = ['"new\\nline.yaml"', "a b/#x.yaml", "g[1]/*.yaml"]
    assert sorted(repos.changed_paths(origin, "b")) == sorted(expected)
    assert repos.read_file(origin, "b", odd[2]) == b"image: ghcr.io/acme/api:1.1.0\n"
