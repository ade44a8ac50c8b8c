"""Reading the bot branch a rerun finds: its tip, its files, a missing branch in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bumper.errors import WorkspaceError
from bumper.git.commit import commit_all
from bumper.git.errors import GitError
from bumper.git.push import push
from bumper.git.read import fetch_branch, read_files, remote_branch_sha, remote_heads
from bumper.git.runner import GitRunner
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
    wanted = ["apps/api/deploy.yaml", "apps/api/nope.yaml", "apps/api"]  # a file, none, a folder
    assert read_files(second, remote, wanted) == {"apps/api/deploy.yaml": b"image: ghcr.io/acme/api:1.1.0\n"}
    assert read_files(second, second.base_sha, wanted) == {
        "apps/api/deploy.yaml": MANIFESTS["apps/api/deploy.yaml"]
    }

    bump_api(second, "1.2.0")
    sha = commit_all(second, "bumper/api", "1.2.0", *BOT)
    push(second, "bumper/api", remote)
    assert repos.branch_sha(origin, "bumper/api") == sha
    assert repos.count_commits(origin, "bumper/api", since="main") == 1


def test_fetch_of_a_missing_branch_is_one_line(server: GitServer, origin: Path, tmp_path: Path) -> None:
    cloned = clone(server, tmp_path)
    with pytest.raises(WorkspaceError) as exc:
        fetch_branch(cloned, "bumper/none")
    assert str(exc.value) == f"branch 'bumper/none' not found on {server.url_for('m')}; check --base"


def _git_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argv of every git run from here on, in order."""
    runs: list[list[str]] = []
    execute = GitRunner.execute

    def counted(self: GitRunner, args: list[str], **kw: object) -> tuple[int, str | bytes, str]:
        runs.append(args)
        return execute(self, args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(GitRunner, "execute", counted)
    return runs


def test_many_files_of_a_blobless_bot_branch_are_read_in_a_few_git_runs(
    server: GitServer, origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun reads every file it touches on the bot branch: 300 files cost as many git runs
    as one (an image in 1,500 files once took two runs per file, half a minute)."""
    files = {f"apps/team-{i:03}/deploy.yaml": f"image: ghcr.io/acme/app:{i}\n".encode() for i in range(300)}
    files["odd [1]\\name.yaml"] = b"image: ghcr.io/acme/app:odd\n"
    repos.add_commit(origin, "bumper/app", files, parent=repos.branch_sha(origin, "main"))
    cloned = clone(server, tmp_path, sparse_paths=["docs/**"])  # blobless: the branch's blobs are remote
    tip = fetch_branch(cloned, "bumper/app")
    runs = _git_runs(monkeypatch)
    wanted = [*files, "apps/api/deploy.yaml", "apps/none.yaml", "apps"]
    assert read_files(cloned, tip, wanted) == {
        **files,
        "apps/api/deploy.yaml": MANIFESTS["apps/api/deploy.yaml"],
    }
    assert len(runs) <= 4, [r[:3] for r in runs]
    assert any("fetch" in r for r in runs), "the blobs came in one fetch"


def test_one_ls_remote_answers_for_several_branches(
    server: GitServer, origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default bot branch and its twin are asked in one ls-remote; a branch in the way of
    one of them is said only when that one is used."""
    main = repos.branch_sha(origin, "main")
    repos.add_commit(origin, "bumper/app-x/old", {"a": b"1\n"}, parent=main)
    twin = repos.add_commit(origin, "bumper/app-x-1234abcd", {"a": b"2\n"}, parent=main)
    cloned = clone(server, tmp_path)
    runs = _git_runs(monkeypatch)
    heads = remote_heads(cloned, ["bumper/app-x", "bumper/app-x-1234abcd", "bumper/none"])
    assert len(runs) == 1 and "ls-remote" in runs[0]
    assert heads["bumper/app-x-1234abcd"].checked() == twin
    assert heads["bumper/none"].checked() is None
    assert heads["bumper/app-x"].sha is None
    with pytest.raises(GitError) as exc:
        heads["bumper/app-x"].checked()
    assert exc.value.kind == "branch-conflict" and "'bumper/app-x/old' is in the way" in str(exc.value)
