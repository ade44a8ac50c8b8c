"""Workspace against real git over a loopback smart-HTTP server: clone, commit, leased push, safety."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bumper import workspace
from bumper.errors import ConfigError, WorkspaceError
from bumper.workspace import GitError, PushRejected, Workspace
from testing import repos
from testing.git_server import GitServer, RequestInfo, serve_git

TOKEN = "tok-5f3a9c1e7b2d4e6f8a0b"  # noqa: S105 - distinctive, so a leak is easy to grep for
TOKEN_B64 = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
BOT = ("bumper-bot", "bot@example.invalid")

MANIFESTS = {
    "apps/api/deploy.yaml": b"image: ghcr.io/acme/api:1.0.0\n",
    "apps/web/values.yml": b"image:\n  repository: ghcr.io/acme/web\n  tag: 2.0.0\n",
    "docs/README.md": b"# docs\n",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user/system git config leaks in; tests write to this global config when they need to."""
    cfg = tmp_path / "gitconfig"
    cfg.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in list(os.environ):
        if key.startswith("GIT_CONFIG_") and key not in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
            monkeypatch.delenv(key)
    monkeypatch.setattr(workspace, "BACKOFF_SECONDS", 0.01)
    return cfg


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with serve_git(tmp_path / "srv", TOKEN) as gs:
        yield gs


@pytest.fixture
def origin(server: GitServer) -> Path:
    """`m.git` on the server: one commit of MANIFESTS on main."""
    return repos.make_bare_repo(server.path_for("m"), MANIFESTS)


def clone(server: GitServer, tmp_path: Path, name: str = "m", **kw: object) -> Workspace:
    kw.setdefault("base", None)
    kw.setdefault("token", TOKEN)
    kw.setdefault("dest", tmp_path / f"clone-{len(list(tmp_path.glob('clone-*')))}")
    return Workspace.clone(server.url_for(name), **kw)  # type: ignore[arg-type]


def bump_api(ws: Workspace, tag: str) -> None:
    (ws.path / "apps/api/deploy.yaml").write_bytes(f"image: ghcr.io/acme/api:{tag}\n".encode())


def all_bytes_under(path: Path) -> Iterator[tuple[Path, bytes]]:
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            yield p, p.read_bytes()


# -- clone ------------------------------------------------------------------------------------


def test_clone_is_shallow_and_uses_the_remote_default_branch(server: GitServer, tmp_path: Path) -> None:
    bare = repos.make_bare_repo(server.path_for("m"), MANIFESTS, branch="trunk")
    repos.add_commit(bare, "trunk", {"apps/api/deploy.yaml": b"image: ghcr.io/acme/api:1.0.1\n"})
    ws = clone(server, tmp_path)
    assert ws.base == "trunk"
    assert ws.base_sha == repos.branch_sha(bare, "trunk")
    assert (ws.path / "apps/api/deploy.yaml").read_bytes() == b"image: ghcr.io/acme/api:1.0.1\n"
    assert (ws.path / ".git" / "shallow").read_text().split() == [ws.base_sha]


def test_clone_of_a_named_base_branch(server: GitServer, origin: Path, tmp_path: Path) -> None:
    sha = repos.add_commit(origin, "release", {"x.yaml": b"x: 1\n"}, parent="main")
    ws = clone(server, tmp_path, base="release")
    assert (ws.base, ws.base_sha) == ("release", sha)
    assert (ws.path / "x.yaml").read_bytes() == b"x: 1\n"


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
    ws = clone(server, tmp_path, sparse_paths=["*.yaml", "*.yml"])
    files = sorted(
        p.relative_to(ws.path).as_posix() for p in ws.path.rglob("*") if p.is_file() and ".git" not in p.parts
    )
    assert files == ["apps/api/deploy.yaml", "apps/web/values.yml"]
    missing = subprocess.run(
        ["git", "rev-list", "--objects", "--missing=print", "HEAD"],
        cwd=ws.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sum(1 for line in missing.splitlines() if line.startswith("?")) == 1  # docs/README.md

    bump_api(ws, "1.1.0")
    sha = ws.commit_all("bot/api", "bump api", *BOT)
    ws.push("bot/api", None)
    # files outside the sparse patterns are kept, not deleted, in the pushed commit
    assert repos.read_file(origin, "bot/api", "docs/README.md") == b"# docs\n"
    assert repos.changed_paths(origin, sha) == ["apps/api/deploy.yaml"]


# -- commit and push -------------------------------------------------------------------------


def test_commit_and_push_create_one_commit_on_a_new_branch(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    ws = clone(server, tmp_path)
    assert ws.remote_branch_sha("bumper/api") is None
    bump_api(ws, "1.1.0")
    assert ws.changed_paths() == ["apps/api/deploy.yaml"]
    sha = ws.commit_all("bumper/api", "Bump api to 1.1.0\n\nbody", *BOT)
    ws.push("bumper/api", None)

    assert repos.list_branches(origin) == ["bumper/api", "main"]
    assert repos.branch_sha(origin, "bumper/api") == sha
    assert repos.count_commits(origin, "bumper/api", since="main") == 1
    info = repos.commit_info(origin, sha)
    assert info["parents"] == ws.base_sha
    assert (info["author_name"], info["author_email"]) == BOT
    assert (info["committer_name"], info["committer_email"]) == BOT
    # the message, then the trailers that mark the commit as bumper's own (bumper/ownership.py)
    message, _, trailers = info["message"].rpartition("\n\n")
    assert message == "Bump api to 1.1.0\n\nbody"
    assert trailers.splitlines()[0] == "Bumper-Branch: bumper/api"
    assert trailers.splitlines()[1].startswith("Bumper-Content: ")
    assert repos.read_file(origin, "bumper/api", "apps/api/deploy.yaml") == (
        b"image: ghcr.io/acme/api:1.1.0\n"
    )
    assert repos.branch_sha(origin, "main") == ws.base_sha


def test_commit_all_twice_still_leaves_one_commit_above_base(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    ws = clone(server, tmp_path)
    bump_api(ws, "1.1.0")
    ws.commit_all("b", "first", *BOT)
    bump_api(ws, "1.2.0")
    sha = ws.commit_all("b", "second", *BOT)
    ws.push("b", None)
    assert repos.count_commits(origin, "b", since="main") == 1
    assert repos.commit_info(origin, sha)["message"].split("\n\n")[0] == "second"


def test_commit_all_without_changes_fails(server: GitServer, origin: Path, tmp_path: Path) -> None:
    ws = clone(server, tmp_path)
    with pytest.raises(WorkspaceError, match="nothing to commit on top of main"):
        ws.commit_all("b", "msg", *BOT)


def test_rerun_reads_the_bot_branch_and_replaces_it_under_lease(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    first = clone(server, tmp_path)
    bump_api(first, "1.1.0")
    first.commit_all("bumper/api", "1.1.0", *BOT)
    first.push("bumper/api", None)

    second = clone(server, tmp_path)
    remote = second.remote_branch_sha("bumper/api")
    assert remote == repos.branch_sha(origin, "bumper/api")
    assert second.fetch_branch("bumper/api") == remote
    assert second.read_file(remote, "apps/api/deploy.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"
    assert second.read_file(remote, "apps/api/nope.yaml") is None
    assert second.read_file(remote, "apps/api") is None
    assert second.read_file(second.base_sha, "apps/api/deploy.yaml") == MANIFESTS["apps/api/deploy.yaml"]

    bump_api(second, "1.2.0")
    sha = second.commit_all("bumper/api", "1.2.0", *BOT)
    second.push("bumper/api", remote)
    assert repos.branch_sha(origin, "bumper/api") == sha
    assert repos.count_commits(origin, "bumper/api", since="main") == 1


def test_fetch_of_a_missing_branch_is_one_line(server: GitServer, origin: Path, tmp_path: Path) -> None:
    ws = clone(server, tmp_path)
    with pytest.raises(WorkspaceError) as exc:
        ws.fetch_branch("bumper/none")
    assert str(exc.value) == f"branch 'bumper/none' not found on {server.url_for('m')}; check --base"


def test_push_detects_a_branch_moved_by_someone_else(server: GitServer, origin: Path, tmp_path: Path) -> None:
    ws = clone(server, tmp_path)
    bump_api(ws, "1.1.0")
    ws.commit_all("bumper/api", "ours", *BOT)
    ws.push("bumper/api", None)
    seen = ws.remote_branch_sha("bumper/api")

    theirs = repos.add_commit(origin, "bumper/api", {"human.yaml": b"fix: 1\n"})
    bump_api(ws, "1.2.0")
    ws.commit_all("bumper/api", "ours again", *BOT)
    with pytest.raises(PushRejected) as exc:
        ws.push("bumper/api", seen)
    assert isinstance(exc.value, WorkspaceError)
    assert "rejected: the remote branch changed meanwhile" in str(exc.value)
    assert repos.branch_sha(origin, "bumper/api") == theirs


def test_push_expecting_no_branch_is_rejected_when_one_appeared(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    ws = clone(server, tmp_path)
    theirs = repos.add_commit(origin, "bumper/api", {"human.yaml": b"x\n"}, parent="main")
    bump_api(ws, "1.1.0")
    ws.commit_all("bumper/api", "ours", *BOT)
    with pytest.raises(PushRejected):
        ws.push("bumper/api", None)
    assert repos.branch_sha(origin, "bumper/api") == theirs


def test_push_refused_by_a_server_hook_is_not_retryable(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    ws = clone(server, tmp_path)
    bump_api(ws, "1.1.0")
    ws.commit_all("bumper/api", "ours", *BOT)
    with pytest.raises(GitError) as exc:
        ws.push("bumper/api", None)
    assert not isinstance(exc.value, PushRejected)
    assert str(exc.value).startswith("push of branch 'bumper/api' refused by the remote: ")
    assert repos.list_branches(origin) == ["main"]


# -- tokens and credentials --------------------------------------------------------------------


def test_token_is_never_written_to_disk_or_argv(
    server: GitServer, origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argvs: list[str] = []
    real_popen = workspace.git.cmd.safer_popen

    def spy(cmd: list[str], *a: object, **kw: object) -> object:
        argvs.append(" ".join(map(str, cmd)))
        return real_popen(cmd, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(workspace.git.cmd, "safer_popen", spy)
    ws = clone(server, tmp_path, sparse_paths=["*.yaml"])
    bump_api(ws, "1.1.0")
    ws.commit_all("bumper/api", "msg", *BOT)
    ws.push("bumper/api", ws.remote_branch_sha("bumper/api"))
    ws.fetch_branch("bumper/api")

    assert argvs, "the spy saw no git call"
    assert repos.list_branches(origin) == ["bumper/api", "main"]  # the token did work
    assert all(r.status != 401 for r in server.requests)
    for argv in argvs:
        assert TOKEN not in argv and TOKEN_B64 not in argv
    for path, data in all_bytes_under(ws.path):
        assert TOKEN.encode() not in data, path
        assert TOKEN_B64.encode() not in data, path
    assert "extraheader" not in (ws.path / ".git/config").read_text().lower()


@pytest.mark.parametrize("token", [None, "wrong-token-0000"])
def test_auth_failure_is_one_line_without_secrets(
    server: GitServer, origin: Path, tmp_path: Path, token: str | None
) -> None:
    with pytest.raises(WorkspaceError) as exc:
        clone(server, tmp_path, token=token)
    msg = str(exc.value)
    assert msg.startswith(f"authentication failed for {server.url_for('m')}; ")
    assert ("no token was given" in msg) == (token is None)
    assert "\n" not in msg
    chain = f"{msg} {exc.value!r} {exc.value.__cause__!r} {exc.value.__context__!r}"
    assert (token or TOKEN) not in chain
    assert server.requests[0].status == 401
    assert not (tmp_path / "clone-0").exists()  # nothing half-done


def test_push_auth_failure_never_shows_the_token(server: GitServer, origin: Path, tmp_path: Path) -> None:
    ws = clone(server, tmp_path)
    bump_api(ws, "1.1.0")
    ws.commit_all("b", "msg", *BOT)
    server.token = "rotated"  # noqa: S105
    with pytest.raises(WorkspaceError) as exc:
        ws.push("b", None)
    assert str(exc.value).startswith(f"authentication failed for {server.url_for('m')}; ")
    assert TOKEN not in repr(exc.value) and TOKEN_B64 not in repr(exc.value)


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
        Workspace.clone(url, base=None, token=None, dest=tmp_path / "c")
    assert "hunter2" not in str(exc.value)
    assert "contains" in str(exc.value)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("url", ["ext::sh -c touch% /tmp/pwned", "-uhelp", "fd::3"])
def test_dangerous_urls_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Workspace.clone(url, base=None, token=None, dest=tmp_path / "c")


def test_redact_removes_token_header_and_userinfo() -> None:
    text = f"fatal: https://a:{TOKEN}@h/x.git Authorization: Basic {TOKEN_B64} {TOKEN}"
    out = workspace.redact(text, TOKEN)
    assert TOKEN not in out and TOKEN_B64 not in out
    assert "https://h/x.git" in out


# -- untrusted repository content ----------------------------------------------------------------


def test_hooks_never_run(server: GitServer, origin: Path, tmp_path: Path, isolated_git: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    ran = tmp_path / "ran"
    for name in ("post-checkout", "pre-commit", "commit-msg", "pre-push", "reference-transaction"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho {name} >> '{ran}'\n")
        hook.chmod(0o755)
    isolated_git.write_text(f"[core]\n\thooksPath = {hooks}\n")

    # control: plain git runs the runner's hooks, so the assertion below can fail
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp_path / "plain")], check=True)
    assert ran.exists()
    ran.unlink()

    ws = clone(server, tmp_path)
    bump_api(ws, "1.1.0")
    ws.commit_all("b", "msg", *BOT)
    ws.push("b", None)
    assert not ran.exists()


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

    ws = clone(server, tmp_path)
    for rel, data in files.items():
        assert (ws.path / rel).read_bytes() == data, rel
    (ws.path / "keep.yaml").write_bytes(b"image: ghcr.io/acme/api:1.1.0\r\nx: 1\r\n")
    (ws.path / "a.yaml").write_bytes(b"image: ghcr.io/acme/api:1.1.0\n")
    ws.commit_all("b", "msg", *BOT)
    ws.push("b", None)
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
    ws = clone(server, tmp_path)
    assert (ws.path / "w.yaml").read_bytes() == data
    assert (ws.path / "lf.yaml").read_bytes() == b"a: 1\n"
    new = data.replace(b"1.0.0", b"1.1.0")
    (ws.path / "w.yaml").write_bytes(new)
    ws.commit_all("b", "msg", *BOT)
    ws.push("b", None)
    assert repos.read_file(origin, "b", "w.yaml") == new
    assert repos.changed_paths(origin, "b") == ["w.yaml"]


# -- other transports and faults ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["path", "file-url"])
def test_local_paths_and_file_urls_work(tmp_path: Path, form: str) -> None:
    origin = repos.make_bare_repo(tmp_path / "local.git", MANIFESTS)
    repos.add_commit(origin, "main", {"extra.yaml": b"e: 1\n"})
    url = str(origin) if form == "path" else origin.as_uri()
    ws = Workspace.clone(url, base=None, token=TOKEN, dest=tmp_path / "c")
    assert ws.base == "main"
    assert (ws.path / ".git/shallow").exists()  # --depth honoured for paths too
    bump_api(ws, "1.1.0")
    ws.commit_all("b", "msg", *BOT)
    ws.push("b", ws.remote_branch_sha("b"))
    assert repos.read_file(origin, "b", "apps/api/deploy.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"


def test_relative_local_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repos.make_bare_repo(tmp_path / "rel.git", MANIFESTS)
    monkeypatch.chdir(tmp_path)
    ws = Workspace.clone("rel.git", base=None, token=None, dest=tmp_path / "c")
    assert ws.base == "main"


def test_transient_faults_are_retried(server: GitServer, origin: Path, tmp_path: Path) -> None:
    first_time = {
        ("GET", "service=git-upload-pack"): 503,
        ("POST", "/m.git/git-upload-pack"): "reset",
        ("GET", "service=git-receive-pack"): 500,
    }

    def fault(info: RequestInfo) -> int | str | None:
        return first_time.pop((info.method, info.query or info.path), None)

    server.fault = fault  # type: ignore[assignment]
    ws = clone(server, tmp_path)
    bump_api(ws, "1.1.0")
    ws.commit_all("b", "msg", *BOT)
    ws.push("b", None)
    assert repos.read_file(origin, "b", "apps/api/deploy.yaml") == b"image: ghcr.io/acme/api:1.1.0\n"
    assert [r.fault for r in server.requests if r.fault] == ["503", "reset", "500"]


def test_persistent_server_errors_end_in_one_network_line(
    server: GitServer, origin: Path, tmp_path: Path
) -> None:
    server.fault = lambda info: 503
    with pytest.raises(WorkspaceError) as exc:
        clone(server, tmp_path)
    assert str(exc.value).startswith(f"network error during git clone of {server.url_for('m')}: ")
    assert "503" in str(exc.value)
    assert len(server.requests) == workspace.ATTEMPTS


def test_a_response_cut_halfway_is_a_clean_failure(server: GitServer, origin: Path, tmp_path: Path) -> None:
    server.fault = lambda info: "truncate" if info.method == "POST" else None
    with pytest.raises(WorkspaceError) as exc:
        clone(server, tmp_path)
    assert str(exc.value).startswith("network error during git clone of ")
    assert not (tmp_path / "clone-0").exists()


def test_unreachable_host_is_a_network_error(tmp_path: Path) -> None:
    with serve_git(tmp_path / "gone", TOKEN) as gs:
        url = gs.url_for("m")
    with pytest.raises(WorkspaceError) as exc:
        Workspace.clone(url, base=None, token=TOKEN, dest=tmp_path / "c")
    assert str(exc.value).startswith(f"network error during git clone of {url}: ")


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
    ws = Workspace.clone(url, base=None, token=TOKEN, dest=tmp_path / "c")
    bump_api(ws, "1.1.0")
    ws.commit_all("b", "msg", *BOT)
    ws.push("b", None)
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
