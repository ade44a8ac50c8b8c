"""A `bump --dir` run starts one grep, before it loads the planner, and the planner takes that very
search over: one grep per run, however the tree is spelled; a search for other needles is stopped."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bumper.plan.needles import MANIFEST_NAME_GLOBS, needles
from bumper.plan.search import NeedleSearch
from bumper.plan.tree import manifest_sources
from testing import forkserver

REF = "ghcr.io/acme/app:v1.2.3"


def _counting_grep(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH with a grep that logs each start, then runs the real one."""
    log = tmp_path / "greps.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = shutil.which("grep")
    (bin_dir / "grep").write_text(f'#!/bin/sh\necho started >> "{log}"\nexec "{real}" "$@"\n')
    (bin_dir / "grep").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "apps").mkdir(parents=True)
    (tree / "apps" / "deploy.yaml").write_text("image: ghcr.io/acme/app:v1.0.0\n")
    (tree / "apps" / "other.yaml").write_text("image: nginx:1.25\n")
    return tree


@pytest.mark.parametrize(
    "args",
    [
        ["bump", REF, "--dir", "tree", "--dry-run"],
        ["bump", REF, "--dir", "./tree/", "--dry-run", "--output", "json"],  # spelled otherwise
        ["--debug", "bump", "--dry-run", "--dir=tree", "--path", "apps/*.yaml", REF],
    ],
)
def test_a_console_run_greps_once_and_rewrites_as_asked(tmp_path: Path, args: list[str]) -> None:
    _tree(tmp_path)
    env, log = _counting_grep(tmp_path)
    run = forkserver.run(args, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert log.read_text().count("started") == 1
    assert "ghcr.io/acme/app:v1.2.3" in run.stdout
    assert "nginx" not in run.stdout


def test_a_search_for_other_needles_is_stopped_and_the_planner_searches_itself(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    wanted = needles([], False) + (b"acme/app",)
    wrong = NeedleSearch.start(tree, (b"acme/other",), MANIFEST_NAME_GLOBS)
    assert not wrong.searches(tree, wanted, MANIFEST_NAME_GLOBS)
    sources = list(manifest_sources(tree, (), wanted, [], search=wrong))
    assert [Path(path).name for _, path in sources] == ["deploy.yaml"]
    assert wrong._done


def test_the_same_search_spelled_otherwise_is_taken_over(
    tmp_path: Path, grep_spawns: list[NeedleSearch]
) -> None:
    tree = _tree(tmp_path)
    wanted = (b"acme/app",)
    early = NeedleSearch.start(f"{tree}/./", wanted, MANIFEST_NAME_GLOBS)
    assert early.searches(tree, wanted, MANIFEST_NAME_GLOBS)
    sources = list(manifest_sources(tree, (), wanted, [], search=early))
    assert [Path(path).name for _, path in sources] == ["deploy.yaml"]
    assert grep_spawns == [early] and early._done
