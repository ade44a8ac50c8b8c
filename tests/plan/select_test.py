"""Which files of a tree are manifests, and why the others are left alone."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bumper.plan.select import is_manifest_name, iter_candidates
from testing import forkserver


def test_a_manifest_is_named_yaml_yml_or_kustomization() -> None:
    assert all(map(is_manifest_name, ("a.yaml", "b.yml", "Kustomization", "kustomization.yml")))
    assert not any(map(is_manifest_name, ("a.json", "yaml", "a.yaml.orig", "Chart.lock")))


def test_the_walk_skips_git_and_says_why_a_hidden_file_is_left_alone(tmp_path: Path) -> None:
    for name in ("apps/a.yaml", ".git/config.yaml", ".hidden/b.yaml", "apps/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("image: nginx:1.27\n")
    found = {c.relpath: c.reason for c in iter_candidates(tmp_path)}
    assert found == {"apps/a.yaml": None, ".hidden/b.yaml": "hidden"}


def _chart_trees(root: Path) -> None:
    """Charts and look-alikes: a Chart.yaml that is a file, a link to one, a folder or a dangling
    link; templates at depth, hidden inside templates, a link inside, a linked templates folder."""
    files = {
        "charts/a/Chart.yaml": "name: a\n",
        "charts/a/values.yaml": "image: nginx:1.27\n",
        "charts/a/templates/x.yaml": "image: {{ .Values.image }}\n",
        "charts/a/templates/sub/deeper/y.yml": "image: nginx:1.27\n",
        "charts/a/templates/.hid/z.yaml": "image: nginx:1.27\n",
        "charts/a/templates/charts/inner/Chart.yaml": "name: inner\n",
        "charts/a/charts/sub/Chart.yaml": "name: sub\n",
        "charts/a/charts/sub/templates/kustomization.yaml": "images: []\n",
        "charts/b/real-chart.yaml": "name: b\n",
        "charts/b/templates/x.yaml": "image: nginx:1.27\n",
        "charts/c/Chart.yaml/inside.yaml": "image: nginx:1.27\n",
        "charts/c/templates/x.yaml": "image: nginx:1.27\n",
        "charts/d/templates/x.yaml": "image: nginx:1.27\n",
        "notchart/templates/x.yaml": "image: nginx:1.27\n",
        ".hidden/chart/Chart.yaml": "name: h\n",
        ".hidden/chart/templates/x.yaml": "image: nginx:1.27\n",
        "charts/e/Chart.yaml": "name: e\n",
        "elsewhere/templates/x.yaml": "image: nginx:1.27\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "charts/a/templates/link.yaml").symlink_to("../values.yaml")
    (root / "charts/b/Chart.yaml").symlink_to("real-chart.yaml")  # a link to a file: a chart
    (root / "charts/d/Chart.yaml").symlink_to("missing.yaml")  # dangling: no chart
    (root / "charts/e/templates").symlink_to("../../elsewhere/templates", target_is_directory=True)


def _by_path_rule(root: Path, relpath: str) -> str | None:
    """The reason by path alone, as the rule reads (hidden first, then a `templates/` folder
    whose parent holds a Chart.yaml file, at any depth), independently of the walk."""
    if relpath.startswith(".") or "/." in relpath:
        return "hidden"
    parts = relpath.split("/")[:-1]
    charts = [(root.joinpath(*parts[:n]) / "Chart.yaml").is_file() for n in range(len(parts))]
    if any(part == "templates" and chart for part, chart in zip(parts, charts)):
        return "helm-template"
    if (root / relpath).is_symlink():
        return "symlink"
    return None


def test_chart_templates_found_by_the_walk_are_exactly_the_path_rules(tmp_path: Path) -> None:
    """The walk marks what lies below a chart's templates/ as it lists it (issue 30); every
    file still gets the reason the path rule gives, on charts and on what only looks like one."""
    _chart_trees(tmp_path)
    found = {c.relpath: c.reason for c in iter_candidates(tmp_path)}
    assert found == {rel: _by_path_rule(tmp_path, rel) for rel in found}
    assert found["charts/a/templates/sub/deeper/y.yml"] == "helm-template"
    assert found["charts/a/templates/link.yaml"] == "helm-template"
    assert found["charts/a/templates/.hid/z.yaml"] == "hidden"
    assert found["charts/a/charts/sub/templates/kustomization.yaml"] == "helm-template"
    assert found["charts/b/templates/x.yaml"] == "helm-template"
    assert found["charts/c/templates/x.yaml"] is None  # Chart.yaml is a folder there
    assert found["charts/d/templates/x.yaml"] is None  # a dangling link is no Chart.yaml
    assert found["notchart/templates/x.yaml"] is None
    assert "charts/e/templates/x.yaml" not in found  # a linked folder is never followed
    assert found["charts/a/templates/charts/inner/Chart.yaml"] == "helm-template"


def test_scan_and_bump_report_chart_templates_as_before(tmp_path: Path) -> None:
    """As a user sees it: `scan` and `bump -v` list the same files left alone, with the same
    reasons, and consider every manifest, templates included."""
    _chart_trees(tmp_path)
    scan = forkserver.run(["scan", "--dir", str(tmp_path), "--output", "json"])
    assert scan.returncode == 0, scan.stderr
    ignored = {i["file"]: i["reason"] for i in json.loads(scan.stdout)["ignored"]}
    assert ignored == {
        ".hidden/chart/templates/x.yaml": "hidden",
        "charts/a/templates/.hid/z.yaml": "hidden",
        "charts/a/templates/sub/deeper/y.yml": "helm-template",
        "charts/a/templates/x.yaml": "helm-template",
        "charts/a/charts/sub/templates/kustomization.yaml": "helm-template",
        "charts/b/templates/x.yaml": "helm-template",
        "charts/b/Chart.yaml": "symlink",  # its target is listed on its own
        "charts/d/Chart.yaml": "symlink",
    }  # a link below templates/ is no file grep reads: not listed, as any template naming nothing
    bump = forkserver.run(["bump", "nginx:1.28", "--dir", str(tmp_path), "--dry-run", "-v"])
    assert bump.returncode == 0, bump.stderr
    lines = bump.stderr.splitlines()
    considered = [line.removeprefix("bumper: considered ") for line in lines if "considered" in line]
    assert considered == sorted(considered) and "charts/a/templates/x.yaml" in considered
    assert "bumper: ignored charts/a/templates/sub/deeper/y.yml: helm-template" in lines
    assert "bumper: ignored charts/b/templates/x.yaml: helm-template" in lines
    assert "+++ b/charts/c/templates/x.yaml" in bump.stdout  # no chart there: bumped


def test_a_search_stands_for_the_files_it_did_not_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given what a search found (a run without -v), only the regular files it found are given,
    with the reasons the walk would give them, and links (left alone for what they are) whatever
    their bytes; a chart's templates/ is never listed: its files the search found come in its
    place. Every other folder is still walked. A search that cannot tell (None) changes nothing."""
    _chart_trees(tmp_path)
    everything = {c.relpath: c.reason for c in iter_candidates(tmp_path)}
    hits = {"charts/a/templates/x.yaml", "charts/a/templates/.hid/z.yaml", "charts/a/values.yaml"}
    hits |= {"charts/b/templates/x.yaml", "notchart/templates/x.yaml", "charts/a/templates/sub/deeper/y.yml"}
    listed: list[str] = []
    scandir = os.scandir

    def recording(path: str) -> Iterator[os.DirEntry[str]]:
        listed.append(os.path.relpath(path, tmp_path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", recording)
    found = {c.relpath: c.reason for c in iter_candidates(tmp_path, found=lambda: frozenset(hits))}
    below_templates = ("charts/a/templates/", "charts/b/templates/", "charts/a/charts/sub/templates/")
    below_templates += (".hidden/chart/templates/",)  # a chart's, in a hidden folder
    links = {
        rel for rel in everything if (tmp_path / rel).is_symlink() and not rel.startswith(below_templates)
    }
    assert links == {"charts/b/Chart.yaml", "charts/d/Chart.yaml"}
    assert found == {rel: reason for rel, reason in everything.items() if rel in hits or rel in links}
    assert (
        found["charts/a/templates/.hid/z.yaml"] == "hidden"
        and found["charts/b/templates/x.yaml"] == "helm-template"
    )
    assert list(found) == sorted(found)  # still in name order
    assert not [
        folder for folder in listed if folder.startswith(tuple(t.rstrip("/") for t in below_templates))
    ]
    assert "notchart/templates" in listed and "charts/c/templates" in listed  # no chart: walked
    assert {c.relpath: c.reason for c in iter_candidates(tmp_path, found=lambda: None)} == everything


def test_bump_lists_the_same_templates_left_alone_with_and_without_verbose(tmp_path: Path) -> None:
    """As a user sees it: without -v the run lists no chart templates/ folder, and reports the
    same templates left alone (those that mention the image) as `scan` and `bump -v`."""
    _chart_trees(tmp_path)
    runs = [
        forkserver.run(["bump", "nginx:1.28", "--dir", str(tmp_path), "--dry-run", *more, "--output", "json"])
        for more in ([], ["-v"])
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    quiet, verbose = ({(i["file"], i["reason"]) for i in json.loads(r.stdout)["ignored"]} for r in runs)
    assert quiet == verbose
    assert ("charts/a/templates/sub/deeper/y.yml", "helm-template") in quiet
    assert ("charts/a/templates/.hid/z.yaml", "hidden") in quiet
    assert json.loads(runs[0].stdout)["changes"] == json.loads(runs[1].stdout)["changes"]
