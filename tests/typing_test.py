"""`mypy --strict bumper` passes, as .ci/run checks: a helper's landing cannot drop the types."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="needs mypy (test extra)")
def test_the_package_is_strictly_typed() -> None:
    # mypy's own cache (.mypy_cache): after .ci/run's mypy step, or a previous run, this takes a
    # second instead of seven; mypy checks every file whose content changed again.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "bumper"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
