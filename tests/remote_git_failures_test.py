"""End to end, both hosts: what a user reads when git itself fails or the run is cancelled.

Each scenario runs the real CLI against the loopback world (real git http-backend, fake GitHub or
GitLab). A refused push shows the server's own reason, scrubbed; SSH failures speak of SSH; a
branch named `bumper` blocking `bumper/...` is said once; an empty repository says "empty".
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path

import pytest

from testing import repos
from testing.canary import assert_no_canary
from testing.world import CANARY, World, make_world

IMAGE = "ghcr.io/acme/app"
BRANCH = "bumper/ghcr.io-acme-app"
FOREIGN_TOKEN = "ghp_" + "F0reignT0kenThatIsNotOurs0123456789ab"  # noqa: S105 - a token shape to scrub


def _one_error(proc_stderr: str) -> str:
    [line] = proc_stderr.splitlines()
    assert line.startswith("bumper: error: "), line
    return line


def _install_hook(world: World, body: str) -> None:
    hook = world.bare / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


# What the hosts print when they refuse a push (their wording, padded as GitHub pads it), with a
# secret a careless hook might echo: the token, another token and a URL with credentials.
REFUSALS = {
    "github": [
        f"error: GH006: Protected branch update failed for refs/heads/{BRANCH}.        ",
        "",
        "- Changes must be made through a pull request.        ",
        f"- Ask https://x-access-token:{CANARY}@example.com/help (token {FOREIGN_TOKEN})",
    ],
    "gitlab": [
        f"GitLab: Branch name `{BRANCH}` does not follow the pattern '^(feature|hotfix)/.*$'",
        f"\x1b[31mGitLab: see https://oauth2:{CANARY}@gitlab.example/help {FOREIGN_TOKEN}\x1b[0m",
    ],
}
SHOWN = {
    "github": [f"GH006: Protected branch update failed for refs/heads/{BRANCH}.", "Changes must be made"],
    "gitlab": [f"GitLab: Branch name `{BRANCH}` does not follow the pattern"],
}


def _echo_lines(lines: list[str]) -> str:
    return "".join(f"printf '%s\\n' {shlex.quote(line)} >&2\n" for line in lines) + "exit 1\n"


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_refused_push_shows_the_servers_reason_scrubbed(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        _install_hook(world, _echo_lines(REFUSALS[provider]))
        proc = world.run("bump", f"{IMAGE}:v1.2.3")

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert f"push of branch '{BRANCH}' refused by the remote" in line
        for text in SHOWN[provider]:
            assert text in line
        assert FOREIGN_TOKEN not in line and "\x1b" not in line and "@example.com" not in line
        assert "@gitlab.example" not in line
        assert len(world.pushes()) == 1  # a refusal is not retried
        assert world.branch_sha(BRANCH) is None and world.open_pulls() == []
        assert_no_canary(world, proc)


def test_a_refused_direct_commit_to_a_protected_base_says_why(tmp_path: Path) -> None:
    with make_world(tmp_path, "github") as world:
        _install_hook(
            world, _echo_lines([REFUSALS["github"][0].replace(BRANCH, "main"), *REFUSALS["github"][1:]])
        )
        before = world.branch_sha("main")
        proc = world.run("bump", f"{IMAGE}:v1.2.3", "--mode", "commit")

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert "push of branch 'main' refused by the remote" in line
        assert "GH006: Protected branch update failed for refs/heads/main." in line
        assert world.branch_sha("main") == before
        assert_no_canary(world, proc)


def test_a_pre_receive_hook_of_a_self_hosted_server_is_quoted(tmp_path: Path) -> None:
    with make_world(tmp_path, "gitlab") as world:
        _install_hook(
            world,
            _echo_lines(["*** Commit rejected by policy-check ***", "manifests must not change on Fridays"]),
        )
        proc = world.run("bump", f"{IMAGE}:v1.2.3")

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert "Commit rejected by policy-check" in line and "manifests must not change on Fridays" in line


# -- SSH ------------------------------------------------------------------------------------------

# OpenSSH's own words (OpenSSH 9.2p1 prints these; `strings /usr/bin/ssh` shows each format).
SSH_SAYS = {
    "unknown-host-key": ["Host key verification failed."],
    "changed-host-key": [
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
        "Host key for git.example.com has changed and you have requested strict checking.",
        "Host key verification failed.",
    ],
    "publickey": ["git@git.example.com: Permission denied (publickey)."],
}
SSH_URLS = {
    "github": "ssh://git@git.example.com:2222/acme/manifests.git",
    "gitlab": "git@git.example.com:acme/manifests.git",
}


def _fake_ssh(tmp_path: Path, lines: list[str]) -> tuple[Path, Path]:
    """A directory holding an `ssh` that prints `lines` and fails as OpenSSH does (255), and the
    file it logs each call to."""
    bin_dir, log = tmp_path / "fake-bin", tmp_path / "ssh-calls.log"
    bin_dir.mkdir()
    script = bin_dir / "ssh"
    script.write_text(
        f"#!/bin/sh\necho \"$*\" >> '{log}'\n" + "".join(f"echo '{ln}' >&2\n" for ln in lines) + "exit 255\n"
    )
    script.chmod(0o755)
    return bin_dir, log


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("failure", sorted(SSH_SAYS))
def test_ssh_failures_speak_of_ssh(tmp_path: Path, provider: str, failure: str) -> None:
    bin_dir, log = _fake_ssh(tmp_path, SSH_SAYS[failure])
    with make_world(tmp_path, provider) as world:
        path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        proc = world.run("bump", f"{IMAGE}:v1.2.3", BUMPER_REPO=SSH_URLS[provider], PATH=path)

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert "git.example.com" in line
        assert "token" not in line.lower()  # the token never authenticates an ssh:// clone
        if failure == "publickey":
            assert "SSH key" in line and "deploy key" in line
        else:
            assert "host key" in line and "known_hosts" in line and "GIT_SSH_COMMAND" in line
            if failure == "changed-host-key":
                known_as = "'[git.example.com]:2222'" if provider == "github" else "git.example.com"
                assert "changed" in line and f"ssh-keygen -R {known_as}" in line  # known_hosts' name
            else:
                assert "ssh-keyscan" in line
        assert len(log.read_text().splitlines()) == 1  # not a network error: no retries
        assert world.host.requests == []  # failed at the clone, before any API call
        assert_no_canary(world, proc)


# -- a branch in the way --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("blocker", ["bumper", f"{BRANCH}/old"])
def test_a_branch_in_the_way_of_the_bot_branch_is_said_once(
    tmp_path: Path, provider: str, blocker: str
) -> None:
    with make_world(tmp_path, provider) as world:
        repos.git("branch", blocker, "main", cwd=world.bare)
        proc = world.run("bump", f"{IMAGE}:v1.2.3")

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert f"'{blocker}'" in line and f"'{BRANCH}'" in line
        assert "--branch" in line and ("rename" in line or "delete" in line)
        assert world.pushes() == []  # seen before the push, so never six retries
        assert world.branch_sha(BRANCH) is None and world.open_pulls() == []
        assert world.writes() == []
        assert_no_canary(world, proc)


def test_a_branch_in_the_way_of_a_chosen_branch_is_bad_input(tmp_path: Path) -> None:
    with make_world(tmp_path, "gitlab") as world:
        repos.git("branch", "deps", "main", cwd=world.bare)
        proc = world.run("bump", f"{IMAGE}:v1.2.3", "--branch", "deps/app")

        assert proc.returncode == 2, proc.stderr
        line = _one_error(proc.stderr)
        assert "'deps'" in line and "--branch" in line
        assert world.pushes() == [] and world.writes() == []


def test_a_branch_that_appears_in_the_way_during_the_run_is_said_once(tmp_path: Path) -> None:
    """The branch `bumper` is created between bumper's look at the remote and its push: the
    push's refusal says the same, and is not retried as a lost race."""
    with make_world(tmp_path, "github") as world:
        # a pre-receive hook runs before the server locks refs: create the blocker there
        # (outside the quarantine of the pushed objects, where git forbids ref updates)
        unquarantined = (
            "env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES"
        )
        _install_hook(world, f"{unquarantined} git update-ref refs/heads/bumper {world.branch_sha('main')}\n")
        proc = world.run("bump", f"{IMAGE}:v1.2.3")

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert "'bumper'" in line and "--branch" in line
        assert len(world.pushes()) == 1
        assert world.open_pulls() == []


# -- an empty repository --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("base", [None, "main"])
def test_an_empty_repository_says_empty(tmp_path: Path, provider: str, base: str | None) -> None:
    with make_world(tmp_path, provider) as world:
        empty = repos.init_bare(world.git.path_for("acme/empty"))
        args = ["bump", f"{IMAGE}:v1.2.3", "--output", "json", *(["--base", base] if base else [])]
        proc = world.run(*args, BUMPER_REPO=world.git.url_for("acme/empty"))

        assert proc.returncode == 3, proc.stderr  # no file references the image: there is no file
        line = _one_error(proc.stderr)
        assert "is empty" in line and "Needed a single revision" not in line
        assert json.loads(proc.stdout)["status"] == "not-found"
        assert repos.list_branches(empty) == [] and world.writes() == []
        assert_no_canary(world, proc)


# -- no git at all --------------------------------------------------------------------------------


def test_a_machine_without_git_is_told_to_install_it(tmp_path: Path) -> None:
    """git is started by bumper itself (no library between): without it on PATH the run
    fails in one line before anything is written, and never with a traceback."""
    no_git = tmp_path / "bin"
    no_git.mkdir()
    with make_world(tmp_path, "github") as world:
        proc = world.run("bump", f"{IMAGE}:v1.2.3", "--output", "json", PATH=str(no_git))

        assert proc.returncode == 1, proc.stderr
        line = _one_error(proc.stderr)
        assert "git is not installed or not on PATH; install git" in line
        assert json.loads(proc.stdout)["status"] == "failed"
        assert world.writes() == [] and world.pushes() == []
        assert_no_canary(world, proc)
