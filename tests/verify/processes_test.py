"""End to end through the CLI: a renderer and every process it starts end before bumper exits,
whether the renderer times out, fails, or bumper is stopped (SIGTERM, Ctrl-C) while it runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.overlays import BASE, REF, write

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads running processes from /proc")


def _fake_renderer(tmp: Path, mode: str) -> tuple[Path, Path]:
    """A `kustomize` on PATH that records its pid and a background child's (a sleep that keeps
    no pipe of bumper's open), then hangs or fails. Returns (its bin folder, the pid file)."""
    bin_dir, pids = tmp / "bin", tmp / "pids"
    bin_dir.mkdir()
    tail = {"hang": "sleep 300\n", "fail": "echo 'Error: accumulating resources: boom' >&2\nexit 1\n"}[mode]
    script = bin_dir / "kustomize"
    script.write_text(
        "#!/bin/sh\n"
        f"echo $$ >> '{pids}'\n"
        "sleep 300 </dev/null >/dev/null 2>&1 &\n"
        f"echo $! >> '{pids}'\n" + tail
    )
    script.chmod(0o755)
    return bin_dir, pids


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _survivors(pids: Path) -> list[int]:
    recorded = [int(line) for line in pids.read_text().split()] if pids.exists() else []
    assert recorded, "the renderer never ran"
    deadline = time.monotonic() + 3  # an orphan's reaping by init is not instant
    while any(_alive(p) for p in recorded) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in recorded if _alive(p)]


def _start(tree: Path, bin_dir: Path, **env: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BUMPER_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bumper", "bump", REF, "--dir", str(tree), "--verify", "render"],
        env={
            **environ,
            "PYTHONFAULTHANDLER": "1",
            "NO_COLOR": "1",
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as a CI runner starts a job: no terminal
        # Ctrl-C as a shell delivers it, whatever an earlier test left this worker ignoring
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )


@pytest.mark.parametrize("mode", ["hang", "fail"])
def test_a_renderer_that_times_out_or_fails_leaves_nothing_running(tmp_path: Path, mode: str) -> None:
    bin_dir, pids = _fake_renderer(tmp_path, mode)
    tree = tmp_path / "tree"
    before = write(tree, BASE)
    started = time.monotonic()
    proc = _start(tree, bin_dir, BUMPER_VERIFY_TIMEOUT="1")
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 30, "bumper waited for the renderer's child"
    assert "Traceback" not in err and proc.returncode in (0, 1), err
    if mode == "hang":
        assert "took longer than 1 s" in err + out, err
    assert _survivors(pids) == []
    assert before  # the tree was there to render


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "ctrl-c"]
)
def test_stopping_bumper_mid_render_ends_the_renderer_and_its_children(
    tmp_path: Path, signum: int, code: int
) -> None:
    bin_dir, pids = _fake_renderer(tmp_path, "hang")
    tree = tmp_path / "tree"
    write(tree, BASE)
    proc = _start(tree, bin_dir)
    deadline = time.monotonic() + 60
    while (not pids.exists() or len(pids.read_text().split()) < 2) and proc.poll() is None:
        assert time.monotonic() < deadline, "the renderer never started"
        time.sleep(0.02)
    time.sleep(0.2)  # the renderer is sleeping now
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints where every thread is
        _, err = proc.communicate()
        ignored = [
            ln for ln in Path(f"/proc/{os.getpid()}/status").read_text().splitlines() if "SigIgn" in ln
        ]
        raise AssertionError(f"bumper did not stop ({ignored}): {err[-6000:]}") from None
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert _survivors(pids) == []


@pytest.mark.parametrize("value", ["soon", "0", "3601"])
def test_a_bad_verify_timeout_is_bad_input(tmp_path: Path, value: str) -> None:
    """The line says the range reference.md gives (0 itself is refused, so it never says 'from 0')."""
    bin_dir, _ = _fake_renderer(tmp_path, "fail")
    tree = tmp_path / "tree"
    write(tree, BASE)
    proc = _start(tree, bin_dir, BUMPER_VERIFY_TIMEOUT=value)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert err.strip() == (
        "bumper: error: BUMPER_VERIFY_TIMEOUT must be a number of seconds more than 0 and at most 3600, "
        f"not {value!r}"
    )
