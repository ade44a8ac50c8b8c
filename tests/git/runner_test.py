"""Every git call: the token never on disk or argv, hooks never run, one-line errors, network retries."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bumper.errors import WorkspaceError
from bumper.git import runner
from bumper.git.clone import clone as git_clone
from bumper.git.commit import commit_all
from bumper.git.push import push
from bumper.git.read import fetch_branch, remote_branch_sha
from testing import repos
from testing.clones import BOT, TOKEN, TOKEN_B64, all_bytes_under, bump_api, clone
from testing.git_server import GitServer, RequestInfo, serve_git


def test_token_is_never_written_to_disk_or_argv(
    server: GitServer, origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argvs: list[str] = []
    real_popen = subprocess.Popen

    def spy(cmd: list[str], *a: object, **kw: object) -> object:
        argvs.append(" ".join(map(str, cmd)))
        return real_popen(cmd, *a, **kw)

    monkeypatch.setattr(runner.subprocess, "Popen", spy)
    cloned = clone(server, tmp_path, sparse_paths=["*.yaml"])
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "bumper/api", "msg", *BOT)
    push(cloned, "bumper/api", remote_branch_sha(cloned, "bumper/api"))
    fetch_branch(cloned, "bumper/api")

    assert argvs, "the spy saw no git call"
    assert repos.list_branches(origin) == ["bumper/api", "main"]  # the token did work
    assert all(r.status != 401 for r in server.requests)
    for argv in argvs:
        assert TOKEN not in argv and TOKEN_B64 not in argv
    for path, data in all_bytes_under(cloned.path):
        assert TOKEN.encode() not in data, path
        assert TOKEN_B64.encode() not in data, path
    assert "extraheader" not in (cloned.path / ".git/config").read_text().lower()


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

    cloned = clone(server, tmp_path)
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", None)
    assert not ran.exists()


def test_transient_faults_are_retried(server: GitServer, origin: Path, tmp_path: Path) -> None:
    first_time = {
        ("GET", "service=git-upload-pack"): 503,
        ("POST", "/m.git/git-upload-pack"): "reset",
        ("GET", "service=git-receive-pack"): 500,
    }

    def fault(info: RequestInfo) -> int | str | None:
        return first_time.pop((info.method, info.query or info.path), None)

    server.fault = fault  # type: ignore[assignment]
    cloned = clone(server, tmp_path)
    bump_api(cloned, "1.1.0")
    commit_all(cloned, "b", "msg", *BOT)
    push(cloned, "b", None)
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
    assert len(server.requests) == runner.ATTEMPTS


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
        git_clone(url, env=os.environ, base=None, token=TOKEN, dest=tmp_path / "c")
    assert str(exc.value).startswith(f"network error during git clone of {url}: ")
