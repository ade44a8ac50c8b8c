"""A shallow, hook-free, filter-free clone over real git (loopback smart HTTP, local paths, ssh)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bumper.errors import ConfigError, WorkspaceError
from bumper.git.clone import checkout_only
from bumper.git.clone import clone as git_clone
from bumper.git.commit import commit_all
from bumper.git.push import push
from bumper.git.read import remote_branch_sha
from testing import repos
from testing.clones import BOT, MANIFESTS, TOKEN, bump_api, clone
from testing.git_server import GitServer


def test_clone_is_shallow_and_uses_the_remote_default_branch(server: GitServer, tmp_path: Path) -> None:
    bare = repos.make_bare_repo(server.path_for("m"), MANIFESTS, branch="trunk")
    repos.add_commit(bare, "trunk", {"apps/api/deploy.yaml": b"image: ghcr.io/acme/api:1.0.1\n"})
    cloned = clone(server, tmp_path)
    assert cloned.base == "trunk"
    assert cloned.base_sha == repos.branch_sha(bare, "trunk")
    assert (cloned.path / "apps/api/deploy.yaml").read_bytes() == b"image: ghcr.io/acme/api:1.0.1\n"
    assert (cloned.path / ".git" / "shallow").read_text().split() == [cloned.base_sha]


def test_clone_of_a_named_base_branch(server: GitServer, origin: Path, tmp_path: Path) -> None:
    sha = repos.add_commit(origin, "release", {"x.yaml": b"x: 1\n"}, parent="main")
    cloned = clone(server, tmp_path, base="release")
    assert (cloned.base, cloned.base_sha) == ("release", sha)
    assert (cloned.path / "x.yaml").read_bytes() == b"x: 1\n"


def test_missing_base_branch_is_one_line(server: GitServer, origin: Path, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as exc:
        clone(server, tmp_path, base="nope")
    assert str(exc.value) == (f"branch 'nope' not found on {server.url_for('m')}; check --base")


def test_missing_repository_is_one_line(server: GitServer, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as exc:
        clone(server, tmp_path, name="absent")
    assert str(exc.value).startswith(f"repository not found: {server.url_for('absent')}; ")
    assert "\n" not in str(exc.value)


def test_sparse_clone_downloads_and_checks_out_only_matching_files(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    cloned = clone(server, tmp_path, sparse_paths=["*.yaml", "*.yml"])
    files = sorted(
        p.relative_to(cloned.path).as_posix()
        for p in cloned.path.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    assert files == ["apps/api/deploy.yaml", "apps/web/values.yml"]
    missing = subprocess.run(
        ["git", "rev-list", "--objects", "--missing=print", "HEAD"],
        cwd=cloned.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sum(1 for line in missing.splitlines() if line.startswith("?")) == 1  # docs/README.md

    bump_api(cloned, "1.1.0")
    sha = commit_all(cloned, "bot/api", "bump api", *BOT)
    push(cloned, "bot/api", None)
    # files outside the sparse patterns are kept, not deleted, in the pushed commit
    assert repos.read_file(origin, "bot/api", "docs/README.md") == b"# docs\n"
    assert repos.changed_paths(origin, sha) == ["apps/api/deploy.yaml"]


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2@github.com/acme/manifests.git",
        "http://x-access-token:hunter2@127.0.0.1:1/m.git",
        "https://hunter2@gitlab.example/acme/m.git",
        "ssh://git:hunter2@host/acme/m.git",
    ],
)
def test_url_with_credentials_is_refused_without_echoing_them(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        git_clone(url, env=os.environ, base=None, token=None, dest=tmp_path / "c")
    assert "hunter2" not in str(exc.value)
    assert "contains" in str(exc.value)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("url", ["ext::sh -c touch% /tmp/pwned", "-uhelp", "fd::3"])
def test_dangerous_urls_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        git_clone(url, env=os.environ, base=None, token=None, dest=tmp_path / "c")


def test_gitattributes_filters_and_eol_never_apply(
    server: GitServer, tmp_path: Path, isolated_git: Path
) -> None:
    ran = tmp_path / "filter-ran"
    isolated_git.write_text(
        f'[filter "evil"]\n\tsmudge = "echo smudge >> \'{ran}\'; cat"\n'
        f"\tclean = \"echo clean >> '{ran}'; cat\"\n"
    )
    files = {
        ".gitattributes": b"*.yaml filter=evil\ncrlf.yaml text eol=crlf\nkeep.yaml text\n"
        b"id.yaml ident\nenc.yaml working-tree-encoding=UTF-16\n",
        "a.yaml": b"image: ghcr.io/acme/api:1.0.0\n",
        "crlf.yaml": b"a: 1\nb: 2\n",  # eol=crlf would turn these into \r\n on checkout
        "keep.yaml": b"image: ghcr.io/acme/api:1.0.0\r\nx: 1\r\n",  # text would normalize on add
        "id.yaml": b"# $Id$\n",
        "enc.yaml": b"k: v\n",
    }
    origin = repos.make_bare_repo(server.path_for("m"), files)

    # control: plain git applies the filter and eol rules
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp_path / "plain")], check=True)
    assert ran.exists() and (tmp_path / "plain/crlf.yaml").read_bytes() == b"a: 1\r\nb: 2\r\n"
    ran.unlink()

    cloned = clone(server, tmp_path)
    for rel, data in files.items():
        assert (cloned.path / rel).read_bytes() == data, rel
    (cloned.path / "keep.yaml").write_bytes(b"image: ghcr.io/acme/api:1.1.0\r\nx: 1\r\n")
    (cloned.path / "a.yaml").write_bytes(b"image: ghcr.io/acme/api:1.1.0\n")
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", None)
    assert not ran.exists()
    assert repos.read_file(origin, "b", "keep.yaml") == b"image: ghcr.io/acme/api:1.1.0\r\nx: 1\r\n"
    assert repos.read_file(origin, "b", "a.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"
    assert repos.changed_paths(origin, "b") == ["a.yaml", "keep.yaml"]


def test_crlf_and_bom_bytes_survive_the_round_trip(
    server: GitServer, tmp_path: Path, isolated_git: Path
) -> None:
    isolated_git.write_text("[core]\n\tautocrlf = true\n")  # a Windows-style runner config
    data = b"\xef\xbb\xbfimage: ghcr.io/acme/api:1.0.0\r\nname: x\r\n"
    origin = repos.make_bare_repo(server.path_for("m"), {"w.yaml": data, "lf.yaml": b"a: 1\n"})
    cloned = clone(server, tmp_path)
    assert (cloned.path / "w.yaml").read_bytes() == data
    assert (cloned.path / "lf.yaml").read_bytes() == b"a: 1\n"
    new = data.replace(b"1.0.0", b"1.1.0")
    (cloned.path / "w.yaml").write_bytes(new)
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", None)
    assert repos.read_file(origin, "b", "w.yaml") == new
    assert repos.changed_paths(origin, "b") == ["w.yaml"]


@pytest.mark.parametrize("form", ["path", "file-url"])
def test_local_paths_and_file_urls_work(tmp_path: Path, form: str) -> None:
    origin = repos.make_bare_repo(tmp_path / "local.git", MANIFESTS)
    repos.add_commit(origin, "main", {"extra.yaml": b"e: 1\n"})
    url = str(origin) if form == "path" else origin.as_uri()
    cloned = git_clone(url, env=os.environ, base=None, token=TOKEN, dest=tmp_path / "c")
    assert cloned.base == "main"
    assert (cloned.path / ".git/shallow").exists()  # --depth honoured for paths too
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", remote_branch_sha(cloned, "b"))
    assert repos.read_file(origin, "b", "apps/api/deploy.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"


def test_relative_local_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repos.make_bare_repo(tmp_path / "rel.git", MANIFESTS)
    monkeypatch.chdir(tmp_path)
    cloned = git_clone("rel.git", env=os.environ, base=None, token=None, dest=tmp_path / "c")
    assert cloned.base == "main"


@pytest.mark.parametrize("form", ["ssh-url", "scp-like"])
def test_ssh_urls_pass_through_to_the_runners_ssh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """The runner's own ssh (here a stand-in that runs the remote command locally) is used as is;
    the token is not involved."""
    origin = repos.make_bare_repo(tmp_path / "ssh.git", MANIFESTS)
    log = tmp_path / "ssh.log"
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text(f'#!/bin/sh\nhost="$1"; shift\necho "$host $*" >> \'{log}\'\nexec sh -c "$*"\n')
    fake_ssh.chmod(0o755)
    monkeypatch.setenv("GIT_SSH_COMMAND", str(fake_ssh))
    monkeypatch.setenv("GIT_SSH_VARIANT", "simple")
    url = f"ssh://git@fakehost{origin}" if form == "ssh-url" else f"git@fakehost:{origin}"
    cloned = git_clone(url, env=os.environ, base=None, token=TOKEN, dest=tmp_path / "c")
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", None)
    assert repos.read_file(origin, "b", "apps/api/deploy.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"
    calls = log.read_text().splitlines()
    assert calls[0].startswith("git@fakehost git-upload-pack ")
    assert calls[-1].startswith("git@fakehost git-receive-pack ")
    assert TOKEN not in log.read_text()


def test_failed_clone_into_an_existing_empty_dir_leaves_it_empty(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "given"
    dest.mkdir()
    with pytest.raises(WorkspaceError):
        clone(server, tmp_path, token="wrong", dest=dest)
    assert dest.is_dir() and not any(dest.iterdir())
    with pytest.raises(WorkspaceError, match="is not empty"):
        (dest / "f").write_text("x")
        clone(server, tmp_path, dest=dest)


def test_checkout_only_writes_exactly_the_named_files_and_commits_keep_the_rest(
    server: GitServer, tmp_path: Path, isolated_git: Path
) -> None:
    """`checkout_only` (the --repo flow past grep): exact index paths, never patterns, so odd
    names are neither missed nor widened; every Chart.yaml comes too, and the values.yaml beside
    it (where its chart keeps an image's tag: bumper.plan.chart_values); no filter runs; the
    files not checked out stay in the index (skip-worktree) and in the commit, even with
    `add --all`."""
    ran = tmp_path / "filter-ran"
    isolated_git.write_text(f'[filter "evil"]\n\tsmudge = "echo smudge >> \'{ran}\'; cat"\n')
    odd = ["a b/#x.yaml", "g[1]/*?.yaml", "!neg.yaml", "back\\slash.yaml", "new\nline.yaml", "é/ü.yaml"]
    files = {
        ".gitattributes": b"* filter=evil\n",
        **{name: f"image: ghcr.io/acme/api:1.0.0 # {n}\n".encode() for n, name in enumerate(odd)},
        "charts/c/Chart.yaml": b"name: c\n",
        "charts/c/values.yaml": b"image: other:1\n",
        "g1/x.yaml": b"x: 1\n",  # what `g[1]/*?.yaml` would match as a pattern
        "newXline.yaml": b"x: 1\n",  # what `new?line.yaml` would match
        "a b/other.yaml": b"x: 1\n",
    }
    origin = repos.make_bare_repo(server.path_for("m"), files)
    cloned = clone(server, tmp_path, checkout=False)
    checkout_only(cloned, odd)
    on_disk = sorted(
        p.relative_to(cloned.path).as_posix()
        for p in cloned.path.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    assert on_disk == sorted([*odd, "charts/c/Chart.yaml", "charts/c/values.yaml"])
    for name in odd:
        assert (cloned.path / name).read_bytes() == files[name], name
    assert not ran.exists()
    (cloned.path / odd[1]).write_bytes(b"image: ghcr.io/acme/api:1.1.0\n")
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", None)
    assert repos.changed_paths(origin, "b") == [odd[1]]
    assert repos.read_file(origin, "b", "charts/c/values.yaml") == b"image: other:1\n"
