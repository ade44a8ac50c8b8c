"""`--dir` runs let grep find the files that mention the image: the same answer as reading each."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bumper.cli import main
from bumper.plan import select as files
from bumper.plan.needles import MANIFEST_NAME_GLOBS
from bumper.plan.search import NeedleSearch

REPO = "ghcr.io/acme/app"
LINE = f"image: {REPO}:v1.0.0\n"
ODD_NAMES = ["we ird[1].yaml", "back\\slash.yaml", "new\nline.yaml", "-dash.yaml", "ü.yml", "sub/dir/x.yaml"]


def _tree(root: Path) -> Path:
    """Every kind of file the walk tells apart, each mentioning the image."""
    tree = root / "tree"
    for name in [*ODD_NAMES, "kustomization.yaml", "Kustomization"]:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(LINE)
    (tree / "quiet.yaml").write_text("image: nginx:1.25\n")
    (tree / "notes.txt").write_text(LINE)
    (tree / ".git").mkdir()
    (tree / ".git" / "x.yaml").write_text(LINE)
    (tree / "binary.yaml").write_bytes(b"\0" + LINE.encode())
    (tree / "latin1.yaml").write_bytes(f"# caf\xe9\n{LINE}".encode("latin-1"))
    (tree / "big.yaml").write_text(f"- {LINE}" * 20)
    (tree / "chart" / "templates").mkdir(parents=True)
    (tree / "chart" / "Chart.yaml").write_text("name: chart\n")
    (tree / "chart" / "templates" / "d.yaml").write_text(LINE)
    (tree / "link.yaml").symlink_to("quiet.yaml")
    (root / "outside.yaml").write_text(LINE)
    (tree / "out.yaml").symlink_to(root / "outside.yaml")
    os.mkfifo(tree / "pipe.yaml")
    return tree


def test_grep_lists_exactly_the_regular_manifest_files_that_mention_a_needle(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    hits = NeedleSearch.start(tree, [REPO.encode()], MANIFEST_NAME_GLOBS).hits()
    expected = {*ODD_NAMES, "kustomization.yaml", "Kustomization", "binary.yaml", "latin1.yaml", "big.yaml"}
    assert hits == expected | {"chart/templates/d.yaml"}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["scan", "bump"])
def test_same_answer_with_and_without_grep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    tree = _tree(tmp_path)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 200)  # big.yaml is "oversized"
    args = (
        ["scan", "--dir", str(tree), "--output", "json"]
        if command == "scan"
        else ["bump", f"{REPO}:v2.0.0", "--dir", str(tree), "--dry-run", "--output", "json", "-v"]
    )
    with_grep = _run(*args)
    (tmp_path / "no-grep").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-grep"))  # grep cannot start: Python reads every file
    assert NeedleSearch.start(tree, [REPO.encode()], MANIFEST_NAME_GLOBS).hits() is None
    without_grep = _run(*args)
    assert with_grep == without_grep
    code, out, _ = with_grep
    report = json.loads(out)
    assert code == 0
    found = (
        {c["file"] for c in report["changes"]}
        if command == "bump"
        else {r["file"] for r in report["images"] if r["repository"] == "acme/app"}
    )
    assert found == {*ODD_NAMES, "kustomization.yaml", "Kustomization"}
    assert {i["file"]: i["reason"] for i in report["ignored"]}.items() >= {
        "binary.yaml": "binary",
        "latin1.yaml": "not-utf-8",
        "big.yaml": "oversized",
        "pipe.yaml": "not-a-regular-file",
        "out.yaml": "symlink-outside-tree",
    }.items()


def test_a_grep_that_fails_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """grep exits 2 when it could not read a file: its (partial) list must not narrow the run."""
    tree = _tree(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "grep"
    fake.write_text("#!/bin/sh\nexit 2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, _ = _run("bump", f"{REPO}:v2.0.0", "--dir", str(tree), "--dry-run", "--output", "json")
    assert code == 0
    expected = {*ODD_NAMES, "kustomization.yaml", "Kustomization", "big.yaml"}  # not oversized here
    assert {c["file"] for c in json.loads(out)["changes"]} == expected


def test_a_dir_run_starts_grep_once_before_parsing_and_takes_it_over(
    tmp_path: Path, grep_spawns: list[NeedleSearch]
) -> None:
    """bump_dir starts the search before it imports the YAML modules; plan_tree takes that very
    search over instead of starting a second grep, and it is done when the run ends."""
    tree = _tree(tmp_path)
    result = CliRunner().invoke(main, ["bump", f"{REPO}:v2.0.0", "--dir", str(tree), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert len(grep_spawns) == 1 and grep_spawns[0].hits() is not None
    assert grep_spawns[0]._done


def test_a_dir_run_that_fails_before_planning_stops_its_search(
    tmp_path: Path, grep_spawns: list[NeedleSearch]
) -> None:
    tree = _tree(tmp_path)
    (tree / ".bumper.yaml").write_text("rules: [\n")  # the rules fail to load, before any file is read
    result = CliRunner().invoke(main, ["bump", f"{REPO}:v2.0.0", "--dir", str(tree), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert len(grep_spawns) == 1
    proc = grep_spawns[0]._proc
    assert grep_spawns[0]._done and (proc is None or proc.returncode is not None)
