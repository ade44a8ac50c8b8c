"""`bench/rewrite.py --smoke` runs end to end and prints its table (no timing assertions)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bumper import __version__

BENCH = Path(__file__).resolve().parents[1] / "bench" / "rewrite.py"
ROWS = [
    "`bumper bump --dry-run` wall",
    "`grep -rlF` wall",
    "bumper / grep",
    "naive ruamel rt load+dump",
    "naive / bumper",
    "bumper peak RSS",
    "`bumper scan`, every file has images",
    "bare PyYAML `compose_all`",
    "scan / compose",
    "`bumper --version`",
    "`python -c pass`",
    "start-up tax",
]


@pytest.mark.skipif(shutil.which("bumper") is None, reason="the bumper console script is not installed")
@pytest.mark.skipif(shutil.which("grep") is None, reason="grep is not installed")
def test_bench_smoke_prints_the_table() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| measure | value | target | ok / note |", proc.stdout
    assert table[1].startswith("|---"), proc.stdout
    assert len([line for line in lines if line.startswith("| measure ")]) == 1, "one table only"
    for row in ROWS:
        assert any(line.startswith(f"| {row}") for line in table), f"row {row!r} missing:\n{proc.stdout}"
    assert "2 of 2 target files in the diff" in proc.stdout, proc.stdout


def test_e2e_bench_smoke_prints_the_table_with_api_counts() -> None:
    bench = BENCH.with_name("e2e.py")
    proc = subprocess.run(
        [sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line[:48].strip(): line[48:].split() for line in proc.stdout.splitlines()[2:-1]}
    assert set(rows) == {
        "plain git: shallow clone, edit, commit, push",
        "bumper bump --repo (new PR, label, reviewer)",
        "bumper bump --repo (newer tag, PR updated)",
        "bumper bump --repo --path (sparse clone)",
        "--commit-via api (new PR, label, reviewer)",
        "--commit-via api (newer tag, PR updated)",
    }, proc.stdout
    # The API budget is a count, not a timing: a new PR <= 4 calls, an update <= 3; with the
    # commit made through the API (createCommitOnBranch) <= 6 and <= 4.
    assert int(rows["bumper bump --repo (new PR, label, reviewer)"][2]) <= 4
    assert int(rows["bumper bump --repo (newer tag, PR updated)"][2]) <= 3
    assert int(rows["--commit-via api (new PR, label, reviewer)"][2]) <= 6
    assert int(rows["--commit-via api (newer tag, PR updated)"][2]) <= 4


def test_ci_startup_bench_smoke_installs_the_lock_and_opens_pull_requests() -> None:
    """The Action's real install step (uv, uv.lock, offline from the local cache), then its bump step."""
    bench = BENCH.with_name("ci_startup.py")
    proc = subprocess.run(
        [sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = [line for line in proc.stdout.splitlines() if line.startswith("|")]
    assert table[0].startswith("| install path | install step s | first bump s | start-up overhead s |")
    [row] = table[2:]
    assert row.startswith("| uv on PATH (offline, warm cache) |") and row.endswith("| opened |"), row
    assert "pull requests open: 2" in proc.stdout  # the first (cold) and the warm run each opened one


def test_image_layer_bench_smoke_builds_the_dockerfile_layer() -> None:
    """The Dockerfile's own `uv sync` steps, offline: the layer installs, runs and is measured."""
    bench = BENCH.with_name("image_layer.py")
    proc = subprocess.run(
        [sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split(" | ")[0]: line for line in proc.stdout.splitlines() if line.startswith("| ")}
    assert rows["| `bumper --version` from the layer"].endswith(f"| bumper {__version__} |"), proc.stdout
    assert any(key.startswith("| `uv sync --no-cache --frozen") for key in rows), proc.stdout
    assert "| `/opt/bumper` as a gzip tar (pulled size)" in rows, proc.stdout


def test_history_bench_smoke_finds_every_bump_in_both_modes() -> None:
    bench = BENCH.with_name("history.py")
    proc = subprocess.run(
        [sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "history entries found: 4 (the first commit and 3 bumps)" in proc.stdout, proc.stdout
    rows = [line[:48].strip() for line in proc.stdout.splitlines()[3:-1]]
    assert rows == [
        "git log -G<repo> --oneline (local full clone)",
        "bumper history --dir (same clone)",
        "git clone + git log -G<repo> (from the URL)",
        "bumper history --repo (blobless clone)",
    ], proc.stdout


@pytest.mark.skipif(
    shutil.which("kustomize") is None and shutil.which("kubectl") is None, reason="no kustomize renderer"
)
def test_verify_bench_smoke_renders_only_the_affected_overlays() -> None:
    bench = BENCH.with_name("verify.py")
    proc = subprocess.run(
        [sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "roots rendered: 5 of 51 (all verified)" in proc.stdout, proc.stdout
    table = [line.split(" | ")[0].lstrip("| ") for line in proc.stdout.splitlines() if line.startswith("|")]
    assert table == [
        "measure",
        "---|---:|---|---|",
        "`bump --dry-run --verify off`",
        "`bump --dry-run --verify render`",
        "verification overhead",
        "render the 5 affected overlays twice, one by one",
        "overhead / those renders",
    ], proc.stdout


@pytest.mark.skipif(shutil.which("bumper") is None, reason="the bumper console script is not installed")
@pytest.mark.skipif(shutil.which("grep") is None, reason="grep is not installed")
def test_real_shapes_bench_smoke_prints_every_case() -> None:
    """`bench/real.py --smoke`: every case of issue 30 runs at a tiny size and prints its row."""
    bench = BENCH.with_name("real.py")
    proc = subprocess.run(
        [sys.executable, str(bench), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| case | ratio / value | goal | figures |", proc.stdout
    starts = [
        "| chart layout (",
        "| chart layout (",
        "| chart layout (",
        "| chart layout (87 YAML files): that two-process floor importing click too",
        "| chart layout (",
        "| 100-file tree: `bump --dry-run` / `grep -rlF`",
        "| 100-file tree: floor, `python -c 'import click, yaml'`",
        "| `bumper --version` wall (start-up)",
        "| `scan --output text` peak RSS, 200 files",
        "| `scan --output json` peak RSS, 200 files",
        "| one 0.05 MB values file, 20 refs",
        "| same file: `bump --dry-run` peak RSS",
        "| `bump --repo`, 50 files, 1 to rewrite",
        "| `bump --repo`, 50 files: floor, the git-only steps from a Python loading click",
        "| `bump --repo`, 200 files, 50 to rewrite",
    ]
    assert len(table) == len(starts) + 1, proc.stdout
    assert [row[: len(start)] for row, start in zip(table[1:], starts)] == starts, proc.stdout
    # every bump found what grep found, and every figure carries the load it was measured under
    # a chart's values.yaml and its Chart.yaml's image list, in each of 3 charts
    assert "exit 0, 6 rewritten, grep 6;" in proc.stdout, proc.stdout
    assert "exit 0, 20 tags rewritten;" in proc.stdout, proc.stdout
    assert all("load " in row for row in table[1:]), proc.stdout
