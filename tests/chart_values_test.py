"""End to end: a packaged subchart (`charts/es-8.5.1.tgz`) that is a link to an archive elsewhere
in the tree (a vendored copy several umbrella charts share) is read through the link, as a
linked values.yaml or a linked subchart folder is: the umbrella's override of its tagless image
is left alone, never pinned (a tag appended to it renders `repo:new:old`). And an umbrella of
many packaged subcharts reads each archive a few times, not once per override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing import forkserver, repos
from testing.charts import packaged, tgz
from testing.runs import run_bump
from testing.world import make_world

OSS = "docker.elastic.co/elasticsearch/elasticsearch-oss"
SUB_CHART = b"apiVersion: v2\nname: es\nversion: 8.5.1\n"
SUB_VALUES = b'image: "docker.elastic.co/elasticsearch/elasticsearch"\nimageTag: "8.5.1"\n'
OVERRIDE = b"es:\n  image: " + OSS.encode() + b"\n"
WHY = (
    "no-tag-field: the chart's platform/charts/es-8.5.1.tgz:es/values.yaml:2 keeps the tag in "
    "`imageTag` beside it; add `imageTag:` here for bumper to pin it"
)


def _tree(root: Path) -> Path:
    (root / "vendor").mkdir(parents=True)
    (root / "vendor/es-8.5.1.tgz").write_bytes(
        packaged("es", {"Chart.yaml": SUB_CHART, "values.yaml": SUB_VALUES})
    )
    (root / "platform/charts").mkdir(parents=True)
    (root / "platform/Chart.yaml").write_bytes(b"apiVersion: v2\nname: platform\nversion: 1.0.0\n")
    (root / "platform/charts/es-8.5.1.tgz").symlink_to("../../vendor/es-8.5.1.tgz")
    (root / "platform/values-prod.yaml").write_bytes(OVERRIDE)
    return root


def _assert_override_left_as_unknown(root: Path, reason: str) -> None:
    """A bump of OSS finds only the prod override, leaves it as it is with `reason` (exit 3), and
    scan does not list it as an image."""
    proc = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root), "--output", "json"])

    assert proc.returncode == 3, proc.stderr
    assert (root / "platform/values-prod.yaml").read_bytes() == OVERRIDE
    ignored = json.loads(proc.stdout)["ignored"]
    assert [s["reason"] for s in ignored if s["file"] == "platform/values-prod.yaml"] == [reason]
    scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    assert "platform/values-prod.yaml" not in {i["file"] for i in json.loads(scan.stdout)["images"]}


def test_a_packaged_subchart_linked_within_the_tree_keeps_the_override_alone(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree")

    proc = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root), "--output", "json"])

    assert proc.returncode == 3, proc.stderr
    assert (root / "platform/values-prod.yaml").read_bytes() == OVERRIDE
    reasons = [
        s["reason"] for s in json.loads(proc.stdout)["ignored"] if s["file"] == "platform/values-prod.yaml"
    ]
    assert reasons == [WHY], proc.stdout
    scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
    assert "platform/values-prod.yaml" not in {i["file"] for i in json.loads(scan.stdout)["images"]}


@pytest.mark.parametrize("paths", [(), ("--path", "platform/values-prod.yaml", "--path", "apps/**")])
def test_a_repo_run_reads_the_linked_archive_too(tmp_path: Path, paths: tuple[str, ...]) -> None:
    """The same tree served by a host: a full clone and a sparse one (--path) alike."""
    archive = packaged("es", {"Chart.yaml": SUB_CHART, "values.yaml": SUB_VALUES})
    tree = {
        "vendor/es-8.5.1.tgz": archive,
        "platform/Chart.yaml": b"apiVersion: v2\nname: platform\nversion: 1.0.0\n",
        "platform/values-prod.yaml": OVERRIDE,
        "apps/deploy.yaml": b"image: " + OSS.encode() + b":7.0.0\n",  # something to bump
    }
    with make_world(tmp_path, "github", tree) as world:
        repos.add_special_commit(
            world.bare, {"platform/charts/es-8.5.1.tgz": ("120000", b"../../vendor/es-8.5.1.tgz")}
        )
        proc = run_bump(world, f"{OSS}:7.10.2", *paths)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert world.read(result["branch"], "platform/values-prod.yaml") == OVERRIDE
    assert [c["file"] for c in result["changes"]] == ["apps/deploy.yaml"]
    assert [s["reason"] for s in result["ignored"] if s["file"] == "platform/values-prod.yaml"] == [WHY]


def test_a_packaged_subchart_linked_to_nothing_leaves_the_override_alone_as_unknown(tmp_path: Path) -> None:
    """`charts/es-8.5.1.tgz` links out of the tree or to no file: not read, yet Helm names the
    archive of chart `es` so; where that chart keeps the tag is unknown, and the override is
    left alone saying so (it was pinned), by scan and bump alike."""
    root = _tree(tmp_path / "tree")
    (tmp_path / "outside.tgz").write_bytes((root / "vendor/es-8.5.1.tgz").read_bytes())
    link = root / "platform/charts/es-8.5.1.tgz"
    for target in (str(tmp_path / "outside.tgz"), "../../vendor/gone.tgz"):
        link.unlink()
        link.symlink_to(target)

        _assert_override_left_as_unknown(
            root,
            "no-tag-field: the chart's platform/charts/es-8.5.1.tgz is a link bumper does not follow "
            "(out of the tree, or to nothing there), so whether the chart keeps this image's tag in a "
            "key beside it is unknown; write that tag key here for bumper to pin it",
        )


@pytest.mark.parametrize("paths", [(), ("--path", "charts/es/examples/**", "--path", "apps/**")])
def test_a_repo_run_reads_a_linked_values_file_as_a_dir_run_does(
    tmp_path: Path, paths: tuple[str, ...]
) -> None:
    """A chart's values.yaml linked to a shared file of the tree: the --repo run checks out what
    it names, so it reads the chart's tag key there (it said the link led to nothing)."""
    tree = {
        "common/es-values.yaml": SUB_VALUES,
        "charts/es/Chart.yaml": SUB_CHART,
        "charts/es/examples/oss/values.yaml": b"image: " + OSS.encode() + b"\n",
        "apps/deploy.yaml": b"image: " + OSS.encode() + b":7.0.0\n",
    }
    with make_world(tmp_path, "github", tree) as world:
        repos.add_special_commit(
            world.bare, {"charts/es/values.yaml": ("120000", b"../../common/es-values.yaml")}
        )
        proc = run_bump(world, f"{OSS}:7.10.2", *paths)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
    assert [c["file"] for c in result["changes"]] == ["apps/deploy.yaml"]
    assert [s["reason"] for s in result["ignored"] if s["file"] == "charts/es/examples/oss/values.yaml"] == [
        "no-tag-field: the chart's charts/es/values.yaml:2 keeps the tag in `imageTag` beside it; "
        "add `imageTag:` here for bumper to pin it"
    ]


def test_a_repo_run_checks_out_no_link_target_out_of_the_tree_nor_a_folder(tmp_path: Path) -> None:
    """Chart links to a folder, out of the tree, to a link leading out, and in a loop: nothing
    is checked out for them, the run goes on, and the override of their charts is left alone."""
    tree = {
        "common/es/values.yaml": SUB_VALUES,
        "charts/es/Chart.yaml": SUB_CHART,
        "charts/es/examples/oss/values.yaml": b"image: " + OSS.encode() + b"\n",
        "apps/deploy.yaml": b"image: " + OSS.encode() + b":7.0.0\n",
    }
    links = {
        "charts/es/values.yaml": b"../../common/es",  # a folder
        "charts/es/charts/a-1.0.0.tgz": b"../../../../../../etc/hostname",
        "charts/es/charts/b-1.0.0.tgz": b"/etc/hostname",
        "charts/es/charts/c-1.0.0.tgz": b"c-1.0.0.tgz",
        "charts/es/charts/d-1.0.0.tgz": b"a-1.0.0.tgz",
    }
    with make_world(tmp_path, "github", tree) as world:
        repos.add_special_commit(world.bare, {path: ("120000", target) for path, target in links.items()})
        proc = run_bump(world, f"{OSS}:7.10.2")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert (
            world.read(result["branch"], "charts/es/examples/oss/values.yaml")
            == tree["charts/es/examples/oss/values.yaml"]
        )
    assert [c["file"] for c in result["changes"]] == ["apps/deploy.yaml"]


def test_an_umbrella_of_many_packaged_subcharts_reads_each_archive_a_few_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 packaged subcharts (more than the archive cache holds) and 120 overrides of their
    tagless images: the `charts/` folder is read once per state, each archive a few times,
    not once per override and subchart (4,800 reads; 60 subcharts of 200 KB took 14 s)."""
    from click.testing import CliRunner

    from bumper.cli import main
    from bumper.plan import chart_archive

    root = tmp_path / "tree"
    (root / "platform/charts").mkdir(parents=True)
    (root / "platform/Chart.yaml").write_bytes(b"apiVersion: v2\nname: platform\nversion: 1.0.0\n")
    for i in range(40):
        chart = SUB_CHART.replace(b"name: es", f"name: s{i}".encode())
        archive = packaged(f"s{i}", {"Chart.yaml": chart, "values.yaml": SUB_VALUES})
        (root / f"platform/charts/s{i}-1.0.0.tgz").write_bytes(archive)
    for f in range(3):
        overrides = "".join(f"s{i}:\n  image: {OSS}\n" for i in range(40))
        (root / f"platform/values-{f}.yaml").write_text(overrides)
    opened: list[str] = []
    import gzip  # read by chart_archive at its first archive

    real_open = gzip.open

    def counted(path: str, *args: object, **kwargs: object) -> object:
        opened.append(path)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(gzip, "open", counted)
    chart_archive._read.cache_clear()
    argv = ["bump", f"{OSS}:7.10.2", "--dir", str(root), "--dry-run", "--output", "json"]
    result = CliRunner().invoke(main, argv)

    assert result.exit_code == 3, result.output
    ignored = json.loads(result.stdout)["ignored"]
    assert (
        len([s for s in ignored if s["reason"].startswith("no-tag-field: the chart's platform/charts/s")])
        == 120
    )
    assert len(opened) <= 5 * 40, len(opened)  # names once, then the values an override asks for


def test_a_values_file_linked_to_itself_leaves_the_override_alone_as_unknown(tmp_path: Path) -> None:
    """`values.yaml -> values.yaml` (a loop of one) leads to no file, as a dangling link does:
    the override of that chart is left alone, never pinned (it was, as if the chart kept no tag)."""
    root = tmp_path / "tree"
    (root / "charts/es/examples/oss").mkdir(parents=True)
    (root / "charts/es/Chart.yaml").write_bytes(SUB_CHART)
    (root / "charts/es/values.yaml").symlink_to("values.yaml")
    override = b"image: " + OSS.encode() + b"\n"
    (root / "charts/es/examples/oss/values.yaml").write_bytes(override)

    proc = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root), "--output", "json"])

    assert proc.returncode == 3, proc.stderr
    assert (root / "charts/es/examples/oss/values.yaml").read_bytes() == override
    reasons = [
        s["reason"] for s in json.loads(proc.stdout)["ignored"] if s["file"].endswith("oss/values.yaml")
    ]
    assert reasons == [
        "no-tag-field: the chart's charts/es/values.yaml is a link bumper does not follow (out of the "
        "tree, or to nothing there), so whether the chart keeps this image's tag in a key beside it "
        "is unknown; write that tag key here for bumper to pin it"
    ]


@pytest.mark.parametrize(
    "damage", ["corrupt", "cut-short", "empty", "not-gzip", "many-members", "values-a-link", "parent-names"]
)
def test_a_packaged_subchart_bumper_cannot_read_leaves_the_override_alone_as_unknown(
    tmp_path: Path, damage: str
) -> None:
    """`charts/es-8.5.1.tgz` that is no archive bumper can read: Helm names chart `es`'s archive
    so, so the override under `es` is left alone as unknown (it was pinned as if the umbrella had
    no such subchart), by scan and bump alike."""
    root = _tree(tmp_path / "tree")
    good = (root / "vendor/es-8.5.1.tgz").read_bytes()
    damaged = {
        "corrupt": good[:20] + bytes(b ^ 0x5A for b in good[20:60]) + good[60:],
        "cut-short": good[: len(good) // 2],
        "empty": b"",
        "not-gzip": b"version https://git-lfs.github.com/spec/v1\n",
        # each was read as a chart with no values, and the override pinned
        "many-members": tgz(
            [
                ("es/Chart.yaml", SUB_CHART),
                *((f"es/t/{i}", b"") for i in range(10_000)),
                ("es/values.yaml", SUB_VALUES),
            ]
        ),
        "values-a-link": tgz(
            [("es/Chart.yaml", SUB_CHART), ("es/v.yaml", SUB_VALUES), ("es/values.yaml", "v.yaml")]
        ),
        "parent-names": tgz([("../es/Chart.yaml", SUB_CHART), ("../es/values.yaml", SUB_VALUES)]),
    }[damage]
    link = root / "platform/charts/es-8.5.1.tgz"
    link.unlink()
    link.write_bytes(damaged)

    _assert_override_left_as_unknown(
        root,
        "no-tag-field: the chart's platform/charts/es-8.5.1.tgz is no chart archive bumper can read "
        "(not gzip, not tar, no Chart.yaml at its top, too large, or holding a link, a name out of its "
        "folder or over 10,000 files), so whether the chart keeps this image's tag in a key beside it "
        "is unknown; write that tag key here for bumper to pin it",
    )
