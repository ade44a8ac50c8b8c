"""`bumper bump REF --output json` in a test world: the asserts every remote end-to-end test makes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from testing.canary import assert_no_canary
from testing.world import World


def run_bump(world: World, ref: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The run as it ended (any exit code), never with a traceback or the token in its output;
    `env` overrides the world's environment."""
    proc = world.run("bump", ref, "--output", "json", *args, **env)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert_no_canary(world, proc)
    return proc


def bump_json(world: World, ref: str, *args: str) -> dict[str, Any]:
    """The JSON result of a run that must succeed."""
    proc = run_bump(world, ref, *args)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def start_bump(world: World, tmp: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """`bumper bump ARGS` started as a CI runner starts a job (no terminal, a process group of
    its own), its temporary files under `tmp`: for a test that stops it midway (stop()); `env`
    overrides the world's environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "bumper", "bump", *args],
        env=world.env(TMPDIR=str(tmp), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[str], signum: int) -> tuple[str, str]:
    """Send `signum` to a run start_bump() started; its stdout and stderr once it ended."""
    proc.send_signal(signum)
    return proc.communicate(timeout=60)
