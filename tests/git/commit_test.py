"""bumper's one commit above the base: author as committer, its trailers, nothing when nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.delivery.bot_branch import not_own
from bumper.errors import WorkspaceError
from bumper.git.clone import read_index
from bumper.git.commit import blob_id, commit_all
from bumper.git.push import push
from bumper.git.read import remote_branch_sha
from testing import repos
from testing.clones import BOT, MANIFESTS, bump_api, clone
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
    # the message, then the trailers that mark the commit as bumper's own (bumper/git/ownership.py)
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


# -- a commit made from planned bytes (one fast-import run; the work tree is not read) ----------------

ODD = ['q"uote\\back.yaml', "tab\tand\nnewline.yaml", "caf\u00e9/\u00e9t\u00e9.yaml", "x.yaml"]


def _odd_origin(server: GitServer) -> Path:
    """Files whose names fast-import must quote, one of them executable (100755)."""
    origin = repos.make_bare_repo(server.path_for("m"), {name: b"image: a:1.0.0\n" for name in ODD})
    work = server.path_for("m").parent / "work"
    repos.git("clone", "-q", origin, work)
    repos.git("update-index", "--chmod=+x", "x.yaml", cwd=work)
    repos.git("commit", "-qm", "x is executable", cwd=work)
    repos.git("push", "-q", "origin", "HEAD:main", cwd=work)
    return origin


@pytest.mark.parametrize("index", [False, True], ids=["base-tree-listed", "index-read"])
def test_a_commit_of_contents_writes_exactly_those_bytes_and_modes(
    server: GitServer, tmp_path: Path, index: bool
) -> None:
    """Modes and blob ids of the base come from ls-tree, or from the index the remote flow's
    clone step read (read_index): the same commit either way."""
    origin = _odd_origin(server)
    cloned = clone(server, tmp_path)
    if index:
        read_index(cloned)
        assert cloned.base_index is not None
    contents = {name: f"image: a:2.0.0 # {i}\r\n".encode() for i, name in enumerate(ODD)}
    contents[ODD[2]] = b"image: a:1.0.0\n"  # as on the base: not part of the commit
    sha = commit_all(cloned, "b", "msg", *BOT, contents=contents)
    push(cloned, "b", None)

    assert repos.count_commits(origin, "b", since="main") == 1
    for name in (ODD[0], ODD[1], ODD[3]):
        assert repos.read_file(origin, sha, name) == contents[name]
    listing = repos.git("ls-tree", "-z", sha, cwd=origin).split(b"\0")
    modes = {line.partition(b"\t")[2].decode(): line.split(b" ")[0] for line in listing if line}
    assert modes["x.yaml"] == b"100755" and modes[ODD[0]] == b"100644"
    assert len(repos.changed_paths(origin, sha)) == 3
    # the work tree was neither read nor written
    assert (cloned.path / "x.yaml").read_bytes() == b"image: a:1.0.0\n"
    # the Bumper-Content trailer is the digest of git's own blob ids: the branch is bumper's own
    assert not_own(cloned, sha, "b") is None
    info = repos.commit_info(origin, sha)
    assert (info["author_name"], info["committer_email"]) == (BOT[0], BOT[1])


def test_a_second_commit_of_contents_replaces_the_first(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = clone(server, tmp_path)
    path = "apps/api/deploy.yaml"
    commit_all(cloned, "b", "first", *BOT, contents={path: b"image: ghcr.io/acme/api:1.1.0\n"})
    sha = commit_all(cloned, "b", "second", *BOT, contents={path: b"image: ghcr.io/acme/api:1.2.0\n"})
    push(cloned, "b", None)
    assert repos.branch_sha(origin, "b") == sha
    assert repos.commit_info(origin, sha)["parents"] == cloned.base_sha
    assert repos.read_file(origin, "b", path) == b"image: ghcr.io/acme/api:1.2.0\n"


def test_contents_equal_to_the_base_are_nothing_to_commit(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = clone(server, tmp_path)
    with pytest.raises(WorkspaceError, match="nothing to commit on top of main"):
        commit_all(
            cloned, "b", "msg", *BOT, contents={"apps/api/deploy.yaml": MANIFESTS["apps/api/deploy.yaml"]}
        )


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_blob_ids_are_gits(tmp_path: Path, object_format: str) -> None:
    repo = tmp_path / "r"
    repos.git("init", "-q", f"--object-format={object_format}", repo)
    for data in (b"", b"image: a:1\n", bytes(range(256)) * 50):
        (repo / "f").write_bytes(data)
        expected = repos.git("hash-object", "f", cwd=repo).decode().strip()
        assert blob_id(data, len(expected)) == expected
