"""End to end, `bumper bump --dir`: a commit-id tag whose short hash happens to hold no digit
(`sha-deadbee`, about one build in a thousand) is the same variant as any other commit tag, so
a CI pipeline tagging by commit is never silently "up to date"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing import forkserver


def bump(tree: Path, ref: str) -> subprocess.CompletedProcess[str]:
    return forkserver.run(("bump", ref, "--dir", "."), env={"NO_COLOR": "1"}, cwd=tree, timeout=60)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sha-deadbee", "sha-cafe123"),  # docker/metadata-action's `sha-<7 hex>`
        ("sha-cafe123", "sha-deadbee"),
        ("main-abcdefa", "main-1234567"),
        ("main-1234567", "main-abcdefa"),
        ("git-facadeb", "git-0f0f0f0"),
        ("abcdefa", "1234567"),  # a tag that is only the short hash
        ("1234567", "fedcbaf"),
    ],
)
def test_a_commit_tag_without_a_digit_is_bumped_like_any_other(tmp_path: Path, old: str, new: str) -> None:
    (tmp_path / "app.yaml").write_bytes(f"image: ghcr.io/acme/app:{old}\n".encode())

    proc = bump(tmp_path, f"ghcr.io/acme/app:{new}")

    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "app.yaml").read_bytes() == f"image: ghcr.io/acme/app:{new}\n".encode()


def test_a_word_after_a_channel_is_still_a_variant(tmp_path: Path) -> None:
    """Only hex of commit length after the channel reads as a commit: `main-alpine` keeps its word."""
    (tmp_path / "app.yaml").write_bytes(b"image: ghcr.io/acme/app:main-alpine\n")

    proc = bump(tmp_path, "ghcr.io/acme/app:main-1234567")

    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "app.yaml").read_bytes() == b"image: ghcr.io/acme/app:main-alpine\n"
    assert "variant" in proc.stderr
