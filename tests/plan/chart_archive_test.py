"""A packaged subchart read in place: its Chart.yaml and values.yaml, and nothing it cannot be."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bumper.plan import chart_archive
from bumper.plan.chart_archive import read_packaged
from testing.charts import tgz


def _tgz(path: Path, files: dict[str, bytes]) -> Path:
    path.write_bytes(tgz(files))
    return path


def test_the_charts_files_at_the_top_of_the_archive(tmp_path: Path) -> None:
    archive = _tgz(
        tmp_path / "es-8.5.1.tgz",
        {
            "elasticsearch/Chart.yaml": b"name: elasticsearch\n",
            "elasticsearch/templates/values.yaml": b"not: these\n",
            "elasticsearch/charts/sub/values.yaml": b"nor: these\n",
            "elasticsearch/values.yaml": b"imageTag: 8.5.1\n",
        },
    )
    assert read_packaged(str(archive)) == chart_archive.Packaged(
        "elasticsearch", b"name: elasticsearch\n", b"imageTag: 8.5.1\n", nested=True
    )
    alone = _tgz(tmp_path / "c.tgz", {"c/values.yaml": b"a: 1\n", "c/templates/x.yaml": b"b: 2\n"})
    assert read_packaged(str(alone)) == chart_archive.Packaged("c", None, b"a: 1\n", nested=False)


def test_what_is_no_chart_archive_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "plain.tgz").write_bytes(b"not gzip at all")
    (tmp_path / "gzip-not-tar.tgz").write_bytes(gzip.compress(b"hello" * 1000))
    link = tmp_path / "link.tgz"
    link.symlink_to(_tgz(tmp_path / "real.tgz", {"c/Chart.yaml": b"name: c\n"}))
    empty = _tgz(tmp_path / "empty.tgz", {"README.md": b"# nothing\n"})
    for path in ("plain.tgz", "gzip-not-tar.tgz", "link.tgz", "missing.tgz", empty.name):
        assert read_packaged(str(tmp_path / path)) is None, path


def test_an_archive_inflating_past_its_limit_is_not_read_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few kilobytes that inflate to megabytes of zeros before the chart's files: reading stops
    at the limit instead of inflating the whole stream."""
    monkeypatch.setattr(chart_archive, "_MAX_INFLATED", 1 << 20)
    archive = _tgz(
        tmp_path / "bomb.tgz",
        {"c/big.bin": b"\0" * (4 << 20), "c/Chart.yaml": b"name: c\n", "c/values.yaml": b"a: 1\n"},
    )
    assert archive.stat().st_size < 64 << 10
    assert read_packaged(str(archive)) is None


def _linked(path: Path, members: list[tuple[str, bytes | str]]) -> Path:
    path.write_bytes(tgz(members))
    return path


CHART, VALUES = b"name: c\n", b"imageTag: 1.0\n"


@pytest.mark.parametrize(
    "members",
    [
        # the values behind more members than a chart has: it was read as a chart with no values
        [
            ("c/Chart.yaml", CHART),
            *((f"c/templates/t{i}.yaml", b"") for i in range(6)),
            ("c/values.yaml", VALUES),
        ],
        [("c/Chart.yaml", CHART), ("c/real.yaml", VALUES), ("c/values.yaml", "real.yaml")],
        [("c/Chart.yaml", "../../Chart.yaml"), ("c/values.yaml", VALUES)],
        [("../c/Chart.yaml", CHART), ("../c/values.yaml", VALUES)],
        [("/c/Chart.yaml", CHART), ("/c/values.yaml", VALUES)],
        [("c/Chart.yaml", CHART), ("c/x/../values.yaml", VALUES)],
        [("c/Chart.yaml", CHART), ("c/values.yaml", VALUES + b"#" * 2048)],
    ],
    ids=[
        "too-many-members",
        "values-a-link",
        "chart-a-link",
        "parent",
        "absolute",
        "dot-dot-inside",
        "too-large",
    ],
)
def test_an_archive_whose_chart_files_bumper_does_not_read_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, members: list[tuple[str, bytes | str]]
) -> None:
    """Each of these was read as a chart without values (or with some), so an override's tagless
    image under it was pinned; what Helm makes of them is not known here: None, never a guess."""
    monkeypatch.setattr(chart_archive, "_MAX_MEMBERS", 5)
    monkeypatch.setattr(chart_archive, "MAX_FILE_BYTES", 1024)
    assert read_packaged(str(_linked(tmp_path / "c-1.0.0.tgz", members))) is None


def test_a_link_or_a_large_file_elsewhere_in_the_archive_is_read_past(tmp_path: Path) -> None:
    """Only the chart's own Chart.yaml and values.yaml must be regular and small."""
    archive = _linked(
        tmp_path / "c.tgz",
        [("c/Chart.yaml", CHART), ("c/templates/link.yaml", "../values.yaml"), ("c/values.yaml", VALUES)],
    )
    assert read_packaged(str(archive)) == chart_archive.Packaged("c", CHART, VALUES, nested=False)
