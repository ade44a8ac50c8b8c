"""End to end: on a tree of megabytes (a chart repository's size), the files are planned on two
processes (bumper.plan.forked) and the run prints and writes exactly what one process does,
also when a file of the child's part cannot be planned safely."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bumper.cli import main
from bumper.plan import forked
from testing.forking import fork_beside_the_suites_threads

CHARTS = 40
# A values file as charts have them: the image, then ~30 KB of settings and comments.
VALUES = (
    "image:\n  registry: docker.io\n  repository: bitnami/os-shell\n  tag: 12-debian-12-r{n}\n"
    "  pullPolicy: IfNotPresent\n"
    + "".join(
        f"## @param setting{k} a setting, as charts document each one\nsetting{k}: value-{k}\n"
        for k in range(500)
    )
    + "sidecar:\n  image: docker.io/bitnami/os-shell:12-debian-12-r{n} # bumper: hold\n"
)


# A Chart.yaml as bitnami's: its images listed in a `|` block (YAML inside a string).
CHART_YAML = (
    "annotations:\n  images: |\n    - name: os-shell\n"
    "      image: docker.io/bitnami/os-shell:12-debian-12-r{n}\n"
    "apiVersion: v2\nname: chart-{c}\nversion: 1.0.{c}\n"
)


def _tree(root: Path, broken: int | None = None) -> Path:
    """CHARTS charts, in both halves of the files: some values files with a BOM, some with
    CRLF line ends, every other Chart.yaml listing the image in a block (a child sends its edits
    without the files' bytes, and this process makes them again: each spelling must survive)."""
    for n in range(CHARTS):
        chart = root / "charts" / f"chart-{n:02d}"
        chart.mkdir(parents=True)
        text = VALUES.replace("{n}", str(40 + n % 3))
        if n == broken:
            text += "image:\n  tag: twice\n"  # a duplicate key: this file cannot be planned safely
        if n % 4 == 2:
            text = text.replace("\n", "\r\n")
        (chart / "values.yaml").write_bytes(("\ufeff" if n % 4 == 1 else "").encode() + text.encode())
        if n % 2:
            listed = CHART_YAML.replace("{n}", str(40 + n % 3)).replace("{c}", f"{n:02d}")
            (chart / "Chart.yaml").write_text(listed)
        else:
            (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: chart-{n:02d}\nversion: 1.0.{n}\n")
    return root


def _run(tree: Path, jobs: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str, int]:
    """Exit, stdout, stderr and the children forked of one in-process run."""
    forks: list[int] = []
    real_fork = forked._fork

    def counted(*fork_args: Any) -> None:
        forks.append(1)
        real_fork(*fork_args)

    monkeypatch.setattr(forked, "_fork", counted)
    monkeypatch.setenv(forked.JOBS_VARIABLE, jobs)
    fork_beside_the_suites_threads(monkeypatch)
    argv = ["bump", "docker.io/bitnami/os-shell:12-debian-12-r99", "--dir", str(tree), *args]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr, len(forks)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args", [("--dry-run",), ("--dry-run", "--output", "json"), ()])
def test_two_processes_print_and_write_what_one_does(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    exit_one, out_one, err_one, forks_one = _run(one, "1", monkeypatch, *args)
    exit_two, out_two, err_two, forks_two = _run(two, "2", monkeypatch, *args)
    assert (forks_one, forks_two) == (0, 1), "a tree of megabytes is planned on two processes"
    assert exit_one == exit_two == 0, err_one + err_two
    assert out_two.replace(str(two), str(one)) == out_one
    assert err_two.replace(str(two), str(one)) == err_one
    assert _files(two) == _files(one)
    assert out_one.count("12-debian-12-r99") >= CHARTS
    if not args:
        written = (two / "charts" / "chart-39" / "values.yaml").read_text()
        assert "tag: 12-debian-12-r99\n" in written and "os-shell:12-debian-12-r40 # bumper: hold" in written
        bom = (two / "charts" / "chart-37" / "values.yaml").read_bytes()
        assert bom.startswith(b"\xef\xbb\xbfimage:\n") and b"tag: 12-debian-12-r99\n" in bom
        crlf = (two / "charts" / "chart-38" / "values.yaml").read_bytes()
        assert b"tag: 12-debian-12-r99\r\n" in crlf and b"\n" not in crlf.replace(b"\r\n", b"")
        assert (
            b"image: docker.io/bitnami/os-shell:12-debian-12-r99\n"
            in (two / "charts" / "chart-39" / "Chart.yaml").read_bytes()
        )


def test_a_file_the_child_cannot_plan_fails_the_run_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duplicate key is in the child's half: the run fails with the serial run's line, and
    nothing is written."""
    one, two = _tree(tmp_path / "one", broken=33), _tree(tmp_path / "two", broken=33)
    before = _files(two)
    exit_one, _, err_one, _ = _run(one, "1", monkeypatch)
    exit_two, _, err_two, forks = _run(two, "2", monkeypatch)
    assert forks == 1
    assert exit_one == exit_two == 1
    assert "chart-33/values.yaml" in err_two and err_two.replace(str(two), str(one)) == err_one
    assert _files(two) == before
    shutil.rmtree(tmp_path)


@pytest.mark.parametrize("jobs", ["0", "two", "65", "-1"])
def test_a_bad_jobs_variable_is_a_usage_error_on_any_tree(
    jobs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "values.yaml").write_text("image: docker.io/bitnami/os-shell:12-debian-12-r40\n")
    exit_code, _, err, _ = _run(tmp_path, jobs, monkeypatch)
    assert exit_code == 2
    assert f"BUMPER_JOBS must be a whole number from 1 to 64, not '{jobs}'" in err
    assert "r40" in (tmp_path / "values.yaml").read_text()
