"""End to end, both hosts: SIGTERM (a CI job cancelled or timed out) in the middle of a run.

bumper runs as CI starts it (its own session, no terminal, a private TMPDIR) against the loopback
world, and gets SIGTERM while git is cloning (a slowed server) or pushing (a slow pre-receive
hook). Whatever happens, it must exit 143 with one line, leave no temporary clone and no git
process behind, and nothing may reach the remote after it exited.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from testing import repos
from testing.canary import assert_no_canary
from testing.git_server import FaultAnswer, RequestInfo
from testing.processes import running_command_lines
from testing.runs import start_bump, stop
from testing.world import World, make_world

IMAGE = "ghcr.io/acme/app"
BRANCH = "bumper/ghcr.io-acme-app"
HOOK_SECONDS = 2.0


def _wait_for(check: threading.Event | Path, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            check.is_set() if isinstance(check, threading.Event) else check.exists()
        ) or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"bumper ended before {what}: {proc.communicate()}"


def _git_processes_for(world: World) -> list[str]:
    """Command lines of running processes that talk to this world's git server."""
    return [c for c in running_command_lines(f"127.0.0.1:{world.git.port}/") if "git" in c]


def _assert_clean_exit(proc: subprocess.Popen[str], err: str, tmp: Path, world: World) -> None:
    assert proc.returncode == 143, err
    assert err.splitlines()[-1:] == ["bumper: terminated (SIGTERM)"], err
    assert "Traceback" not in err
    assert list(tmp.iterdir()) == []  # the temporary clone is gone
    assert _git_processes_for(world) == []  # every git child was stopped and waited for


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads running processes from /proc")
@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_sigterm_during_the_clone(tmp_path: Path, provider: str) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cloning = threading.Event()

    def slow_fetch(info: RequestInfo) -> FaultAnswer:
        if info.method == "POST" and info.path.endswith("git-upload-pack"):
            cloning.set()
            time.sleep(5)  # the server is slow to answer; bumper is cancelled meanwhile
        return None

    with make_world(tmp_path, provider) as world:
        world.git.fault = slow_fetch
        proc = start_bump(world, tmp, f"{IMAGE}:v1.2.3")
        _wait_for(cloning, proc, "cloning")
        _, err = stop(proc, signal.SIGTERM)

        _assert_clean_exit(proc, err, tmp, world)
        assert world.pushes() == [] and world.writes() == []
        assert repos.list_branches(world.bare) == ["main"]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads running processes from /proc")
@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_sigterm_during_the_push_lands_nothing_after_exit(tmp_path: Path, provider: str) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    started = tmp_path / "push-started"
    with make_world(tmp_path, provider) as world:
        hook = world.bare / "hooks" / "pre-receive"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(f"#!/bin/sh\ntouch '{started}'\nsleep {HOOK_SECONDS}\nexit 0\n")
        hook.chmod(0o755)
        proc = start_bump(world, tmp, f"{IMAGE}:v1.2.3")
        _wait_for(started, proc, "pushing")
        _, err = stop(proc, signal.SIGTERM)
        at_exit = {b: world.branch_sha(b) for b in repos.list_branches(world.bare)}

        _assert_clean_exit(proc, err, tmp, world)
        time.sleep(HOOK_SECONDS + 1)  # anything still on its way would have landed by now
        assert {b: world.branch_sha(b) for b in repos.list_branches(world.bare)} == at_exit
        assert world.open_pulls() == []  # cancelled before the pull request

        # the next run picks up where the cancelled one stopped
        hook.unlink()
        rerun = world.run("bump", f"{IMAGE}:v1.2.3")
        assert rerun.returncode == 0, rerun.stderr
        assert len(world.open_pulls()) == 1 and world.branch_sha(BRANCH) is not None
        assert_no_canary(world, rerun)


def _slow_git(tmp_path: Path, step: str, marker: Path) -> Path:
    """A `git` on PATH that, for the subcommand `step`, says so in `marker` and takes 3 s first."""
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do if [ "$a" = "{step}" ]; then touch \'{marker}\'; sleep 3; break; fi; done\n'
        f"exec '{real}' \"$@\"\n"
    )
    wrapper.chmod(0o755)
    return bin_dir


def _processes_running(path: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and str(path) in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads running processes from /proc")
@pytest.mark.parametrize("step", ["read-tree", "ls-files"])  # the index's git, in a thread beside git grep
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_index_is_read_beside_the_grep_leaves_no_git_behind(
    tmp_path: Path, step: str, signum: int
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = tmp_path / "step-started"
    bin_dir = _slow_git(tmp_path, step, marker)
    with make_world(tmp_path, "github") as world:
        proc = start_bump(world, tmp, f"{IMAGE}:v1.2.3", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        _wait_for(marker, proc, step)
        time.sleep(0.5)  # git grep has ended: bumper waits for the thread's git
        _, err = stop(proc, signum)
        left = _processes_running(bin_dir)  # read at bumper's exit, before git could end by itself

        assert proc.returncode == 128 + signum, err
        assert "Traceback" not in err
        assert left == []
        assert list(tmp.iterdir()) == []
        assert world.pushes() == [] and world.writes() == []
