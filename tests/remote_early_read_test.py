"""End to end: the bot branch's `ls-remote` runs beside the clone when its name is known before
it (bumper/remote/__init__.py `_attempt`). Its answer is used only for the branch it asked about; a
failed one is asked again; a slow one never outlives the run, whatever ends it (a result that
does not need it, an error, SIGTERM)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import repos
from testing.processes import running_command_lines
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world

NOWHERE = "docker.io/acme/found-nowhere:2.0.0"  # referenced by no file of the examples


def _early_read_git(tmp_path: Path, action: str) -> tuple[Path, Path]:
    """A `git` on PATH whose early ls-remote (`ls-remote --heads -- URL`, the form used before
    there is a clone) notes itself in a marker file, then `fails` as a dropped network does,
    or `hangs` for 30 s; every other git command is git itself."""
    real = shutil.which("git")
    assert real is not None
    bin_dir, marker = tmp_path / "bin", tmp_path / "early-read"
    bin_dir.mkdir()
    then = (
        "echo 'fatal: unable to access the remote: Failed to connect to 127.0.0.1' >&2; exit 128"
        if action == "fails"
        else "sleep 30"
    )
    (bin_dir / "git").write_text(
        "#!/bin/sh\n"
        f'if [ "$1 $2 $3" = "ls-remote --heads --" ]; then touch \'{marker}\'; {then}; fi\n'
        f"exec '{real}' \"$@\"\n"
    )
    (bin_dir / "git").chmod(0o755)
    return bin_dir, marker


def _path(bin_dir: Path) -> str:
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def _left_running(bin_dir: Path) -> list[str]:
    """Command lines of running processes started from the wrapper (the shell running it)."""
    return running_command_lines(str(bin_dir))


def _json(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert "Traceback" not in proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, "github") as w:
        yield w


def test_a_failed_early_read_is_asked_again(tmp_path: Path, world: World) -> None:
    bin_dir, marker = _early_read_git(tmp_path, "fails")
    proc = world.run("bump", f"{EXAMPLE_IMAGE}:v1.2.3", "--output", "json", PATH=_path(bin_dir))
    assert proc.returncode == 0, proc.stderr
    assert marker.exists(), "the run asked for the bot branch beside the clone"
    assert _json(proc)["status"] == "opened"
    assert world.branch_sha(EXAMPLE_BRANCH) is not None and len(world.open_pulls()) == 1


def test_an_answer_about_another_name_is_not_used(world: World) -> None:
    """A REF found nowhere leaves the branch named after the others: the read made beside the
    clone asked for the name of all of them, so the branch that exists is asked for again (a
    run taking "no such branch" from it would push over a branch it must lease)."""
    first = world.run("bump", f"{EXAMPLE_IMAGE}:v1.2.3")
    assert first.returncode == 0, first.stderr
    tip, pushes = world.branch_sha(EXAMPLE_BRANCH), len(world.pushes())

    again = world.run("bump", f"{EXAMPLE_IMAGE}:v1.2.3", NOWHERE, "--output", "json")
    assert again.returncode == 0, again.stderr
    result = _json(again)
    assert result["status"] == "up-to-date" and result["branch"] == EXAMPLE_BRANCH
    assert result["not_found"] == [NOWHERE]
    assert world.branch_sha(EXAMPLE_BRANCH) == tip and len(world.pushes()) == pushes


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads running processes from /proc")
def test_a_slow_early_read_ends_with_a_run_that_does_not_need_it(tmp_path: Path, world: World) -> None:
    bin_dir, marker = _early_read_git(tmp_path, "hangs")
    started = time.monotonic()
    proc = world.run("bump", "ghcr.io/acme/not-in-the-tree:1.0.0", PATH=_path(bin_dir))
    left = _left_running(bin_dir)  # at bumper's exit, before the wrapper could end by itself

    assert proc.returncode == 3, proc.stderr
    assert marker.exists()
    assert time.monotonic() - started < 20, "bumper waited for the read it did not need"
    assert left == []
    assert world.pushes() == [] and repos.list_branches(world.bare) == ["main"]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads running processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_waiting_for_the_early_read_leaves_nothing_behind(
    tmp_path: Path, world: World, signum: int
) -> None:
    bin_dir, marker = _early_read_git(tmp_path, "hangs")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bumper", "bump", f"{EXAMPLE_IMAGE}:v1.2.3"],
        env=world.env(TMPDIR=str(tmp), PATH=_path(bin_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as a CI runner starts a job: no terminal, its own group
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(1.5)  # the clone and the plan are done: bumper waits for the read
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    left = _left_running(bin_dir)

    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert left == []
    assert list(tmp.iterdir()) == []  # the temporary clone is gone
    assert world.pushes() == [] and world.writes() == []


def test_a_repository_around_the_temporary_directory_lends_the_read_nothing(
    tmp_path: Path, world: World
) -> None:
    """TMPDIR inside a checkout whose configuration sends the host's URL elsewhere: the read
    beside the clone looks for no repository above its own directory, so it still answers
    (one `ls-remote` inside the clone: the check after the PR, none asked again)."""
    checkout = tmp_path / "checkout"
    repos.git("init", "-q", str(checkout))
    repos.git("config", "url.http://127.0.0.1:9/.insteadOf", f"{world.git.base_url}/", cwd=checkout)
    (checkout / "tmp").mkdir()
    real = shutil.which("git")
    assert real is not None
    bin_dir, log = tmp_path / "bin", tmp_path / "git.log"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f"#!/bin/sh\necho \"$*\" >> '{log}'\nexec '{real}' \"$@\"\n")
    (bin_dir / "git").chmod(0o755)

    proc = world.run("bump", f"{EXAMPLE_IMAGE}:v1.2.3", TMPDIR=str(checkout / "tmp"), PATH=_path(bin_dir))
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines()
    assert len([c for c in calls if c.startswith("ls-remote --heads -- ")]) == 1
    assert len([c for c in calls if c.startswith("ls-remote --heads origin ")]) == 1, calls
