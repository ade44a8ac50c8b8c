"""End to end, `bumper bump --dir` run as CI runs it: where files are planned in forked children
(bumper.plan.forked), what a hostile environment does to the run (odd BUMPER_JOBS values, few
file descriptors) ends it exactly as a run planning every file in one process ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testing import forkserver

REF = "docker.io/bitnami/os-shell:12-debian-12-r99"


@pytest.mark.parametrize("jobs", ["²", "１", "٣"])
def test_jobs_in_other_digits_than_ascii_are_a_usage_error(jobs: str, tmp_path: Path) -> None:
    """`²` is a digit to str.isdigit() but no number to int(): a usage error, never an internal one."""
    (tmp_path / "values.yaml").write_text("image: docker.io/bitnami/os-shell:12-debian-12-r40\n")
    env = {**os.environ, "BUMPER_JOBS": jobs}
    proc = forkserver.run(["bump", REF, "--dir", str(tmp_path)], env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"bumper: error: BUMPER_JOBS must be a whole number from 1 to 64, not {jobs!r}\n"
    assert "r40" in (tmp_path / "values.yaml").read_text()
