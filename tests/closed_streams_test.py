"""End to end: a run whose stdout or stderr the caller closed (`>&-`, `2>&-`) does its work and
ends with its own exit code, what it would print going nowhere, never an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOYMENT = "image: ghcr.io/acme/app:v1.0.0\n"


def _run(tree: Path, closed: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`bumper ARGS --dir TREE` in a process whose file descriptor `closed` (1 or 2) is closed."""
    argv = [sys.executable, "-m", "bumper", *args, "--dir", str(tree)]
    return subprocess.run(
        argv, capture_output=True, preexec_fn=lambda: os.close(closed), check=False, timeout=60
    )


@pytest.mark.parametrize("closed", [1, 2])
@pytest.mark.parametrize(
    ("args", "code", "written"),
    [
        (("bump", "ghcr.io/acme/app:v1.2.3"), 0, "v1.2.3"),
        (("bump", "ghcr.io/acme/app:v1.2.3", "--dry-run", "--output", "json"), 0, "v1.0.0"),
        (("bump", "ghcr.io/acme/other:v1"), 3, "v1.0.0"),
        (("bump", "ghcr.io/acme/app:v0.1"), 0, "v1.0.0"),  # a downgrade: skipped, exit 0
        (("scan",), 0, "v1.0.0"),
    ],
)
def test_a_closed_stream_is_no_internal_error(
    closed: int, args: tuple[str, ...], code: int, written: str, tmp_path: Path
) -> None:
    (tmp_path / "deployment.yaml").write_text(DEPLOYMENT)
    proc = _run(tmp_path, closed, *args)
    open_stream = proc.stderr if closed == 1 else proc.stdout
    assert proc.returncode == code, open_stream
    assert b"internal error" not in proc.stderr + proc.stdout
    assert written in (tmp_path / "deployment.yaml").read_text()
