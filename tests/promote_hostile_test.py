"""End to end, a careless or hostile user of `bumper promote`: --to spelled to reach back into
--from, sources that cannot be promoted, and odd spellings of the image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing import forkserver

IMAGE = "ghcr.io/acme/app"
STAGING = b"image: ghcr.io/acme/app:1.5.0\n"
PROD = b"image: ghcr.io/acme/app:1.4.0\n"


def promote(cwd: Path, *args: str, image: str = IMAGE) -> subprocess.CompletedProcess[str]:
    env = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin"}
    return forkserver.run(("promote", image, *args, "--dir", "."), env=env, cwd=cwd, timeout=60)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, data in {"clusters/staging/app.yaml": STAGING, "clusters/prod/app.yaml": PROD}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize(
    "to",
    [
        "./clusters/staging/",  # the same folder, spelled otherwise
        "clusters/staging/app.yaml",  # one file of the source
        "clusters",  # a parent of the source
        "**/app.yaml",  # a glob reaching both
    ],
)
def test_a_target_that_selects_a_source_file_is_refused_naming_it(tree: Path, to: str) -> None:
    proc = promote(tree, "--from", "clusters/staging", "--to", to)

    assert proc.returncode == 2, proc.stderr
    assert "clusters/staging/app.yaml" in proc.stderr and "--to" in proc.stderr
    assert "up to date" not in proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == PROD


def test_a_negation_takes_the_source_back_out_of_the_target(tree: Path) -> None:
    proc = promote(tree, "--from", "clusters/staging", "--to", "clusters", "--to", "!clusters/staging")

    assert proc.returncode == 0, proc.stderr
    assert (tree / "clusters/prod/app.yaml").read_bytes() == STAGING
