"""A --dir checkout owned by another uid (mounted into bumper's container, made by another CI step).

git refuses such a repository ("dubious ownership") unless `safe.directory` names it; bumper
says that, with the command that fixes it, instead of "not inside a git repository".
`GIT_TEST_ASSUME_DIFFERENT_OWNER=1` makes git treat every repository as another user's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.world import World, make_world

FOREIGN = {"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_world(tmp_path, "github") as w:
        yield w


def history(world: World, directory: Path, **env: str):  # type: ignore[no-untyped-def]
    return world.run(
        "history", "ghcr.io/acme/app", "--dir", str(directory), "--output", "json", BUMPER_REPO="", **env
    )


def test_history_names_the_ownership_check_and_its_fix(world: World, tmp_path: Path) -> None:
    where = world.bare.resolve()
    proc = history(world, world.bare, GIT_CONFIG_GLOBAL=str(tmp_path / "none"), **FOREIGN)
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("bumper: error: ")
    assert "owned by another user" in line
    assert f"git config --global --add safe.directory {where}" in line
    assert "not inside a git repository" not in line

    # Doing what the line says lets the same run through.
    config = tmp_path / "gitconfig"
    config.write_text(f"[safe]\n\tdirectory = {where}\n")
    proc = history(world, world.bare, GIT_CONFIG_GLOBAL=str(config), **FOREIGN)
    assert proc.returncode == 0, proc.stderr
    [entry] = json.loads(proc.stdout)["history"]  # the commit that added the references
    assert entry["commit"] == world.branch_sha("main")


def test_a_directory_outside_any_repository_still_says_so(world: World, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = history(world, plain, GIT_CEILING_DIRECTORIES=str(tmp_path), **FOREIGN)
    assert proc.returncode == 2
    assert "is not inside a git repository" in proc.stderr
