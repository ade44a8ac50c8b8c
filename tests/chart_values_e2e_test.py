"""End to end: a values file of a chart that names an image without a tag, whose tag the chart's
own values.yaml keeps in a sibling key (elastic/helm-charts' elasticsearch `examples/oss`), is
left alone alike by `bump --dir`, `bump --repo` (with and without `--path`, which clones
sparsely) and `scan`: a tag appended to it renders `repo:new:old`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing import forkserver
from testing.charts import packaged
from testing.runs import run_bump
from testing.world import make_world

OSS = "docker.elastic.co/elasticsearch/elasticsearch-oss"
CHART_VALUES = (
    b'clusterName: "elasticsearch"\n'
    b'image: "docker.elastic.co/elasticsearch/elasticsearch"\n'
    b'imageTag: "8.5.1"\n'
    b"sidecar:\n"
    b"  Image: k8s.gcr.io/spark\n"
    b'  ImageTag: "1.5.1_v3"\n'
)
OVERRIDE = b'clusterName: "oss"\nimage: "docker.elastic.co/elasticsearch/elasticsearch-oss"\n'
# No chart keeps this one's tag: a whole reference, pinned as before.
OTHER = b"image: docker.elastic.co/elasticsearch/elasticsearch-oss\n"
TREE = {
    "charts/elasticsearch/Chart.yaml": b"apiVersion: v2\nname: elasticsearch\nversion: 8.5.1\n",
    "charts/elasticsearch/values.yaml": CHART_VALUES,
    "charts/elasticsearch/examples/oss/values.yaml": OVERRIDE,
    "charts/elasticsearch/examples/spark/values.yaml": b"sidecar:\n  Image: k8s.gcr.io/spark-oss\n",
    "apps/oss/values.yaml": OTHER,
}
WHY = (
    "no-tag-field: the chart's charts/elasticsearch/values.yaml:3 keeps the tag in `imageTag` "
    "beside it; add `imageTag:` here for bumper to pin it"
)


def _write(root: Path) -> Path:
    for rel, data in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _ignored(result: dict[str, object]) -> list[tuple[str, int, str]]:
    return [(s["file"], s["line"], s["reason"]) for s in result["ignored"]]  # type: ignore[attr-defined, index]


@pytest.mark.parametrize("paths", [(), ("--path", "charts/elasticsearch/examples/**", "--path", "apps/**")])
def test_a_repo_run_leaves_the_override_alone_and_pins_the_image_no_chart_keeps_a_tag_for(
    tmp_path: Path, paths: tuple[str, ...]
) -> None:
    with make_world(tmp_path, "github", TREE) as world:
        proc = run_bump(world, f"{OSS}:7.10.2", *paths)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        branch = result["branch"]
        assert world.read(branch, "charts/elasticsearch/examples/oss/values.yaml") == OVERRIDE
        assert world.read(branch, "apps/oss/values.yaml") == OTHER.replace(b"-oss\n", b"-oss:7.10.2\n")
    assert ("charts/elasticsearch/examples/oss/values.yaml", 2, WHY) in _ignored(result)
    assert [c["file"] for c in result["changes"]] == ["apps/oss/values.yaml"]


def test_a_dir_run_whose_only_reference_the_chart_keeps_the_tag_of_exits_3_saying_so(tmp_path: Path) -> None:
    root = _write(tmp_path / "tree")
    (root / "apps/oss/values.yaml").unlink()

    proc = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root)])

    assert proc.returncode == 3, proc.stderr
    assert "charts/elasticsearch/examples/oss/values.yaml:2 (no-tag-field)" in proc.stderr
    assert WHY in proc.stderr
    assert (root / "charts/elasticsearch/examples/oss/values.yaml").read_bytes() == OVERRIDE
    # The same key under another map of another file: the chart's `sidecar.Image` + `ImageTag`.
    spark = forkserver.run(["bump", "k8s.gcr.io/spark-oss:2.0", "--dir", str(root)])
    assert spark.returncode == 3, spark.stderr
    assert "charts/elasticsearch/examples/spark/values.yaml:2 (no-tag-field)" in spark.stderr
    assert "keeps the tag in `ImageTag`" in spark.stderr


def test_scan_lists_the_override_as_left_alone_not_as_a_reference(tmp_path: Path) -> None:
    root = _write(tmp_path / "tree")

    proc = forkserver.run(["scan", "--dir", str(root), "--output", "json"])

    assert proc.returncode == 0, proc.stderr
    scan = json.loads(proc.stdout)
    listed = {(i["file"], i["line"], i["shape"]) for i in scan["images"]}
    assert listed == {
        ("apps/oss/values.yaml", 1, "container"),
        ("charts/elasticsearch/values.yaml", 3, "helm"),
        ("charts/elasticsearch/values.yaml", 6, "helm"),
    }
    assert ("charts/elasticsearch/examples/oss/values.yaml", 2, WHY) in _ignored(scan)


def test_a_chart_values_file_that_is_a_link_is_followed_in_the_tree_and_never_out_of_it(
    tmp_path: Path,
) -> None:
    """Helm reads a values.yaml that is a link: one to a file of the tree is read as the chart's
    (its `imageTag` keeps the override alone; the override was pinned and rendered repo:new:old).
    One leading out of the tree, or to nothing, is never read: where the chart keeps the tag is
    then unknown, so the override is left alone saying so, never pinned. A values.yaml that does
    not parse decides nothing: the override is a whole reference, as before."""
    root = _write(tmp_path / "tree")
    override = "charts/elasticsearch/examples/oss/values.yaml"
    values = root / "charts/elasticsearch/values.yaml"
    values.unlink()
    (root / "common").mkdir()
    (root / "common/values.yaml").write_bytes(CHART_VALUES)
    values.symlink_to("../../common/values.yaml")
    (root / "apps/oss/values.yaml").unlink()
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    linked = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root), "--output", "json"])
    assert linked.returncode == 3, linked.stderr
    assert (override, 2, WHY) in _ignored(json.loads(linked.stdout))

    outside = tmp_path / "outside.yaml"
    outside.write_bytes(CHART_VALUES)
    for target in (str(outside), "../../common/gone.yaml"):
        values.unlink()
        values.symlink_to(target)
        out = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root), "--output", "json"])
        assert out.returncode == 3, out.stderr
        reasons = [r for f, line, r in _ignored(json.loads(out.stdout)) if (f, line) == (override, 2)]
        assert reasons == [
            "no-tag-field: the chart's charts/elasticsearch/values.yaml is a link bumper does not follow "
            "(out of the tree, or to nothing there), so whether the chart keeps this image's tag in a "
            "key beside it is unknown; write that tag key here for bumper to pin it"
        ], out.stdout
        assert (root / override).read_bytes() == OVERRIDE
        scan = forkserver.run(["scan", "--dir", str(root), "--output", "json"])
        assert override not in {i["file"] for i in json.loads(scan.stdout)["images"]}

    values.unlink()
    values.write_bytes(b"image: [\n")
    broken = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root), "--dry-run"])
    assert broken.returncode == 0, broken.stderr
    assert f'+image: "{OSS}:7.10.2"' in broken.stdout


SUB = "platform/charts/elasticsearch"
SUB_IMAGE = b"elasticsearch:\n  image: docker.elastic.co/elasticsearch/elasticsearch-oss\n"
UMBRELLA = {
    "platform/Chart.yaml": (
        b"apiVersion: v2\nname: platform\nversion: 1.0.0\ndependencies:\n"
        b"- {name: elasticsearch, version: 8.5.1}\n- {name: elasticsearch, version: 8.5.1, alias: search}\n"
    ),
    "platform/values.yaml": SUB_IMAGE,
    # Helm puts an aliased dependency's values under its alias
    "platform/values-search.yaml": SUB_IMAGE.replace(b"elasticsearch:", b"search:", 1),
    "platform/values-prod.yaml": SUB_IMAGE,
    f"{SUB}/Chart.yaml": b"apiVersion: v2\nname: elasticsearch\nversion: 8.5.1\n",
    f"{SUB}/values.yaml": CHART_VALUES,
    # a key that names no subchart folder: nothing keeps its tag, pinned as before
    "platform/values-other.yaml": b"kibana:\n  image: docker.elastic.co/elasticsearch/elasticsearch-oss\n",
}
SUB_WHY = (
    f"no-tag-field: the chart's {SUB}/values.yaml:3 keeps the tag in `imageTag` beside it; "
    "add `imageTag:` here for bumper to pin it"
)


@pytest.mark.parametrize("paths", [(), ("--path", "platform/values*.yaml")])
def test_an_umbrella_charts_override_of_a_subchart_image_is_left_alone(
    tmp_path: Path, paths: tuple[str, ...]
) -> None:
    """An umbrella chart's values files naming its subchart's image (`elasticsearch.image`)
    without a tag, where the subchart under charts/ keeps the tag beside its `image`: it was
    pinned and rendered repo:new:old; with --path the sparse clone still reads the subchart's."""
    with make_world(tmp_path, "github", UMBRELLA) as world:
        proc = run_bump(world, f"{OSS}:7.10.2", *paths)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        branch = result["branch"]
        for rel in ("platform/values.yaml", "platform/values-prod.yaml", "platform/values-search.yaml"):
            assert world.read(branch, rel) == UMBRELLA[rel]
        other = world.read(branch, "platform/values-other.yaml")
        assert other == UMBRELLA["platform/values-other.yaml"].replace(b"-oss\n", b"-oss:7.10.2\n")
    ignored = _ignored(result)
    assert ("platform/values.yaml", 2, SUB_WHY) in ignored
    assert ("platform/values-prod.yaml", 2, SUB_WHY) in ignored
    assert ("platform/values-search.yaml", 2, SUB_WHY) in ignored
    assert [c["file"] for c in result["changes"]] == ["platform/values-other.yaml"]


def test_a_tag_key_the_charts_values_merge_in_is_where_the_chart_keeps_the_tag(tmp_path: Path) -> None:
    """The chart's values.yaml brings `imageTag` beside its `image` through a merge key
    (`<<: *defaults`): the override's tagless image renders repo:imageTag all the same."""
    root = _write(tmp_path / "tree")
    merged = (
        b'defaults: &defaults\n  imageTag: "8.5.1"\n'
        b'image: "docker.elastic.co/elasticsearch/elasticsearch"\n<<: *defaults\n'
    )
    (root / "charts/elasticsearch/values.yaml").write_bytes(merged)
    (root / "apps/oss/values.yaml").unlink()

    proc = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root)])

    assert proc.returncode == 3, proc.stderr
    assert "charts/elasticsearch/examples/oss/values.yaml:2 (no-tag-field)" in proc.stderr
    assert "the chart's charts/elasticsearch/values.yaml:4 keeps the tag in `imageTag`" in proc.stderr
    assert (root / "charts/elasticsearch/examples/oss/values.yaml").read_bytes() == OVERRIDE


SUB_CHART = b"apiVersion: v2\nname: elasticsearch\nversion: 8.5.1\n"
# The subchart under charts/ as `helm dependency build` leaves it (packaged), or unpacked into a
# folder named for its version: Helm goes by the name in its Chart.yaml, not by the folder's.
SUBCHART_LAYOUTS = {
    "folder-named-for-its-version": {
        "platform/charts/elasticsearch-8.5.1/Chart.yaml": SUB_CHART,
        "platform/charts/elasticsearch-8.5.1/values.yaml": CHART_VALUES,
    },
    "packaged": {
        "platform/charts/elasticsearch-8.5.1.tgz": packaged(
            "elasticsearch", {"Chart.yaml": SUB_CHART, "values.yaml": CHART_VALUES}
        ),
    },
}


@pytest.mark.parametrize("layout", sorted(SUBCHART_LAYOUTS))
@pytest.mark.parametrize("paths", [(), ("--path", "platform/values*.yaml")])
def test_a_subchart_found_by_its_charts_name_keeps_the_umbrellas_override_alone(
    tmp_path: Path, layout: str, paths: tuple[str, ...]
) -> None:
    """`charts/elasticsearch-8.5.1/` or `charts/elasticsearch-8.5.1.tgz` for the dependency
    `elasticsearch` (and its alias `search`): the override under that key was pinned, since only
    `charts/elasticsearch/` was looked for; with --path the sparse clone holds the archive too."""
    tree = {k: v for k, v in UMBRELLA.items() if not k.startswith(SUB)}
    tree.update(SUBCHART_LAYOUTS[layout])
    where = next(iter(SUBCHART_LAYOUTS[layout]))
    if where.endswith(".tgz"):
        where = f"{where}:elasticsearch"
    else:
        where = where.rsplit("/", 1)[0]
    why = SUB_WHY.replace(f"{SUB}/values.yaml", f"{where}/values.yaml")
    with make_world(tmp_path, "github", tree) as world:
        proc = run_bump(world, f"{OSS}:7.10.2", *paths)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        for rel in ("platform/values.yaml", "platform/values-prod.yaml", "platform/values-search.yaml"):
            assert world.read(result["branch"], rel) == tree[rel]
    ignored = _ignored(result)
    for rel in ("platform/values.yaml", "platform/values-prod.yaml", "platform/values-search.yaml"):
        assert (rel, 2, why) in ignored, ignored
    assert [c["file"] for c in result["changes"]] == ["platform/values-other.yaml"]


def test_an_image_below_a_packaged_subcharts_own_subchart_is_left_alone_as_unknown(tmp_path: Path) -> None:
    """`platform` packs `stack-1.0.0.tgz`, which packs subcharts of its own (`stack/charts/es/`):
    bumper reads the packaged chart's values.yaml, not its subcharts', so an override naming an
    image below them (`stack.es.image`) without a tag is left alone as unknown, never pinned."""
    root = tmp_path / "tree"
    stack = packaged(
        "stack",
        {
            "Chart.yaml": b"apiVersion: v2\nname: stack\nversion: 1.0.0\n",
            "values.yaml": b"es: {}\n",
            "charts/es/Chart.yaml": SUB_CHART.replace(b"elasticsearch", b"es"),
            "charts/es/values.yaml": CHART_VALUES,
        },
    )
    files = {
        "platform/Chart.yaml": b"apiVersion: v2\nname: platform\nversion: 1.0.0\n",
        "platform/charts/stack-1.0.0.tgz": stack,
        "platform/values-prod.yaml": b"stack:\n  es:\n    image: " + OSS.encode() + b"\n",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)

    proc = forkserver.run(["bump", f"{OSS}:7.10.2", "--dir", str(root)])

    assert proc.returncode == 3, proc.stderr
    assert (
        "no-tag-field: the chart's platform/charts/stack-1.0.0.tgz packs subcharts of its own, which "
        "bumper does not read" in proc.stderr
    )
    assert (root / "platform/values-prod.yaml").read_bytes() == files["platform/values-prod.yaml"]
