"""Run bumper as `python -m bumper` would, under a probe: a Python prelude that records something
(the modules loaded, the processes started) into a file the test then reads."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_probed(
    probe: str,
    out: Path,
    args: tuple[str, ...],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    exit_code: int = 0,
) -> str:
    """What the probe wrote to `out` after `bumper ARGS` ran (and exited `exit_code`) in `cwd`;
    the probe reads `out` as sys.argv[1] and bumper's arguments after it."""
    run = subprocess.run(
        [sys.executable, "-c", probe, str(out), *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == exit_code, run.stderr
    return out.read_text()
