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


def _reader_gone(tree: Path, stream: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`bumper ARGS --dir TREE` whose stdout (1), or stdout and stderr (2: `2>&1`), is a pipe
    whose reader went away (`| head -1` once it has its line), the other end captured."""
    read, write = os.pipe()
    argv = [sys.executable, "-m", "bumper", *args, "--dir", str(tree)]
    errors = write if stream == 2 else subprocess.PIPE
    with subprocess.Popen(argv, stdout=write, stderr=errors) as proc:
        os.close(write)
        with os.fdopen(read, "rb") as reader:
            reader.readline()  # as head -1 does, then it is gone
        _, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, proc.returncode, b"", err or b"")


@pytest.mark.parametrize(
    ("stream", "args", "written"),
    [
        (1, ("scan",), "v1.0.0"),
        (1, ("scan", "--output", "json"), "v1.0.0"),
        (1, ("bump", "ghcr.io/acme/app:v1.2.3", "--dry-run"), "v1.0.0"),
        (1, ("bump", "ghcr.io/acme/app:v1.2.3", "--dry-run", "--output", "json"), "v1.0.0"),
        (2, ("bump", "ghcr.io/acme/app:v1.2.3", "-v"), "v1.2.3"),
        (2, ("scan", "-v"), "v1.0.0"),
    ],
)
def test_a_reader_that_goes_away_leaves_the_run_its_exit_code(
    stream: int, args: tuple[str, ...], written: str, tmp_path: Path
) -> None:
    """Output larger than a pipe holds: the write that finds the reader gone (EPIPE) ended the
    run with exit 1 and no word (click's handler), after or before its work; now what is left
    goes to the null device and the run ends as it would have (exit 0, the files written)."""
    for n in range(2000):
        (tmp_path / f"f{n:04}.yaml").write_text(DEPLOYMENT)
    proc = _reader_gone(tmp_path, stream, *args)
    assert proc.returncode == 0, proc.stderr
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr
    assert all(written in (tmp_path / f"f{n:04}.yaml").read_text() for n in (0, 1999))
